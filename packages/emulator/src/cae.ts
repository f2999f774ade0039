import type { JWTPayload } from "jose";

interface Revocation {
  /** When the sessions were revoked (ms). */
  readonly atMs: number;
  /** The `nbf` value the claims challenge asks for (epoch seconds). */
  readonly nbfSeconds: number;
  /** Only challenge tokens whose client declared the `cp1` capability. */
  readonly requireClientCapability: boolean;
  /** When a token satisfying the challenge was first issued (ms). */
  resolvedAtMs: number | undefined;
}

/**
 * Continuous access evaluation: revoked sessions per user, and which tokens Graph must challenge.
 *
 * @remarks
 * After {@link CaeRegistry.revoke}, Graph answers `401 insufficient_claims` to every token of the
 * user until a token is issued for a request carrying the challenge's claims
 * (`access_token.nbf.value` at least the revocation time). From then on tokens issued at or after
 * that moment pass; older ones keep being challenged.
 *
 * @internal
 */
export class CaeRegistry {
  readonly #revocations = new Map<string, Revocation>();
  /** Issue time (ms) of every token the emulator issued, by `uti`. */
  readonly #issuedAt = new Map<string, number>();

  static #key(tenantId: string, userId: string): string {
    return `${tenantId}|${userId}`;
  }

  public revoke(
    tenantId: string,
    userId: string,
    nowMs: number,
    requireClientCapability: boolean,
  ): void {
    this.#revocations.set(CaeRegistry.#key(tenantId, userId), {
      atMs: nowMs,
      nbfSeconds: Math.floor(nowMs / 1000),
      requireClientCapability,
      resolvedAtMs: undefined,
    });
  }

  /**
   * Notes an issued user token; if its request carried claims asking for `nbf` at or after a
   * revocation, the revocation is resolved from now on.
   */
  public issued(
    uti: string,
    tenantId: string,
    userId: string,
    nowMs: number,
    requestedNbfSeconds: number | undefined,
  ): void {
    this.#issuedAt.set(uti, nowMs);
    const revocation = this.#revocations.get(CaeRegistry.#key(tenantId, userId));
    if (
      revocation !== undefined &&
      revocation.resolvedAtMs === undefined &&
      requestedNbfSeconds !== undefined &&
      requestedNbfSeconds >= revocation.nbfSeconds
    ) {
      revocation.resolvedAtMs = nowMs;
    }
  }

  /** Notes an issued token that no revocation concerns (app-only). */
  public issuedAppToken(uti: string, nowMs: number): void {
    this.#issuedAt.set(uti, nowMs);
  }

  /**
   * The claims challenge (base64 of the claims JSON) Graph must answer a token with, if any.
   *
   * @param payload - the verified Graph token's claims
   */
  public challengeFor(payload: JWTPayload): string | undefined {
    const { tid, oid, uti, iat, xms_cc: capabilities } = payload;
    if (typeof tid !== "string" || typeof oid !== "string") return undefined;
    const revocation = this.#revocations.get(CaeRegistry.#key(tid, oid));
    if (revocation === undefined) return undefined;
    if (
      revocation.requireClientCapability &&
      !(Array.isArray(capabilities) && capabilities.includes("cp1"))
    ) {
      return undefined;
    }
    const issuedAt =
      (typeof uti === "string" ? this.#issuedAt.get(uti) : undefined) ??
      (typeof iat === "number" ? iat * 1000 : 0);
    if (revocation.resolvedAtMs !== undefined && issuedAt >= revocation.resolvedAtMs)
      return undefined;
    const claims = JSON.stringify({
      access_token: { nbf: { essential: true, value: String(revocation.nbfSeconds) } },
    });
    return Buffer.from(claims).toString("base64");
  }

  public reset(): void {
    this.#revocations.clear();
  }
}
