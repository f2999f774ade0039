import { AsyncLocalStorage } from "node:async_hooks";
import type { ConfidentialClientApplication } from "@azure/msal-node";
import { authorityUrl, type ResolvedAuthority } from "../options/authority.js";
import type { FetchedToken } from "../cache/token-engine.js";
import type { ResolvedAgentUser } from "../request/agent-selection.js";
import type { InternalLogger } from "../util/logger.js";
import { AgentClientPool, type AgentClientStats } from "./client-pool.js";
import { CredentialTokens, type CredentialTokenStats } from "./exchange-tokens.js";
import type { GrantSender } from "./grant-sender.js";
import type { MsalClientFactory } from "./msal-client-factory.js";

/** What {@link AgentGrants} is built with. @internal */
export interface AgentGrantsOptions {
  readonly sender: GrantSender;
  readonly clients: MsalClientFactory;
  /** The agent identity blueprint's MSAL client for T1, without client capabilities. */
  readonly blueprint: ConfidentialClientApplication;
  readonly authority: ResolvedAuthority;
  readonly log: InternalLogger;
  /** The most agent clients (and cached T1 and T2 tokens) kept. */
  readonly maxClients: number;
  readonly expirySkewMs: number;
  readonly refreshAheadMs: number;
}

/** An agent identity's MSAL clients in a tenant. */
interface AgentClient {
  /** For the legs whose token goes to a resource (OBO, app-only, `user_fic`): with capabilities. */
  readonly msal: ConfidentialClientApplication;
  /** For the agent's own credential T2: without capabilities (the same client when there are none). */
  readonly credential: ConfidentialClientApplication;
}

/**
 * The exchange token T1 of the request under way: the agent client's assertion callback reads it,
 * so that concurrent requests never share a slot, and each one sends the T1 it acquired.
 */
const currentExchangeToken = new AsyncLocalStorage<string>();

/** One grant's request as an agent identity. @internal */
export interface AgentGrantRequest {
  readonly agentId: string;
  readonly tenant: string;
  readonly scopes: readonly string[];
  readonly claims: string | undefined;
  readonly correlationId: string;
}

/** Counters of agent identities: their MSAL clients and their credential tokens T1 and T2. */
export interface AgentStats extends AgentClientStats {
  /** The blueprint's exchange tokens (T1): hits, misses, renewals, failures, held. */
  readonly exchangeTokens: CredentialTokenStats;
  /** The agents' own credentials for `user_fic` (T2). */
  readonly agentCredentials: CredentialTokenStats;
}

/**
 * The grants of Microsoft Entra agent identities, through MSAL clients per agent identity and
 * tenant whose client assertion is the blueprint's exchange token T1:
 *
 * - user token: T1, then On-Behalf-Of as the agent identity;
 * - app-only token: T1, then client credentials as the agent identity;
 * - agent user token: T1, then T2 (client credentials as the agent identity for the
 *   token-exchange scope), then `user_fic` with T2.
 *
 * T1 and T2 are credentials, reused by every user until they expire (see {@link CredentialTokens}).
 * An agent client's assertion callback reads T1 from that cache when MSAL asks for it, so no state
 * is shared between concurrent requests. Every leg of one acquisition sends its correlation id.
 *
 * Client capabilities (`cp1`) are declared on the legs whose token is presented to a resource,
 * the only place a claims challenge can come from: On-Behalf-Of, app-only and `user_fic`. The
 * credential legs T1 and T2 never carry them: their tokens are client assertions that only Entra
 * reads.
 *
 * @internal
 */
export class AgentGrants {
  readonly #options: AgentGrantsOptions;
  readonly #exchangeTokens: CredentialTokens;
  readonly #agentCredentials: CredentialTokens;
  readonly #clients: AgentClientPool<AgentClient>;

  public constructor(options: AgentGrantsOptions) {
    this.#options = options;
    const cache = {
      log: options.log,
      maxEntries: options.maxClients,
      expirySkewMs: options.expirySkewMs,
      refreshAheadMs: options.refreshAheadMs,
    };
    this.#exchangeTokens = new CredentialTokens({
      ...cache,
      name: "t1",
      fetch: (agentId, tenant, correlationId) =>
        this.#fetchExchangeToken(agentId, tenant, correlationId),
    });
    this.#agentCredentials = new CredentialTokens({
      ...cache,
      name: "t2",
      fetch: (agentId, tenant, correlationId) =>
        this.#fetchAgentCredential(agentId, tenant, correlationId),
    });
    const factory = options.clients;
    this.#clients = new AgentClientPool(options.maxClients, (agentId, tenant) => {
      // Every request through these clients runs with the T1 it acquired (see #withAgent); outside
      // one (never, in this class) the cached T1 is read.
      const clientAssertion = (): Promise<string> => {
        const exchangeToken = currentExchangeToken.getStore();
        return exchangeToken === undefined
          ? this.#exchangeTokens.acquire(agentId, tenant)
          : Promise.resolve(exchangeToken);
      };
      const msal = factory.create(agentId, tenant, { clientAssertion }, true);
      const credential = factory.hasCapabilities
        ? factory.create(agentId, tenant, { clientAssertion }, false)
        : msal;
      return { msal, credential };
    });
  }

  /** Counters of the agent clients and of T1 and T2. */
  public stats(): AgentStats {
    return {
      ...this.#clients.stats(),
      exchangeTokens: this.#exchangeTokens.stats(),
      agentCredentials: this.#agentCredentials.stats(),
    };
  }

  /** A token on behalf of the user whose token `assertion` is, as the agent identity. */
  public onBehalfOf(
    request: AgentGrantRequest & {
      readonly assertion: string;
      /** For a long-running session: receives the answer's refresh token. */
      readonly keepRefreshToken?: ((refreshToken: string | undefined) => void) | undefined;
    },
  ): Promise<FetchedToken> {
    const { agentId, tenant } = request;
    return this.#withAgent(agentId, tenant, request.correlationId, ({ msal }) =>
      this.#options.sender.onBehalfOf({
        ...request,
        client: msal,
        what: `an On-Behalf-Of token as agent identity ${agentId} (tenant=${tenant})`,
      }),
    );
  }

  /** The agent identity's own app-only token. */
  public appOnly(request: AgentGrantRequest): Promise<FetchedToken> {
    const { agentId, tenant, scopes } = request;
    return this.#withAgent(agentId, tenant, request.correlationId, ({ msal }) =>
      this.#options.sender.clientCredentials({
        ...request,
        client: msal,
        leg: "app-only",
        what: `an app-only token of agent identity ${agentId} (tenant=${tenant})`,
        gate: `app-only|${tenant}|${agentId}|${scopes.join(" ")}`,
      }),
    );
  }

  /** A token for the agent's user account (`user_fic`), with the agent's cached credential T2. */
  public async agentUser(
    request: AgentGrantRequest & { readonly user: ResolvedAgentUser },
  ): Promise<FetchedToken> {
    const { agentId, tenant, user, correlationId } = request;
    const credential = await this.#agentCredentials.acquire(agentId, tenant, correlationId);
    return this.#withAgent(agentId, tenant, correlationId, ({ msal }) =>
      this.#options.sender.userFederatedCredential({
        ...request,
        client: msal,
        credential,
        what: `an agent user token (user_fic, by ${user.by}) of agent identity ${agentId} (tenant=${tenant})`,
      }),
    );
  }

  /**
   * Redeems a long-running session's refresh token as the agent identity (its client assertion
   * T1), receiving the rotated refresh token.
   */
  public refreshToken(
    request: AgentGrantRequest & {
      readonly refreshToken: string;
      readonly authority: string;
      readonly what: string;
      readonly keepRefreshToken: (refreshToken: string | undefined) => void;
    },
  ): Promise<FetchedToken> {
    const { agentId, tenant, correlationId } = request;
    return this.#withAgent(agentId, tenant, correlationId, ({ msal }) =>
      this.#options.sender.refreshToken({ ...request, client: msal }),
    );
  }

  #fetchExchangeToken(
    agentId: string,
    tenant: string,
    correlationId: string,
  ): Promise<FetchedToken> {
    const { blueprint, authority } = this.#options;
    return this.#options.sender.clientCredentials({
      leg: "exchange-token",
      what: `the exchange token (T1) for agent identity ${agentId} (tenant=${tenant})`,
      client: blueprint,
      correlationId,
      gate: `exchange-token|${tenant}|${agentId}`,
      scopes: [authority.cloud.tokenExchangeScope],
      fmiPath: agentId,
      authority: authorityUrl(authority, tenant),
    });
  }

  #fetchAgentCredential(
    agentId: string,
    tenant: string,
    correlationId: string,
  ): Promise<FetchedToken> {
    return this.#withAgent(agentId, tenant, correlationId, ({ credential }) =>
      this.#options.sender.clientCredentials({
        leg: "agent-user",
        what: `the agent user credential (T2) of agent identity ${agentId} (tenant=${tenant})`,
        client: credential,
        correlationId,
        gate: `agent-credential|${tenant}|${agentId}`,
        scopes: [this.#options.authority.cloud.tokenExchangeScope],
      }),
    );
  }

  /**
   * Runs `send` with the agent's clients, T1 acquired first (cached, or fetched with this
   * correlation id) and handed to their assertion callback for this request only.
   */
  async #withAgent<T>(
    agentId: string,
    tenant: string,
    correlationId: string,
    send: (client: AgentClient) => Promise<T>,
  ): Promise<T> {
    const exchangeToken = await this.#exchangeTokens.acquire(agentId, tenant, correlationId);
    const client = this.#clients.get(agentId, tenant);
    return currentExchangeToken.run(exchangeToken, () => send(client));
  }
}
