import assert from "node:assert/strict";
import {
  ConfidentialClientApplication,
  CryptoProvider,
  type Configuration,
} from "@azure/msal-node";
import nock from "nock";
import {
  IsolatedConfidentialClient,
  pinTokenEndpoint,
} from "../../../lib/acquisition/msal/isolated-client.js";
import { fakeGraphToken } from "../../support/fake-entra.js";
import { API_CLIENT_ID, CLIENT_SECRET, TENANT, userToken } from "../../support/tokens.js";

const AUTHORITY = `https://login.microsoftonline.com/${TENANT}`;
const OID = "0b1d0000-0000-4000-8000-000000000001";

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** One OBO answer with everything MSAL would store: account, ID, access and refresh tokens. */
function answerOnce(): void {
  const idToken = `${b64url({ alg: "none" })}.${b64url({
    oid: OID,
    tid: TENANT,
    sub: "s",
    aud: API_CLIENT_ID,
    iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    preferred_username: "someone@example.test",
  })}.`;
  nock("https://login.microsoftonline.com")
    .post(`/${TENANT}/oauth2/v2.0/token`)
    .query(true)
    .reply(200, {
      token_type: "Bearer",
      scope: "https://graph.microsoft.com/User.Read",
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: fakeGraphToken(OID, TENANT, { idtyp: "user" }),
      refresh_token: "0.refresh-token-of-the-answer",
      id_token: idToken,
      client_info: b64url({ uid: OID, utid: TENANT }),
    });
}

const configuration: Configuration = {
  auth: { clientId: API_CLIENT_ID, authority: AUTHORITY, clientSecret: CLIENT_SECRET },
};

async function exchange(client: ConfidentialClientApplication): Promise<string[]> {
  answerOnce();
  const result = await client.acquireTokenOnBehalfOf({
    oboAssertion: await userToken({ oid: OID, tid: TENANT }),
    scopes: ["https://graph.microsoft.com/.default"],
    skipCache: true,
  });
  assert.ok(result !== null && result.accessToken !== "", "msal-node returned the token");
  assert.equal(result.account?.localAccountId, OID, "and parsed the account from the answer");
  const store = JSON.parse(client.getTokenCache().serialize()) as Record<string, object>;
  return Object.entries(store)
    .filter(([, entries]) => Object.keys(entries).length > 0)
    .map(([kind]) => kind)
    .sort();
}

describe("IsolatedConfidentialClient", () => {
  afterEach(() => {
    nock.cleanAll();
  });

  it("stores none of an answer's tokens, where a plain ConfidentialClientApplication stores them all", async () => {
    assert.deepEqual(await exchange(new ConfidentialClientApplication(configuration)), [
      "AccessToken",
      "Account",
      "IdToken",
      "RefreshToken",
    ]);
    assert.deepEqual(await exchange(new IsolatedConfidentialClient(configuration)), []);
  });
});

describe("IsolatedConfidentialClient assertion hash", () => {
  it("digests as msal-node's CryptoProvider does, byte for byte", async () => {
    const ours = (
      new IsolatedConfidentialClient(configuration) as unknown as {
        cryptoProvider: { hashString: (text: string) => Promise<string> };
      }
    ).cryptoProvider;
    const msal = new CryptoProvider();
    assert.notEqual(
      ours.hashString,
      Reflect.get(CryptoProvider.prototype, "hashString"),
      "the client digests with its own function",
    );
    for (const text of [
      "",
      await userToken({ oid: OID, tid: TENANT }),
      "ünïcødé ✓ 𝄞",
      "a".repeat(1_000),
    ]) {
      const expected = await msal.hashString(text);
      assert.equal(await ours.hashString(text), expected);
    }
    assert.notEqual(await ours.hashString("a"), await ours.hashString("b"));
  });
});

describe("IsolatedConfidentialClient authorities", () => {
  type Resolve = (authority: string, correlationId: string) => Promise<object>;
  // As msal-node calls it for On-Behalf-Of: no region, no cloud options, both passed as undefined.
  const resolver = (client: IsolatedConfidentialClient): Resolve => {
    const inner = client as unknown as {
      createAuthority: (a: string, c: string, r: undefined, cloud: undefined) => Promise<object>;
    };
    return (authority, correlationId) =>
      inner.createAuthority(authority, correlationId, undefined, undefined);
  };

  it("resolves each authority once and reuses it; another tenant gets its own", async () => {
    const resolve = resolver(new IsolatedConfidentialClient(configuration));
    const first = await resolve(AUTHORITY, "c-1");
    assert.equal(await resolve(AUTHORITY, "c-2"), first);
    const other = await resolve("https://login.microsoftonline.com/organizations-other", "c-3");
    assert.notEqual(other, first);
    assert.equal(await resolve(AUTHORITY, "c-4"), first);
  });

  it("keeps a remembered authority's token endpoint, as msal-common computes it, for each tenant", async () => {
    const resolve = resolver(new IsolatedConfidentialClient(configuration));
    const other = "https://login.microsoftonline.com/organizations-other";
    for (const [authority, expected] of [
      [AUTHORITY, `${AUTHORITY}/oauth2/v2.0/token`],
      [other, `${other}/oauth2/v2.0/token`],
    ] as const) {
      const resolved = await resolve(authority, "c-1");
      const own = Object.getOwnPropertyDescriptor(resolved, "tokenEndpoint");
      assert.equal(own?.value, expected, "a plain property of the resolved authority");
      // The same endpoint msal-common's getter computes for this authority.
      const getter = Object.getOwnPropertyDescriptor(
        Object.getPrototypeOf(resolved),
        "tokenEndpoint",
      );
      assert.equal(getter?.get?.call(resolved), expected);
    }
  });

  it("leaves a request with a cloud option to msal-node, resolved every time", async () => {
    const client = new IsolatedConfidentialClient(configuration);
    const inner = client as unknown as {
      createAuthority: (a: string, c: string, r: undefined, cloud: object) => Promise<object>;
    };
    const cloud = { azureCloudInstance: "none", tenant: "" };
    const first = await inner.createAuthority(AUTHORITY, "c-1", undefined, cloud);
    assert.notEqual(await inner.createAuthority(AUTHORITY, "c-2", undefined, cloud), first);
  });

  it("does not remember a resolution that failed", async () => {
    const resolve = resolver(new IsolatedConfidentialClient(configuration));
    // An unknown host needs instance discovery, which nock refuses here: the resolution fails.
    const unknown = "https://login.unknown-cloud.example/tenant";
    nock("https://login.microsoftonline.com")
      .get(/discovery\/instance/)
      .times(2)
      .replyWithError("offline");
    // Another tenant's authority, resolved beside the failing one, is served and remembered.
    const [failed, bystander] = await Promise.allSettled([
      resolve(unknown, "c-1"),
      resolve(AUTHORITY, "c-b1"),
    ]);
    assert.equal(failed.status, "rejected");
    assert.equal(bystander.status, "fulfilled");
    await assert.rejects(resolve(unknown, "c-2"));
    assert.ok(nock.isDone(), "both calls tried to resolve it");
    assert.equal(await resolve(AUTHORITY, "c-b2"), bystander.value, "the bystander's is kept");
  });
});

describe("pinTokenEndpoint", () => {
  it("keeps a string token endpoint as a plain property, read once", () => {
    let reads = 0;
    const authority = {
      get tokenEndpoint(): string {
        reads++;
        return "https://login.example/t/oauth2/v2.0/token";
      },
    };
    assert.equal(pinTokenEndpoint(authority), authority);
    assert.equal(authority.tokenEndpoint, "https://login.example/t/oauth2/v2.0/token");
    assert.equal(authority.tokenEndpoint, "https://login.example/t/oauth2/v2.0/token");
    assert.equal(reads, 1);
  });

  it("leaves alone what has no readable string token endpoint", () => {
    const throwing = {
      get tokenEndpoint(): string {
        throw new Error("endpoints not resolved");
      },
    };
    assert.equal(pinTokenEndpoint(throwing), throwing);
    assert.throws(() => throwing.tokenEndpoint, /not resolved/, "still msal-common's getter");
    const without = { other: 1 };
    assert.equal(pinTokenEndpoint(without), without);
    assert.deepEqual(Object.keys(without), ["other"], "no property added");
    assert.equal(Object.getOwnPropertyDescriptor(without, "tokenEndpoint"), undefined);
    assert.equal(pinTokenEndpoint(null), null);
    assert.equal(pinTokenEndpoint("text"), "text");
  });
});
