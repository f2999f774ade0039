import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeJwt } from "jose";
import type { EmulatorContext } from "../context.js";
import type { DirectoryUser, Tenant } from "../directory.js";
import type { EmulatorFault } from "../faults.js";
import { pause, readBody, sendJson } from "../http.js";
import type { PendingRecord, TokenFlow } from "../request-log.js";
import { aadsts } from "./aadsts.js";
import { parseClaimsRequest } from "./claims-request.js";
import { authenticateClient } from "./client-authentication.js";
import { EntraError, entraErrorBody } from "./entra-error.js";
import { clientCredentials } from "./grants/client-credentials.js";
import type { GrantContext, TokenResponse } from "./grants/grant-context.js";
import { onBehalfOf } from "./grants/on-behalf-of.js";
import { refreshTokenGrant } from "./grants/refresh-token.js";
import { userFederatedIdentityCredential } from "./grants/user-fic.js";
import { TokenIssuer } from "./token-issuer.js";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const MULTI_TENANT_SEGMENTS = new Set(["organizations", "common"]);

function flowOf(form: URLSearchParams): TokenFlow {
  const grant = form.get("grant_type");
  if (grant === JWT_BEARER && form.get("requested_token_use") === "on_behalf_of") return "obo";
  if (grant === "client_credentials") {
    return form.has("fmi_path") ? "exchange_token" : "client_credentials";
  }
  if (grant === "user_fic") return "user_fic";
  if (grant === "refresh_token") return "refresh_token";
  return "unknown";
}

function unverifiedClaims(token: string | null): Record<string, unknown> {
  if (token === null) return {};
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}

/**
 * The tenant of the URL; `organizations`/`common` take the OBO assertion's tenant, or the refresh
 * token's user's, as Entra does.
 */
function resolveTenant(
  ctx: EmulatorContext,
  segment: string,
  form: URLSearchParams,
): Tenant | EntraError {
  const lower = segment.toLowerCase();
  const grant = form.get("grant_type");
  if (lower === "common" && grant !== JWT_BEARER && grant !== "refresh_token")
    return aadsts.commonNotSupported();
  const multiTenantTid =
    grant === "refresh_token"
      ? ctx.refreshTokens.peek(form.get("refresh_token"))?.tenantId
      : unverifiedClaims(form.get("assertion")).tid;
  const tid = MULTI_TENANT_SEGMENTS.has(lower) ? multiTenantTid : segment;
  const tenant = typeof tid === "string" ? ctx.directory.findTenant(tid) : undefined;
  return tenant ?? aadsts.tenantNotFound(segment);
}

/** The user a token request is about, before anything is verified (for counters and faults). */
function subjectOf(
  ctx: EmulatorContext,
  flow: TokenFlow,
  form: URLSearchParams,
  tenant: Tenant | undefined,
): DirectoryUser | undefined {
  if (tenant === undefined) return undefined;
  if (flow === "obo") {
    const oid = unverifiedClaims(form.get("assertion")).oid;
    return typeof oid === "string" ? ctx.directory.findUser(oid, tenant.id) : undefined;
  }
  if (flow === "refresh_token") {
    const grant = ctx.refreshTokens.peek(form.get("refresh_token"));
    return grant === undefined ? undefined : ctx.directory.findUser(grant.userId, tenant.id);
  }
  if (flow === "user_fic") {
    const wanted = form.get("user_id") ?? form.get("username");
    return wanted === null ? undefined : ctx.directory.findUser(wanted, tenant.id);
  }
  return undefined;
}

function faultError(fault: EmulatorFault): EntraError | undefined {
  switch (fault.kind) {
    case "interaction_required": {
      const claims =
        fault.claims ??
        JSON.stringify({
          access_token: { capolids: { essential: true, values: [randomUUID()] } },
        });
      return fault.aadsts === 50076
        ? new EntraError({
            error: "invalid_grant",
            aadsts: 50076,
            suberror: "basic_action",
            claims,
            message:
              "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access this resource.",
          })
        : new EntraError({
            error: "interaction_required",
            aadsts: 50079,
            claims,
            message:
              "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access this resource.",
          });
    }
    case "consent_required":
      return aadsts.consentRequired("(injected)");
    case "throttled":
      return new EntraError({
        status: 429,
        error: "temporarily_unavailable",
        aadsts: 90055,
        message: "There are too many incoming requests. Try again later.",
      });
    case "server_error":
      return new EntraError({
        status: fault.status ?? 503,
        error: "temporarily_unavailable",
        aadsts: 90006,
        message: "The service is temporarily unavailable.",
      });
    case "delay":
    case "connection_reset":
      return undefined;
  }
}

function retryAfterHeader(fault: EmulatorFault): Record<string, string> {
  if (fault.kind === "throttled") return { "retry-after": String(fault.retryAfterSeconds ?? 1) };
  if (fault.kind === "server_error" && fault.retryAfterSeconds !== undefined) {
    return { "retry-after": String(fault.retryAfterSeconds) };
  }
  return {};
}

async function runGrant(g: GrantContext, flow: TokenFlow): Promise<TokenResponse> {
  switch (flow) {
    case "obo":
      return onBehalfOf(g);
    case "client_credentials":
    case "exchange_token":
      return clientCredentials(g);
    case "user_fic":
      return userFederatedIdentityCredential(g);
    case "refresh_token":
      return refreshTokenGrant(g);
    case "unknown":
      break;
  }
  const grant = g.form.get("grant_type");
  if (grant === JWT_BEARER) {
    const use = g.form.get("requested_token_use");
    if (use === null) throw aadsts.missingParameter("requested_token_use");
    throw aadsts.invalidRequest(`Unsupported requested_token_use '${use}'.`);
  }
  throw aadsts.unsupportedGrantType(grant ?? "");
}

/**
 * `POST /{tenant}/oauth2/v2.0/token`: OBO, client credentials (with `fmi_path`), `user_fic` and
 * `refresh_token`,
 * with Entra's rules, Entra-shaped errors, and injected faults.
 *
 * @param ctx - the emulator
 * @param req - the request
 * @param res - the response
 * @param segment - the tenant segment of the URL
 * @param record - the request's log entry, completed here
 * @internal
 */
export async function handleTokenRequest(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  segment: string,
  record: PendingRecord,
): Promise<void> {
  const url = new URL(req.url ?? "/", ctx.origin);
  const correlationId = url.searchParams.get("client-request-id") ?? undefined;
  const fail = (failure: EntraError, headers: Record<string, string> = {}): void => {
    record.status = failure.status;
    sendJson(res, failure.status, entraErrorBody(failure, ctx.now(), correlationId), headers);
  };
  const form = new URLSearchParams(await readBody(req));
  const flow = flowOf(form);
  record.flow = flow;
  const grantType = form.get("grant_type");
  if (grantType !== null) record.grantType = grantType;
  const clientId = form.get("client_id");
  if (clientId !== null) record.clientId = clientId.toLowerCase();

  const resolved = resolveTenant(ctx, segment, form);
  const tenant = resolved instanceof EntraError ? undefined : resolved;
  if (tenant !== undefined) record.tenantId = tenant.id;
  const user = subjectOf(ctx, flow, form, tenant);
  if (user !== undefined) {
    record.userId = user.id;
    record.userPrincipalName = user.userPrincipalName;
  }

  const fault = ctx.faults.take({
    endpoint: "token",
    tenantId: tenant?.id,
    clientId: record.clientId,
    userId: user?.id,
    flow,
    path: record.path,
  });
  if (fault !== undefined) {
    record.fault = fault.kind;
    if (fault.kind === "connection_reset") {
      record.status = 0;
      req.socket.destroy();
      return;
    }
    if (fault.kind === "delay") await pause(fault.ms, ctx.closing);
    const injected = faultError(fault);
    if (injected !== undefined) {
      fail(injected, retryAfterHeader(fault));
      return;
    }
  }

  try {
    if (resolved instanceof EntraError) throw resolved;
    if (grantType === null) throw aadsts.missingParameter("grant_type");
    const client = await authenticateClient(ctx, form, resolved, segment);
    const body = await runGrant(
      {
        ctx,
        issuer: new TokenIssuer(ctx),
        form,
        tenant: resolved,
        client,
        claims: parseClaimsRequest(form.get("claims")),
      },
      flow,
    );
    record.status = 200;
    sendJson(
      res,
      200,
      body,
      correlationId === undefined ? {} : { "client-request-id": correlationId },
    );
  } catch (error) {
    if (error instanceof EntraError) {
      fail(error);
      return;
    }
    throw error;
  }
}
