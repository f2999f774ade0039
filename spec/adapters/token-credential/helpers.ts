import nock from "nock";
import {
  claimsOf,
  fakeGraphToken,
  formOf,
  type RecordedTokenRequest,
} from "../../support/entra.js";
import { clientInfo } from "../../support/tokens.js";

/**
 * Like `mockOboEndpoint`, but the tokens carry an `exp` claim matching `expires_in`, as Entra's do.
 * Each token names the user of the assertion (`oid`, `tid`) and the request's `claims`, if any.
 */
export function mockOboWithExpiry(
  options: { times?: number; expiresIn?: number } = {},
): RecordedTokenRequest[] {
  const recorded: RecordedTokenRequest[] = [];
  const expiresIn = options.expiresIn ?? 3599;
  nock("https://login.microsoftonline.com")
    .post(/\/[^/]+\/oauth2\/v2\.0\/token/)
    .query(true)
    .times(options.times ?? 1)
    .reply((uri, body) => {
      const tenant = uri.split("/")[1] ?? "";
      const form = formOf(body);
      recorded.push({ tenant, form });
      const user = claimsOf(form.assertion ?? "");
      const oid = typeof user.oid === "string" ? user.oid : "unknown";
      const tid = typeof user.tid === "string" ? user.tid : tenant;
      const exp = Math.floor(Date.now() / 1000) + expiresIn;
      return [
        200,
        {
          token_type: "Bearer",
          scope: form.scope,
          expires_in: expiresIn,
          ext_expires_in: expiresIn,
          access_token: fakeGraphToken(oid, tid, { scp: form.scope, exp }),
          client_info: clientInfo(oid, tid),
        },
      ];
    });
  return recorded;
}

/** The Authorization header a nock interceptor saw, without `Bearer `, or `""`. */
export function bearerOf(headers: Record<string, unknown>): string {
  const value = headers.authorization;
  const header = Array.isArray(value) ? String(value[0]) : typeof value === "string" ? value : "";
  return header.replace(/^Bearer /, "");
}
