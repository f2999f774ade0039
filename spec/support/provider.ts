import {
  OnBehalfOfAuthenticationProvider,
  type OnBehalfOfAuthenticationProviderOptions,
} from "../../lib/index.js";
import { API_CLIENT_ID, CLIENT_SECRET, TENANT } from "./tokens.js";

/** A plain On-Behalf-Of provider for the test API in TENANT with a client secret, unless overridden. */
export function plainProvider(
  extra: Partial<OnBehalfOfAuthenticationProviderOptions> = {},
): OnBehalfOfAuthenticationProvider {
  return new OnBehalfOfAuthenticationProvider({
    clientId: API_CLIENT_ID,
    tenantId: TENANT,
    clientSecret: CLIENT_SECRET,
    ...extra,
  } as OnBehalfOfAuthenticationProviderOptions);
}
