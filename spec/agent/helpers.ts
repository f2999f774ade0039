import assert from "node:assert/strict";
import { Client } from "@microsoft/microsoft-graph-client";
import {
  OnBehalfOfAuthenticationProvider,
  OnBehalfOfError,
  type OnBehalfOfAuthenticationProviderOptions,
} from "../../lib/index.js";
import { API_CLIENT_ID, CLIENT_SECRET, TENANT } from "../support/tokens.js";

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
  });
}

export function graphFor(authProvider: OnBehalfOfAuthenticationProvider): Client {
  return Client.initWithMiddleware({ authProvider });
}

/** Awaits a rejection with an OnBehalfOfError of `code`, and returns it. */
export async function rejectsWithCode(
  promise: Promise<unknown>,
  code: string,
): Promise<OnBehalfOfError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OnBehalfOfError, `expected OnBehalfOfError, got ${String(error)}`);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail(`expected a rejection with ${code}`);
}

/** The scopes of a token request, as a list. */
export function scopesOf(form: Record<string, string>): string[] {
  return (form.scope ?? "").split(" ");
}
