import { isGuid, type ResolvedAuthority } from "../options/authority.js";
import { configurationError } from "../util/errors.js";

/**
 * Which token of an agent identity a request gets.
 *
 * - `obo`: the agent identity acting on behalf of the signed-in user (the default);
 * - `app-only`: the agent identity's own app-only token (autonomous agent); no user is involved;
 * - `agent-user`: a token for the agent's user account (the `user_fic` grant); no signed-in user
 *   is involved either.
 */
export type AgentTokenKind = "obo" | "app-only" | "agent-user";

/**
 * The agent's user account that an `agent-user` token is for: by user principal name or by
 * object id, never both.
 */
export type AgentUser =
  | {
      /** The agent user's user principal name, e.g. `agent@contoso.com`. */
      readonly upn: string;
      /** Not with `upn`. */
      readonly objectId?: undefined;
    }
  | {
      /** The agent user's object id (GUID). */
      readonly objectId: string;
      /** Not with `objectId`. */
      readonly upn?: undefined;
    };

/**
 * The agent-identity fields of the per-request options, as accepted by
 * `OnBehalfOfAuthenticationProvider.getAccessToken`.
 */
export interface AgentTokenOptions {
  /**
   * The agent identity (its client id, a GUID) this request acts as, instead of the provider's
   * `agentIdentity`. `null` opts this request out of the default: a plain On-Behalf-Of exchange
   * as the configured application (the blueprint).
   */
  readonly agentIdentity?: string | null | undefined;
  /**
   * Which token of the agent identity to get.
   *
   * @defaultValue `"agent-user"` when `agentUser` is given, otherwise `"obo"`
   */
  readonly tokenKind?: AgentTokenKind | undefined;
  /** For `agent-user` tokens: the agent's user account. */
  readonly agentUser?: AgentUser | undefined;
  /**
   * For `app-only` and `agent-user` tokens of a multi-tenant provider: the agent identity's tenant
   * (a GUID), where both legs are sent. A single-tenant provider uses its own tenant. User tokens
   * (`obo`) always go to the signed-in user's tenant.
   */
  readonly tenantId?: string | undefined;
}

/** The agent's user account, validated and normalised. @internal */
export interface ResolvedAgentUser {
  readonly by: "upn" | "objectId";
  /** The UPN as given, or the lower-cased object id: what is sent to Entra. */
  readonly value: string;
  /** Case-insensitive identity of the user, for cache keys (hashed there). */
  readonly key: string;
}

/** What a request asks for, validated. @internal */
export type AgentSelection =
  | { readonly kind: "obo" }
  | { readonly kind: "agent-obo"; readonly agentId: string }
  | { readonly kind: "agent-app-only"; readonly agentId: string; readonly tenant: string }
  | {
      readonly kind: "agent-user";
      readonly agentId: string;
      readonly tenant: string;
      readonly user: ResolvedAgentUser;
    };

/** What the selection needs to know about the provider. @internal */
export interface AgentDefaults {
  /** The provider's default agent identity, lower-cased. */
  readonly agentIdentity: string | undefined;
  readonly authority: ResolvedAuthority;
  readonly allowedTenants: ReadonlySet<string> | undefined;
}

const PLAIN: AgentSelection = Object.freeze({ kind: "obo" });
const UPN = /^[^\s@]+@[^\s@]+$/;
const TOKEN_KINDS: ReadonlySet<unknown> = new Set(["obo", "app-only", "agent-user"]);

/**
 * Validates an agent identity id and returns it lower-cased.
 *
 * @param value - what the caller gave
 * @param option - the option name, for the error
 * @internal
 */
export function agentId(value: unknown, option: string): string {
  if (typeof value !== "string" || !isGuid(value)) {
    throw configurationError(
      option,
      "must be the agent identity's client id, a GUID (its application id in Entra).",
    );
  }
  return value.toLowerCase();
}

/**
 * Works out, from the per-request options and the provider's default, which agent identity and
 * which token a request is for. Throws `ERR_OBO_CONFIGURATION` for anything malformed or
 * contradictory, before any network call.
 *
 * @param options - the per-request options (may be missing)
 * @param defaults - the provider's default agent identity and authority
 * @internal
 */
export function resolveAgentSelection(
  options: (AgentTokenOptions & { readonly userAssertion?: unknown }) | undefined,
  defaults: AgentDefaults,
): AgentSelection {
  if (options === undefined) {
    return defaults.agentIdentity === undefined
      ? PLAIN
      : { kind: "agent-obo", agentId: defaults.agentIdentity };
  }
  const { tokenKind, agentUser } = options;
  if (tokenKind !== undefined && !TOKEN_KINDS.has(tokenKind)) {
    throw configurationError("tokenKind", 'must be "obo", "app-only" or "agent-user".');
  }
  const kind = tokenKind ?? (agentUser === undefined ? "obo" : "agent-user");
  if (agentUser !== undefined && kind !== "agent-user") {
    throw configurationError("agentUser", `only applies to "agent-user" tokens, not "${kind}".`);
  }
  const requested = options.agentIdentity;
  const id =
    requested === null
      ? undefined
      : requested === undefined
        ? defaults.agentIdentity
        : agentId(requested, "agentIdentity");
  if (id === undefined) {
    if (kind !== "obo") {
      throw configurationError(
        "agentIdentity",
        `is needed for "${kind}" tokens: name the agent identity for this request or in the provider.`,
      );
    }
    rejectTenant(options.tenantId, kind);
    return PLAIN;
  }
  if (kind === "obo") {
    rejectTenant(options.tenantId, kind);
    return { kind: "agent-obo", agentId: id };
  }
  if (options.userAssertion !== undefined) {
    throw configurationError(
      "userAssertion",
      `does not apply to "${kind}" tokens: they are not obtained on behalf of the signed-in user.`,
    );
  }
  const tenant = agentTenant(options.tenantId, defaults);
  if (kind === "app-only") return { kind: "agent-app-only", agentId: id, tenant };
  return { kind, agentId: id, tenant, user: resolveAgentUser(agentUser) };
}

function rejectTenant(tenantId: string | undefined, kind: AgentTokenKind): void {
  if (tenantId !== undefined) {
    throw configurationError(
      "tenantId",
      `does not apply to "${kind}" tokens: they are always requested in the signed-in user's tenant.`,
    );
  }
}

function agentTenant(requested: unknown, defaults: AgentDefaults): string {
  const { authority, allowedTenants } = defaults;
  if (requested === undefined) {
    if (authority.multiTenant) {
      throw configurationError(
        "tenantId",
        "is needed for app-only and agent-user tokens of a multi-tenant provider: the agent identity's tenant id.",
      );
    }
    return authority.tenant;
  }
  if (typeof requested !== "string" || !isGuid(requested)) {
    throw configurationError("tenantId", "must be a tenant id (GUID).");
  }
  const tenant = requested.toLowerCase();
  if (!authority.multiTenant) {
    if (tenant !== authority.tenant) {
      throw configurationError(
        "tenantId",
        "differs from the provider's tenant; a single-tenant provider serves its own tenant only.",
      );
    }
    return tenant;
  }
  if (allowedTenants !== undefined && !allowedTenants.has(tenant)) {
    throw configurationError("tenantId", "is not in allowedTenants.");
  }
  return tenant;
}

function resolveAgentUser(user: unknown): ResolvedAgentUser {
  if (typeof user !== "object" || user === null) {
    throw configurationError(
      "agentUser",
      "is needed for agent-user tokens: { upn } or { objectId } of the agent's user account.",
    );
  }
  const { upn, objectId } = user as { upn?: unknown; objectId?: unknown };
  if (upn !== undefined && objectId !== undefined) {
    throw configurationError("agentUser", "must name the user by upn or by objectId, not both.");
  }
  if (upn === undefined && objectId === undefined) {
    throw configurationError("agentUser", "must name the user: { upn } or { objectId }.");
  }
  if (upn !== undefined) {
    if (typeof upn !== "string" || !UPN.test(upn)) {
      throw configurationError(
        "agentUser.upn",
        'must be a user principal name such as "agent-user@contoso.com".',
      );
    }
    return { by: "upn", value: upn, key: `upn:${upn.toLowerCase()}` };
  }
  if (typeof objectId !== "string" || !isGuid(objectId)) {
    throw configurationError(
      "agentUser.objectId",
      "must be the object id (a GUID) of the agent's user account; or give upn instead.",
    );
  }
  const value = objectId.toLowerCase();
  return { by: "objectId", value, key: `oid:${value}` };
}
