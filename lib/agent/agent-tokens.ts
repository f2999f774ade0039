import type { ClientAssertionCallback, ConfidentialClientApplication } from "@azure/msal-node";
import type { ResolvedAuthority } from "../authority.js";
import type { FetchedToken } from "../cache/token-engine.js";
import { AgentClientPool, type AgentClientStats } from "./agent-client-pool.js";
import type { ResolvedAgentUser } from "./agent-selection.js";
import { ExchangeTokens } from "./exchange-tokens.js";
import { requestToken, type LegContext } from "./token-leg.js";

/** Settings of {@link AgentTokens}. @internal */
export interface AgentTokensOptions extends LegContext {
  /** The agent identity blueprint's MSAL client (the provider's own client). */
  readonly blueprint: ConfidentialClientApplication;
  readonly blueprintId: string;
  readonly authority: ResolvedAuthority;
  /** Builds an MSAL client for an agent identity in a tenant, with the given credential. */
  readonly createClient: (
    clientId: string,
    tenant: string,
    clientAssertion: ClientAssertionCallback,
  ) => ConfidentialClientApplication;
  /** The most agent clients (and cached T1 tokens) kept. */
  readonly maxClients: number;
  readonly expirySkewMs: number;
  readonly refreshAheadMs: number;
}

/** An agent identity's MSAL client, and the T1 its assertion callback hands to MSAL. */
interface AgentClient {
  readonly msal: ConfidentialClientApplication;
  /** Set from our T1 cache right before each request through `msal`; its callback returns it. */
  exchangeToken: string;
}

/**
 * The token requests of Microsoft Entra agent identities, through one MSAL client per agent
 * identity and tenant whose client assertion is the blueprint's exchange token T1:
 *
 * - user token: T1, then On-Behalf-Of as the agent identity;
 * - app-only token: T1, then client credentials as the agent identity;
 * - agent user token: T1, then T2 (client credentials as the agent identity for the
 *   token-exchange scope), then `user_fic` with T2.
 *
 * T1 is taken from our cache (or requested) before the agent's request, so that a T1 failure is
 * reported as such and request counts stay exact; MSAL's assertion callback, which MSAL calls on
 * every acquisition, then returns that T1 without any further lookup or request.
 *
 * @internal
 */
export class AgentTokens {
  readonly #options: AgentTokensOptions;
  readonly #exchangeTokens: ExchangeTokens;
  readonly #clients: AgentClientPool<AgentClient>;

  public constructor(options: AgentTokensOptions) {
    this.#options = options;
    this.#exchangeTokens = new ExchangeTokens({ ...options, maxEntries: options.maxClients });
    this.#clients = new AgentClientPool(options.maxClients, (agentId, tenant) => {
      // #prepare sets the slot right after creating the client, before any MSAL call.
      const slot = { exchangeToken: "" };
      const msal = options.createClient(agentId, tenant, () => Promise.resolve(slot.exchangeToken));
      return Object.assign(slot, { msal });
    });
  }

  /** Counters of the agent clients. */
  public stats(): AgentClientStats {
    return this.#clients.stats();
  }

  /** A token on behalf of the user whose token `assertion` is, as the agent identity. */
  public async onBehalfOf(
    agentId: string,
    tenant: string,
    assertion: string,
    scopes: readonly string[],
    claims?: string,
  ): Promise<FetchedToken> {
    const client = await this.#prepare(agentId, tenant);
    return requestToken(
      this.#options,
      "obo",
      `an On-Behalf-Of token as agent identity ${agentId} (tenant=${tenant})`,
      client,
      (correlationId) =>
        client.acquireTokenOnBehalfOf({
          oboAssertion: assertion,
          scopes: [...scopes],
          correlationId,
          skipCache: true,
          ...(claims === undefined ? {} : { claims }),
        }),
    );
  }

  /** The agent identity's own app-only token. */
  public async appOnly(
    agentId: string,
    tenant: string,
    scopes: readonly string[],
    claims?: string,
  ): Promise<FetchedToken> {
    const client = await this.#prepare(agentId, tenant);
    return requestToken(
      this.#options,
      "app-only",
      `an app-only token of agent identity ${agentId} (tenant=${tenant})`,
      client,
      (correlationId) =>
        client.acquireTokenByClientCredential({
          scopes: [...scopes],
          correlationId,
          skipCache: true,
          ...(claims === undefined ? {} : { claims }),
        }),
      `app-only|${tenant}|${agentId}|${scopes.join(" ")}`,
    );
  }

  /** A token for the agent's user account (`user_fic`). */
  public async agentUser(
    agentId: string,
    tenant: string,
    user: ResolvedAgentUser,
    scopes: readonly string[],
    claims?: string,
  ): Promise<FetchedToken> {
    const client = await this.#prepare(agentId, tenant);
    const where = `agent identity ${agentId} (tenant=${tenant})`;
    // T2 is not cached: whether Entra accepts it more than once is not documented.
    const credential = await requestToken(
      this.#options,
      "agent-user",
      `the agent user credential (T2) of ${where}`,
      client,
      (correlationId) =>
        client.acquireTokenByClientCredential({
          scopes: [this.#options.authority.cloud.tokenExchangeScope],
          correlationId,
          skipCache: true,
        }),
      `agent-credential|${tenant}|${agentId}`,
    );
    return requestToken(
      this.#options,
      "agent-user",
      `an agent user token (user_fic, by ${user.by}) of ${where}`,
      client,
      (correlationId) =>
        client.acquireTokenByUserFederatedIdentityCredential({
          scopes: [...scopes],
          assertion: credential.accessToken,
          correlationId,
          ...(claims === undefined ? {} : { claims }),
          ...(user.by === "upn" ? { username: user.value } : { userObjectId: user.value }),
        }),
    );
  }

  async #prepare(agentId: string, tenant: string): Promise<ConfidentialClientApplication> {
    const exchangeToken = await this.#exchangeTokens.acquire(agentId, tenant);
    const client = this.#clients.get(agentId, tenant);
    client.exchangeToken = exchangeToken;
    return client.msal;
  }
}
