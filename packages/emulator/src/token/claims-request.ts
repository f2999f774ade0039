import { aadsts } from "./aadsts.js";

/** What a request's `claims` parameter asks of the access token. @internal */
export interface ClaimsRequest {
  /** The client declared the `cp1` capability (`xms_cc`). */
  readonly clientCapabilities: boolean;
  /** A CAE claims challenge's `nbf` value (epoch seconds). */
  readonly nbfSeconds: number | undefined;
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/**
 * Reads the `claims` parameter (JSON): `access_token.xms_cc.values` containing `cp1`, and
 * `access_token.nbf.value` from a CAE challenge.
 *
 * @param raw - the form value
 * @internal
 */
export function parseClaimsRequest(raw: string | null): ClaimsRequest {
  if (raw === null || raw.trim() === "")
    return { clientCapabilities: false, nbfSeconds: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw aadsts.invalidRequest("The 'claims' parameter is not valid JSON.");
  }
  const accessToken = field(parsed, "access_token");
  const values = field(field(accessToken, "xms_cc"), "values");
  const clientCapabilities = Array.isArray(values) && values.includes("cp1");
  const nbf = field(field(accessToken, "nbf"), "value");
  const nbfNumber = typeof nbf === "number" ? nbf : typeof nbf === "string" ? Number(nbf) : NaN;
  return { clientCapabilities, nbfSeconds: Number.isFinite(nbfNumber) ? nbfNumber : undefined };
}
