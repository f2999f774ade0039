/** The state of the circuit breaker in front of Redis: `open` while calls are refused. */
export type CircuitState = "closed" | "open" | "half-open";

/** Settings of a {@link CircuitBreaker}. @internal */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before a probe may close it, in milliseconds. */
  readonly cooldownMs: number;
  /** Checks whether the service is back; resolves `true` when it is. Must not reject. */
  readonly probe: () => Promise<boolean>;
  readonly now: () => number;
  readonly onOpen: () => void;
  readonly onClose: () => void;
}

/**
 * A circuit breaker: after `failureThreshold` consecutive failures, calls are refused at once for
 * `cooldownMs`, so no caller keeps paying a timeout while the service is down. The first call
 * refused after the cool-down starts one background probe (half-open); its success closes the
 * circuit, its failure opens it for another cool-down. Callers never wait for the probe.
 *
 * @internal
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #state: CircuitState = "closed";
  #failures = 0;
  #openUntil = 0;
  #opens = 0;

  public constructor(options: CircuitBreakerOptions) {
    this.#options = options;
  }

  /** The current state. */
  public get state(): CircuitState {
    return this.#state;
  }

  /** How many times the circuit has opened. */
  public get opens(): number {
    return this.#opens;
  }

  /** Whether a call may go to the service now. */
  public allow(): boolean {
    if (this.#state === "closed") return true;
    if (this.#state === "open" && this.#options.now() >= this.#openUntil) {
      this.#state = "half-open";
      void this.#options.probe().then((up) => {
        if (up) this.#close();
        else this.#open();
      });
    }
    return false;
  }

  /** Records a call that succeeded. */
  public success(): void {
    if (this.#state === "closed") this.#failures = 0;
  }

  /** Records a call that failed or timed out. */
  public failure(): void {
    if (this.#state !== "closed") return;
    this.#failures++;
    if (this.#failures >= this.#options.failureThreshold) this.#open();
  }

  #open(): void {
    const wasClosed = this.#state === "closed";
    this.#state = "open";
    this.#openUntil = this.#options.now() + this.#options.cooldownMs;
    if (wasClosed) {
      this.#opens++;
      this.#options.onOpen();
    }
  }

  #close(): void {
    this.#state = "closed";
    this.#failures = 0;
    this.#options.onClose();
  }
}
