import { Client } from "@microsoft/microsoft-graph-client";
import {
  OnBehalfOfAuthenticationProvider,
  type OnBehalfOfAuthenticationProviderOptions,
} from "../../../lib/index.js";
import { API_CLIENT_ID, CLIENT_SECRET, TENANT } from "../../support/tokens.js";
export { rejectsWithCode } from "../../support/assertions.js";

/** The agent identity blueprint's client id: the provider's clientId. */
export const BLUEPRINT_ID = API_CLIENT_ID;

/** A provider for the blueprint, with a client secret, in TENANT, unless overridden. */
export function agentProvider(
  extra: Partial<OnBehalfOfAuthenticationProviderOptions> = {},
): OnBehalfOfAuthenticationProvider {
  return new OnBehalfOfAuthenticationProvider({
    clientId: BLUEPRINT_ID,
    tenantId: TENANT,
    clientSecret: CLIENT_SECRET,
    ...extra,
  } as OnBehalfOfAuthenticationProviderOptions);
}

export function graphFor(authProvider: OnBehalfOfAuthenticationProvider): Client {
  return Client.initWithMiddleware({ authProvider });
}

/** The scopes of a token request, as a list. */
export function scopesOf(form: Record<string, string>): string[] {
  return (form.scope ?? "").split(" ");
}
