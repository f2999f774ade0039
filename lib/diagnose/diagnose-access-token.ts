import { decodeJwt, decodeProtectedHeader, type JWTPayload } from "jose";
import { isGuid } from "../options/authority.js";
import { isGraphAudience } from "../assertion/user-assertion.js";
import { agentRefusalAdvice } from "./entra-refusals.js";

/** How bad a finding is: a `problem` means an On-Behalf-Of exchange for this token cannot work. */
export type DiagnosisSeverity = "ok" | "info" | "problem";

/** One thing `diagnoseAccessToken` found, in plain words. */
export interface DiagnosisFinding {
  /** `problem`: the exchange cannot work; `info`: worth knowing; `ok`: a check passed. */
  readonly severity: DiagnosisSeverity;
  /** A stable identifier of the check, e.g. `expired`, `graph-audience`. */
  readonly check: string;
  /** The finding in plain words; never contains the token. */
  readonly message: string;
}

/** What `diagnoseAccessToken` concluded. */
export interface Diagnosis {
  /** True when no finding is a problem. */
  readonly ok: boolean;
  /** Everything found, in the order checked. */
  readonly findings: readonly DiagnosisFinding[];
}

/** Options of {@link diagnoseAccessToken}. */
export interface DiagnoseOptions {
  /** The web API's client id: the token's audience must be it (or `api://<it>`). */
  readonly clientId?: string | undefined;
  /** Tenant ids the API serves. */
  readonly allowedTenants?: readonly string[] | undefined;
  /** The current time, for tests. @defaultValue `Date.now()` */
  readonly now?: number | undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function minutes(ms: number): string {
  const m = Math.round(Math.abs(ms) / 60_000);
  return m < 120 ? `${m} minute${m === 1 ? "" : "s"}` : `${Math.round(m / 60)} hours`;
}

/**
 * Decodes an incoming access token **without verifying it** and explains whether an On-Behalf-Of
 * exchange for it can work, and if not, why. It never returns the token or its signature.
 *
 * @param token - the raw access token (a leading `Bearer ` is tolerated)
 * @param options - what the API expects
 *
 * @example
 * ```ts
 * const { ok, findings } = diagnoseAccessToken(token, { clientId: API_CLIENT_ID });
 * for (const f of findings) console.log(f.severity, f.message);
 * ```
 */
export function diagnoseAccessToken(token: string, options: DiagnoseOptions = {}): Diagnosis {
  const findings: DiagnosisFinding[] = [];
  const add = (severity: DiagnosisSeverity, check: string, message: string): void => {
    findings.push({ severity, check, message });
  };
  const raw = token.trim().replace(/^bearer\s+/i, "");
  let payload: JWTPayload;
  let alg: string | undefined;
  try {
    payload = decodeJwt(raw);
    alg = decodeProtectedHeader(raw).alg;
  } catch {
    const code = /AADSTS(\d+)/.exec(raw)?.[1];
    const advice = code === undefined ? undefined : agentRefusalAdvice(Number(code));
    if (advice !== undefined) {
      add("problem", "entra-refusal", `AADSTS${advice.aadsts}: ${advice.advice}`);
      return { ok: false, findings };
    }
    add(
      "problem",
      "malformed",
      "This is not a JWT access token: it cannot be decoded. Pass the token from the Authorization header.",
    );
    return { ok: false, findings };
  }
  if (alg === "none" || alg === undefined)
    add("problem", "unsigned", "The token is not signed (alg none): no API may accept it.");

  const now = options.now ?? Date.now();
  if (typeof payload.exp !== "number") {
    add("problem", "no-expiry", "The token has no expiry (exp).");
  } else if (payload.exp * 1000 <= now) {
    add(
      "problem",
      "expired",
      `The token expired ${minutes(now - payload.exp * 1000)} ago. The client must get a new one.`,
    );
  } else {
    add("ok", "expiry", `The token is valid for another ${minutes(payload.exp * 1000 - now)}.`);
  }
  if (typeof payload.nbf === "number" && payload.nbf * 1000 > now + 60_000) {
    add(
      "problem",
      "not-yet-valid",
      `The token is not valid before ${new Date(payload.nbf * 1000).toISOString()}.`,
    );
  }

  const audiences =
    payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.some(isGraphAudience)) {
    add(
      "problem",
      "graph-audience",
      "The token's audience is Microsoft Graph: the client sent its Graph token. It must request a token for your API " +
        '(scope "api://<your API client id>/<scope>") and send that; your API exchanges it for Graph.',
    );
  } else if (options.clientId !== undefined) {
    const id = options.clientId.toLowerCase();
    const expected = [id, `api://${id}`];
    if (!audiences.some((a) => expected.includes(a.toLowerCase()))) {
      add(
        "problem",
        "audience-mismatch",
        `The token's audience (${audiences.join(", ") || "none"}) is not this API (${options.clientId} or api://${options.clientId}). ` +
          "If your API uses a custom app ID URI, that can be fine; otherwise the client requested a token for another app.",
      );
    } else {
      add("ok", "audience", `The token's audience is this API (${audiences.join(", ")}).`);
    }
  } else {
    add(
      "info",
      "audience",
      `Audience: ${audiences.join(", ") || "none"}. Pass --client-id to check it against your API.`,
    );
  }

  const ver = text(payload.ver);
  const iss = text(payload.iss) ?? "";
  const v2Issuer = /\/v2\.0\/?$/.test(iss);
  const v1Issuer = /^https:\/\/sts\.(windows\.net|chinacloudapi\.cn)\//.test(iss);
  if (ver === "2.0" && v1Issuer) {
    add("problem", "version-mismatch", `The token says ver 2.0 but has a v1 issuer (${iss}).`);
  } else if (ver === "1.0" && v2Issuer) {
    add("problem", "version-mismatch", `The token says ver 1.0 but has a v2 issuer (${iss}).`);
  } else {
    // Microsoft Graph always gets v1.0 tokens, whatever the client's manifest says
    // (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference):
    // the manifest hint is only for tokens to the API itself.
    const manifestHint =
      ver === "1.0" && !audiences.some(isGraphAudience)
        ? "Your API's manifest has accessTokenAcceptedVersion null or 1; set it to 2 for v2 tokens."
        : "";
    add(
      "info",
      "version",
      `Token version ${ver ?? "unknown"} (issuer ${iss || "none"}). ${manifestHint}`.trim(),
    );
  }

  const scp = text(payload.scp);
  const roles = Array.isArray(payload.roles)
    ? payload.roles.filter((r): r is string => typeof r === "string")
    : [];
  const idtyp = text(payload.idtyp);
  if (idtyp === "app" || scp === undefined) {
    add(
      "problem",
      "app-only",
      `This is an app-only token (${roles.length > 0 ? `roles: ${roles.join(" ")}` : "no delegated scopes"}): there is no signed-in user to act on behalf of. On-Behalf-Of needs a user's token.`,
    );
  } else {
    add("info", "scopes", `Delegated scopes: ${scp}.`);
  }

  const tid = text(payload.tid);
  if (tid === undefined || !isGuid(tid)) {
    add(
      "problem",
      "no-tenant",
      "The token has no tenant id (tid): it cannot be routed to a tenant.",
    );
  } else if (
    options.allowedTenants !== undefined &&
    !options.allowedTenants.some((t) => t.toLowerCase() === tid.toLowerCase())
  ) {
    add(
      "problem",
      "tenant-not-allowed",
      `The token's tenant ${tid} is not among the allowed tenants.`,
    );
  } else {
    add("info", "tenant", `Tenant: ${tid}.`);
  }
  const client = text(payload.azp) ?? text(payload.appid);
  const appOnly = idtyp === "app" || (idtyp === undefined && scp === undefined);
  if (appOnly) {
    // An app-only token's oid is the calling app's service principal, not a user.
    const principal = text(payload.oid);
    if (client !== undefined || principal !== undefined) {
      add(
        "info",
        "app",
        `Application: ${client ?? "unknown"}${principal === undefined ? "" : ` (service principal ${principal})`}.`,
      );
    }
  } else {
    const who = text(payload.preferred_username) ?? text(payload.upn) ?? text(payload.oid);
    if (who !== undefined) add("info", "user", `User: ${who}.`);
  }
  // Agent facets are optional claims (https://learn.microsoft.com/entra/agent-id/agent-token-claims):
  // reported when present, never required.
  const actorFacets = text(payload.xms_act_fct)?.split(" ") ?? [];
  if (actorFacets.includes("11")) {
    const subjectFacets = text(payload.xms_sub_fct)?.split(" ") ?? [];
    const parent = text(payload.xms_par_app_azp);
    const kind = subjectFacets.includes("13")
      ? "for its agent user account"
      : subjectFacets.includes("11")
        ? "for itself (app-only)"
        : "on behalf of a user";
    add(
      "info",
      "agent",
      `Issued to agent identity ${client ?? "unknown"} ${kind}${parent === undefined ? "" : `, of blueprint ${parent}`}.`,
    );
  }

  return { ok: !findings.some((f) => f.severity === "problem"), findings };
}
