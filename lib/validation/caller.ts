import { isGuid } from "../options/authority.js";
import type { AccessTokenClaims } from "./claims.js";

/**
 * Who a validated access token speaks for:
 *
 * - `"person"`: a human user, through an ordinary client application or through an agent
 *   (see {@link CallerDescription.viaAgent});
 * - `"agent"`: a Microsoft Entra agent identity acting on its own (app-only);
 * - `"agent-user"`: an agent's own user account;
 * - `"application"`: an application acting on its own that is not known to be an agent.
 */
export type CallerKind = "person" | "agent" | "agent-user" | "application";

/** What {@link describeCaller} found out about the caller of an API. */
export interface CallerDescription {
  /** Who the token speaks for. */
  readonly kind: CallerKind;
  /**
   * Whether the calling application is a Microsoft Entra agent identity: always for `"agent"` and
   * `"agent-user"`; for `"person"`, whether an agent acts on the person's behalf.
   */
  readonly viaAgent: boolean;
  /** The calling application's id (`azp` or `appid`): for an agent, the agent identity's. */
  readonly clientAppId: string | undefined;
  /**
   * The agent identity blueprint the calling agent belongs to (`xms_par_app_azp`), when the token
   * says. For audit logs: Learn advises against authorising by it, since it would admit every agent
   * of the blueprint.
   */
  readonly blueprintId: string | undefined;
  /**
   * Whether the token carries any of the agent claims (`xms_act_fct`, `xms_sub_fct`,
   * `xms_par_app_azp`). They are optional: without them an agent's token looks like an ordinary
   * application's (`"application"`) or, acting for a person, like the person's (`"person"` with
   * `viaAgent` false).
   */
  readonly agentClaimsPresent: boolean;
}

/** Facet values (Learn, "Token claims reference for agents"). */
const AGENT_IDENTITY = 11;
const AGENT_USER = 13;

/**
 * The facets of a space-separated facet claim, or an empty set when the claim is absent or not a
 * list of integers (Microsoft.Identity.Web's `ContainsSubjectFacet` treats a malformed claim as
 * carrying no facet: src/Microsoft.Identity.Web.AgentIdentities/AgentIdentityExtensions.cs).
 */
function facets(value: unknown): ReadonlySet<number> {
  if (typeof value !== "string") return new Set();
  const parts = value.split(/\s+/).filter(Boolean);
  if (!parts.every((part) => /^\d+$/.test(part))) return new Set();
  return new Set(parts.map(Number));
}

/**
 * Tells whose token a validated access token is: a person's, an agent's acting on its own, or an
 * agent user account's, whether an agent acts for the person, and which agent identity blueprint
 * the agent belongs to.
 *
 * @remarks
 * It reads the agent claims Microsoft Entra adds to agents' tokens (Learn, "Token claims reference
 * for agents", https://learn.microsoft.com/entra/agent-id/agent-token-claims, and "Validate agent
 * identity tokens in a downstream API",
 * https://learn.microsoft.com/entra/agent-id/how-to-validate-agent-tokens-downstream-api):
 *
 * - `xms_sub_fct` contains `13`: the subject is an agent's user account (`"agent-user"`, as
 *   Microsoft.Identity.Web's `IsAgentUserIdentity`);
 * - `xms_sub_fct` contains `11`: the subject is an agent identity (`"agent"`);
 * - `xms_act_fct` contains `11`, or `xms_par_app_azp` is present: the calling application is an
 *   agent identity;
 * - `xms_par_app_azp`: its blueprint (Microsoft.Identity.Web's `GetParentAgentBlueprint`).
 *
 * Whether a person is involved is read from `scp`, which Entra includes only in user tokens, never
 * from the optional `idtyp` claim. The agent claims are optional too: when a token lacks them,
 * `agentClaimsPresent` is false and the description falls back to `"person"` or `"application"`.
 * Nothing else in this package depends on these claims; use the result for auditing and for
 * decisions that tolerate their absence. The token must have been validated first.
 *
 * @param claims - the claims {@link validateAccessToken} returned (or `req.auth`)
 * @returns the description of the caller
 *
 * @example Logging who called
 * ```ts
 * app.get("/api/orders", requireAccessToken(options), (req, res) => {
 *   const caller = describeCaller(req.auth!);
 *   if (caller.kind === "agent") log.info(`agent ${caller.clientAppId} of blueprint ${caller.blueprintId}`);
 *   if (caller.kind === "person" && caller.viaAgent) log.info(`user ${req.auth!.oid} through agent ${caller.clientAppId}`);
 * });
 * ```
 */
export function describeCaller(claims: AccessTokenClaims): CallerDescription {
  const { payload } = claims;
  const actor = facets(payload.xms_act_fct);
  const subject = facets(payload.xms_sub_fct);
  const parent: unknown = payload.xms_par_app_azp;
  const blueprintId =
    typeof parent === "string" && isGuid(parent) ? parent.toLowerCase() : undefined;
  const agentClaimsPresent =
    payload.xms_act_fct !== undefined ||
    payload.xms_sub_fct !== undefined ||
    payload.xms_par_app_azp !== undefined;
  const actorIsAgent = actor.has(AGENT_IDENTITY) || blueprintId !== undefined;
  const delegated = claims.scp.length > 0;

  let kind: CallerKind;
  if (subject.has(AGENT_USER)) kind = "agent-user";
  else if (subject.has(AGENT_IDENTITY)) kind = "agent";
  else if (delegated) kind = "person";
  else kind = actorIsAgent ? "agent" : "application";

  return Object.freeze({
    kind,
    viaAgent: kind === "agent" || kind === "agent-user" || actorIsAgent,
    clientAppId: claims.clientAppId,
    blueprintId,
    agentClaimsPresent,
  });
}
