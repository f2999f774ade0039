import { configurationError, type OnBehalfOfError } from "../util/errors.js";

/** A national or public cloud: where users sign in and where its Microsoft Graph lives. */
export interface CloudInfo {
  /** The sign-in host, for example `login.microsoftonline.com`. */
  readonly loginHost: string;
  /** Microsoft Graph's base URL in that cloud, without a trailing slash. */
  readonly graphEndpoint: string;
  /** The token-exchange scope of agent identity blueprints (`fmi_path` requests). */
  readonly tokenExchangeScope: string;
}

/**
 * The cloud of a sign-in host this package does not know (the `cloud` option): its Microsoft
 * Graph and its token-exchange audience. Required for such a host, since guessing the public
 * cloud's values would fail late, at Entra (AADSTS70022204) or at Graph.
 */
export interface CloudOptions {
  /**
   * Microsoft Graph's base URL in that cloud, for example `"https://graph.microsoft.us"`. Its
   * `/.default` scope is the default scope of Graph requests.
   */
  readonly graphEndpoint: string;
  /**
   * The token-exchange scope of federated credentials and agent identity blueprints in that
   * cloud, for example `"api://AzureADTokenExchangeUSGov/.default"`.
   */
  readonly tokenExchangeScope: string;
}

const PUBLIC_CLOUD: CloudInfo = {
  loginHost: "login.microsoftonline.com",
  graphEndpoint: "https://graph.microsoft.com",
  tokenExchangeScope: "api://AzureADTokenExchange/.default",
};

const US_GOVERNMENT: CloudInfo = {
  loginHost: "login.microsoftonline.us",
  graphEndpoint: "https://graph.microsoft.us",
  tokenExchangeScope: "api://AzureADTokenExchangeUSGov/.default",
};

const CHINA: CloudInfo = {
  loginHost: "login.chinacloudapi.cn",
  graphEndpoint: "https://microsoftgraph.chinacloudapi.cn",
  tokenExchangeScope: "api://AzureADTokenExchangeChina/.default",
};

/**
 * The clouds this package knows, keyed by sign-in host (aliases included).
 *
 * Sign-in hosts, their aliases and token-exchange audiences: MSAL.NET's design
 * (AzureAD/microsoft-authentication-library-for-dotnet docs/fic-token-exchange-auto-resolution-design.md,
 * table "Cloud Entry / Authority Aliases / TokenExchangeAudience") and Microsoft.Identity.Web
 * (AzureAD/microsoft-identity-web src/Microsoft.Identity.Web.TokenAcquisition/TokenAcquirerExtensions.cs,
 * `GetFicTokenAsync`: `api://AzureADTokenExchangeFrance/.default` for Bleu,
 * `api://AzureADTokenExchangeGermany/.default` for the German cloud). The same hosts are in
 * msal-common's hard-coded instance metadata (`authority/AuthorityMetadata`).
 *
 * Graph endpoints: the built-in environments of Microsoft Graph PowerShell (`Get-MgEnvironment`:
 * Global `https://graph.microsoft.com`, USGov `https://graph.microsoft.us`, China
 * `https://microsoftgraph.chinacloudapi.cn`, BleuCloud `https://graph.svc.sovcloud.fr`,
 * DelosCloud `https://graph.svc.sovcloud.de`),
 * https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/connect-mggraph.
 * US Government DoD shares `login.microsoftonline.us` but has its own Graph
 * (`https://dod-graph.microsoft.us`): give it with the `cloud` option.
 *
 * @internal
 */
const KNOWN_CLOUDS: ReadonlyMap<string, CloudInfo> = new Map<string, CloudInfo>([
  ["login.microsoftonline.com", PUBLIC_CLOUD],
  ["login.windows.net", PUBLIC_CLOUD],
  ["login.microsoft.com", PUBLIC_CLOUD],
  ["login.microsoftonline.us", US_GOVERNMENT],
  ["login.usgovcloudapi.net", { ...US_GOVERNMENT, loginHost: "login.usgovcloudapi.net" }],
  ["login.chinacloudapi.cn", CHINA],
  ["login.partner.microsoftonline.cn", { ...CHINA, loginHost: "login.partner.microsoftonline.cn" }],
  [
    "login.sovcloud-identity.fr",
    {
      loginHost: "login.sovcloud-identity.fr",
      graphEndpoint: "https://graph.svc.sovcloud.fr",
      tokenExchangeScope: "api://AzureADTokenExchangeFrance/.default",
    },
  ],
  [
    "login.sovcloud-identity.de",
    {
      loginHost: "login.sovcloud-identity.de",
      graphEndpoint: "https://graph.svc.sovcloud.de",
      tokenExchangeScope: "api://AzureADTokenExchangeGermany/.default",
    },
  ],
]);

/**
 * The cloud of a sign-in host (`host` or `host:port`, any case), or `undefined` when this package
 * does not know it.
 *
 * @internal
 */
export function knownCloudOf(host: string): CloudInfo | undefined {
  return KNOWN_CLOUDS.get(host.toLowerCase());
}

/** The origin of a bare https URL (no credentials, path, query or fragment), else `undefined`. */
function httpsOrigin(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const bare =
    url.protocol === "https:" &&
    url.username === "" &&
    url.password === "" &&
    url.search === "" &&
    url.hash === "" &&
    url.pathname === "/";
  return bare ? url.origin : undefined;
}

const EXCHANGE_SCOPE = /^api:\/\/[^\s/?#]+\/\.default$/i;

/**
 * Checks the `cloud` option.
 *
 * @param value - the option's value
 * @param loginHost - the authority's host
 * @internal
 */
export function resolveCloudOption(
  value: unknown,
  loginHost: string,
  invalid: Invalid = invalidFor(undefined),
): CloudInfo {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(
      "cloud",
      'must be an object { graphEndpoint, tokenExchangeScope }, e.g. { graphEndpoint: "https://graph.microsoft.us", tokenExchangeScope: "api://AzureADTokenExchangeUSGov/.default" }.',
    );
  }
  const { graphEndpoint, tokenExchangeScope } = value as Partial<
    Record<keyof CloudOptions, unknown>
  >;
  const graph = httpsOrigin(graphEndpoint);
  if (graph === undefined) {
    throw invalid(
      "cloud.graphEndpoint",
      'must be the https origin of Microsoft Graph in that cloud, with no path, e.g. "https://graph.microsoft.us".',
    );
  }
  if (typeof tokenExchangeScope !== "string" || !EXCHANGE_SCOPE.test(tokenExchangeScope)) {
    throw invalid(
      "cloud.tokenExchangeScope",
      'must be the cloud\'s token-exchange scope, "api://<audience>/.default", e.g. "api://AzureADTokenExchangeUSGov/.default".',
    );
  }
  return Object.freeze({ loginHost, graphEndpoint: graph, tokenExchangeScope });
}

/** Tenants that stand for "any organisation": the request goes to the caller's own tenant. */
const MULTI_TENANT = new Set(["organizations", "common"]);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** Whether a string is a GUID (tenant ids, client ids, agent ids). @internal */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** The resolved authority of a provider. @internal */
export interface ResolvedAuthority {
  /** `https://host[:port]` with no trailing slash. */
  readonly origin: string;
  /** Host (with port when not 443) used as a cache-key component. */
  readonly host: string;
  /** The configured tenant, lower-cased for `organizations`/`common`. */
  readonly tenant: string;
  /** True when the tenant is `organizations` or `common`: requests go to the caller's `tid`. */
  readonly multiTenant: boolean;
  /**
   * The cloud: the `cloud` option when given, else the known cloud of the host. Only when the
   * caller asked for no cloud (`requireCloud` false: inbound validation, the claims challenge),
   * an unknown host gets the public cloud's values, which such callers never read.
   */
  readonly cloud: CloudInfo;
  /** Whether the host is one this package knows (no metadata needed by MSAL). */
  readonly knownCloud: boolean;
}

function validateTenant(tenant: string, option: string, invalid: Invalid): string {
  if (tenant.length === 0) throw invalid(option, "must not be empty.");
  const lower = tenant.toLowerCase();
  if (lower === "consumers") {
    throw invalid(
      option,
      'is "consumers": On-Behalf-Of for Microsoft Graph needs a work or school tenant. Use a tenant id, a domain, or "organizations".',
    );
  }
  if (MULTI_TENANT.has(lower)) return lower;
  if (isGuid(tenant)) return lower;
  if (DOMAIN.test(tenant)) return lower;
  throw invalid(
    option,
    'must be a tenant id (GUID), a verified domain such as "contoso.onmicrosoft.com", "organizations" or "common".',
  );
}

/** How {@link resolveAuthority} settles the cloud. @internal */
export interface CloudSettings {
  /** The `cloud` option, unchecked. */
  readonly cloud?: unknown;
  /** When true, an unknown host without a `cloud` option is a configuration error. */
  readonly requireCloud?: boolean;
  /** Whose options these are, for error messages. @defaultValue the provider */
  readonly subject?: string;
}

/** Builds the configuration error of one subject. */
type Invalid = (option: string, problem: string, cause?: unknown) => OnBehalfOfError;

function invalidFor(subject: string | undefined): Invalid {
  return (option, problem, cause) => configurationError(option, problem, cause, subject);
}

/**
 * Resolves `tenantId` and `authority` (and the `cloud` option) into one authority.
 *
 * @param tenantId - the `tenantId` option
 * @param authority - the `authority` option: `https://host/tenant`, or `https://host` with `tenantId`
 * @param settings - the `cloud` option, and whether a cloud is required
 * @internal
 */
export function resolveAuthority(
  tenantId: string | undefined,
  authority: string | undefined,
  settings: CloudSettings = {},
): ResolvedAuthority {
  const invalid = invalidFor(settings.subject);
  if (tenantId !== undefined && typeof tenantId !== "string") {
    throw invalid("tenantId", "must be a string.");
  }
  if (authority !== undefined && typeof authority !== "string") {
    throw invalid("authority", "must be a string URL.");
  }
  if (authority === undefined) {
    if (tenantId === undefined) {
      throw invalid(
        "tenantId",
        'is required (or give "authority"): a tenant id, a domain, or "organizations" for a multi-tenant API.',
      );
    }
    const tenant = validateTenant(tenantId, "tenantId", invalid);
    return build("https://login.microsoftonline.com", tenant, settings);
  }
  let url: URL;
  try {
    url = new URL(authority);
  } catch (cause) {
    throw invalid(
      "authority",
      'must be an absolute URL such as "https://login.microsoftonline.us/<tenant>".',
      cause,
    );
  }
  if (url.protocol !== "https:") throw invalid("authority", "must use https.");
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw invalid("authority", "must not carry a query, a fragment or credentials.");
  }
  const segments = url.pathname.split("/").filter((s) => s.length > 0);
  if (segments.length > 1) {
    throw invalid(
      "authority",
      'must be "https://host" or "https://host/<tenant>", with nothing after the tenant.',
    );
  }
  const fromUrl = segments[0];
  let tenant: string;
  if (fromUrl !== undefined && tenantId !== undefined) {
    const a = validateTenant(fromUrl, "authority", invalid);
    const b = validateTenant(tenantId, "tenantId", invalid);
    if (a !== b) {
      throw invalid("tenantId", `conflicts with the tenant in "authority"; give the tenant once.`);
    }
    tenant = a;
  } else if (fromUrl !== undefined) {
    tenant = validateTenant(fromUrl, "authority", invalid);
  } else if (tenantId !== undefined) {
    tenant = validateTenant(tenantId, "tenantId", invalid);
  } else {
    throw invalid("tenantId", 'is required when "authority" has no tenant segment.');
  }
  return build(url.origin, tenant, settings);
}

function build(origin: string, tenant: string, settings: CloudSettings): ResolvedAuthority {
  const invalid = invalidFor(settings.subject);
  const host = new URL(origin).host.toLowerCase();
  const known = KNOWN_CLOUDS.get(host);
  let cloud: CloudInfo;
  if (settings.cloud !== undefined) {
    cloud = resolveCloudOption(settings.cloud, host, invalid);
  } else if (known !== undefined) {
    cloud = known;
  } else if (settings.requireCloud === true) {
    // An unknown host is not the public cloud: its Graph and its exchange audience would be
    // guessed wrong and fail late (AADSTS70022204, or Graph refusing the token's audience).
    throw invalid(
      "cloud",
      `is required for the sign-in host "${host}", which is not a Microsoft cloud this package knows: give { graphEndpoint, tokenExchangeScope } of that cloud (the emulator's providerOptions() does).`,
    );
  } else {
    cloud = PUBLIC_CLOUD;
  }
  return {
    origin,
    host,
    tenant,
    multiTenant: MULTI_TENANT.has(tenant),
    cloud,
    knownCloud: known !== undefined,
  };
}

/** The full authority URL for a tenant. @internal */
export function authorityUrl(authority: ResolvedAuthority, tenant: string): string {
  return `${authority.origin}/${tenant}`;
}
