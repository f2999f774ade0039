import type { FetchImplementation, JSONWebKeySet, JWTVerifyGetKey } from "jose";
import { isGuid, resolveAuthority, type ResolvedAuthority } from "../options/authority.js";
import { OptionChecks } from "../options/checks.js";
import type { OnBehalfOfError } from "../util/errors.js";
import { DEFAULT_MAX_TOKEN_BYTES } from "../assertion/token-limits.js";
import { issuerPrefixes, type IssuerPrefixes } from "./issuer.js";

/** Whose options these are, in configuration errors. */
const SUBJECT = "AccessTokenValidationOptions";
const checks = new OptionChecks(SUBJECT);

/**
 * An `ERR_OBO_CONFIGURATION` error about an option of the inbound validation.
 *
 * @internal
 */
export function invalid(option: string, problem: string, cause?: unknown): OnBehalfOfError {
  return checks.invalid(option, problem, cause);
}

/** Extra certificate authorities to trust, in PEM, for fetching the signing keys over https. */
export type CertificateAuthorities = string | Buffer | readonly (string | Buffer)[];

/**
 * Where the signing keys come from: a key resolver (such as jose's `createRemoteJWKSet`), a
 * JSON Web Key Set, or the https URL of one.
 */
export type AccessTokenKeySource = JWTVerifyGetKey | JSONWebKeySet | string | URL;

/**
 * Options of {@link validateAccessToken}, {@link createAccessTokenValidator} and
 * {@link requireAccessToken}. Give `clientId` and `tenantId` (or `authority`).
 *
 * @example A multi-tenant API serving two customer tenants
 * ```ts
 * const options: AccessTokenValidationOptions = {
 *   clientId: process.env.API_CLIENT_ID,
 *   tenantId: "organizations",
 *   allowedTenants: [process.env.CONTOSO_TENANT_ID!, process.env.FABRIKAM_TENANT_ID!],
 *   requiredScopes: ["access_as_user"],
 * };
 * ```
 *
 * @example The local emulator, whose https certificate is signed by its own CA
 * ```ts
 * const options: AccessTokenValidationOptions = {
 *   clientId: process.env.API_CLIENT_ID,
 *   tenantId: process.env.TENANT_ID,
 *   authority: "https://localhost:1234", // keys at https://localhost:1234/<tenant>/discovery/v2.0/keys
 *   ca: readFileSync("emulator-ca.pem", "utf8"),
 * };
 * ```
 */
export interface AccessTokenValidationOptions {
  /**
   * This web API's application (client) id, a GUID. It is the only audience (`aud`) of a v2.0
   * token, and an accepted one of a v1.0 token.
   */
  readonly clientId: string | undefined;
  /**
   * This API's application ID URIs, accepted as the audience (`aud`) of **v1.0** tokens besides
   * `clientId`. A v2.0 token's audience is always the client id, so these never apply to it.
   * Give this when the App ID URI is not the default `api://<clientId>` (for example
   * `https://api.contoso.com`).
   *
   * @defaultValue `["api://<clientId>"]`
   */
  readonly audiences?: readonly string[] | undefined;
  // Documented alike the provider's options of the same names (provider-options.ts), on purpose.
  /**
   * The tenant id (a GUID) of a single-tenant API, or `"organizations"`/`"common"` for a
   * multi-tenant API, which accepts any tenant's tokens (or those of `allowedTenants`).
   * `"organizations"` refuses personal Microsoft accounts (the consumer tenant
   * `9188040d-6c67-4c5b-b112-36a304b66dad`); `"common"` accepts them.
   */
  readonly tenantId?: string | undefined;
  /**
   * The authority URL, which selects the cloud and may carry the tenant:
   * `https://login.microsoftonline.us/<tenant>` (US Government),
   * `https://login.chinacloudapi.cn/<tenant>` (China), or the https origin of the local emulator
   * (`https://localhost:1234`), whose issuers are `<origin>/<tid>/v2.0` and `<origin>/<tid>/`.
   *
   * @defaultValue `https://login.microsoftonline.com/<tenantId>`
   */
  readonly authority?: string | undefined;
  /** Multi-tenant only: the tenant ids (GUIDs, the tokens' `tid`) whose tokens are accepted. */
  readonly allowedTenants?: readonly string[] | undefined;
  /**
   * Where the signing keys come from. Only RS256 signatures are ever accepted, whatever the source.
   *
   * - a URL (string or `URL`, https; http only on loopback): fetched and cached, see `jwksCacheMaxAgeMs`;
   * - a JSON Web Key Set object: used as is;
   * - a key resolver (`(protectedHeader, token) => key`), for example jose's `createRemoteJWKSet`.
   *
   * @defaultValue `<authority origin>/<tenant>/discovery/v2.0/keys`, with `common` as the tenant of
   * a multi-tenant API
   */
  readonly jwks?: AccessTokenKeySource | undefined;
  /**
   * The fetch implementation used to download the signing keys, for example one that goes through a
   * proxy. Not with `ca`, and only when the keys are downloaded.
   *
   * @defaultValue the global `fetch`
   */
  readonly jwksFetch?: FetchImplementation | undefined;
  /**
   * Certificate authorities (PEM) to trust for downloading the signing keys, in addition to Node's
   * default ones: for example the local emulator's self-signed CA. TLS checks are never disabled.
   */
  readonly ca?: CertificateAuthorities | undefined;
  /**
   * How long downloaded signing keys are used before they are downloaded again, in milliseconds.
   *
   * @defaultValue 600000 (10 minutes)
   */
  readonly jwksCacheMaxAgeMs?: number | undefined;
  /**
   * After a download, a token with an unknown key id (`kid`) triggers another download only once
   * this long has passed, in milliseconds. Bounds the downloads forged key ids can cause.
   *
   * @defaultValue 30000
   */
  readonly jwksCooldownMs?: number | undefined;
  /**
   * How long a download of the signing keys may take, in milliseconds.
   *
   * @defaultValue 5000
   */
  readonly jwksTimeoutMs?: number | undefined;
  /**
   * Tolerance for clock differences when checking `exp` and `nbf`, in milliseconds.
   *
   * @defaultValue 60000
   */
  readonly clockSkewMs?: number | undefined;
  /**
   * Delegated permissions the token must **all** carry in its `scp` claim, by name as they appear
   * there (`"Files.Read"`, not `"api://…/Files.Read"`). Compared case-sensitively. App-only tokens
   * have no `scp` and are refused.
   */
  readonly requiredScopes?: readonly string[] | undefined;
  /**
   * App roles the token must **all** carry in its `roles` claim. With `requiredScopes` as well,
   * `permissionMatch` says whether both requirements apply or either one suffices.
   */
  readonly requiredRoles?: readonly string[] | undefined;
  /**
   * How `requiredScopes` and `requiredRoles` combine when both are given:
   *
   * - `"all"`: the token must carry every required scope **and** every required role (for example
   *   a delegated token whose user was assigned an app role);
   * - `"scopes-or-roles"`: Microsoft.Identity.Web's "scope or app permission": a delegated token
   *   passes with every required scope, an application token with every required role.
   *
   * @defaultValue `"all"`
   */
  readonly permissionMatch?: "all" | "scopes-or-roles" | undefined;
  /**
   * Accept tokens that carry neither a scope (`scp`) nor an app role (`roles`). Such a token comes
   * from an application that was granted nothing on this API, so by default it is refused, as
   * Microsoft.Identity.Web refuses it (IDW10201). Set this only when the API authorises callers
   * itself, by an access-control list of client or object ids.
   *
   * @defaultValue `false`
   */
  readonly allowTokensWithoutScopesOrRoles?: boolean | undefined;
  /**
   * The largest token accepted, in bytes. A larger one is refused before it is decoded, hashed or
   * checked, and before any signing keys are downloaded. Entra's access tokens are a few kilobytes.
   *
   * @defaultValue 16384
   */
  readonly maxTokenBytes?: number | undefined;
}

/** How the signing keys are found, once the options are checked. @internal */
export type ResolvedKeySource =
  | { readonly kind: "resolver"; readonly resolver: JWTVerifyGetKey }
  | { readonly kind: "set"; readonly jwks: JSONWebKeySet }
  | {
      readonly kind: "remote";
      readonly url: URL;
      readonly fetch: FetchImplementation | undefined;
      readonly ca: readonly (string | Buffer)[] | undefined;
      readonly cacheMaxAgeMs: number;
      readonly cooldownMs: number;
      readonly timeoutMs: number;
    };

/** Validated, frozen options. @internal */
export interface ResolvedValidationOptions {
  /** The client id, lower-cased: the audience of v2.0 tokens. */
  readonly clientId: string;
  /** The audiences accepted in v1.0 tokens: the client id and the App ID URIs. */
  readonly v1Audiences: readonly string[];
  readonly authority: ResolvedAuthority;
  readonly issuers: IssuerPrefixes;
  readonly allowedTenants: ReadonlySet<string> | undefined;
  readonly keys: ResolvedKeySource;
  readonly clockSkewMs: number;
  readonly requiredScopes: readonly string[];
  readonly requiredRoles: readonly string[];
  readonly permissionMatch: "all" | "scopes-or-roles";
  readonly allowTokensWithoutScopesOrRoles: boolean;
  readonly maxTokenBytes: number;
}

/** RFC 6749 scope-token characters: also safe inside a `WWW-Authenticate` quoted string. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function permissionMatch(value: unknown): "all" | "scopes-or-roles" {
  if (value === undefined) return "all";
  if (value !== "all" && value !== "scopes-or-roles") {
    throw invalid("permissionMatch", 'must be "all" or "scopes-or-roles".');
  }
  return value;
}

function maxTokenBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_TOKEN_BYTES;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid("maxTokenBytes", "must be a positive whole number of bytes.");
  }
  return value;
}

function scopeList(value: unknown, option: string, what: string): readonly string[] {
  const list = checks.stringList(value, option, what) ?? [];
  for (const item of list) {
    if (item.includes("://")) {
      throw invalid(
        option,
        `must name ${what} as they appear in the token (for example "access_as_user"), not as full URIs.`,
      );
    }
    if (!SCOPE_TOKEN.test(item)) {
      throw invalid(option, `must contain single ${what} without spaces, quotes or backslashes.`);
    }
  }
  return list;
}

function jwksUrl(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw invalid("jwks", "must be an absolute https URL when it is a string.", cause);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith("127.");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw invalid("jwks", "must use https (plain http only on loopback).");
  }
  if (url.username !== "" || url.password !== "") {
    throw invalid("jwks", "must not carry credentials.");
  }
  return url;
}

function certificateAuthorities(value: unknown): readonly (string | Buffer)[] | undefined {
  if (value === undefined) return undefined;
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw invalid("ca", "must not be empty.");
  for (const item of list) {
    if (!(typeof item === "string" || Buffer.isBuffer(item)) || item.length === 0) {
      throw invalid("ca", "must be PEM certificates, as strings or Buffers.");
    }
  }
  return Object.freeze(list as (string | Buffer)[]);
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function isKeySet(value: object): value is JSONWebKeySet {
  return Array.isArray((value as { keys?: unknown }).keys);
}

function resolveKeySource(
  input: AccessTokenValidationOptions,
  authority: ResolvedAuthority,
): ResolvedKeySource {
  const { jwks, jwksFetch } = input;
  const ca = certificateAuthorities(input.ca);
  if (jwksFetch !== undefined && typeof jwksFetch !== "function") {
    throw invalid("jwksFetch", "must be a fetch function.");
  }
  if (jwksFetch !== undefined && ca !== undefined) {
    throw invalid("ca", 'cannot be combined with "jwksFetch": configure the CA there.');
  }
  const cacheMaxAgeMs = checks.duration(input.jwksCacheMaxAgeMs, "jwksCacheMaxAgeMs", 600_000);
  const cooldownMs = checks.duration(input.jwksCooldownMs, "jwksCooldownMs", 30_000);
  const timeoutMs = Math.ceil(checks.duration(input.jwksTimeoutMs, "jwksTimeoutMs", 5_000));

  if (typeof jwks === "function" || (isObject(jwks) && !(jwks instanceof URL))) {
    if (jwksFetch !== undefined || ca !== undefined) {
      throw invalid(
        jwksFetch === undefined ? "ca" : "jwksFetch",
        'only applies when the signing keys are downloaded (no "jwks", or a URL).',
      );
    }
    if (typeof jwks === "function") return { kind: "resolver", resolver: jwks };
    if (!isKeySet(jwks)) {
      throw invalid(
        "jwks",
        "must be a key resolver function, a JSON Web Key Set ({ keys: [...] }) or a URL.",
      );
    }
    return { kind: "set", jwks };
  }
  if (jwks !== undefined && typeof jwks !== "string" && !(jwks instanceof URL)) {
    throw invalid(
      "jwks",
      "must be a key resolver function, a JSON Web Key Set ({ keys: [...] }) or a URL.",
    );
  }
  const keysTenant = authority.multiTenant ? "common" : authority.tenant;
  const url = jwksUrl(jwks ?? `${authority.origin}/${keysTenant}/discovery/v2.0/keys`);
  if (ca !== undefined && url.protocol !== "https:") {
    throw invalid("ca", "only applies to signing keys downloaded over https.");
  }
  return { kind: "remote", url, fetch: jwksFetch, ca, cacheMaxAgeMs, cooldownMs, timeoutMs };
}

/**
 * Checks every option of the access-token validation and applies defaults. The only place they are
 * validated.
 *
 * @param input - the caller's options
 * @internal
 */
export function resolveValidationOptions(
  input: AccessTokenValidationOptions,
): ResolvedValidationOptions {
  const candidate: unknown = input;
  if (!isObject(candidate)) {
    throw invalid("options", "must be an object.");
  }
  const { clientId } = input;
  if (typeof clientId !== "string" || clientId.trim() === "") {
    throw invalid("clientId", "is required: this web API's application (client) id.");
  }
  if (!isGuid(clientId)) {
    throw invalid("clientId", "must be the application (client) id, a GUID.");
  }
  const client = clientId.toLowerCase();
  const audiences = checks.stringList(input.audiences, "audiences", "accepted audiences") ?? [
    `api://${client}`,
  ];

  const authority = resolveAuthority(input.tenantId, input.authority, { subject: SUBJECT });
  if (!authority.multiTenant && !isGuid(authority.tenant)) {
    throw invalid(
      input.tenantId === undefined ? "authority" : "tenantId",
      'must name the tenant by its id (a GUID), as tokens carry it in "tid"; or "organizations" for a multi-tenant API.',
    );
  }

  let allowedTenants: ReadonlySet<string> | undefined;
  const tenants = checks.stringList(input.allowedTenants, "allowedTenants", "tenant ids (GUIDs)");
  if (tenants !== undefined) {
    if (!authority.multiTenant) {
      throw invalid(
        "allowedTenants",
        'only applies to multi-tenant APIs (tenantId "organizations" or "common"); a single-tenant API accepts its own tenant only.',
      );
    }
    if (!tenants.every(isGuid)) {
      throw invalid(
        "allowedTenants",
        "must contain tenant ids (GUIDs), as found in the tokens' tid claim.",
      );
    }
    allowedTenants = new Set(tenants.map((tenant) => tenant.toLowerCase()));
  }

  return Object.freeze({
    clientId: client,
    v1Audiences: Object.freeze([...new Set([client, ...audiences])]),
    authority,
    issuers: issuerPrefixes(authority),
    allowedTenants,
    keys: resolveKeySource(input, authority),
    clockSkewMs: checks.duration(input.clockSkewMs, "clockSkewMs", 60_000),
    requiredScopes: scopeList(input.requiredScopes, "requiredScopes", "scopes"),
    requiredRoles: scopeList(input.requiredRoles, "requiredRoles", "app roles"),
    permissionMatch: permissionMatch(input.permissionMatch),
    allowTokensWithoutScopesOrRoles: checks.flag(
      input.allowTokensWithoutScopesOrRoles,
      "allowTokensWithoutScopesOrRoles",
    ),
    maxTokenBytes: maxTokenBytes(input.maxTokenBytes),
  });
}
