import { knownCloudOf } from "../../options/authority.js";
import { configurationError, OnBehalfOfError } from "../../util/errors.js";
import type * as AzureIdentity from "@azure/identity";
import type { ClientAssertionProvider } from "./client-credential.js";

/**
 * The token-exchange audiences of federated credentials, per cloud
 * (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity,
 * "Important considerations and restrictions"; AzureAD/microsoft-identity-web
 * src/Microsoft.Identity.Web.TokenAcquisition/TokenAcquirerExtensions.cs).
 */
export const TOKEN_EXCHANGE_SCOPES = {
  /** Public cloud. */
  public: "api://AzureADTokenExchange/.default",
  /** US Government. */
  usgov: "api://AzureADTokenExchangeUSGov/.default",
  /** China (21Vianet). */
  china: "api://AzureADTokenExchangeChina/.default",
  /** France (Bleu). */
  france: "api://AzureADTokenExchangeFrance/.default",
  /** Germany (Delos). */
  germany: "api://AzureADTokenExchangeGermany/.default",
} as const;

/** A cloud with its own token-exchange audience. */
export type FederationCloud = keyof typeof TOKEN_EXCHANGE_SCOPES;

/** The part of an Azure `TokenCredential` used here (structurally compatible with `@azure/core-auth`). */
export interface AssertionTokenCredential {
  /** Returns a token for the scopes, or `null`. */
  getToken(scopes: string | string[]): Promise<AssertionAccessToken | null>;
}

/** A token returned by an {@link AssertionTokenCredential}. */
export interface AssertionAccessToken {
  /** The token. */
  readonly token: string;
  /** When it expires, in milliseconds since the epoch. */
  readonly expiresOnTimestamp: number;
}

/** Options of the federated client assertion helpers. */
export interface FederatedAssertionOptions {
  /**
   * The cloud, which selects the token-exchange audience. Needed only where the token endpoint's
   * host does not tell it (a sign-in host this package does not know, given with the provider's
   * `cloud` option: give `scope` then).
   *
   * @defaultValue the cloud of the token endpoint MSAL passes to the callback, that is the
   * provider's `authority`
   */
  readonly cloud?: FederationCloud | undefined;
  /** An explicit scope instead of the cloud's `api://AzureADTokenExchange…/.default`. */
  readonly scope?: string | undefined;
  /**
   * The token is fetched again this long before it expires, in milliseconds.
   *
   * @defaultValue 300000
   */
  readonly refreshMarginMs?: number | undefined;
}

/**
 * Turns any Azure `TokenCredential` into a `clientAssertion` callback: it asks the credential for
 * a token for the token-exchange audience of the cloud the token request goes to (from the token
 * endpoint MSAL passes: `api://AzureADTokenExchange/.default` for the public cloud,
 * `api://AzureADTokenExchangeUSGov/.default` for US Government, and so on) and caches it until
 * shortly before it expires. Concurrent callers share one request. A token endpoint on a host this
 * package does not know needs `scope`: the callback fails with `ERR_OBO_CONFIGURATION`, before
 * asking the credential.
 *
 * @param credential - for example a `ManagedIdentityCredential`
 * @param options - cloud, scope and refresh margin
 *
 * @example
 * ```ts
 * import { ManagedIdentityCredential } from "@azure/identity";
 * const clientAssertion = tokenCredentialClientAssertion(new ManagedIdentityCredential({ clientId: UAMI_ID }));
 * new OnBehalfOfAuthenticationProvider({ clientId, tenantId, clientAssertion });
 * ```
 */
export function tokenCredentialClientAssertion(
  credential: AssertionTokenCredential,
  options: FederatedAssertionOptions = {},
): ClientAssertionProvider {
  if (
    typeof (credential as Partial<AssertionTokenCredential> | undefined)?.getToken !== "function"
  ) {
    throw configurationError(
      "clientAssertion",
      "needs a TokenCredential (an object with getToken).",
    );
  }
  const { cloud } = options;
  if (cloud !== undefined && !Object.hasOwn(TOKEN_EXCHANGE_SCOPES, cloud)) {
    throw configurationError(
      "cloud",
      `must be one of ${Object.keys(TOKEN_EXCHANGE_SCOPES).join(", ")}.`,
    );
  }
  const fixed = options.scope ?? (cloud === undefined ? undefined : TOKEN_EXCHANGE_SCOPES[cloud]);
  const margin = options.refreshMarginMs ?? 300_000;
  /** Per scope: one helper may serve providers of two clouds. */
  const slots = new Map<
    string,
    { cached?: AssertionAccessToken | undefined; inFlight?: Promise<string> | undefined }
  >();

  return (context) => {
    const scope = fixed ?? scopeOfEndpoint(context.tokenEndpoint);
    let slot = slots.get(scope);
    if (slot === undefined) {
      slot = {};
      slots.set(scope, slot);
    }
    const current = slot;
    if (current.cached !== undefined && Date.now() < current.cached.expiresOnTimestamp - margin)
      return current.cached.token;
    current.inFlight ??= (async () => {
      try {
        const token = await credential.getToken(scope);
        if (token === null || token.token === "")
          throw new Error("the credential returned no token");
        current.cached = token;
        return token.token;
      } catch (cause) {
        throw new OnBehalfOfError(
          "ERR_OBO_TOKEN_REQUEST_FAILED",
          `The federated credential could not get a token for ${scope} to use as client assertion.`,
          { cause },
        );
      } finally {
        current.inFlight = undefined;
      }
    })();
    return current.inFlight;
  };
}

/**
 * The token-exchange scope of the cloud a token request goes to, from the token endpoint MSAL
 * passes to the assertion callback: a US Government API must not present a public-cloud
 * assertion (Entra answers AADSTS70022204, "No matching federated identity record found for
 * presented assertion audience", as the Learn page on federated credentials for managed identities
 * says each cloud has its own audience).
 */
function scopeOfEndpoint(tokenEndpoint: string | undefined): string {
  let host: string | undefined;
  try {
    host = tokenEndpoint === undefined ? undefined : new URL(tokenEndpoint).host;
  } catch {
    host = undefined;
  }
  const cloud = host === undefined ? undefined : knownCloudOf(host);
  if (cloud === undefined) {
    throw configurationError(
      "scope",
      `is needed: the token endpoint${host === undefined ? "" : ` on "${host}"`} is not a Microsoft cloud this package knows, so its token-exchange audience is unknown. Give the exchange scope of that cloud (the provider's cloud.tokenExchangeScope).`,
    );
  }
  return cloud.tokenExchangeScope;
}

async function loadIdentity(): Promise<typeof AzureIdentity> {
  try {
    return await import("@azure/identity");
  } catch (cause) {
    throw configurationError(
      "clientAssertion",
      'needs the optional peer dependency "@azure/identity": npm install @azure/identity',
      cause,
    );
  }
}

/** Options of {@link managedIdentityClientAssertion}. */
export interface ManagedIdentityAssertionOptions extends FederatedAssertionOptions {
  /** The client id of a user-assigned managed identity; omit for the system-assigned one. */
  readonly clientId?: string | undefined;
}

/**
 * A `clientAssertion` callback backed by a managed identity (`ManagedIdentityCredential` of
 * `@azure/identity`, an optional peer dependency): the production credential Microsoft recommends
 * for apps and agent identity blueprints, with a federated identity credential trusting the
 * managed identity.
 *
 * @param options - the user-assigned identity's client id, the cloud
 *
 * @example
 * ```ts
 * new OnBehalfOfAuthenticationProvider({
 *   clientId: BLUEPRINT_ID, tenantId,
 *   clientAssertion: managedIdentityClientAssertion({ clientId: UAMI_CLIENT_ID }),
 * });
 * ```
 */
export function managedIdentityClientAssertion(
  options: ManagedIdentityAssertionOptions = {},
): ClientAssertionProvider {
  return lazyAssertion(async () => {
    const { ManagedIdentityCredential } = await loadIdentity();
    const credential =
      options.clientId === undefined
        ? new ManagedIdentityCredential()
        : new ManagedIdentityCredential({ clientId: options.clientId });
    return tokenCredentialClientAssertion(credential, options);
  });
}

// Alike managedIdentityClientAssertion in shape (duplicates D8): each documents and builds its own
// @azure/identity credential; the shared part is lazyAssertion and tokenCredentialClientAssertion.
/** Options of {@link workloadIdentityClientAssertion}; unset values come from the AKS environment. */
export interface WorkloadIdentityAssertionOptions extends FederatedAssertionOptions {
  /** @defaultValue `process.env.AZURE_CLIENT_ID` */
  readonly clientId?: string | undefined;
  /** @defaultValue `process.env.AZURE_TENANT_ID` */
  readonly tenantId?: string | undefined;
  /** @defaultValue `process.env.AZURE_FEDERATED_TOKEN_FILE` */
  readonly tokenFilePath?: string | undefined;
}

/**
 * A `clientAssertion` callback backed by Kubernetes workload identity (`WorkloadIdentityCredential`
 * of `@azure/identity`): the projected service-account token is exchanged for a token for the
 * token-exchange audience, which then serves as this app's client assertion.
 *
 * @param options - identity, tenant and token file; by default from the AKS environment variables
 */
export function workloadIdentityClientAssertion(
  options: WorkloadIdentityAssertionOptions = {},
): ClientAssertionProvider {
  return lazyAssertion(async () => {
    const { WorkloadIdentityCredential } = await loadIdentity();
    const credential = new WorkloadIdentityCredential({
      ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
      ...(options.tenantId === undefined ? {} : { tenantId: options.tenantId }),
      ...(options.tokenFilePath === undefined ? {} : { tokenFilePath: options.tokenFilePath }),
    });
    return tokenCredentialClientAssertion(credential, options);
  });
}

/**
 * A callback that builds its real provider on first use (so `@azure/identity`, an optional peer
 * dependency, is loaded only when a token is needed) and delegates to it from then on.
 */
function lazyAssertion(create: () => Promise<ClientAssertionProvider>): ClientAssertionProvider {
  let provider: ClientAssertionProvider | undefined;
  return async (context) => {
    // A failed load or construction leaves it unset: it is tried again on the next call.
    provider ??= await create();
    return provider(context);
  };
}
