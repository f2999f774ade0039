import assert from "node:assert/strict";
import { GRAPH_DEFAULT, cca, useEmulator } from "./support/emulator.js";

function challengeOf(header: string | null): { claims: string; decoded: unknown } {
  const match = /error="insufficient_claims", claims="([^"]+)"/.exec(header ?? "");
  assert.ok(match?.[1], `expected an insufficient_claims challenge in ${String(header)}`);
  const claims = Buffer.from(match[1], "base64").toString("utf8");
  return { claims, decoded: JSON.parse(claims) };
}

describe("emulator continuous access evaluation", () => {
  const emulator = useEmulator();

  function apiClient(clientCapabilities?: string[]) {
    const { api } = emulator().defaults.apps;
    return cca(emulator(), {
      clientId: api.clientId,
      clientSecret: api.clientSecret,
      ...(clientCapabilities === undefined ? {} : { clientCapabilities }),
    });
  }

  async function me(token: string): Promise<Response> {
    return emulator().fetch("/v1.0/me", { headers: { authorization: `Bearer ${token}` } });
  }

  it("challenges a revoked user's tokens until a token requested with the claims is presented", async () => {
    const assertion = await emulator().signIn({ user: "alice@contoso.example" });
    const client = apiClient(["cp1"]);
    const before = await client.acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [GRAPH_DEFAULT],
    });
    const bobToken = await client.acquireTokenOnBehalfOf({
      oboAssertion: await emulator().signIn({ user: "bob@contoso.example" }),
      scopes: [GRAPH_DEFAULT],
    });
    assert.equal((await me(before?.accessToken ?? "")).status, 200);

    emulator().revokeSessions("alice@contoso.example");

    const refused = await me(before?.accessToken ?? "");
    assert.equal(refused.status, 401);
    const header = refused.headers.get("www-authenticate");
    assert.match(
      header ?? "",
      /^Bearer realm="", authorization_uri="https:\/\/login\.microsoftonline\.com\/common\/oauth2\/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="/,
    );
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "InvalidAuthenticationToken");
    assert.match(body.error.message, /^Continuous access evaluation resulted in challenge/);
    const { claims, decoded } = challengeOf(header);
    const nbf = (decoded as { access_token: { nbf: { essential: boolean; value: string } } })
      .access_token.nbf;
    assert.equal(nbf.essential, true);
    assert.match(nbf.value, /^\d{10}$/);
    assert.equal(
      (await me(bobToken?.accessToken ?? "")).status,
      200,
      "other users are not revoked",
    );

    const withoutClaims = await apiClient(["cp1"]).acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [GRAPH_DEFAULT],
      skipCache: true,
    });
    assert.equal(
      (await me(withoutClaims?.accessToken ?? "")).status,
      401,
      "a token without the claims",
    );

    const withClaims = await client.acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [GRAPH_DEFAULT],
      claims,
    });
    assert.notEqual(withClaims?.accessToken, before?.accessToken);
    assert.equal((await me(withClaims?.accessToken ?? "")).status, 200);
    assert.equal((await me(before?.accessToken ?? "")).status, 401, "the old token stays revoked");
  });

  it("can challenge only tokens of clients that declared cp1, as Graph does", async () => {
    const assertion = await emulator().signIn({ user: "bob@contoso.example" });
    const plain = await apiClient().acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [GRAPH_DEFAULT],
    });
    const capable = await apiClient(["cp1"]).acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [GRAPH_DEFAULT],
    });
    emulator().revokeSessions("bob@contoso.example", { requireClientCapability: true });
    assert.equal((await me(plain?.accessToken ?? "")).status, 200);
    assert.equal((await me(capable?.accessToken ?? "")).status, 401);
  });

  it("forgets revocations on reset", async () => {
    const token = await emulator().signIn({
      user: "carol@contoso.example",
      clientId: "https://graph.microsoft.com",
      scopes: ["User.Read"],
    });
    emulator().revokeSessions("carol@contoso.example");
    assert.equal((await me(token)).status, 401);
    emulator().reset();
    assert.equal((await me(token)).status, 200);
  });
});
