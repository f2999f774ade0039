import { configurationError } from "./errors.js";

/** A national or public cloud: where users sign in and where its Microsoft Graph lives. */
export interface CloudInfo {
  /** The sign-in host, for example `login.microsoftonline.com`. */
  readonly loginHost: string;
  /** Microsoft Graph's base URL in that cloud, without a trailing slash. */
  readonly graphEndpoint: string;
  /** The token-exchange scope of agent identity blueprints (`fmi_path` requests). */
  readonly tokenExchangeScope: string;
}

const PUBLIC_CLOUD: CloudInfo = {
  loginHost: "login.microsoftonline.com",
  graphEndpoint: "https://graph.microsoft.com",
  tokenExchangeScope: "api://AzureADTokenExchange/.default",
};

/** The clouds this package knows, keyed by sign-in host. @internal */
const KNOWN_CLOUDS: ReadonlyMap<string, CloudInfo> = new Map<string, CloudInfo>([
  ["login.microsoftonline.com", PUBLIC_CLOUD],
  ["login.windows.net", PUBLIC_CLOUD],
  [
    "login.microsoftonline.us",
    {
      loginHost: "login.microsoftonline.us",
      graphEndpoint: "https://graph.microsoft.us",
      tokenExchangeScope: "api://AzureADTokenExchangeUSGov/.default",
    },
  ],
  [
    "login.chinacloudapi.cn",
    {
      loginHost: "login.chinacloudapi.cn",
      graphEndpoint: "https://microsoftgraph.chinacloudapi.cn",
      tokenExchangeScope: "api://AzureADTokenExchangeChina/.default",
    },
  ],
  [
    "login.partner.microsoftonline.cn",
    {
      loginHost: "login.partner.microsoftonline.cn",
      graphEndpoint: "https://microsoftgraph.chinacloudapi.cn",
      tokenExchangeScope: "api://AzureADTokenExchangeChina/.default",
    },
  ],
]);

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
  /** The cloud, when the host is a known Microsoft cloud; otherwise the public cloud's defaults. */
  readonly cloud: CloudInfo;
  /** Whether the host is one this package knows (no metadata needed by MSAL). */
  readonly knownCloud: boolean;
}

function validateTenant(tenant: string, option: string): string {
  if (tenant.length === 0) throw configurationError(option, "must not be empty.");
  const lower = tenant.toLowerCase();
  if (lower === "consumers") {
    throw configurationError(
      option,
      'is "consumers": On-Behalf-Of for Microsoft Graph needs a work or school tenant. Use a tenant id, a domain, or "organizations".',
    );
  }
  if (MULTI_TENANT.has(lower)) return lower;
  if (isGuid(tenant)) return lower;
  if (DOMAIN.test(tenant)) return lower;
  throw configurationError(
    option,
    'must be a tenant id (GUID), a verified domain such as "contoso.onmicrosoft.com", "organizations" or "common".',
  );
}

/**
 * Resolves `tenantId` and `authority` into one authority.
 *
 * @param tenantId - the `tenantId` option
 * @param authority - the `authority` option: `https://host/tenant`, or `https://host` with `tenantId`
 * @internal
 */
export function resolveAuthority(
  tenantId: string | undefined,
  authority: string | undefined,
): ResolvedAuthority {
  if (tenantId !== undefined && typeof tenantId !== "string") {
    throw configurationError("tenantId", "must be a string.");
  }
  if (authority !== undefined && typeof authority !== "string") {
    throw configurationError("authority", "must be a string URL.");
  }
  if (authority === undefined) {
    if (tenantId === undefined) {
      throw configurationError(
        "tenantId",
        'is required (or give "authority"): a tenant id, a domain, or "organizations" for a multi-tenant API.',
      );
    }
    const tenant = validateTenant(tenantId, "tenantId");
    return build("https://login.microsoftonline.com", tenant);
  }
  let url: URL;
  try {
    url = new URL(authority);
  } catch (cause) {
    throw configurationError(
      "authority",
      'must be an absolute URL such as "https://login.microsoftonline.us/<tenant>".',
      cause,
    );
  }
  if (url.protocol !== "https:") throw configurationError("authority", "must use https.");
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw configurationError("authority", "must not carry a query, a fragment or credentials.");
  }
  const segments = url.pathname.split("/").filter((s) => s.length > 0);
  if (segments.length > 1) {
    throw configurationError(
      "authority",
      'must be "https://host" or "https://host/<tenant>", with nothing after the tenant.',
    );
  }
  const fromUrl = segments[0];
  let tenant: string;
  if (fromUrl !== undefined && tenantId !== undefined) {
    const a = validateTenant(fromUrl, "authority");
    const b = validateTenant(tenantId, "tenantId");
    if (a !== b) {
      throw configurationError(
        "tenantId",
        `conflicts with the tenant in "authority"; give the tenant once.`,
      );
    }
    tenant = a;
  } else if (fromUrl !== undefined) {
    tenant = validateTenant(fromUrl, "authority");
  } else if (tenantId !== undefined) {
    tenant = validateTenant(tenantId, "tenantId");
  } else {
    throw configurationError("tenantId", 'is required when "authority" has no tenant segment.');
  }
  return build(url.origin, tenant);
}

function build(origin: string, tenant: string): ResolvedAuthority {
  const host = new URL(origin).host.toLowerCase();
  const known = KNOWN_CLOUDS.get(host);
  return {
    origin,
    host,
    tenant,
    multiTenant: MULTI_TENANT.has(tenant),
    cloud: known ?? PUBLIC_CLOUD,
    knownCloud: known !== undefined,
  };
}

/** The full authority URL for a tenant. @internal */
export function authorityUrl(authority: ResolvedAuthority, tenant: string): string {
  return `${authority.origin}/${tenant}`;
}
