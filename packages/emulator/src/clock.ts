/**
 * The emulator's clock: the configured time source plus an offset that tests move forward, so that
 * token lifetimes (access tokens, refresh tokens, assertions) can run out without waiting.
 *
 * @internal
 */
export class EmulatorClock {
  readonly #source: () => number;
  #offsetMs = 0;

  public constructor(source: () => number) {
    this.#source = source;
  }

  /** The emulator's time, in milliseconds since the epoch. */
  public now(): number {
    return this.#source() + this.#offsetMs;
  }

  /**
   * Moves the clock forward.
   *
   * @param ms - milliseconds, a non-negative finite number
   */
  public advance(ms: number): void {
    this.#offsetMs += ms;
  }

  /** Back to the time source's time. */
  public reset(): void {
    this.#offsetMs = 0;
  }
}
