import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import Fastify, { type FastifyInstance } from "fastify";
import { decodeJwt } from "jose";
import {
  OnBehalfOfAuthenticationProvider,
  OnBehalfOfError,
  createGraphClient,
  currentUserAssertion,
  parseClaimsChallenge,
} from "graph-obo-auth";
import { startEmulator, type Emulator } from "graph-obo-auth-emulator";
import {
  fastifyOnBehalfOf,
  replyWithClaimsChallenge,
  requireAccessTokenHook,
  type RequireAccessTokenOptions,
} from "graph-obo-auth/fastify";
import { emulatorConfig } from "../../../samples/express-api/emulator-config.js";

interface Me {
  readonly userPrincipalName: string;
}

describe("graph-obo-auth/fastify with the real fastify, against the emulator", function () {
  this.timeout(30_000);
  let emulator: Emulator;
  let validation: RequireAccessTokenOptions;

  before(async () => {
    emulator = await startEmulator();
    validation = emulatorConfig(emulator).apiValidation;
  });
  after(async () => {
    await emulator.close();
  });
  afterEach(() => {
    emulator.clearInjections();
  });

  /** A Fastify app with the plugin, a provider without getUserAssertion, and Graph routes. */
  async function graphApp(): Promise<{ app: FastifyInstance; base: string }> {
    const config = emulatorConfig(emulator);
    const graph = createGraphClient({
      ...config.graph,
      authProvider: new OnBehalfOfAuthenticationProvider(config.api),
    });
    const app = Fastify();
    await app.register(fastifyOnBehalfOf);
    const auth = requireAccessTokenHook(validation);
    app.get("/me", { onRequest: auth }, async (request) => {
      await delay(Math.floor(Math.random() * 20)); // interleave the concurrent requests
      const me = (await graph.api("/me").get()) as Me;
      return { oid: request.auth?.oid, upn: me.userPrincipalName };
    });
    // A body is read between the hook and the handler, in the socket's callbacks.
    app.post("/echo", { onRequest: auth }, async (request) => {
      const me = (await graph.api("/me").get()) as Me;
      return { upn: me.userPrincipalName, body: request.body };
    });
    // Routes of an encapsulated context, guarded by its own hook.
    await app.register(
      (scope, _options, done) => {
        scope.addHook("onRequest", auth);
        scope.get("/context", async () => {
          await delay(1);
          const assertion = currentUserAssertion();
          return { oid: assertion === undefined ? null : decodeJwt(assertion).oid };
        });
        done();
      },
      { prefix: "/scoped" },
    );
    app.get(
      "/admin",
      { onRequest: requireAccessTokenHook({ ...validation, requiredScopes: ["access_as_admin"] }) },
      () => ({}),
    );
    app.get("/open", () => ({ assertion: currentUserAssertion() ?? null }));
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    return { app, base };
  }

  async function call(base: string, path: string, token?: string, body?: unknown) {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${base}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  it("gives each of many concurrent users of two tenants a Graph call with their own token", async () => {
    const { app, base } = await graphApp();
    try {
      const { users } = emulator.defaults;
      const upns = [users.alice, users.bob, users.carol, users.erin, users.frank];
      const tokens = new Map<string, string>();
      for (const upn of upns) tokens.set(upn, await emulator.signIn({ user: upn }));
      const calls = Array.from({ length: 40 }, (_, i) => upns[i % upns.length] ?? users.alice);
      const answers = await Promise.all(
        calls.map(async (upn, i) => {
          const token = tokens.get(upn);
          if (i % 2 === 0) return { upn, answer: await call(base, "/me", token) };
          return { upn, answer: await call(base, "/echo", token, { n: i }) };
        }),
      );
      for (const [i, { upn, answer }] of answers.entries()) {
        assert.equal(answer.status, 200, `request ${String(i)}`);
        assert.equal(answer.body.upn, upn, `request ${String(i)} got its own user's Graph data`);
        if (i % 2 === 1) assert.deepEqual(answer.body.body, { n: i });
        else assert.equal(answer.body.oid, decodeJwt(tokens.get(upn) ?? "").oid);
      }
      // The context is the caller's in an encapsulated context too, and absent without the hook.
      const alice = await call(base, "/scoped/context", tokens.get(users.alice));
      assert.equal(alice.body.oid, decodeJwt(tokens.get(users.alice) ?? "").oid);
      assert.deepEqual((await call(base, "/open", tokens.get(users.alice))).body, {
        assertion: null,
      });
    } finally {
      await app.close();
    }
  });

  it("refuses like requireAccessToken, before reading the body or calling Graph", async () => {
    const { app, base } = await graphApp();
    try {
      const graphBefore = emulator.count({ endpoint: "graph" });
      const none = await call(base, "/me");
      assert.equal(none.status, 401);
      assert.equal(none.headers.get("www-authenticate"), 'Bearer realm=""');
      assert.equal(none.headers.get("cache-control"), "no-store");
      assert.equal(none.body.error, "unauthorized");

      const expired = await emulator.signIn({
        user: emulator.defaults.users.alice,
        expiresInSeconds: -600,
      });
      const stale = await call(base, "/echo", expired, { n: 1 });
      assert.equal(stale.status, 401);
      assert.match(stale.headers.get("www-authenticate") ?? "", /error="invalid_token"/);

      const alice = await emulator.signIn({ user: emulator.defaults.users.alice });
      const insufficient = await call(base, "/admin", alice);
      assert.equal(insufficient.status, 403);
      assert.match(
        insufficient.headers.get("www-authenticate") ?? "",
        /error="insufficient_scope".*scope="access_as_admin"/,
      );
      const badBody = await fetch(`${base}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{not json",
      });
      assert.equal(badBody.status, 401, "refused before the body is parsed (not a 400)");
      assert.equal(emulator.count({ endpoint: "graph" }), graphBefore);
    } finally {
      await app.close();
    }
  });

  it("answers an MFA refusal with the 401 claims challenge, bystanders served", async () => {
    const { app, base } = await graphApp();
    try {
      const { users } = emulator.defaults;
      emulator.inject({
        endpoint: "token",
        user: users.carol,
        fault: { kind: "interaction_required" },
      });
      const [carol, alice] = await Promise.all([
        call(base, "/me", await emulator.signIn({ user: users.carol })),
        call(base, "/me", await emulator.signIn({ user: users.alice })),
      ]);
      assert.equal(carol.status, 401);
      assert.ok(parseClaimsChallenge(carol.headers.get("www-authenticate")));
      assert.equal(alice.status, 200);
      assert.equal(alice.body.upn, users.alice);
    } finally {
      await app.close();
    }
  });

  it("leaves errors to the app's error handler, set before or after it, and lets it opt in", async () => {
    const interaction = () => {
      throw new OnBehalfOfError("ERR_OBO_INTERACTION_REQUIRED", "MFA", { claims: "{}" });
    };
    const before = Fastify();
    before.setErrorHandler((_error, _request, reply) => reply.code(418).send({ mine: true }));
    await before.register(fastifyOnBehalfOf);
    const after = Fastify();
    await after.register(fastifyOnBehalfOf);
    after.setErrorHandler((_error, _request, reply) => reply.code(418).send({ mine: true }));
    after.get("/boom", () => {
      throw new Error("boom");
    });
    after.get("/mfa", interaction);
    assert.equal((await after.inject("/boom")).statusCode, 418);
    assert.equal((await after.inject("/mfa")).statusCode, 401);
    before.get("/boom", () => {
      throw new Error("boom");
    });
    before.get("/mfa", interaction);
    assert.equal((await before.inject("/boom")).statusCode, 418);
    assert.equal((await before.inject("/mfa")).statusCode, 401);

    const off = Fastify();
    await off.register(fastifyOnBehalfOf, { claimsChallenge: false });
    off.setErrorHandler((error, _request, reply) => {
      if (replyWithClaimsChallenge(error, reply)) return reply;
      return reply.code(500).send({ mine: true });
    });
    off.get("/mfa", interaction);
    off.get("/boom", () => {
      throw new Error("boom");
    });
    const mfa = await off.inject("/mfa");
    assert.equal(mfa.statusCode, 401);
    assert.ok(parseClaimsChallenge(mfa.headers["www-authenticate"]));
    assert.deepEqual(JSON.parse((await off.inject("/boom")).body), { mine: true });
    await Promise.all([before.close(), after.close(), off.close()]);
  });

  it("fails a hook used without the plugin with ERR_OBO_CONFIGURATION, naming the fix", async () => {
    const app = Fastify();
    app.get("/me", { onRequest: requireAccessTokenHook(validation) }, () => ({}));
    const response = await app.inject({
      url: "/me",
      headers: {
        authorization: `Bearer ${await emulator.signIn({ user: emulator.defaults.users.alice })}`,
      },
    });
    assert.equal(response.statusCode, 500);
    assert.match(response.body, /ERR_OBO_CONFIGURATION|register the fastifyOnBehalfOf plugin/);
    await app.close();
  });

  it("sends a signing-key outage to the error handler (500), not a 401", async () => {
    const app = Fastify();
    await app.register(fastifyOnBehalfOf);
    const { ca: _ca, ...withoutCa } = validation;
    const auth = requireAccessTokenHook({
      ...withoutCa,
      jwks: () => Promise.reject(new Error("key endpoint down")),
    });
    app.get("/me", { onRequest: auth }, () => ({}));
    const response = await app.inject({
      url: "/me",
      headers: {
        authorization: `Bearer ${await emulator.signIn({ user: emulator.defaults.users.alice })}`,
      },
    });
    assert.equal(response.statusCode, 500);
    await app.close();
  });

  it("checks the hook's options at once", () => {
    assert.throws(
      () => requireAccessTokenHook({ ...validation, realm: 'a"b' }),
      (error: unknown) => (error as { code?: string }).code === "ERR_OBO_CONFIGURATION",
    );
  });
});
