import type { Cluster, Redis } from "ioredis";
import type { InternalLogger } from "../../logger.js";
import { CircuitBreaker, type CircuitState } from "./circuit-breaker.js";

/** An ioredis client: a standalone (or Sentinel) `Redis`, or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** Settings of a {@link RedisStore}. @internal */
export interface RedisStoreOptions {
  readonly client: RedisClient;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly log: InternalLogger;
  readonly now: () => number;
}

/** What a store call answers when Redis could not be used (breaker open, error, time-out). */
export const UNAVAILABLE: unique symbol = Symbol("redis unavailable");

/** A store call's answer. @internal */
export type Outcome<T> = T | typeof UNAVAILABLE;

const TIMED_OUT: unique symbol = Symbol("timed out");

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
  readonly #client: RedisClient;
  readonly #timeoutMs: number;
  readonly #log: InternalLogger;
  readonly #breaker: CircuitBreaker;
  #lastFailure = "";
  #errors = 0;
  #timeouts = 0;
  #skipped = 0;

  public constructor(options: RedisStoreOptions) {
    this.#client = options.client;
    this.#timeoutMs = options.timeoutMs;
    this.#log = options.log;
    this.#breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold,
      cooldownMs: options.cooldownMs,
      now: options.now,
      probe: async () => (await this.#bounded(() => this.#client.ping())) !== UNAVAILABLE,
      onOpen: () => {
        this.#log.warn(
          `Redis is unavailable (${this.#lastFailure}); the token cache uses memory only and probes Redis every ${options.cooldownMs} ms`,
        );
      },
      onClose: () => {
        this.#log.info("Redis is reachable again; the shared token cache is back in use");
      },
    });
  }

  /** The circuit breaker's state. */
  public get state(): CircuitState {
    return this.#breaker.state;
  }

  /** Counters: failed and timed-out commands, commands skipped while open, and circuit opens. */
  public counters(): {
    errors: number;
    timeouts: number;
    skipped: number;
    opens: number;
  } {
    return {
      errors: this.#errors,
      timeouts: this.#timeouts,
      skipped: this.#skipped,
      opens: this.#breaker.opens,
    };
  }

  /** Whether a call would go to Redis now; also starts the half-open probe when it is due. */
  public available(): boolean {
    return this.#breaker.allow();
  }

  /** Reads the values stored under `names`, in one bounded call. */
  public read(names: readonly string[]): Promise<Outcome<(Buffer | null)[]>> {
    return this.#call(() => Promise.all(names.map((name) => this.#client.getBuffer(name))));
  }

  /** Stores `value` under `name` for `ttlMs` milliseconds. */
  public async write(name: string, value: Buffer, ttlMs: number): Promise<boolean> {
    return (await this.#call(() => this.#client.set(name, value, "PX", ttlMs))) !== UNAVAILABLE;
  }

  /** Deletes `names`, one command each (they may live in different cluster slots). */
  public async remove(names: readonly string[]): Promise<boolean> {
    const outcome = await this.#call(() =>
      Promise.all(names.map((name) => this.#client.del(name))),
    );
    return outcome !== UNAVAILABLE;
  }

  /** Takes the lock `name` for `owner` unless someone holds it (`SET NX PX`). */
  public async tryLock(name: string, owner: string, ttlMs: number): Promise<Outcome<boolean>> {
    const outcome = await this.#call(() => this.#client.set(name, owner, "PX", ttlMs, "NX"));
    return outcome === UNAVAILABLE ? UNAVAILABLE : outcome === "OK";
  }

  /** Releases the lock `name` if `owner` still holds it (compare-and-delete in Lua). */
  public async unlock(name: string, owner: string): Promise<void> {
    await this.#call(() => this.#client.eval(RELEASE_LOCK, 1, name, owner));
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

  /** Runs a command, racing it against the time-out; never rejects. */
  async #bounded<T>(command: () => Promise<T>): Promise<Outcome<T>> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, this.#timeoutMs, TIMED_OUT);
      timer.unref();
    });
    try {
      const result = await Promise.race([command(), deadline]);
      if (result !== TIMED_OUT) return result;
      this.#timeouts++;
      this.#noteFailure(`no answer within ${this.#timeoutMs} ms`);
      return UNAVAILABLE;
    } catch (error) {
      this.#errors++;
      this.#noteFailure(describe(error));
      return UNAVAILABLE;
    } finally {
      clearTimeout(timer);
    }
  }

  #noteFailure(description: string): void {
    this.#lastFailure = description;
    if (this.#log.verboseEnabled) this.#log.verbose(`Redis command failed: ${description}`);
  }
}

/** Names an error without its details' values: Redis and ioredis messages hold no key or value. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return "unknown error";
  const message = error.message.length > 120 ? `${error.message.slice(0, 120)}…` : error.message;
  return `${error.name}: ${message}`;
}
