import { jwtVerify, type JWTPayload, type JWTVerifyOptions } from "jose";
import { isGuid } from "../authority.js";
import { OnBehalfOfError } from "../errors.js";
import { toAccessTokenClaims, type AccessTokenClaims } from "./claims.js";
import { expectedIssuer } from "./issuer.js";
import { createKeyResolver } from "./key-source.js";
import {
  resolveValidationOptions,
  type AccessTokenValidationOptions,
  type ResolvedValidationOptions,
} from "./options.js";
import { fromVerifyError, invalidToken } from "./token-errors.js";

/**
 * Validates one access token and returns its verified claims. Created by
 * {@link createAccessTokenValidator}.
 *
 * @param token - the raw access token (a leading `Bearer ` is tolerated)
 * @returns the verified claims
 * @throws {@link OnBehalfOfError} `ERR_OBO_ACCESS_TOKEN_INVALID` or
 * `ERR_OBO_ACCESS_TOKEN_INSUFFICIENT_SCOPE`
 */
export type AccessTokenValidator = (token: string) => Promise<AccessTokenClaims>;

/** The tenant of personal Microsoft accounts, which `organizations` excludes. */
const CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";

/** The claims every Entra access token has, and that the checks below rely on. */
const REQUIRED_CLAIMS = ["iss", "exp", "tid", "ver"];

function tokenText(token: unknown): string {
  if (typeof token !== "string") {
    throw invalidToken("The access token must be a string.");
  }
  let text = token.trim();
  if (/^bearer\s/i.test(text)) text = text.slice(6).trim();
  if (text === "") throw invalidToken("No access token was given.");
  return text;
}

function matchedAudience(aud: JWTPayload["aud"], accepted: readonly string[]): string {
  const values = Array.isArray(aud) ? aud : [aud];
  // jose has already checked that one of them is accepted.
  return values.find((value) => value !== undefined && accepted.includes(value)) ?? "";
}

function checkIssuerAndTenant(
  payload: JWTPayload,
  options: ResolvedValidationOptions,
): AccessTokenClaims {
  const { ver, tid } = payload;
  if (ver !== "1.0" && ver !== "2.0") {
    throw invalidToken("The access token's version (ver) is neither 1.0 nor 2.0.");
  }
  if (typeof tid !== "string" || !isGuid(tid)) {
    throw invalidToken("The access token's tenant id (tid) is malformed.");
  }
  if (payload.iss !== expectedIssuer(options.issuers, ver, tid)) {
    throw invalidToken("The access token's issuer (iss) is not accepted.");
  }
  const tenant = tid.toLowerCase();
  const { authority, allowedTenants } = options;
  let accepted: boolean;
  if (!authority.multiTenant) accepted = tenant === authority.tenant;
  else if (allowedTenants !== undefined) accepted = allowedTenants.has(tenant);
  else accepted = authority.tenant === "common" || tenant !== CONSUMER_TENANT;
  if (!accepted) {
    throw invalidToken("The access token comes from a tenant this API does not accept (tid).");
  }
  return toAccessTokenClaims(payload, ver, tid, matchedAudience(payload.aud, options.audiences));
}

function checkPermissions(claims: AccessTokenClaims, options: ResolvedValidationOptions): void {
  const missingScopes = options.requiredScopes.filter((scope) => !claims.scp.includes(scope));
  const missingRoles = options.requiredRoles.filter((role) => !claims.roles.includes(role));
  if (missingScopes.length === 0 && missingRoles.length === 0) return;
  const parts: string[] = [];
  if (missingScopes.length > 0) parts.push(`the scope(s) ${missingScopes.join(", ")}`);
  if (missingRoles.length > 0) parts.push(`the app role(s) ${missingRoles.join(", ")}`);
  throw new OnBehalfOfError(
    "ERR_OBO_ACCESS_TOKEN_INSUFFICIENT_SCOPE",
    `The access token lacks ${parts.join(" and ")}.`,
  );
}

/**
 * Builds a validator from resolved options.
 *
 * @param options - resolved options
 * @internal
 */
export function validatorFor(options: ResolvedValidationOptions): AccessTokenValidator {
  const getKey = createKeyResolver(options.keys);
  const verifyOptions: JWTVerifyOptions = {
    algorithms: ["RS256"],
    audience: [...options.audiences],
    clockTolerance: options.clockSkewMs / 1000,
    requiredClaims: REQUIRED_CLAIMS,
  };
  return async (token: string): Promise<AccessTokenClaims> => {
    const text = tokenText(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(text, getKey, verifyOptions));
    } catch (error) {
      throw fromVerifyError(error);
    }
    const claims = checkIssuerAndTenant(payload, options);
    checkPermissions(claims, options);
    return claims;
  };
}

/**
 * Creates a validator for the access tokens callers send to this web API. Options are checked
 * once, here; the validator downloads the signing keys on first use and caches them.
 *
 * @remarks
 * A token is accepted only if all of these hold: it is a JWS signed with **RS256** by a key of the
 * tenant's key set (`alg: none`, HMAC algorithms and unknown `kid`s are refused); `exp` and `nbf`
 * hold within `clockSkewMs`; `aud` is `clientId` or one of `audiences`; `ver` is `1.0` or `2.0` and
 * `iss` is exactly the cloud's issuer for that version and the token's `tid`
 * (`https://login.microsoftonline.com/<tid>/v2.0`, `https://sts.windows.net/<tid>/`); `tid` is the
 * configured tenant, or for a multi-tenant API any tenant (or one of `allowedTenants`); and it
 * carries every one of `requiredScopes` and `requiredRoles`.
 *
 * Validators with the same key URL and cache settings share one cache of downloaded keys. A token
 * with an unknown `kid` triggers a new download (key rotation), at most once per `jwksCooldownMs`.
 *
 * @param options - what to accept
 * @returns a function that validates a token and returns its claims
 * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` when an option is invalid (`option`
 * names it)
 *
 * @example A single-tenant API
 * ```ts
 * const validate = createAccessTokenValidator({
 *   clientId: process.env.API_CLIENT_ID,
 *   tenantId: process.env.TENANT_ID,
 *   requiredScopes: ["access_as_user"],
 * });
 * const claims = await validate(token); // throws OnBehalfOfError when the token is not acceptable
 * console.log(claims.oid, claims.scp);
 * ```
 */
export function createAccessTokenValidator(
  options: AccessTokenValidationOptions,
): AccessTokenValidator {
  return validatorFor(resolveValidationOptions(options));
}

const validators = new WeakMap<AccessTokenValidationOptions, AccessTokenValidator>();

/**
 * Validates an access token sent to this web API and returns its verified claims. See
 * {@link createAccessTokenValidator} for the checks.
 *
 * @remarks
 * The options are checked on the first call with a given options object, and the resulting
 * validator is kept for that object: pass the same object on every call (or use
 * {@link createAccessTokenValidator}). Downloaded signing keys are shared either way.
 *
 * @param token - the raw access token (a leading `Bearer ` is tolerated)
 * @param options - what to accept
 * @returns the verified claims
 * @throws {@link OnBehalfOfError} `ERR_OBO_ACCESS_TOKEN_INVALID` when the token is not acceptable
 * (the message says which check failed; `cause` is jose's error), or
 * `ERR_OBO_ACCESS_TOKEN_INSUFFICIENT_SCOPE` when it lacks a required scope or role; and
 * `ERR_OBO_CONFIGURATION` when an option is invalid
 *
 * @example
 * ```ts
 * const options = { clientId: process.env.API_CLIENT_ID, tenantId: "organizations" };
 * const claims = await validateAccessToken(token, options);
 * ```
 */
export async function validateAccessToken(
  token: string,
  options: AccessTokenValidationOptions,
): Promise<AccessTokenClaims> {
  let validator = validators.get(options);
  if (validator === undefined) {
    validator = createAccessTokenValidator(options);
    if (typeof options === "object") validators.set(options, validator);
  }
  return validator(token);
}
