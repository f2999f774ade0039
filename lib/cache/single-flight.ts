/**
 * Runs at most one task per key at a time: callers that arrive while a task for their key runs
 * share its promise, so they get the same result or the same error.
 *
 * @internal
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  /** Whether a task for `key` is running. */
  public has(key: string): boolean {
    return this.#inFlight.has(key);
  }

  /**
   * Joins the running task for `key`, or starts `task`.
   *
   * @returns the shared promise, and whether this caller joined an existing one
   */
  public run(key: string, task: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const running = this.#inFlight.get(key);
    if (running !== undefined) return { promise: running, joined: true };
    const promise = (async () => {
      try {
        return await task();
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, promise);
    return { promise, joined: false };
  }
}
