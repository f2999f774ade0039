import type { JWTPayload } from "jose";

/**
 * The verified claims of an access token, as {@link validateAccessToken} returns them and
 * {@link requireAccessToken} stores them on `req.auth`.
 *
 * @remarks
 * The commonly used claims are typed and normalised here; every claim, as the token carries it, is
 * in `payload`. Claims of v1 and v2 tokens are mapped to the same fields.
 *
 * @example Telling users and applications apart
 * ```ts
 * const claims = await validateAccessToken(token, options);
 * // Entra includes scp only in tokens of a user; idtyp is an optional claim. See also describeCaller.
 * if (claims.scp.length === 0) {
 *   // app-only: authorise by claims.roles
 * } else {
 *   console.log(`user ${claims.oid} of tenant ${claims.tid} via app ${claims.clientAppId}`);
 * }
 * ```
 */
export interface AccessTokenClaims {
  /** The token version, from `ver`. */
  readonly ver: "1.0" | "2.0";
  /** The issuer, already checked against the cloud and the token's tenant. */
  readonly iss: string;
  /** The audience that matched this API: its client id or, in a v1.0 token, one of `audiences`. */
  readonly aud: string;
  /** The tenant id (`tid`), lower-cased. */
  readonly tid: string;
  /** The object id (`oid`) of the user, or of the calling application for app-only tokens. */
  readonly oid: string | undefined;
  /** The subject (`sub`), pairwise per application. */
  readonly sub: string | undefined;
  /**
   * The delegated permissions (`scp`), split on spaces; empty for app-only tokens, including an
   * agent's, whose `scp` may be `/` ("unscoped").
   */
  readonly scp: readonly string[];
  /** The app roles (`roles`); empty when the token has none. */
  readonly roles: readonly string[];
  /** The client application's id: `azp` in v2 tokens, `appid` in v1 tokens. */
  readonly clientAppId: string | undefined;
  /**
   * The identity type (`idtyp`): `"user"` or `"app"`, when the token says. An optional claim that
   * the API must request; do not rely on it (see {@link describeCaller}).
   */
  readonly idtyp: string | undefined;
  /** Expiry, in seconds since the epoch (`exp`). */
  readonly exp: number;
  /** Issue time, in seconds since the epoch (`iat`), when present. */
  readonly iat: number | undefined;
  /** Start of validity, in seconds since the epoch (`nbf`), when present. */
  readonly nbf: number | undefined;
  /** Every claim of the token, as it carries them. */
  readonly payload: Readonly<JWTPayload>;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/**
 * Builds the typed claims from a verified payload whose `ver`, `tid`, `aud` and `exp` were checked.
 *
 * @param payload - the verified payload
 * @param ver - its checked version
 * @param tid - its checked tenant id
 * @param aud - the accepted audience that matched
 * @internal
 */
export function toAccessTokenClaims(
  payload: JWTPayload,
  ver: "1.0" | "2.0",
  tid: string,
  aud: string,
): AccessTokenClaims {
  // App-only agent tokens carry `scp` empty or "/" (unscoped): Learn, "Token claims reference for
  // agents" (https://learn.microsoft.com/entra/agent-id/agent-token-claims). Neither is a scope.
  const scp =
    typeof payload.scp === "string"
      ? payload.scp.split(" ").filter((scope) => scope !== "" && scope !== "/")
      : [];
  const roles: unknown = payload.roles;
  return Object.freeze({
    ver,
    iss: payload.iss ?? "",
    aud,
    tid: tid.toLowerCase(),
    oid: optionalString(payload.oid),
    sub: optionalString(payload.sub),
    scp: Object.freeze(scp),
    roles: Object.freeze(
      Array.isArray(roles) ? roles.filter((r): r is string => typeof r === "string") : [],
    ),
    clientAppId: optionalString(payload.azp) ?? optionalString(payload.appid),
    idtyp: optionalString(payload.idtyp),
    exp: payload.exp ?? 0,
    iat: optionalNumber(payload.iat),
    nbf: optionalNumber(payload.nbf),
    payload: Object.freeze({ ...payload }),
  });
}
