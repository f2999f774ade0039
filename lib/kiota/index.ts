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
} from "./kiota-on-behalf-of-authentication-provider.js";
export {
  OnBehalfOfRequestOption,
  agentIdentityOption,
  agentUserOption,
  withoutAgentIdentityOption,
  onBehalfOfOption,
  type OnBehalfOfRequestOptions,
} from "./request-options.js";
export { GRAPH_HOSTS } from "./allowed-hosts.js";
export type {
  KiotaRequestInformation,
  KiotaRequestHeaders,
  KiotaRequestOption,
} from "./kiota-types.js";
