import nock from "nock";
import { clientInfo } from "./tokens.js";

export type Form = Record<string, string>;

/** Parses a token request body that nock hands over (string or parsed object). */
export function formOf(body: unknown): Form {
  if (typeof body === "string") return Object.fromEntries(new URLSearchParams(body));
  return body as Form;
}

/** Reads the payload of a JWT without verifying it. */
export function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}

export interface RecordedTokenRequest {
  readonly tenant: string;
  readonly form: Form;
}

let issued = 0;

/** A Graph access token as our fake Entra issues it: a JWT-shaped string naming the user. */
export function fakeGraphToken(
  oid: string,
  tid: string,
  extra: Record<string, unknown> = {},
): string {
  issued++;
  const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
  const body = Buffer.from(
    JSON.stringify({ aud: "https://graph.microsoft.com", oid, tid, n: issued, ...extra }),
  ).toString("base64url");
  return `${header}.${body}.sig`;
}

/**
 * Mocks `times` OBO exchanges at login.microsoftonline.com for any tenant. Each reply is a token
 * for the user named by the assertion's oid; the requests are recorded.
 */
export function mockOboEndpoint(
  options: { times?: number; host?: string; delayMs?: number } = {},
): RecordedTokenRequest[] {
  const recorded: RecordedTokenRequest[] = [];
  nock(options.host ?? "https://login.microsoftonline.com")
    .post(/\/[^/]+\/oauth2\/v2\.0\/token/)
    .query(true)
    .times(options.times ?? 1)
    .delay(options.delayMs ?? 0)
    .reply(function (uri, body) {
      const tenant = uri.split("/")[1] ?? "";
      const form = formOf(body);
      recorded.push({ tenant, form });
      const user = claimsOf(form.assertion ?? "");
      const oid = typeof user.oid === "string" ? user.oid : "unknown";
      const tid = typeof user.tid === "string" ? user.tid : tenant;
      return [
        200,
        {
          token_type: "Bearer",
          scope: form.scope,
          expires_in: 3599,
          ext_expires_in: 3599,
          access_token: fakeGraphToken(oid, tid, { scp: form.scope }),
          client_info: clientInfo(oid, tid),
        },
      ];
    });
  return recorded;
}

/** Mocks one Entra error answer. */
export function mockTokenError(
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
  host = "https://login.microsoftonline.com",
): RecordedTokenRequest[] {
  const recorded: RecordedTokenRequest[] = [];
  nock(host)
    .post(/\/[^/]+\/oauth2\/v2\.0\/token/)
    .query(true)
    .reply(function (uri, reqBody) {
      recorded.push({ tenant: uri.split("/")[1] ?? "", form: formOf(reqBody) });
      return [status, body, headers];
    });
  return recorded;
}

/** An Entra error body in the documented shape. */
export function entraError(
  error: string,
  aadsts: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    error,
    error_description: `AADSTS${aadsts}: test failure.\r\nTrace ID: 0000\r\nCorrelation ID: 1111\r\nTimestamp: 2026-11-22 10:00:00Z`,
    error_codes: [aadsts],
    timestamp: "2026-11-22 10:00:00Z",
    trace_id: "00000000-0000-0000-0000-000000000000",
    correlation_id: "11111111-2222-3333-4444-555555555555",
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    ...extra,
  };
}

/**
 * Mocks Graph `/v1.0/me` and `/v1.0/me/manager` for `times` calls: each answers with the user the
 * bearer token names, so a test can see whose token reached Graph.
 */
export function mockGraphMe(times = 1): { path: string; oid: string; token: string }[] {
  const seen: { path: string; oid: string; token: string }[] = [];
  nock("https://graph.microsoft.com")
    .get(/^\/v1\.0\/me(\/manager)?$/)
    .times(times)
    .reply(function (uri) {
      const auth: unknown = this.req.headers.authorization;
      const header = Array.isArray(auth) ? String(auth[0]) : typeof auth === "string" ? auth : "";
      const token = header.replace(/^Bearer /, "");
      const oid = String(claimsOf(token).oid);
      seen.push({ path: uri, oid, token });
      if (uri.endsWith("/manager"))
        return [200, { id: `manager-of-${oid}`, displayName: `Manager of ${oid}` }];
      return [200, { id: oid, displayName: `User ${oid}` }];
    });
  return seen;
}
