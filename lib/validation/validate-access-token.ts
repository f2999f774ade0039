import { jwtVerify, type JWTPayload, type JWTVerifyOptions } from "jose";
import { isGuid } from "../options/authority.js";
import { OnBehalfOfError } from "../util/errors.js";
import { toAccessTokenClaims, type AccessTokenClaims } from "./claims.js";
import { expectedIssuer, signingKeyAllowsIssuer } from "./issuer.js";
import { createKeyResolver, type KeyFacts } from "./key-source.js";
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
const REQUIRED_CLAIMS = ["iss", "exp", "tid", "ver", "aud"];

function tokenText(token: unknown, maxBytes: number): string {
  if (typeof token !== "string") {
    throw invalidToken("The access token must be a string.");
  }
  let text = token.trim();
  if (/^bearer\s/i.test(text)) text = text.slice(6).trim();
  if (text === "") throw invalidToken("No access token was given.");
  // Before anything reads it: an oversized token is refused unread (a JWT is ASCII, so its length
  // is its size; the byte count is taken only for a string short enough to be accepted).
  if (text.length > maxBytes || Buffer.byteLength(text, "utf8") > maxBytes) {
    throw invalidToken(`The access token is larger than the ${String(maxBytes)} bytes accepted.`);
  }
  return text;
}

/**
 * The audience that makes the token this API's. A v2.0 token's `aud` "is always the client ID of
 * the API"; a v1.0 token's "can be the client ID or the resource URI used in the request"
 * (Learn, "Access token claims reference",
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference), which is the
 * App ID URI, `api://<client id>` unless configured otherwise. Microsoft.Identity.Web makes the same
 * distinction (src/Microsoft.Identity.Web/Resource/RegisterValidAudience.cs). The message names
 * what is expected, never what the token carries.
 */
function acceptedAudience(
  aud: JWTPayload["aud"],
  ver: "1.0" | "2.0",
  options: ResolvedValidationOptions,
): string {
  const accepted = ver === "2.0" ? [options.clientId] : options.v1Audiences;
  const values: unknown[] = Array.isArray(aud) ? aud : [aud];
  const match = values.find(
    (value): value is string => typeof value === "string" && accepted.includes(value),
  );
  if (match !== undefined) return match;
  throw invalidToken(
    ver === "2.0"
      ? `The access token is not meant for this API (aud): a v2.0 token's audience must be ${options.clientId}.`
      : `The access token is not meant for this API (aud): a v1.0 token's audience must be one of ${accepted.join(", ")}.`,
  );
}

function checkClaims(
  payload: JWTPayload,
  options: ResolvedValidationOptions,
  key: KeyFacts,
): AccessTokenClaims {
  const { ver, tid } = payload;
  if (ver !== "1.0" && ver !== "2.0") {
    throw invalidToken("The access token's version (ver) is neither 1.0 nor 2.0.");
  }
  const aud = acceptedAudience(payload.aud, ver, options);
  if (typeof tid !== "string" || !isGuid(tid)) {
    throw invalidToken("The access token's tenant id (tid) is malformed.");
  }
  const iss = expectedIssuer(options.issuers, ver, tid);
  if (payload.iss !== iss) {
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
  if (!signingKeyAllowsIssuer(key.issuer, options.issuers, iss, tid)) {
    throw invalidToken(
      "The access token is signed with a key that its key set reserves for another issuer (iss).",
    );
  }
  return toAccessTokenClaims(payload, ver, tid, aud);
}

/**
 * A token with neither a scope nor an app role was granted nothing on this API: Microsoft.Identity.Web
 * fails its authentication (IDW10201, `ChainOnTokenValidatedEventForClaimsValidation` in
 * src/Microsoft.Identity.Web/WebApiExtensions/MicrosoftIdentityWebApiAuthenticationBuilderExtensions.cs)
 * unless `AllowWebApiToBeAuthorizedByACL` is set; `allowTokensWithoutScopesOrRoles` is ours.
 */
function checkGranted(claims: AccessTokenClaims, options: ResolvedValidationOptions): void {
  if (options.allowTokensWithoutScopesOrRoles) return;
  if (claims.scp.length > 0 || claims.roles.length > 0) return;
  throw invalidToken(
    "The access token carries neither a scope (scp) nor an app role (roles): the calling application was granted no permission on this API.",
  );
}

function insufficient(message: string): OnBehalfOfError {
  return new OnBehalfOfError("ERR_OBO_ACCESS_TOKEN_INSUFFICIENT_SCOPE", message);
}

/**
 * `requiredScopes` and `requiredRoles`. With `permissionMatch: "scopes-or-roles"` and both given,
 * either set suffices: Microsoft.Identity.Web's "scope or app permission"
 * (src/Microsoft.Identity.Web/Policy/ScopeOrAppPermissionAuthorizationHandler.cs), where a delegated
 * caller proves itself by its scopes and an application by its app roles. Within each list, every
 * entry is required, as in the default mode (Microsoft.Identity.Web accepts any one entry).
 */
function checkPermissions(claims: AccessTokenClaims, options: ResolvedValidationOptions): void {
  const missingScopes = options.requiredScopes.filter((scope) => !claims.scp.includes(scope));
  const missingRoles = options.requiredRoles.filter((role) => !claims.roles.includes(role));
  const scopes = `the scope(s) ${missingScopes.join(", ")}`;
  const roles = `the app role(s) ${missingRoles.join(", ")}`;
  const either =
    options.permissionMatch === "scopes-or-roles" &&
    options.requiredScopes.length > 0 &&
    options.requiredRoles.length > 0;
  if (either) {
    if (missingScopes.length === 0 || missingRoles.length === 0) return;
    throw insufficient(`The access token lacks ${scopes} or ${roles}; either suffices.`);
  }
  if (missingScopes.length === 0 && missingRoles.length === 0) return;
  const parts: string[] = [];
  if (missingScopes.length > 0) parts.push(scopes);
  if (missingRoles.length > 0) parts.push(roles);
  throw insufficient(`The access token lacks ${parts.join(" and ")}.`);
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
    clockTolerance: options.clockSkewMs / 1000,
    requiredClaims: REQUIRED_CLAIMS,
  };
  return async (token: string): Promise<AccessTokenClaims> => {
    const text = tokenText(token, options.maxTokenBytes);
    const key: KeyFacts = { issuer: undefined };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        text,
        (protectedHeader, jws) => getKey(protectedHeader, jws, key),
        verifyOptions,
      ));
    } catch (error) {
      throw fromVerifyError(error, text);
    }
    const claims = checkClaims(payload, options, key);
    checkGranted(claims, options);
    checkPermissions(claims, options);
    return claims;
  };
}

/**
 * Creates a validator for the access tokens callers send to this web API. Options are checked
 * once, here; the validator downloads the signing keys on first use and caches them.
 *
 * @remarks
 * A token is accepted only if all of these hold: it is at most `maxTokenBytes` long (checked before
 * anything else); it is a JWS signed with **RS256** by a key of the tenant's key set (`alg: none`,
 * HMAC algorithms and unknown `kid`s are refused) and, when the key set publishes an `issuer` for
 * that key, one valid for the token's issuer; `exp` and `nbf` hold within `clockSkewMs`; `ver` is
 * `1.0` or `2.0`; `aud` is `clientId` for a v2.0 token, `clientId` or one of `audiences` for a v1.0
 * token; `iss` is exactly the cloud's issuer for that version and the token's `tid`
 * (`https://login.microsoftonline.com/<tid>/v2.0`, `https://sts.windows.net/<tid>/`); `tid` is the
 * configured tenant, or for a multi-tenant API any tenant (or one of `allowedTenants`); it carries a
 * scope or an app role (unless `allowTokensWithoutScopesOrRoles`); and it carries `requiredScopes`
 * and `requiredRoles` as `permissionMatch` combines them.
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
 * (the message says which check failed; `cause` keeps the kind, code and message of jose's error,
 * never the token or its claims), or
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
