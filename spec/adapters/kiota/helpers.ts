import { createGraphServiceClient, GraphRequestAdapter } from "@microsoft/msgraph-sdk";
import type { GraphServiceClient } from "@microsoft/msgraph-sdk";
import "@microsoft/msgraph-sdk-users";
import type { OnBehalfOfAuthenticationProvider } from "../../../lib/index.js";
import {
  KiotaOnBehalfOfAuthenticationProvider,
  type KiotaOnBehalfOfAuthenticationProviderOptions,
} from "../../../lib/kiota.js";
export { plainProvider as oboProvider } from "../../support/provider.js";

/** The real Kiota Graph client on a Kiota provider backed by `provider`. */
export function kiotaGraph(
  provider: OnBehalfOfAuthenticationProvider,
  options: KiotaOnBehalfOfAuthenticationProviderOptions & { baseUrl?: string } = {},
): GraphServiceClient {
  const { baseUrl, ...providerOptions } = options;
  const adapter = new GraphRequestAdapter(
    new KiotaOnBehalfOfAuthenticationProvider(provider, providerOptions),
  );
  // createGraphServiceClient only sets the base URL when it is empty.
  if (baseUrl !== undefined) adapter.baseUrl = baseUrl;
  return createGraphServiceClient(adapter);
}

/** The Authorization header nock saw, or `undefined`. */
export function authorizationOf(headers: Record<string, unknown>): string | undefined {
  const value = headers.authorization;
  if (Array.isArray(value)) return String(value[0]);
  return typeof value === "string" ? value : undefined;
}
