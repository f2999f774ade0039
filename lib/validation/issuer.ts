import type { ResolvedAuthority } from "../options/authority.js";

/** The origins that prefix the issuers of a cloud's v1 and v2 tokens. @internal */
export interface IssuerPrefixes {
  /** v1 tokens: `<v1>/<tid>/`. */
  readonly v1: string;
  /** v2 tokens: `<v2>/<tid>/v2.0`. */
  readonly v2: string;
}

/** Issuer origins of Microsoft's clouds, keyed by sign-in host. */
const CLOUD_ISSUERS: ReadonlyMap<string, IssuerPrefixes> = new Map([
  [
    "login.microsoftonline.com",
    { v1: "https://sts.windows.net", v2: "https://login.microsoftonline.com" },
  ],
  ["login.windows.net", { v1: "https://sts.windows.net", v2: "https://login.microsoftonline.com" }],
  [
    "login.microsoft.com",
    { v1: "https://sts.windows.net", v2: "https://login.microsoftonline.com" },
  ],
  // US Government: v1 tokens keep the public cloud's STS name.
  [
    "login.microsoftonline.us",
    { v1: "https://sts.windows.net", v2: "https://login.microsoftonline.us" },
  ],
  // An alias of login.microsoftonline.us (MSAL.NET docs/fic-token-exchange-auto-resolution-design.md):
  // its tokens carry the preferred host's issuer.
  [
    "login.usgovcloudapi.net",
    { v1: "https://sts.windows.net", v2: "https://login.microsoftonline.us" },
  ],
  [
    "login.chinacloudapi.cn",
    { v1: "https://sts.chinacloudapi.cn", v2: "https://login.partner.microsoftonline.cn" },
  ],
  [
    "login.partner.microsoftonline.cn",
    { v1: "https://sts.chinacloudapi.cn", v2: "https://login.partner.microsoftonline.cn" },
  ],
]);

/**
 * The issuer origins for an authority: Microsoft's for its clouds, the authority's own origin for
 * any other host (the local emulator).
 *
 * @param authority - the resolved authority
 * @internal
 */
export function issuerPrefixes(authority: ResolvedAuthority): IssuerPrefixes {
  return CLOUD_ISSUERS.get(authority.host) ?? { v1: authority.origin, v2: authority.origin };
}

/**
 * The only issuer a token of this version and tenant may carry.
 *
 * @param prefixes - the cloud's issuer origins
 * @param version - the token's `ver`
 * @param tid - the token's `tid`, as it appears in the token
 * @internal
 */
export function expectedIssuer(
  prefixes: IssuerPrefixes,
  version: "1.0" | "2.0",
  tid: string,
): string {
  return version === "2.0" ? `${prefixes.v2}/${tid}/v2.0` : `${prefixes.v1}/${tid}/`;
}

/** The placeholder for the token's tenant in the issuers Entra publishes (`{tenantid}`). */
const TENANT_TEMPLATE = "{tenantid}";

/**
 * Whether a signing key whose key set publishes `keyIssuer` may sign a token of tenant `tid` with
 * issuer `iss`. Entra's key sets give each key an `issuer`, `https://login.microsoftonline.com/{tenantid}/v2.0`
 * for the keys every tenant shares, or one tenant's issuer for keys only that tenant may use.
 * With the token's tenant put in for `{tenantid}`, it must be the token's issuer or, since keys
 * carry only v2.0 issuers, the v2.0 issuer of the token's tenant (a v1.0 token's `sts.windows.net`
 * issuer never matches a key's). Keys without an `issuer` are not restricted.
 *
 * The rule is Microsoft.IdentityModel's `AadTokenValidationParametersExtension.ValidateIssuerSigningKey`
 * (AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet,
 * src/Microsoft.IdentityModel.Validators/AadTokenValidationParametersExtension.cs), which
 * Microsoft.Identity.Web enables for every web API (`EnableAadSigningKeyIssuerValidation` in
 * src/Microsoft.Identity.Web/WebApiExtensions/MicrosoftIdentityWebApiAuthenticationBuilderExtensions.cs).
 *
 * @param keyIssuer - the key's published issuer, if any
 * @param prefixes - the cloud's issuer origins
 * @param iss - the token's (already checked) issuer
 * @param tid - the token's tenant id, as it appears in the token
 * @internal
 */
export function signingKeyAllowsIssuer(
  keyIssuer: string | undefined,
  prefixes: IssuerPrefixes,
  iss: string,
  tid: string,
): boolean {
  if (keyIssuer === undefined) return true;
  const effective = keyIssuer.split(TENANT_TEMPLATE).join(tid);
  return effective === iss || effective === expectedIssuer(prefixes, "2.0", tid);
}
