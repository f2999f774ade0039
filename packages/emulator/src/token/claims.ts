import { createHash } from "node:crypto";
import type { JWTPayload } from "jose";
import type { App, DirectoryUser, Resource } from "../directory.js";
import { randomId } from "../ids.js";

/** How the client authenticated, as `azpacr`/`appidacr`: 0 public, 1 secret, 2 certificate or assertion. @internal */
export type ClientAuthMethod = "0" | "1" | "2";

/**
 * Agent facet claims as production writes them: space-separated odd numbers in no set order, 11
 * for an agent identity and 13 for an agent's user account, beside facets an API must ignore.
 * The values are those of the sample token in "Token claims reference for agents"
 * (https://learn.microsoft.com/entra/agent-id/agent-token-claims), which says "Don't assume any
 * order of the values".
 */
const ACTOR_FACETS = "3 9 11";
const APP_SUBJECT_FACETS = "9 3 11";
const TENANT_FACETS = "3 9";
const AGENT_USER_FACETS = "13";

/**
 * The issuer of tokens for a tenant: `https://<host>/<tid>/v2.0` for v2 tokens, and
 * `https://<host>/<tid>/` for v1 tokens (Entra's `sts.windows.net` form on the emulator's host).
 *
 * @param origin - the emulator's origin
 * @param tenantId - the tenant id
 * @param version - the token version
 * @internal
 */
export function issuerOf(origin: string, tenantId: string, version: 1 | 2 = 2): string {
  return version === 2 ? `${origin}/${tenantId}/v2.0` : `${origin}/${tenantId}/`;
}

/** The claims every token shares. @internal */
export interface TimeClaims {
  readonly nowSeconds: number;
  readonly lifetimeSeconds: number;
}

function times(t: TimeClaims): JWTPayload {
  return { iat: t.nowSeconds, nbf: t.nowSeconds, exp: t.nowSeconds + t.lifetimeSeconds };
}

/** A pairwise `sub`, as Entra computes one per user and app. */
function pairwiseSubject(objectId: string, appId: string): string {
  return createHash("sha256").update(`${objectId}|${appId}`).digest("base64url").slice(0, 43);
}

/** What a delegated (user) access token is issued for. @internal */
export interface UserTokenSpec extends TimeClaims {
  readonly origin: string;
  readonly user: DirectoryUser;
  readonly tenantId: string;
  /** The app acting for the user (`azp`/`appid`). */
  readonly client: App;
  readonly clientAuth: ClientAuthMethod;
  readonly resource: Resource;
  /**
   * The audience to write: the resource's default, or its app ID URI. An app ID URI makes the
   * token v1.0: "In v2.0 tokens, this value is always the client ID of the API. In v1.0 tokens, it
   * can be the client ID or the resource URI used in the request"
   * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference, `aud`).
   */
  readonly audience?: string;
  readonly scopes: readonly string[];
  readonly clientCapabilities: boolean;
  /** `user_fic`: the token is for the agent's own user account. */
  readonly agentUser?: boolean;
  /** Whether to write the agent facet claims (they are optional in production). */
  readonly agentFacets: boolean;
}

/**
 * Claims of a delegated access token, v1 (Graph) or v2 shaped, with the agent facets when the
 * client is an agent identity.
 *
 * @param spec - user, client, resource and scopes
 * @internal
 */
export function userAccessTokenClaims(spec: UserTokenSpec): JWTPayload {
  const { user, client, resource } = spec;
  const version =
    spec.audience !== undefined && spec.audience !== resource.audience ? 1 : resource.tokenVersion;
  const claims: Record<string, unknown> = {
    aud: spec.audience ?? resource.audience,
    iss: issuerOf(spec.origin, spec.tenantId, version),
    ...times(spec),
    idtyp: "user",
    name: user.displayName,
    oid: user.id,
    scp: spec.scopes.join(" "),
    sub: pairwiseSubject(user.id, client.clientId),
    tid: spec.tenantId,
    uti: randomId(),
    ver: version === 2 ? "2.0" : "1.0",
  };
  if (version === 2) {
    claims.azp = client.clientId;
    claims.azpacr = spec.clientAuth;
    claims.preferred_username = user.userPrincipalName;
  } else {
    claims.appid = client.clientId;
    claims.appidacr = spec.clientAuth;
    claims.app_displayname = client.displayName;
    claims.upn = user.userPrincipalName;
    claims.unique_name = user.userPrincipalName;
    if (user.givenName !== null) claims.given_name = user.givenName;
    if (user.surname !== null) claims.family_name = user.surname;
  }
  if (client.kind === "agent") {
    claims.xms_idrel = "1";
    if (spec.agentFacets) {
      claims.xms_act_fct = ACTOR_FACETS;
      if (spec.agentUser === true) claims.xms_sub_fct = AGENT_USER_FACETS;
      if (client.blueprint !== undefined) claims.xms_par_app_azp = client.blueprint;
    }
  }
  if (spec.clientCapabilities) claims.xms_cc = ["cp1"];
  return claims;
}

/** What an app-only access token is issued for. @internal */
export interface AppTokenSpec extends TimeClaims {
  readonly origin: string;
  readonly app: App;
  readonly servicePrincipalId: string;
  readonly tenantId: string;
  readonly clientAuth: ClientAuthMethod;
  readonly resource: Resource;
  readonly roles: readonly string[];
  readonly clientCapabilities: boolean;
  /** For exchange tokens (T1): the agent identity the blueprint acts for. */
  readonly fmiPath?: string;
  /** Whether to write the agent facet claims (they are optional in production). */
  readonly agentFacets: boolean;
}

/**
 * The `sub` of an exchange token requested with `fmi_path`: it carries the path, as Entra's FMI
 * tokens do. Clients must treat tokens as opaque; only the emulator reads it back.
 *
 * @param tenantId - the tenant
 * @param blueprintId - the blueprint's client id
 * @param fmiPath - the agent identity's client id
 * @internal
 */
export function fmiSubject(tenantId: string, blueprintId: string, fmiPath: string): string {
  return `/eid1/c/pub/t/${tenantId}/a/${blueprintId}/${fmiPath}`;
}

/**
 * The `fmi_path` carried in an exchange token's `sub`, if any.
 *
 * @param sub - the token's subject
 * @internal
 */
export function fmiPathOf(sub: unknown): { blueprint: string; fmiPath: string } | undefined {
  if (typeof sub !== "string") return undefined;
  const match = /^\/eid1\/c\/pub\/t\/[^/]+\/a\/([^/]+)\/(.+)$/.exec(sub);
  return match?.[1] === undefined || match[2] === undefined
    ? undefined
    : { blueprint: match[1], fmiPath: match[2] };
}

/**
 * Claims of an app-only access token (client credentials), with the agent facets for agent
 * identities.
 *
 * @param spec - app, resource and roles
 * @internal
 */
export function appAccessTokenClaims(spec: AppTokenSpec): JWTPayload {
  const { app, resource } = spec;
  const version = resource.tokenVersion;
  const claims: Record<string, unknown> = {
    aud: resource.audience,
    iss: issuerOf(spec.origin, spec.tenantId, version),
    ...times(spec),
    idtyp: "app",
    oid: spec.servicePrincipalId,
    sub:
      spec.fmiPath === undefined
        ? spec.servicePrincipalId
        : fmiSubject(spec.tenantId, app.clientId, spec.fmiPath),
    tid: spec.tenantId,
    uti: randomId(),
    ver: version === 2 ? "2.0" : "1.0",
  };
  if (spec.roles.length > 0) claims.roles = [...spec.roles];
  if (version === 2) {
    claims.azp = app.clientId;
    claims.azpacr = spec.clientAuth;
  } else {
    claims.appid = app.clientId;
    claims.appidacr = spec.clientAuth;
    claims.app_displayname = app.displayName;
  }
  if (app.kind === "agent") {
    claims.xms_idrel = "7";
    if (spec.agentFacets) {
      claims.xms_act_fct = ACTOR_FACETS;
      claims.xms_sub_fct = APP_SUBJECT_FACETS;
      claims.xms_tnt_fct = TENANT_FACETS;
      if (app.blueprint !== undefined) claims.xms_par_app_azp = app.blueprint;
    }
  }
  if (spec.clientCapabilities) claims.xms_cc = ["cp1"];
  return claims;
}

/**
 * Claims of an ID token for the client that asked for `openid`.
 *
 * @param spec - origin, user, tenant and client
 * @internal
 */
export function idTokenClaims(spec: {
  readonly origin: string;
  readonly user: DirectoryUser;
  readonly tenantId: string;
  readonly clientId: string;
  readonly nowSeconds: number;
  readonly lifetimeSeconds: number;
}): JWTPayload {
  return {
    aud: spec.clientId,
    iss: issuerOf(spec.origin, spec.tenantId),
    ...times(spec),
    name: spec.user.displayName,
    oid: spec.user.id,
    preferred_username: spec.user.userPrincipalName,
    sub: pairwiseSubject(spec.user.id, spec.clientId),
    tid: spec.tenantId,
    ver: "2.0",
  };
}

/**
 * Entra's `client_info`: base64url of `{"uid":<oid>,"utid":<tid>}`. Without it msal-node files
 * every user under one account key.
 *
 * @param objectId - the user's object id
 * @param tenantId - the user's tenant id
 * @internal
 */
export function clientInfo(objectId: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: objectId, utid: tenantId })).toString("base64url");
}
