import type { NodeSystemOptions } from "@azure/msal-node";

/**
 * The emulator's cloud, in the shape of graph-obo-auth's `cloud` option: Graph's origin and the
 * token-exchange scope (the provider needs them named for a sign-in host it does not know).
 */
export interface EmulatorCloudOptions {
  /** `https://graph.microsoft.com`: the emulator models the public cloud. */
  readonly graphEndpoint: string;
  /** `api://AzureADTokenExchange/.default`, the public cloud's token-exchange scope. */
  readonly tokenExchangeScope: string;
}

/**
 * MSAL's authority settings for the emulator, in the shape of graph-obo-auth's
 * `msalAuthorityOptions` option (msal-node's `knownAuthorities`, `authorityMetadata` and
 * `cloudDiscoveryMetadata`): no discovery request is needed.
 */
export interface EmulatorMsalAuthorityOptions {
  /** The emulator's host (with port), trusted without instance discovery. */
  readonly knownAuthorities: string[];
  /** The tenant's OpenID metadata, as a JSON string. */
  readonly authorityMetadata: string;
  /** Instance discovery metadata, as a JSON string. */
  readonly cloudDiscoveryMetadata: string;
}

/** The options of the Graph v3 client (`Client.initWithMiddleware`) that point it at the emulator. */
export interface EmulatorGraphClientOptions {
  /** `https://localhost:<port>`: requests go to `<baseUrl>/v1.0/...`. */
  readonly baseUrl: string;
  /** `localhost`, so the Graph client attaches the token (it does only for Graph hosts and these). */
  readonly customHosts: Set<string>;
  /** Merged into every request: an undici `dispatcher` that trusts the emulator's CA. */
  readonly fetchOptions: RequestInit & {
    /** An undici `Agent` trusting the emulator's CA. */
    readonly dispatcher: unknown;
  };
}

/** What to spread into `new OnBehalfOfAuthenticationProvider({...})` to use the emulator. */
export interface EmulatorProviderOptions {
  /** `https://localhost:<port>/<tenant>`. */
  readonly authority: string;
  /**
   * The emulator's cloud: it models the public cloud, so Graph's resource is
   * `https://graph.microsoft.com` and the exchange scope `api://AzureADTokenExchange/.default`
   * (the provider needs them named for a host it does not know).
   */
  readonly cloud: EmulatorCloudOptions;
  /** `knownAuthorities`, `authorityMetadata` and `cloudDiscoveryMetadata` for the emulator. */
  readonly msalAuthorityOptions: EmulatorMsalAuthorityOptions;
  /** MSAL `system` options with the emulator's network client. */
  readonly msalSystemOptions: NodeSystemOptions;
}

/**
 * MSAL's authority settings for an emulator tenant: no discovery request is needed.
 *
 * @param origin - the emulator's origin
 * @param segment - the tenant id, or `organizations`/`common`
 * @param tenantId - the tenant id, or `undefined` for `organizations`/`common`
 * @internal
 */
export function msalAuthorityOptionsFor(
  origin: string,
  segment: string,
  tenantId: string | undefined,
): EmulatorMsalAuthorityOptions {
  const host = new URL(origin).host;
  const base = `${origin}/${segment}`;
  return {
    knownAuthorities: [host],
    authorityMetadata: JSON.stringify({
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      issuer: `${origin}/${tenantId ?? "{tenantid}"}/v2.0`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    }),
    cloudDiscoveryMetadata: JSON.stringify({
      tenant_discovery_endpoint: `${base}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    }),
  };
}
