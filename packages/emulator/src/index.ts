/**
 * An offline Microsoft Entra ID + Microsoft Graph emulator for tests and demos: a real HTTPS
 * server on loopback that issues signed tokens (On-Behalf-Of, client credentials, agent
 * identities), enforces Entra's rules with Entra-shaped errors, serves Graph's `/me`, `/users`
 * and managers and `/me/messages`, injects faults and CAE challenges, and counts requests.
 *
 * @example
 * ```ts
 * import { Client } from "@microsoft/microsoft-graph-client";
 * import { OnBehalfOfAuthenticationProvider, runWithUserAssertion } from "graph-obo-auth";
 * import { startEmulator } from "graph-obo-auth-emulator";
 *
 * const emulator = await startEmulator();
 * const { api } = emulator.defaults.apps;
 * const authProvider = new OnBehalfOfAuthenticationProvider({
 *   clientId: api.clientId,
 *   clientSecret: api.clientSecret,
 *   ...emulator.providerOptions(),
 * });
 * const graph = Client.initWithMiddleware({ authProvider, ...emulator.graphClientOptions() });
 * const token = await emulator.signIn({ user: "alice@contoso.example" });
 * const me = await runWithUserAssertion(token, () => graph.api("/me").get());
 * await emulator.close();
 * ```
 *
 * @packageDocumentation
 * @module graph-obo-auth-emulator
 */
export { startEmulator, type EmulatorOptions } from "./start-emulator.js";
export type { EntraBehaviour } from "./entra-behaviour.js";
export {
  Emulator,
  type EmulatorUser,
  type EmulatorApp,
  type EmulatorTenant,
  type RevokeSessionsOptions,
} from "./emulator.js";
export type { SignInOptions } from "./sign-in.js";
export { EMULATOR_DEFAULTS } from "./default-directory.js";
export { GRAPH_APP_ID, GRAPH_RESOURCE, TOKEN_EXCHANGE_RESOURCE } from "./directory.js";
export type {
  AppKind,
  AppRegistration,
  CertificateInput,
  ResourcePermissions,
  TenantInput,
  UserInput,
} from "./directory-types.js";
export { EmulatorError } from "./errors.js";
export type {
  EmulatorFault,
  TokenFault,
  TransportFault,
  InjectOptions,
  InjectFilter,
  Injection,
} from "./faults.js";
export type {
  EmulatorCounters,
  EmulatorEndpoint,
  RecordedRequest,
  RequestFilter,
  TokenFlow,
} from "./request-log.js";
export { generateClientCertificate, type ClientCertificateCredential } from "./certificates.js";
export { EmulatorNetworkClient } from "./client/msal-network-client.js";
export type {
  EmulatorCloudOptions,
  EmulatorGraphClientOptions,
  EmulatorMsalAuthorityOptions,
  EmulatorProviderOptions,
} from "./client/client-options.js";
export type { EmulatorJwk } from "./signing-key.js";
