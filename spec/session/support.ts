import assert from "node:assert/strict";
import {
  MemoryTokenCache,
  OnBehalfOfAuthenticationProvider,
  isOnBehalfOfError,
  type OnBehalfOfAuthenticationProviderOptions,
  type OnBehalfOfErrorCode,
} from "../../lib/index.js";
import type { Emulator } from "graph-obo-auth-emulator";
import { claimsOf } from "../emulator/support/emulator.js";

export const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";
export const HOUR_MS = 60 * 60 * 1000;

/** The web API's provider on the emulator, with its own memory cache unless given one. */
export function apiProvider(
  emulator: Emulator,
  extra: Partial<OnBehalfOfAuthenticationProviderOptions> = {},
): OnBehalfOfAuthenticationProvider {
  const { api } = emulator.defaults.apps;
  return new OnBehalfOfAuthenticationProvider({
    clientId: api.clientId,
    clientSecret: api.clientSecret,
    tokenCache: new MemoryTokenCache(),
    ...emulator.providerOptions(),
    ...extra,
  } as OnBehalfOfAuthenticationProviderOptions);
}

/** The agent identity blueprint's provider on the emulator. */
export function blueprintProvider(
  emulator: Emulator,
  extra: Partial<OnBehalfOfAuthenticationProviderOptions> = {},
): OnBehalfOfAuthenticationProvider {
  const { blueprint } = emulator.defaults.apps;
  return new OnBehalfOfAuthenticationProvider({
    clientId: blueprint.clientId,
    clientSecret: blueprint.clientSecret,
    tokenCache: new MemoryTokenCache(),
    ...emulator.providerOptions(),
    ...extra,
  } as OnBehalfOfAuthenticationProviderOptions);
}

/** Asserts that a Graph token is for `user` (by UPN) and was issued to `appId`. */
export function assertTokenOf(
  emulator: Emulator,
  token: string,
  user: string,
  appId?: string,
): void {
  const claims = claimsOf(token);
  const expected = emulator.user(user);
  assert.ok(expected, `${user} exists`);
  assert.equal(claims.oid, expected.id, `the token is ${user}'s`);
  assert.equal(claims.tid, expected.tenantId);
  if (appId !== undefined) assert.equal(claims.appid, appId);
}

/** Asserts an `OnBehalfOfError` with `code`, and that no token appears in it. */
export async function rejectsWithCode(
  promise: Promise<unknown>,
  code: OnBehalfOfErrorCode,
  secrets: readonly string[] = [],
): Promise<unknown> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(isOnBehalfOfError(caught, code), `expected ${code}, got ${String(caught)}`);
  const text = `${caught.message} ${JSON.stringify(caught)} ${String(caught.stack)}`;
  for (const secret of secrets) assert.ok(!text.includes(secret), "no secret in the error");
  assert.doesNotMatch(caught.message, /eyJ[\w-]+\.[\w-]+\./, "no JWT in the message");
  return caught;
}
