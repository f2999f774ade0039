/**
 * The Kiota-based Microsoft Graph SDK (`@microsoft/msgraph-sdk`) on the On-Behalf-Of engine of
 * `graph-obo-auth`: an `AuthenticationProvider` and per-request options. Import it from
 * `graph-obo-auth/kiota`; it loads nothing of Kiota at run time.
 *
 * @packageDocumentation
 */
export {
  KiotaOnBehalfOfAuthenticationProvider,
  type KiotaOnBehalfOfAuthenticationProviderOptions,
} from "./adapters/kiota/kiota-on-behalf-of-authentication-provider.js";
export {
  OnBehalfOfRequestOption,
  agentIdentityOption,
  agentUserOption,
  withoutAgentIdentityOption,
  onBehalfOfOption,
  type OnBehalfOfRequestOptions,
} from "./adapters/kiota/request-options.js";
export { GRAPH_HOSTS } from "./adapters/kiota/allowed-hosts.js";
export type {
  KiotaRequestInformation,
  KiotaRequestHeaders,
  KiotaRequestOption,
} from "./adapters/kiota/kiota-types.js";
