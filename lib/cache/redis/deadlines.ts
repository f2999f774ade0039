/** One command's wait, registered with {@link Deadlines.watch}. @internal */
export interface Deadline {
  /** When it expires, on the `performance.now()` clock. */
  readonly at: number;
  /** Called once, when it expires, with how much later than `at` its check ran. */
  readonly expire: (lateByMs: number) => void;
  /** Set when the command answered (or the deadline expired): nothing more to do. */
  done: boolean;
}

/** Above this many finished deadlines at the head of the queue, the queue is compacted. */
const COMPACT_AFTER = 1_024;

/**
 * The time-outs of a store's commands, with one timer for all of them instead of one per command.
 *
 * Every command has the same time-out, so deadlines come in the order they expire: a FIFO queue.
 * One unref'd timer is armed for the earliest deadline still pending; a command that answers only
 * marks its deadline done (no timer to clear, no timer list to create or delete per command, which
 * is what a second-level hit would otherwise pay for every `GET`). When the timer fires, it drops
 * the finished deadlines, expires the due ones and re-arms for the next. The finished deadlines
 * waiting there cost a few dozen bytes each, for at most one time-out.
 *
 * @internal
 */
export class Deadlines {
  readonly #ms: number;
  #queue: Deadline[] = [];
  #head = 0;
  #armed = false;

  /** @param ms - the time-out of every command */
  public constructor(ms: number) {
    this.#ms = ms;
  }

  /** Registers a deadline `ms` from now; `expire` is called once if it is not done by then. */
  public watch(expire: (lateByMs: number) => void): Deadline {
    const deadline: Deadline = { at: performance.now() + this.#ms, expire, done: false };
    this.#queue.push(deadline);
    if (!this.#armed) this.#arm(this.#ms);
    return deadline;
  }

  /** How many deadlines the queue holds, done or not (for specs). */
  public get size(): number {
    return this.#queue.length - this.#head;
  }

  #arm(ms: number): void {
    this.#armed = true;
    setTimeout(() => {
      this.#check();
    }, ms).unref();
  }

  #check(): void {
    this.#armed = false;
    const now = performance.now();
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const deadline = queue[this.#head];
      if (deadline === undefined) break;
      if (!deadline.done) {
        if (deadline.at > now) break;
        deadline.done = true;
        deadline.expire(now - deadline.at);
      }
      this.#head++;
    }
    if (this.#head >= queue.length) {
      this.#queue = [];
      this.#head = 0;
      return;
    }
    if (this.#head > COMPACT_AFTER) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
    const next = this.#queue[this.#head];
    if (next !== undefined) this.#arm(Math.max(1, next.at - now));
  }
}
