import type { InternalLogger } from "../../util/logger.js";
import type { RedisMetrics } from "../../util/telemetry/redis-metrics.js";
import { CircuitBreaker, type CircuitState } from "./circuit-breaker.js";
import { Deadlines } from "./deadlines.js";
import type { RedisCommands } from "./redis-commands.js";

/** Settings of a {@link RedisStore}. @internal */
export interface RedisStoreOptions {
  readonly commands: RedisCommands;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly log: InternalLogger;
  readonly now: () => number;
  /** OpenTelemetry instruments: failed commands and the circuit's state. */
  readonly metrics?: RedisMetrics | undefined;
}

/** What a store call answers when Redis could not be used (breaker open, error, time-out). */
export const UNAVAILABLE: unique symbol = Symbol("redis unavailable");

/** A store call's answer. @internal */
export type Outcome<T> = T | typeof UNAVAILABLE;

const TIMED_OUT: unique symbol = Symbol("timed out");

/** How many fresh time-outs a command may get while the event loop, not Redis, is late. */
const MAX_LAG_EXTENSIONS = 3;

/** How late a timer may fire and still count as on time: a tenth of the time-out, at least 5 ms. */
function lagToleranceMs(timeoutMs: number): number {
  return Math.max(5, timeoutMs / 10);
}

/** A time-out, with how much later than asked its timer fired. */
class TimerFired {
  public readonly lateByMs: number;
  public constructor(lateByMs: number) {
    this.lateByMs = lateByMs;
  }
}

/**
 * Races `pending` against a deadline of `deadlines`. One promise, settled by whichever comes first
 * (no `Promise.race`, no extra async frame and no timer of its own: this is on every hit's path).
 */
function raceDeadline<T>(pending: Promise<T>, deadlines: Deadlines): Promise<T | TimerFired> {
  return new Promise<T | TimerFired>((resolve, reject) => {
    const deadline = deadlines.watch((lateByMs) => {
      resolve(new TimerFired(lateByMs));
    });
    pending.then(
      (value) => {
        deadline.done = true;
        resolve(value);
      },
      (error: unknown) => {
        deadline.done = true;
        // The client's reason, passed on unchanged: `describe` names whatever it is.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      },
    );
  });
}

/** Lets the I/O that arrived while the loop was blocked run (poll phase), then looks again. */
async function raceImmediate<T>(pending: Promise<T>): Promise<T | typeof TIMED_OUT> {
  const turn = new Promise<typeof TIMED_OUT>((resolve) => setImmediate(resolve, TIMED_OUT));
  return Promise.race([pending, turn]);
}

/** Deletes a lock only if it still holds the caller's owner token. */
const RELEASE_LOCK =
  'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0';

/**
 * The few Redis commands the cache needs, each bounded by a time-out and guarded by a circuit
 * breaker. No call ever rejects or waits past the time-out: failures answer {@link UNAVAILABLE}.
 * Nothing about the values or key names is logged.
 *
 * @internal
 */
export class RedisStore {
  readonly #commands: RedisCommands;
  readonly #timeoutMs: number;
  readonly #log: InternalLogger;
  readonly #breaker: CircuitBreaker;
  readonly #deadlines: Deadlines;
  #lastFailure = "";
  #errors = 0;
  #timeouts = 0;
  #skipped = 0;
  #lateReplies = 0;
  readonly #metrics: RedisMetrics | undefined;

  public constructor(options: RedisStoreOptions) {
    this.#commands = options.commands;
    this.#metrics = options.metrics;
    this.#timeoutMs = options.timeoutMs;
    this.#deadlines = new Deadlines(options.timeoutMs);
    this.#log = options.log;
    this.#breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold,
      cooldownMs: options.cooldownMs,
      now: options.now,
      probe: async () => (await this.#bounded(() => this.#commands.ping())) !== UNAVAILABLE,
      onOpen: () => {
        this.#metrics?.circuit(true);
        this.#log.warn(
          `Redis is unavailable (${this.#lastFailure}); the token cache uses memory only and probes Redis every ${options.cooldownMs} ms`,
        );
      },
      onClose: () => {
        this.#metrics?.circuit(false);
        this.#log.info("Redis is reachable again; the shared token cache is back in use");
      },
    });
  }

  /** The circuit breaker's state. */
  public get state(): CircuitState {
    return this.#breaker.state;
  }

  /**
   * Counters: failed and timed-out commands, commands skipped while open, replies that came after
   * `timeoutMs` because our event loop was late, and circuit opens.
   */
  public counters(): {
    errors: number;
    timeouts: number;
    skipped: number;
    lateReplies: number;
    opens: number;
  } {
    return {
      errors: this.#errors,
      timeouts: this.#timeouts,
      skipped: this.#skipped,
      lateReplies: this.#lateReplies,
      opens: this.#breaker.opens,
    };
  }

  /** Whether a call would go to Redis now; also starts the half-open probe when it is due. */
  public available(): boolean {
    return this.#breaker.allow();
  }

  /** Reads the values stored under `names`, in one bounded call. */
  public read(names: readonly string[]): Promise<Outcome<(Buffer | null)[]>> {
    return this.#call(() => this.#commands.getBuffers(names));
  }

  /** Stores `value` under `name` for `ttlMs` milliseconds. */
  public async write(name: string, value: Buffer, ttlMs: number): Promise<boolean> {
    const outcome = await this.#call(() => this.#commands.set(name, value, ttlMs, false));
    return outcome !== UNAVAILABLE;
  }

  /** Deletes `names`, one command each (they may live in different cluster slots). */
  public async remove(names: readonly string[]): Promise<boolean> {
    return (await this.#call(() => this.#commands.del(names))) !== UNAVAILABLE;
  }

  /** Takes the lock `name` for `owner` unless someone holds it (`SET NX PX`). */
  public async tryLock(name: string, owner: string, ttlMs: number): Promise<Outcome<boolean>> {
    return this.#call(() => this.#commands.set(name, owner, ttlMs, true));
  }

  /** Releases the lock `name` if `owner` still holds it (compare-and-delete in Lua). */
  public async unlock(name: string, owner: string): Promise<void> {
    await this.#call(() => this.#commands.eval(RELEASE_LOCK, name, owner));
  }

  /** Runs any command under the same time-out and circuit breaker as the others. */
  public run<T>(command: () => Promise<T>): Promise<Outcome<T>> {
    return this.#call(command);
  }

  async #call<T>(command: () => Promise<T>): Promise<Outcome<T>> {
    if (!this.#breaker.allow()) {
      this.#skipped++;
      return UNAVAILABLE;
    }
    const outcome = await this.#bounded(command);
    if (outcome === UNAVAILABLE) this.#breaker.failure();
    else this.#breaker.success();
    return outcome;
  }

  /**
   * Runs a command, racing it against the time-out; never rejects.
   *
   * The time-out measures Redis, not our own event loop. A timer that fires late says the loop was
   * blocked (CPU load, a long synchronous task): the reply may be waiting unread in the socket, or
   * the client may not even have written the command yet (node-redis writes on `setImmediate`). So
   * a late timer first lets pending I/O run; a reply found then is used and not held against Redis.
   * Without one, the command gets a fresh `timeoutMs`, up to {@link MAX_LAG_EXTENSIONS} times. Only
   * a timer that fires on time with no reply, or the last extension, is a time-out of Redis.
   */
  async #bounded<T>(command: () => Promise<T>): Promise<Outcome<T>> {
    let late = false;
    try {
      const pending = command();
      for (let extension = 0; ; extension++) {
        const result = await raceDeadline(pending, this.#deadlines);
        if (!(result instanceof TimerFired)) {
          if (late) this.#lateReplies++;
          return result;
        }
        if (result.lateByMs <= lagToleranceMs(this.#timeoutMs)) break;
        late = true;
        const afterIo = await raceImmediate(pending);
        if (afterIo !== TIMED_OUT) {
          this.#lateReplies++;
          return afterIo;
        }
        if (extension >= MAX_LAG_EXTENSIONS) break;
      }
      this.#timeouts++;
      this.#metrics?.failure("timeout");
      this.#noteFailure(`no answer within ${this.#timeoutMs} ms`);
      return UNAVAILABLE;
    } catch (error) {
      this.#errors++;
      this.#metrics?.failure("error");
      this.#noteFailure(describe(error));
      return UNAVAILABLE;
    }
  }

  #noteFailure(description: string): void {
    this.#lastFailure = description;
    if (this.#log.verboseEnabled) this.#log.verbose(`Redis command failed: ${description}`);
  }
}

/** Names an error without its details' values: Redis and client messages hold no key or value. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return "unknown error";
  const message = error.message.length > 120 ? `${error.message.slice(0, 120)}…` : error.message;
  return `${error.name}: ${message}`;
}
