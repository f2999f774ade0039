import assert from "node:assert/strict";
import { hash } from "node:crypto";
import {
  OnBehalfOfAuthenticationProvider,
  type CachedToken,
  type OnBehalfOfAuthenticationProviderOptions,
  type TokenCache,
} from "../../../lib/index.js";
import {
  API_CLIENT_ID,
  CLIENT_SECRET,
  OTHER_TENANT,
  TENANT,
  userToken,
} from "../../support/tokens.js";

/** Records the key of the first-level lookup and stops there: no check, no request. */
class KeyRecorder implements TokenCache {
  readonly keys: string[] = [];
  peek(key: string): CachedToken | undefined {
    this.keys.push(key);
    throw new Error("recorded");
  }
  get(): undefined {
    return undefined;
  }
  set(): void {
    // nothing is stored
  }
  delete(): void {
    // nothing is stored
  }
}

async function keyOf(
  options: Partial<OnBehalfOfAuthenticationProviderOptions>,
  assertion: string,
): Promise<string> {
  const recorder = new KeyRecorder();
  const provider = new OnBehalfOfAuthenticationProvider({
    clientId: API_CLIENT_ID,
    tenantId: TENANT,
    clientSecret: CLIENT_SECRET,
    tokenCache: recorder,
    ...options,
  } as OnBehalfOfAuthenticationProviderOptions);
  await provider.getAccessToken({ userAssertion: assertion }).catch(() => undefined);
  const [key] = recorder.keys;
  assert.ok(key !== undefined, "the provider looked the key up");
  return key;
}

describe("cache keys: a short namespace per provider configuration", () => {
  it("gives every (cloud, tenant, client, rules) its own namespace, the same one in every process", async () => {
    const assertion = await userToken({ oid: "ns-user", tid: TENANT });
    const digest = hash("sha256", assertion, "base64url");
    const configurations: Partial<OnBehalfOfAuthenticationProviderOptions>[] = [
      {},
      { clientId: "bbbbbbbb-0000-4000-8000-000000000002" },
      { tenantId: OTHER_TENANT },
      { tenantId: undefined, authority: `https://login.microsoftonline.us/${TENANT}` },
      { tenantId: "organizations", allowedTenants: [TENANT] },
      { tenantId: "organizations", allowedTenants: [TENANT, OTHER_TENANT] },
      { tenantId: "organizations" },
    ];
    const keys = [];
    for (const configuration of configurations) keys.push(await keyOf(configuration, assertion));
    const namespaces = keys.map((key) => key.split("|")[0] ?? "");
    assert.equal(new Set(namespaces).size, configurations.length, "no two configurations share");
    for (const [i, key] of keys.entries()) {
      assert.match(namespaces[i] ?? "", /^[A-Za-z0-9_-]{16}$/);
      assert.match(
        key,
        /^[A-Za-z0-9_-]{16}\|[A-Za-z0-9_-]{43}\|https:\/\/graph\.microsoft\.(com|us)\/\.default$/,
      );
      assert.equal(key.split("|")[1], digest);
      assert.ok(!key.includes(TENANT) && !key.includes(API_CLIENT_ID), "no spelled-out prefix");
    }
    // A second provider of the same configuration (another process sharing Redis) meets the same key.
    assert.equal(await keyOf({}, assertion), keys[0]);
    assert.equal(await keyOf({ tenantId: OTHER_TENANT }, assertion), keys[2]);
  });
});
