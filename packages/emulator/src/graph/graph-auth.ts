import type { IncomingMessage } from "node:http";
import type { EmulatorContext } from "../context.js";
import { GRAPH_APP_ID, GRAPH_RESOURCE } from "../directory.js";
import { issuerOf } from "../token/claims.js";
import { audiencesOf, verifyEmulatorToken } from "../token-verification.js";

const GRAPH_AUDIENCES = new Set([GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, GRAPH_APP_ID]);

/** The Bearer challenge Graph sends with every 401. */
const CHALLENGE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

/** Who a Graph request is from. @internal */
export interface GraphPrincipal {
  readonly tenantId: string;
  /** The signed-in user's object id; `undefined` for app-only tokens. */
  readonly userId: string | undefined;
  /** The calling app. */
  readonly appId: string | undefined;
  /** Delegated scopes, lower-case. */
  readonly scopes: ReadonlySet<string>;
  /** Application roles, lower-case. */
  readonly roles: ReadonlySet<string>;
}

/** A refusal, in Graph's terms. @internal */
export interface GraphRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

function refuse(message: string, challenge = CHALLENGE): GraphRefusal {
  return {
    status: 401,
    code: "InvalidAuthenticationToken",
    message,
    headers: { "www-authenticate": challenge },
  };
}

/**
 * The token's claims as Graph reads them before verifying (for counters and faults).
 *
 * @param header - the Authorization header
 * @internal
 */
export function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Checks a Graph request's bearer token as Graph does: signed by the emulator, `aud` Graph, the
 * tenant's issuer, unexpired, and not revoked by continuous access evaluation.
 *
 * @param ctx - the emulator
 * @param req - the request
 * @internal
 */
export async function authenticateGraphRequest(
  ctx: EmulatorContext,
  req: IncomingMessage,
): Promise<GraphPrincipal | GraphRefusal> {
  const token = bearerOf(req.headers.authorization);
  if (token === undefined) return refuse("Access token is empty.");
  const verified = await verifyEmulatorToken(ctx.key, token, Math.floor(ctx.now() / 1000));
  if (!verified.ok) {
    switch (verified.reason) {
      case "malformed":
        return refuse("CompactToken parsing failed with error code: 80049217");
      case "signature":
        return refuse("Access token validation failure. Invalid signature.");
      case "expired":
        return refuse("Lifetime validation failed, the token is expired.");
      case "not_yet_valid":
        return refuse("Lifetime validation failed, the token is not yet valid.");
    }
  }
  const claims = verified.payload;
  if (!audiencesOf(claims).some((aud) => GRAPH_AUDIENCES.has(aud.toLowerCase()))) {
    return refuse("Access token validation failure. Invalid audience.");
  }
  const tid = typeof claims.tid === "string" ? claims.tid : "";
  const tenant = ctx.directory.findTenant(tid);
  const issuers = [issuerOf(ctx.origin, tid, 1), issuerOf(ctx.origin, tid, 2)];
  if (tenant === undefined || typeof claims.iss !== "string" || !issuers.includes(claims.iss)) {
    return refuse("Access token validation failure. Invalid issuer.");
  }
  const challenge = ctx.cae.challengeFor(claims);
  if (challenge !== undefined) {
    return refuse(
      "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp",
      `${CHALLENGE}, error="insufficient_claims", claims="${challenge}"`,
    );
  }
  const delegated = claims.idtyp !== "app" && typeof claims.scp === "string";
  const roles = Array.isArray(claims.roles)
    ? claims.roles.filter((r) => typeof r === "string")
    : [];
  const appId =
    typeof claims.appid === "string"
      ? claims.appid
      : typeof claims.azp === "string"
        ? claims.azp
        : undefined;
  return {
    tenantId: tenant.id,
    userId: delegated && typeof claims.oid === "string" ? claims.oid : undefined,
    appId,
    scopes: new Set(
      delegated
        ? String(claims.scp)
            .toLowerCase()
            .split(" ")
            .filter((s) => s !== "")
        : [],
    ),
    roles: new Set(roles.map((r) => r.toLowerCase())),
  };
}

/**
 * Whether a result is a refusal.
 *
 * @param value - the result of {@link authenticateGraphRequest}
 * @internal
 */
export function isRefusal(value: GraphPrincipal | GraphRefusal): value is GraphRefusal {
  return "status" in value;
}
