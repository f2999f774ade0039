import { randomUUID } from "node:crypto";
import type { ConfidentialClientApplication } from "@azure/msal-node";
import { resolveTenant } from "../assertion/tenant.js";
import { checkUserAssertion } from "../assertion/user-assertion.js";
import type { FetchedToken } from "../cache/token-engine.js";
import { authorityUrl } from "../options/authority.js";
import type { ResolvedOptions } from "../options/resolve-options.js";
import type { AgentTokenKind } from "../request/agent-selection.js";
import { hashIdentity, type KeyNamespaces } from "../request/cache-key.js";
import {
  requireDefaultScopes,
  type RequestBasics,
  type SelectionOf,
  type TokenKindName,
  type TokenRequest,
} from "../request/token-request.js";
import type { AgentGrants } from "./agent-grants.js";
import type { GrantSender } from "./grant-sender.js";

/** What a kind's grants are sent with. @internal */
export interface Grants {
  readonly sender: GrantSender;
  /** The API's (or blueprint's) own MSAL client, for plain On-Behalf-Of. */
  readonly client: ConfidentialClientApplication;
  readonly agents: AgentGrants;
  readonly options: ResolvedOptions;
}

/**
 * One row of the token-kind table: everything that differs between kinds of token, defined once.
 * Adding a kind means adding a row (and its selection).
 *
 * @internal
 */
export interface TokenKind<K extends TokenKindName> {
  /** The token kind as the public API names it (`tokenKind`, span attribute). */
  readonly label: AgentTokenKind;
  /** Whether the token is on behalf of the signed-in user: the user assertion is read and checked. */
  readonly onBehalfOfUser: boolean;
  /**
   * Checks that need no assertion and no clock, before the cache is read (a request that can never
   * succeed never reaches it).
   */
  readonly precheck?: (basics: RequestBasics) => void;
  /** The cache key; `user` is the assertion's hash for kinds on behalf of the user. */
  key(selection: SelectionOf<K>, basics: RequestBasics, user: string, ns: KeyNamespaces): string;
  /**
   * The request, with every local check of the assertion (signature shape, expiry, audience,
   * tenant): run only on a first-level miss, before the second level or any token request.
   */
  request(
    selection: SelectionOf<K>,
    basics: RequestBasics,
    assertion: string,
    options: ResolvedOptions,
  ): TokenRequest<K>;
  /** Sends the grants that get the token. */
  send(request: TokenRequest<K>, grants: Grants): Promise<FetchedToken>;
}

/** The request of a kind on behalf of the signed-in user: every local check of the assertion. */
function userRequest<K extends "obo" | "agent-obo">(
  selection: SelectionOf<K>,
  basics: RequestBasics,
  assertion: string,
  options: ResolvedOptions,
): TokenRequest<K> {
  const info = checkUserAssertion(assertion, Date.now(), options.assertionRules);
  return {
    ...selection,
    scopes: basics.scopes,
    claims: basics.claims,
    correlationId: basics.correlationId ?? randomUUID(),
    tenant: resolveTenant(options.authority, options.allowedTenants, info.tenantId),
    assertion: {
      token: assertion,
      expiresAt: info.expiresAtMs,
      tenantId: info.tenantId,
      objectId: info.objectId,
    },
  };
}

/** The request of an app-wide kind: the tenant was chosen with the selection. */
function agentRequest<K extends "agent-app-only" | "agent-user">(
  selection: SelectionOf<K>,
  basics: RequestBasics,
): TokenRequest<K> {
  return {
    ...selection,
    scopes: basics.scopes,
    claims: basics.claims,
    correlationId: basics.correlationId ?? randomUUID(),
    assertion: undefined,
  };
}

/** The assertion of a request on behalf of the user (the table's rows guarantee it). */
function assertionOf(request: TokenRequest): string {
  if (request.assertion === undefined) throw new TypeError("no assertion in a user request");
  return request.assertion.token;
}

/**
 * The token-kind table: for each kind of token, its cache key, its local checks and its grants.
 * Key formats are stable (they are shared across processes through Redis).
 *
 * @internal
 */
export const TOKEN_KINDS: { readonly [K in TokenKindName]: TokenKind<K> } = {
  /** On-Behalf-Of as the API itself: one grant. */
  obo: {
    label: "obo",
    onBehalfOfUser: true,
    key: (_selection, basics, user, ns) => `${ns.obo}${user}|${basics.scopesKey}`,
    request: userRequest,
    send: (request, { sender, client, options }) =>
      sender.onBehalfOf({
        client,
        assertion: assertionOf(request),
        scopes: request.scopes,
        claims: request.claims,
        correlationId: request.correlationId,
        authority: authorityUrl(options.authority, request.tenant),
        what: `an On-Behalf-Of token (tenant=${request.tenant}${request.claims === undefined ? "" : ", with claims"})`,
      }),
  },
  /** On-Behalf-Of as an agent identity: T1, then the exchange with T1 as client assertion. */
  "agent-obo": {
    label: "obo",
    onBehalfOfUser: true,
    key: (selection, basics, user, ns) =>
      `${ns.agent}${selection.agentId}|obo|${user}|${basics.scopesKey}`,
    request: userRequest,
    send: (request, { agents }) =>
      agents.onBehalfOf({ ...request, assertion: assertionOf(request) }),
  },
  /** The agent identity's own token: T1, then client credentials as the agent. */
  "agent-app-only": {
    label: "app-only",
    onBehalfOfUser: false,
    precheck: (basics) => {
      requireDefaultScopes(basics.scopes);
    },
    key: (selection, basics, _user, ns) =>
      `${ns.agent}${selection.agentId}|app-only|${selection.tenant}|${basics.scopesKey}`,
    request: agentRequest,
    send: (request, { agents }) => agents.appOnly(request),
  },
  /** The agent's user account's token: T1, T2, then `user_fic`. */
  "agent-user": {
    label: "agent-user",
    onBehalfOfUser: false,
    key: (selection, basics, _user, ns) =>
      `${ns.agent}${selection.agentId}|agent-user|${selection.tenant}|${hashIdentity(selection.user.key)}|${basics.scopesKey}`,
    request: agentRequest,
    send: (request, { agents }) => agents.agentUser(request),
  },
};
