import { mockOboEndpoint, type RecordedTokenRequest } from "../../support/entra.js";

/**
 * Like `mockOboEndpoint`, but the tokens carry an `exp` claim matching `expires_in`, as Entra's do.
 * Each token names the user of the assertion (`oid`, `tid`).
 */
export function mockOboWithExpiry(
  options: { times?: number; expiresIn?: number } = {},
): RecordedTokenRequest[] {
  return mockOboEndpoint({ ...options, expClaim: true });
}

/** The Authorization header a nock interceptor saw, without `Bearer `, or `""`. */
export function bearerOf(headers: Record<string, unknown>): string {
  const value = headers.authorization;
  const header = Array.isArray(value) ? String(value[0]) : typeof value === "string" ? value : "";
  return header.replace(/^Bearer /, "");
}
