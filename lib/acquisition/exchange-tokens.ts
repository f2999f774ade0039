import { MemoryTokenCache } from "../cache/memory-token-cache.js";
import { randomUUID } from "node:crypto";
import { TokenEngine, type FetchedToken } from "../cache/token-engine.js";
import type { InternalLogger } from "../util/logger.js";
import { EngineCounters } from "../util/telemetry/pipeline-metrics.js";

/** Settings of {@link CredentialTokens}. @internal */
export interface CredentialTokensOptions {
  /** What the tokens are, for keys and logs (`t1`, `t2`). */
  readonly name: string;
  /** Requests the credential of an agent identity in a tenant, with the acquisition's correlation id. */
  readonly fetch: (agentId: string, tenant: string, correlationId: string) => Promise<FetchedToken>;
  readonly log: InternalLogger;
  /** The most tokens kept (one per agent identity and tenant). */
  readonly maxEntries: number;
  readonly expirySkewMs: number;
  readonly refreshAheadMs: number;
}

/** Counters of an agent identity credential token cache (T1 or T2). */
export interface CredentialTokenStats {
  /** Requests for the token answered from the cache. */
  readonly hits: number;
  /** Requests that had to fetch it. */
  readonly misses: number;
  /** Renewals ahead of expiry. */
  readonly refreshes: number;
  /** Fetches that failed. */
  readonly failures: number;
  /** Tokens held now (one per agent identity and tenant). */
  readonly size: number;
}

interface CredentialRequest {
  readonly agentId: string;
  readonly tenant: string;
  readonly correlationId: string;
}

/**
 * App-wide credential tokens of agent identities, reused by every user until they expire: the
 * blueprint's exchange token T1 (client credentials with `fmi_path`) and the agent's own exchange
 * token T2 (client credentials as the agent, for the `user_fic` grant). Cached per agent identity
 * and tenant in process memory, never in a shared `tokenCache` (they are credentials, not tokens
 * for a resource), renewed ahead of expiry, one request per key at a time.
 *
 * @remarks
 * T2 is the agent identity's own client-credentials token, obtained without any user, so like any
 * app credential it is reused for every user until it expires: nothing in it names a user. The
 * emulator's `userFicCredential: "single-use"` switch models the stricter reading, in which each
 * `user_fic` exchange needs a T2 of its own.
 *
 * @internal
 */
export class CredentialTokens {
  readonly #engine: TokenEngine<CredentialRequest>;
  readonly #name: string;
  readonly #counters = new EngineCounters();
  readonly #cache: MemoryTokenCache;

  public constructor(options: CredentialTokensOptions) {
    this.#name = options.name;
    this.#cache = new MemoryTokenCache({ maxEntries: options.maxEntries });
    this.#engine = new TokenEngine<CredentialRequest>({
      cache: this.#cache,
      fetch: (request) => options.fetch(request.agentId, request.tenant, request.correlationId),
      log: options.log,
      now: Date.now,
      expirySkewMs: options.expirySkewMs,
      refreshAheadMs: options.refreshAheadMs,
      clockSkewMs: 0,
      metrics: this.#counters,
    });
  }

  /**
   * The credential of an agent identity in a tenant: cached, or requested with `correlationId`
   * (a new one when absent).
   *
   * @throws {@link OnBehalfOfError} naming the leg when Entra refuses it
   */
  public acquire(agentId: string, tenant: string, correlationId?: string): Promise<string> {
    const call = {
      key: `${this.#name}|${tenant}|${agentId}`,
      request: () => ({ agentId, tenant, correlationId: correlationId ?? randomUUID() }),
    };
    const hit = this.#engine.hit(call);
    return hit === undefined ? this.#engine.acquire(call) : Promise.resolve(hit);
  }

  /** Hits, misses and renewals of these tokens, and how many are held. */
  public stats(): CredentialTokenStats {
    const { hits, misses, refreshes, failures } = this.#counters.snapshot();
    return { hits, misses, refreshes, failures, size: this.#cache.stats().size ?? 0 };
  }
}
