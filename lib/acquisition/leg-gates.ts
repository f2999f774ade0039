/**
 * Entra's `Retry-After` for app-wide token requests, per request key.
 *
 * @remarks
 * An app-wide leg (the blueprint's exchange token for an agent in a tenant, an agent's app-only
 * token or its own exchange token) is the same request for every user. When Entra answers it with
 * 429 or 503 and `Retry-After`, the next request of that very leg would be refused again, so it is
 * held back until then. Nothing else is: other agents, other tenants and every user's own exchange
 * go on. User exchanges are never gated: their `Retry-After` applies to the request that got it.
 *
 * @internal
 */
export class LegGates {
  readonly #until = new Map<string, number>();
  readonly #max: number;

  /** @param max - the most gates kept; beyond it the oldest is dropped */
  public constructor(max = 10_000) {
    this.#max = max;
  }

  /** Milliseconds the leg `key` must still wait, or 0. */
  public remaining(key: string, now: number): number {
    const until = this.#until.get(key);
    if (until === undefined) return 0;
    // Stryker disable next-line EqualityOperator: at `until === now` both branches answer 0
    if (until <= now) {
      this.#until.delete(key);
      return 0;
    }
    return until - now;
  }

  /** Holds the leg `key` back until `now + waitMs`. */
  public close(key: string, waitMs: number, now: number): void {
    this.#until.delete(key);
    this.#until.set(key, now + waitMs);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut; the loop below stops at the same bound
    if (this.#until.size <= this.#max) return;
    for (const gate of this.#until.keys()) {
      if (this.#until.size <= this.#max) break;
      this.#until.delete(gate);
    }
  }

  /** Opens the leg `key` again (it succeeded). */
  public open(key: string): void {
    this.#until.delete(key);
  }
}
