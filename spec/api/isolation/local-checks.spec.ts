import assert from "node:assert/strict";
import { SignJWT, generateKeyPair } from "jose";
import { MemoryTokenCache, type CachedToken, type TokenCache } from "../../../lib/index.js";
import { entraError, mockOboEndpoint, mockTokenError } from "../../support/entra.js";
import { API_CLIENT_ID, OTHER_TENANT, TENANT, userToken } from "../../support/tokens.js";
import { rejectsWithCode } from "../../support/assertions.js";
import { plainProvider as provider } from "../../support/provider.js";

/** A second-level cache that counts every read: garbage must never cost one. */
class CountingCache implements TokenCache {
  readonly inner = new MemoryTokenCache();
  gets = 0;
  get(key: string): Promise<CachedToken | undefined> {
    this.gets++;
    return Promise.resolve(this.inner.get(key));
  }
  set(key: string, entry: CachedToken): void {
    this.inner.set(key, entry);
  }
  delete(key: string): void {
    this.inner.delete(key);
  }
}

const segment = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");
const NOW = (): number => Math.floor(Date.now() / 1000);

async function signed(payload: Record<string, unknown>): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256");
  return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: "k" }).sign(privateKey);
}

describe("local checks of the incoming token (garbage never reaches Entra or the cache)", () => {
  const base = (): Record<string, unknown> => ({
    aud: API_CLIENT_ID,
    tid: TENANT,
    oid: "00000000-0000-4000-8000-00000000000a",
    iat: NOW() - 60,
    exp: NOW() + 3600,
  });

  const GARBAGE: readonly [name: string, make: () => Promise<string>, code: string][] = [
    [
      "not three base64url segments",
      () => Promise.resolve("not-a-jwt"),
      "ERR_OBO_USER_ASSERTION_MALFORMED",
    ],
    [
      "an unsigned token (alg none)",
      () => Promise.resolve(`${segment({ alg: "none" })}.${segment(base())}.`),
      "ERR_OBO_USER_ASSERTION_MALFORMED",
    ],
    [
      "alg none with a fake signature",
      () => Promise.resolve(`${segment({ alg: "none" })}.${segment(base())}.c2ln`),
      "ERR_OBO_USER_ASSERTION_MALFORMED",
    ],
    [
      "an empty signature",
      async () => (await signed(base())).replace(/\.[\w-]+$/, "."),
      "ERR_OBO_USER_ASSERTION_MALFORMED",
    ],
    ["no exp", () => signed({ ...base(), exp: undefined }), "ERR_OBO_USER_ASSERTION_MALFORMED"],
    ["expired", () => signed({ ...base(), exp: NOW() - 3600 }), "ERR_OBO_USER_ASSERTION_EXPIRED"],
    [
      "nbf in the future",
      () => signed({ ...base(), nbf: NOW() + 3600 }),
      "ERR_OBO_USER_ASSERTION_MALFORMED",
    ],
    [
      "another API's audience",
      () => signed({ ...base(), aud: "api://bbbbbbbb-0000-4000-8000-000000000002" }),
      "ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE",
    ],
    [
      "a Microsoft Graph token",
      () => signed({ ...base(), aud: "https://graph.microsoft.com" }),
      "ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE",
    ],
    [
      "a 64 KB token",
      () => signed({ ...base(), padding: "x".repeat(64 * 1024) }),
      "ERR_OBO_USER_ASSERTION_MALFORMED",
    ],
  ];

  for (const [name, make, code] of GARBAGE) {
    it(`refuses ${name} with ${code}: no cache read, no token request, a bystander served`, async () => {
      const cache = new CountingCache();
      const authProvider = provider({ tokenCache: cache });
      const garbage = await make();
      for (let i = 0; i < 100; i++) {
        await rejectsWithCode(authProvider.getAccessToken({ userAssertion: garbage }), code);
      }
      assert.equal(cache.gets, 0, "no second-level read");
      assert.equal(authProvider.stats().tokenRequests, 0, "no token request");
      const recorded = mockOboEndpoint();
      await authProvider.getAccessToken({
        userAssertion: await userToken({ oid: "bystander", tid: TENANT }),
      });
      assert.equal(recorded.length, 1);
    });
  }

  it("names a custom App ID URI in the error, and accepts it once configured in audiences", async () => {
    const token = await signed({ ...base(), aud: "https://api.contoso.example" });
    const error = await rejectsWithCode(
      provider().getAccessToken({ userAssertion: token }),
      "ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE",
    );
    assert.match(error.message, /audiences/);
    assert.match(error.message, new RegExp(`api://${API_CLIENT_ID}`));
    mockOboEndpoint();
    const accepted = provider({ audiences: ["https://api.contoso.example"] });
    assert.ok(await accepted.getAccessToken({ userAssertion: token }));
  });

  it("accepts the v1 audience api://<client id>", async () => {
    mockOboEndpoint();
    const token = await signed({ ...base(), aud: `api://${API_CLIENT_ID}` });
    assert.ok(await provider().getAccessToken({ userAssertion: token }));
  });

  it("bounds the token size with maxTokenBytes", async () => {
    const token = await signed({ ...base(), padding: "x".repeat(2000) });
    await rejectsWithCode(
      provider({ maxTokenBytes: 1024 }).getAccessToken({ userAssertion: token }),
      "ERR_OBO_USER_ASSERTION_MALFORMED",
    );
    assert.throws(() => provider({ maxTokenBytes: 0 }), {
      code: "ERR_OBO_CONFIGURATION",
      option: "maxTokenBytes",
    });
    assert.throws(() => provider({ audiences: [""] }), {
      code: "ERR_OBO_CONFIGURATION",
      option: "audiences",
    });
  });

  it("remembers Entra's invalid_grant: a replayed assertion costs one token request, other users none of it", async () => {
    const authProvider = provider();
    const forged = await signed(base()); // well-formed, but Entra cannot verify its signature
    mockTokenError(400, entraError("invalid_grant", 50013));
    const first = await rejectsWithCode(
      authProvider.getAccessToken({ userAssertion: forged }),
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    for (let i = 0; i < 99; i++) {
      const again = await rejectsWithCode(
        authProvider.getAccessToken({ userAssertion: forged }),
        "ERR_OBO_TOKEN_REQUEST_FAILED",
      );
      assert.equal(again.aadsts, 50013);
    }
    assert.equal(first.aadsts, 50013);
    assert.equal(authProvider.stats().tokenRequests, 1);
    assert.equal(authProvider.stats().rememberedRefusals, 99);
    const recorded = mockOboEndpoint();
    await authProvider.getAccessToken({
      userAssertion: await userToken({ oid: "signed-in-again", tid: TENANT }),
    });
    assert.equal(recorded.length, 1, "a new assertion is exchanged");
  });

  it("forgets a refusal after refusalCacheMs, and remembers none with 0", async () => {
    const authProvider = provider({ refusalCacheMs: 0 });
    const forged = await signed(base());
    mockTokenError(400, entraError("invalid_grant", 50013));
    mockTokenError(400, entraError("invalid_grant", 50013));
    for (let i = 0; i < 2; i++) {
      await rejectsWithCode(
        authProvider.getAccessToken({ userAssertion: forged }),
        "ERR_OBO_TOKEN_REQUEST_FAILED",
      );
    }
    assert.equal(authProvider.stats().tokenRequests, 2);
  });

  it("does not remember transient failures", async () => {
    const authProvider = provider({ retry: { maxRetries: 0 } });
    const token = await userToken({ oid: "transient", tid: TENANT });
    mockTokenError(503, entraError("temporarily_unavailable", 50196));
    await rejectsWithCode(
      authProvider.getAccessToken({ userAssertion: token }),
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    mockOboEndpoint();
    assert.ok(await authProvider.getAccessToken({ userAssertion: token }));
  });

  it("checks allowedTenants on every hit of a shared cache, never serving a refused tenant's token", async () => {
    const shared = new MemoryTokenCache();
    const common = { tenantId: "organizations", tokenCache: shared } as const;
    const broad = provider({ ...common, allowedTenants: [TENANT, OTHER_TENANT] });
    const narrow = provider({ ...common, allowedTenants: [TENANT] });
    const outsider = await userToken({ oid: "outsider", tid: OTHER_TENANT });
    mockOboEndpoint();
    assert.ok(await broad.getAccessToken({ userAssertion: outsider }));
    assert.ok(
      await broad.getAccessToken({ userAssertion: outsider }),
      "a hit for the broad provider",
    );
    await rejectsWithCode(
      narrow.getAccessToken({ userAssertion: outsider }),
      "ERR_OBO_TENANT_NOT_ALLOWED",
    );
    assert.equal(narrow.stats().tokenRequests, 0);
  });
});
