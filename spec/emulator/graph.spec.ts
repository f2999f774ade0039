import assert from "node:assert/strict";
import { Client, GraphError } from "@microsoft/microsoft-graph-client";
import { SignJWT } from "jose";
import { GRAPH_APP_ID } from "graph-obo-auth-emulator";
import { GRAPH_DEFAULT, cca, claimsOf, forgeryKey, useEmulator } from "./support/emulator.js";

interface GraphErrorBody {
  error: { code: string; message: string; innerError: Record<string, string> };
}

describe("emulator Graph", () => {
  const emulator = useEmulator();

  const graphTokenFor = (user: string, expiresInSeconds?: number) =>
    emulator().signIn({
      user,
      clientId: GRAPH_APP_ID,
      scopes: ["User.Read"],
      ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
    });

  async function get(
    path: string,
    token?: string,
  ): Promise<{ status: number; headers: Headers; body: unknown }> {
    const response = await emulator().fetch(path, {
      headers: {
        "client-request-id": "req-42",
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  }

  async function refused(token: string | undefined, message: RegExp): Promise<void> {
    const { status, headers, body } = await get("/v1.0/me", token);
    assert.equal(status, 401);
    const error = (body as GraphErrorBody).error;
    assert.equal(error.code, "InvalidAuthenticationToken");
    assert.match(error.message, message);
    assert.equal(error.innerError["client-request-id"], "req-42");
    assert.match(error.innerError["request-id"] ?? "", /^[0-9a-f-]{36}$/);
    assert.match(error.innerError.date ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.match(headers.get("www-authenticate") ?? "", /^Bearer realm=""/);
  }

  it("answers with Graph's headers and JSON for a valid token", async () => {
    const { status, headers, body } = await get(
      "/v1.0/me",
      await graphTokenFor("alice@contoso.example"),
    );
    assert.equal(status, 200);
    assert.equal(headers.get("client-request-id"), "req-42");
    assert.ok(headers.get("request-id"));
    assert.match(headers.get("content-type") ?? "", /^application\/json;odata.metadata=minimal/);
    assert.equal((body as { mail: string }).mail, "alice@contoso.example");
  });

  it("refuses a missing, malformed, forged, wrongly-addressed or expired token with 401", async () => {
    const privateKey = await forgeryKey();
    const genuine = await graphTokenFor("alice@contoso.example");
    const forged = await new SignJWT(claimsOf(genuine))
      .setProtectedHeader({ alg: "RS256", kid: "forged" })
      .sign(privateKey);
    const [header, payload] = genuine.split(".");
    const tampered = `${header ?? ""}.${payload ?? ""}.${Buffer.from("nope").toString("base64url")}`;

    await refused(undefined, /^Access token is empty\.$/);
    await refused("not-a-jwt", /CompactToken parsing failed/);
    await refused(forged, /Invalid signature/);
    await refused(tampered, /Invalid signature/);
    await refused(await emulator().signIn({ user: "alice@contoso.example" }), /Invalid audience/);
    await refused(await graphTokenFor("alice@contoso.example", -1), /token is expired/);
  });

  it("surfaces 401s through the Graph client as GraphError InvalidAuthenticationToken", async () => {
    const expired = await graphTokenFor("alice@contoso.example", -60);
    const graph = Client.initWithMiddleware({
      authProvider: { getAccessToken: () => Promise.resolve(expired) },
      ...emulator().graphClientOptions(),
    });
    await assert.rejects(graph.api("/me").get(), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.statusCode, 401);
      assert.equal(error.code, "InvalidAuthenticationToken");
      return true;
    });
  });

  it("checks permissions: /me needs a delegated token, /users needs a directory-wide permission", async () => {
    const { api, blueprint } = emulator().defaults.apps;
    const appOnly = await cca(emulator(), {
      clientId: blueprint.clientId,
      clientSecret: blueprint.clientSecret,
    }).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
    const me = await get("/v1.0/me", appOnly?.accessToken);
    assert.equal(me.status, 400);
    assert.equal(
      (me.body as GraphErrorBody).error.message,
      "/me request is only valid with delegated authentication flow.",
    );
    const users = await get("/v1.0/users/bob@contoso.example", appOnly?.accessToken);
    assert.equal(users.status, 403);
    assert.equal((users.body as GraphErrorBody).error.code, "Authorization_RequestDenied");

    const onlyUserRead = await graphTokenFor("alice@contoso.example");
    assert.equal(
      (await get("/v1.0/users/alice@contoso.example", onlyUserRead)).status,
      200,
      "oneself",
    );
    assert.equal((await get("/v1.0/users/bob@contoso.example", onlyUserRead)).status, 403);
    assert.ok(api.clientId);
  });

  it("lists the token's tenant's users at /users with $top and $select, for a directory-wide permission", async () => {
    const reader = await emulator().signIn({
      user: "alice@contoso.example",
      clientId: GRAPH_APP_ID,
      scopes: ["User.ReadBasic.All"],
    });
    const all = await get("/v1.0/users", reader);
    assert.equal(all.status, 200);
    const body = all.body as { "@odata.context": string; value: { userPrincipalName: string }[] };
    assert.equal(body["@odata.context"], "https://graph.microsoft.com/v1.0/$metadata#users");
    const names = body.value.map((u) => u.userPrincipalName);
    assert.ok(names.includes("bob@contoso.example"));
    assert.ok(!names.some((n) => n.endsWith("@fabrikam.example")), "one tenant only");
    const page = await get("/v1.0/users?$top=1&$select=mail", reader);
    assert.deepEqual(Object.keys((page.body as { value: object[] }).value[0] ?? {}).sort(), [
      "id",
      "mail",
    ]);
    assert.equal((await get("/v1.0/users?$top=0", reader)).status, 400);
    const onlyUserRead = await graphTokenFor("alice@contoso.example");
    assert.equal((await get("/v1.0/users", onlyUserRead)).status, 403);
  });

  it("serves an empty /me/messages for Mail.Read, and 403 without it", async () => {
    const mail = await emulator().signIn({
      user: "alice@contoso.example",
      clientId: GRAPH_APP_ID,
      scopes: ["Mail.Read"],
    });
    const messages = await get("/v1.0/me/messages", mail);
    assert.equal(messages.status, 200);
    assert.deepEqual((messages.body as { value: unknown[] }).value, []);
    const onlyUserRead = await graphTokenFor("alice@contoso.example");
    assert.equal((await get("/v1.0/me/messages", onlyUserRead)).status, 403);
  });

  it("answers 400 for paths it does not serve and 405 for other methods", async () => {
    const token = await graphTokenFor("alice@contoso.example");
    const unknown = await get("/v1.0/me/events", token);
    assert.equal(unknown.status, 400);
    assert.equal(
      (unknown.body as GraphErrorBody).error.message,
      "Resource not found for the segment 'events'.",
    );
    const post = await emulator().fetch("/v1.0/me", {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(post.status, 405);
  });

  it("follows directory changes: a new user and a new manager", async () => {
    emulator().addUser({
      userPrincipalName: "gina@contoso.example",
      displayName: "Gina Green",
      manager: "alice@contoso.example",
    });
    const token = await graphTokenFor("gina@contoso.example");
    const manager = await get("/v1.0/me/manager", token);
    assert.equal((manager.body as { displayName: string }).displayName, "Alice Adams");
    emulator().setManager("gina@contoso.example", null);
    assert.equal((await get("/v1.0/me/manager", token)).status, 404);
  });
});
