import type { ConfidentialClientApplication } from "@azure/msal-node";
import { authorityUrl, type ResolvedAuthority } from "../authority.js";
import { MemoryTokenCache } from "../cache/memory-token-cache.js";
import { TokenEngine, type FetchedToken } from "../cache/token-engine.js";
import { requestToken, type LegContext } from "./token-leg.js";

/** Settings of {@link ExchangeTokens}. @internal */
export interface ExchangeTokensOptions extends LegContext {
  /** The agent identity blueprint's MSAL client (the provider's own client). */
  readonly blueprint: ConfidentialClientApplication;
  readonly blueprintId: string;
  readonly authority: ResolvedAuthority;
  /** The most T1 tokens kept (one per agent identity and tenant). */
  readonly maxEntries: number;
  readonly expirySkewMs: number;
  readonly refreshAheadMs: number;
}

interface ExchangeTokenRequest {
  readonly agentId: string;
  readonly tenant: string;
}

/**
 * The blueprint's exchange tokens (T1): client credentials for the cloud's token-exchange scope
 * with `fmi_path` = the agent identity. Cached per agent identity and tenant (the cloud and the
 * blueprint are fixed per provider) in process memory, never in a shared `tokenCache`, renewed
 * ahead of expiry, one request per key at a time.
 *
 * @internal
 */
export class ExchangeTokens {
  readonly #options: ExchangeTokensOptions;
  readonly #engine: TokenEngine<ExchangeTokenRequest>;
  readonly #keyPrefix: string;

  public constructor(options: ExchangeTokensOptions) {
    this.#options = options;
    this.#keyPrefix = `t1|${options.authority.host}|${options.blueprintId}|`;
    this.#engine = new TokenEngine<ExchangeTokenRequest>({
      cache: new MemoryTokenCache({ maxEntries: options.maxEntries }),
      fetch: (request) => this.#fetch(request),
      log: options.log,
      now: Date.now,
      expirySkewMs: options.expirySkewMs,
      refreshAheadMs: options.refreshAheadMs,
      clockSkewMs: 0,
      onEvent: undefined,
    });
  }

  /**
   * T1 for an agent identity in a tenant: cached, or requested.
   *
   * @throws {@link OnBehalfOfError} with `leg` `"exchange-token"` when Entra refuses it
   */
  public acquire(agentId: string, tenant: string): Promise<string> {
    return this.#engine.acquire({
      key: `${this.#keyPrefix}${tenant}|${agentId}`,
      request: () => ({ agentId, tenant }),
    });
  }

  #fetch({ agentId, tenant }: ExchangeTokenRequest): Promise<FetchedToken> {
    const { blueprint, authority } = this.#options;
    return requestToken(
      this.#options,
      "exchange-token",
      `the exchange token (T1) for agent identity ${agentId} (tenant=${tenant})`,
      blueprint,
      (correlationId) =>
        blueprint.acquireTokenByClientCredential({
          scopes: [authority.cloud.tokenExchangeScope],
          fmiPath: agentId,
          authority: authorityUrl(authority, tenant),
          correlationId,
          skipCache: true,
        }),
      `exchange-token|${tenant}|${agentId}`,
    );
  }
}
