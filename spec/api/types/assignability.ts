/**
 * Type-level spec: compiled by `npm run typecheck` (with `skipLibCheck: false`), never run. Each
 * `accept<T>(value)` proves that `value` is assignable to `T`; each `@ts-expect-error` proves that
 * a misuse does not compile (and fails the build if it ever does).
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type {
  AuthenticationProvider as KiotaAuthenticationProvider,
  RequestInformation,
  RequestOption,
} from "@microsoft/kiota-abstractions";
import { AzureIdentityAuthenticationProvider } from "@microsoft/kiota-authentication-azure";
import {
  AuthenticationHandlerOptions,
  type AuthenticationProvider as GraphAuthenticationProvider,
} from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import { createGraphServiceClient, GraphRequestAdapter } from "@microsoft/msgraph-sdk";
import "@microsoft/msgraph-sdk-users";
import { bearerTokenAuthenticationPolicy } from "@azure/core-rest-pipeline";
import type { FastifyInstance } from "fastify";
import {
  fastifyOnBehalfOf,
  replyWithClaimsChallenge,
  requireAccessTokenHook,
} from "../../../lib/fastify.js";
import type {
  OnBehalfOfAuthenticationProvider,
  OnBehalfOfAuthenticationProviderOptions,
} from "../../../lib/index.js";
import {
  asTokenCredential,
  withAgentIdentity,
  withTokenOptions,
  type AccessTokenLike,
  type GetTokenOptionsLike,
  type OnBehalfOfTokenCredential,
} from "../../../lib/index.js";
import {
  agentIdentityOption,
  agentUserOption,
  KiotaOnBehalfOfAuthenticationProvider,
  onBehalfOfOption,
  withoutAgentIdentityOption,
  type KiotaRequestInformation,
} from "../../../lib/kiota.js";

/** Compiles only when `value` is assignable to `T`. */
function accept<T>(value: T): T {
  return value;
}

const AGENT = "a9e7a000-0000-4000-8000-00000000000a";

export function graphV3(provider: OnBehalfOfAuthenticationProvider): void {
  // The provider is a Graph v3 AuthenticationProvider, with or without per-request options.
  accept<GraphAuthenticationProvider>(provider);
  accept<AuthenticationHandlerOptions>(withAgentIdentity(AGENT));
  void provider.getAccessToken({ scopes: ["User.Read"], agentIdentity: null });
  // Every per-request option, typed, as the README shows them.
  accept<AuthenticationHandlerOptions>(
    withTokenOptions({
      scopes: ["Mail.Read"],
      userAssertion: "token",
      claims: '{"access_token":{}}',
      abortSignal: new AbortController().signal,
      agentIdentity: AGENT,
      tokenKind: "agent-user",
      agentUser: { upn: "agent@contoso.com" },
      tenantId: "11111111-1111-4111-8111-111111111111",
    }),
  );
  accept<AuthenticationHandlerOptions>(withTokenOptions({ agentIdentity: null }));
  // Exactly one credential, at compile time too.
  const settings = { clientId: AGENT, tenantId: "contoso.onmicrosoft.com" } as const;
  accept<OnBehalfOfAuthenticationProviderOptions>({ ...settings, clientSecret: "secret" });
  accept<OnBehalfOfAuthenticationProviderOptions>({ ...settings, clientAssertion: () => "jwt" });
  // @ts-expect-error two credentials: a secret and an assertion
  accept<OnBehalfOfAuthenticationProviderOptions>({
    ...settings,
    clientSecret: "s",
    clientAssertion: "a",
  });
  // @ts-expect-error no credential
  accept<OnBehalfOfAuthenticationProviderOptions>({ ...settings, clientSecret: undefined });
  // The Graph client's own constructor types its options as scopes only (the README's TS2353) ...
  // @ts-expect-error 'agentIdentity' does not exist in type 'AuthenticationProviderOptions'
  new AuthenticationHandlerOptions(undefined, { agentIdentity: AGENT });
  // ... and withTokenOptions checks the values.
  // @ts-expect-error tokenKind is one of "obo", "app-only", "agent-user"
  withTokenOptions({ tokenKind: "delegated" });
  // @ts-expect-error an agent user is named by upn or objectId, not both
  withTokenOptions({ agentUser: { upn: "agent@contoso.com", objectId: AGENT } });
  // @ts-expect-error tokenKind is one of "obo", "app-only", "agent-user"
  void provider.getAccessToken({ tokenKind: "delegated" });
  // @ts-expect-error a Kiota provider is not a Graph v3 provider
  accept<GraphAuthenticationProvider>(new KiotaOnBehalfOfAuthenticationProvider(provider));
}

export function kiota(provider: OnBehalfOfAuthenticationProvider): void {
  const kiotaProvider = new KiotaOnBehalfOfAuthenticationProvider(provider, {
    allowedHosts: new Set(["graph.microsoft.com"]),
    scopes: ["https://graph.microsoft.com/.default"],
  });
  // Kiota's AuthenticationProvider, as the real adapter takes it.
  accept<KiotaAuthenticationProvider>(kiotaProvider);
  const graph = createGraphServiceClient(new GraphRequestAdapter(kiotaProvider));
  // Kiota's RequestInformation is what the provider reads; the options are Kiota RequestOptions.
  accept<KiotaRequestInformation>(null as unknown as RequestInformation);
  accept<RequestOption>(agentIdentityOption(AGENT, { tokenKind: "app-only" }));
  accept<RequestOption>(agentUserOption(AGENT, { upn: "agent@contoso.com" }));
  accept<RequestOption>(withoutAgentIdentityOption({ scopes: ["User.Read"] }));
  accept<RequestOption>(onBehalfOfOption({ scopes: ["User.Read"], agentIdentity: AGENT }));
  void graph.me.get({ options: [agentIdentityOption(AGENT)] });

  // @ts-expect-error the Kiota provider wraps an OnBehalfOfAuthenticationProvider
  new KiotaOnBehalfOfAuthenticationProvider({});
  // @ts-expect-error allowedHosts is a list of host names
  new KiotaOnBehalfOfAuthenticationProvider(provider, { allowedHosts: "graph.microsoft.com" });
  // @ts-expect-error agent-user tokens come from agentUserOption
  agentIdentityOption(AGENT, { tokenKind: "agent-user" });
  // @ts-expect-error a user names the account by upn or by objectId, not both
  agentUserOption(AGENT, { upn: "agent@contoso.com", objectId: AGENT });
  // @ts-expect-error claims come from the CAE challenge, not from a request option
  onBehalfOfOption({ claims: "{}" });
  // @ts-expect-error the provider is not a Kiota AuthenticationProvider by itself
  accept<KiotaAuthenticationProvider>(provider);
}

export async function tokenCredential(provider: OnBehalfOfAuthenticationProvider): Promise<void> {
  const credential = asTokenCredential(provider);
  // @azure/core-auth's TokenCredential (1.10.x, the devDependency) ...
  accept<TokenCredential>(credential);
  accept<TokenCredential>(asTokenCredential(provider, { agentIdentity: AGENT }));
  accept<TokenCredential>(
    asTokenCredential(provider, { agentIdentity: AGENT, agentUser: { upn: "agent@contoso.com" } }),
  );
  // ... and what its consumers take: the Graph v3 adapter (through @azure/identity's re-export),
  // Kiota's (its @azure/core-auth ^1.11 overridden to the same 1.10.x: 1.11 needs Node 22) and the Azure core pipeline's policy.
  new TokenCredentialAuthenticationProvider(credential, {
    scopes: ["https://graph.microsoft.com/.default"],
  });
  new AzureIdentityAuthenticationProvider(credential, ["https://graph.microsoft.com/.default"]);
  bearerTokenAuthenticationPolicy({ credential, scopes: "https://graph.microsoft.com/.default" });

  // Every GetTokenOptions is accepted, and the result is an AccessToken.
  const options: GetTokenOptions = {
    claims: '{"access_token":{}}',
    tenantId: "11111111-1111-4111-8111-111111111111",
    enableCae: true,
    abortSignal: new AbortController().signal,
    requestOptions: { timeout: 1000 },
  };
  accept<GetTokenOptionsLike>(options);
  const token = await credential.getToken(["https://graph.microsoft.com/.default"], options);
  accept<AccessToken>(token);
  accept<AccessTokenLike>(await credential.getToken("https://graph.microsoft.com/.default"));
  accept<OnBehalfOfTokenCredential>(credential);

  // @ts-expect-error the credential is not a Graph v3 AuthenticationProvider
  accept<GraphAuthenticationProvider>(credential);
  // @ts-expect-error scopes are a string or an array of strings
  void credential.getToken(42);
  // @ts-expect-error claims are JSON text
  void credential.getToken("User.Read", { claims: { access_token: {} } });
  // @ts-expect-error tokenKind is one of "obo", "app-only", "agent-user"
  asTokenCredential(provider, { tokenKind: "delegated" });
  // @ts-expect-error asTokenCredential wraps an OnBehalfOfAuthenticationProvider
  asTokenCredential({ getToken: () => Promise.resolve(null) });
  // @ts-expect-error scopes come with each getToken call, not with the binding
  asTokenCredential(provider, { scopes: ["User.Read"] });
  // @ts-expect-error a TokenCredential that may return null is not an OnBehalfOfTokenCredential
  accept<OnBehalfOfTokenCredential>(null as unknown as TokenCredential);
}

export async function fastifyPlugin(app: FastifyInstance): Promise<void> {
  await app.register(fastifyOnBehalfOf);
  await app.register(fastifyOnBehalfOf, { claimsChallenge: false });
  const auth = requireAccessTokenHook({ clientId: AGENT, tenantId: "organizations" });
  // The hook fits typed routes and encapsulated contexts; request.auth is the claims.
  app.get<{ Params: { id: string } }>("/users/:id", { onRequest: auth }, (request) => ({
    id: request.params.id,
    oid: request.auth?.oid,
  }));
  app.post("/x", { preHandler: auth }, () => ({}));
  await app.register((scope, _options, done) => {
    scope.addHook("onRequest", auth);
    done();
  });
  app.setErrorHandler((error, _request, reply) => {
    if (!replyWithClaimsChallenge(error, reply)) void reply.code(500).send();
  });
  // @ts-expect-error claimsChallenge is a boolean
  await app.register(fastifyOnBehalfOf, { claimsChallenge: "yes" });
}
