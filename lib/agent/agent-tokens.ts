import type { ClientAssertionCallback, ConfidentialClientApplication } from "@azure/msal-node";
import { authorityUrl, type ResolvedAuthority } from "../authority.js";
import type { FetchedToken } from "../cache/token-engine.js";
import { AgentClientPool, type AgentClientStats } from "./agent-client-pool.js";
import type { ResolvedAgentUser } from "./agent-selection.js";
import { CredentialTokens } from "./credential-tokens.js";
import { requestToken, type LegContext } from "./token-leg.js";

/** Settings of {@link AgentTokens}. @internal */
export interface AgentTokensOptions extends LegContext {
  /** The agent identity blueprint's MSAL client for T1, without client capabilities. */
  readonly blueprint: ConfidentialClientApplication;
  readonly authority: ResolvedAuthority;
  /**
   * Builds an MSAL client for an agent identity in a tenant, with the given credential; with or
   * without the provider's client capabilities.
   */
  readonly createClient: (
    clientId: string,
    tenant: string,
    clientAssertion: ClientAssertionCallback,
    withCapabilities: boolean,
  ) => ConfidentialClientApplication;
  /** Whether the provider declares client capabilities (then credential legs need their own client). */
  readonly hasCapabilities: boolean;
  /** The most agent clients (and cached T1 and T2 tokens) kept. */
  readonly maxClients: number;
  readonly expirySkewMs: number;
  readonly refreshAheadMs: number;
}

/** An agent identity's MSAL clients, and the T1 their assertion callback hands to MSAL. */
interface AgentClient {
  /** For the legs whose token goes to a resource (OBO, app-only, `user_fic`): with capabilities. */
  readonly msal: ConfidentialClientApplication;
  /** For the agent's own credential T2: without capabilities (the same client when there are none). */
  readonly credential: ConfidentialClientApplication;
  /** Set from our T1 cache right before each request through these clients; their callback returns it. */
  exchangeToken: string;
}

/**
 * The token requests of Microsoft Entra agent identities, through MSAL clients per agent identity
 * and tenant whose client assertion is the blueprint's exchange token T1:
 *
 * - user token: T1, then On-Behalf-Of as the agent identity;
 * - app-only token: T1, then client credentials as the agent identity;
 * - agent user token: T1, then T2 (client credentials as the agent identity for the
 *   token-exchange scope), then `user_fic` with T2.
 *
 * T1 and T2 are credentials, reused by every user until they expire (see {@link CredentialTokens}).
 * Every leg of one acquisition sends its correlation id.
 *
 * Client capabilities (`cp1`) are declared on the legs whose token is presented to a resource,
 * the only place a claims challenge can come from: On-Behalf-Of, app-only and `user_fic`. The
 * credential legs T1 and T2 never carry them: their tokens are client assertions that only Entra
 * reads.
 *
 * @internal
 */
export class AgentTokens {
  readonly #options: AgentTokensOptions;
  readonly #exchangeTokens: CredentialTokens;
  readonly #agentCredentials: CredentialTokens;
  readonly #clients: AgentClientPool<AgentClient>;

  public constructor(options: AgentTokensOptions) {
    this.#options = options;
    const cache = {
      log: options.log,
      maxEntries: options.maxClients,
      expirySkewMs: options.expirySkewMs,
      refreshAheadMs: options.refreshAheadMs,
    };
    this.#exchangeTokens = new CredentialTokens({
      ...cache,
      // Stryker disable next-line StringLiteral: T1 and T2 each have their own cache; the name only tells them apart in keys
      name: "t1",
      fetch: (agentId, tenant, correlationId) =>
        this.#fetchExchangeToken(agentId, tenant, correlationId),
    });
    this.#agentCredentials = new CredentialTokens({
      ...cache,
      // Stryker disable next-line StringLiteral: T1 and T2 each have their own cache; the name only tells them apart in keys
      name: "t2",
      fetch: (agentId, tenant, correlationId) =>
        this.#fetchAgentCredential(agentId, tenant, correlationId),
    });
    this.#clients = new AgentClientPool(options.maxClients, (agentId, tenant) => {
      // #prepare sets the slot right after creating the clients, before any MSAL call.
      // Stryker disable next-line ObjectLiteral,StringLiteral: #prepare sets the slot before any MSAL call reads it
      const slot = { exchangeToken: "" };
      const assertion = (): Promise<string> => Promise.resolve(slot.exchangeToken);
      const msal = options.createClient(agentId, tenant, assertion, true);
      const credential = options.hasCapabilities
        ? options.createClient(agentId, tenant, assertion, false)
        : msal;
      return Object.assign(slot, { msal, credential });
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
    claims: string | undefined,
    correlationId: string,
  ): Promise<FetchedToken> {
    const client = (await this.#prepare(agentId, tenant, correlationId)).msal;
    return requestToken(this.#options, {
      leg: "obo",
      what: `an On-Behalf-Of token as agent identity ${agentId} (tenant=${tenant})`,
      client,
      correlationId,
      send: (id) =>
        client.acquireTokenOnBehalfOf({
          oboAssertion: assertion,
          scopes: [...scopes],
          correlationId: id,
          skipCache: true,
          ...(claims === undefined ? {} : { claims }),
        }),
    });
  }

  /** The agent identity's own app-only token. */
  public async appOnly(
    agentId: string,
    tenant: string,
    scopes: readonly string[],
    claims: string | undefined,
    correlationId: string,
  ): Promise<FetchedToken> {
    const client = (await this.#prepare(agentId, tenant, correlationId)).msal;
    return requestToken(this.#options, {
      leg: "app-only",
      what: `an app-only token of agent identity ${agentId} (tenant=${tenant})`,
      client,
      correlationId,
      gate: `app-only|${tenant}|${agentId}|${scopes.join(" ")}`,
      send: (id) =>
        client.acquireTokenByClientCredential({
          scopes: [...scopes],
          correlationId: id,
          skipCache: true,
          ...(claims === undefined ? {} : { claims }),
        }),
    });
  }

  /** A token for the agent's user account (`user_fic`), with the agent's cached credential T2. */
  public async agentUser(
    agentId: string,
    tenant: string,
    user: ResolvedAgentUser,
    scopes: readonly string[],
    claims: string | undefined,
    correlationId: string,
  ): Promise<FetchedToken> {
    const client = (await this.#prepare(agentId, tenant, correlationId)).msal;
    const credential = await this.#agentCredentials.acquire(agentId, tenant, correlationId);
    return requestToken(this.#options, {
      leg: "agent-user",
      what: `an agent user token (user_fic, by ${user.by}) of agent identity ${agentId} (tenant=${tenant})`,
      client,
      correlationId,
      send: (id) =>
        client.acquireTokenByUserFederatedIdentityCredential({
          scopes: [...scopes],
          assertion: credential,
          correlationId: id,
          ...(claims === undefined ? {} : { claims }),
          ...(user.by === "upn" ? { username: user.value } : { userObjectId: user.value }),
        }),
    });
  }

  #fetchExchangeToken(
    agentId: string,
    tenant: string,
    correlationId: string,
  ): Promise<FetchedToken> {
    const { blueprint, authority } = this.#options;
    return requestToken(this.#options, {
      leg: "exchange-token",
      what: `the exchange token (T1) for agent identity ${agentId} (tenant=${tenant})`,
      client: blueprint,
      correlationId,
      gate: `exchange-token|${tenant}|${agentId}`,
      send: (id) =>
        blueprint.acquireTokenByClientCredential({
          scopes: [authority.cloud.tokenExchangeScope],
          fmiPath: agentId,
          authority: authorityUrl(authority, tenant),
          correlationId: id,
          skipCache: true,
        }),
    });
  }

  async #fetchAgentCredential(
    agentId: string,
    tenant: string,
    correlationId: string,
  ): Promise<FetchedToken> {
    const client = (await this.#prepare(agentId, tenant, correlationId)).credential;
    return requestToken(this.#options, {
      leg: "agent-user",
      what: `the agent user credential (T2) of agent identity ${agentId} (tenant=${tenant})`,
      client,
      correlationId,
      gate: `agent-credential|${tenant}|${agentId}`,
      send: (id) =>
        client.acquireTokenByClientCredential({
          scopes: [this.#options.authority.cloud.tokenExchangeScope],
          correlationId: id,
          skipCache: true,
        }),
    });
  }

  async #prepare(agentId: string, tenant: string, correlationId: string): Promise<AgentClient> {
    const exchangeToken = await this.#exchangeTokens.acquire(agentId, tenant, correlationId);
    const client = this.#clients.get(agentId, tenant);
    client.exchangeToken = exchangeToken;
    return client;
  }
}
