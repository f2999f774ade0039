import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseClaimsChallenge } from "graph-obo-auth";
import { startEmulator, type Emulator } from "graph-obo-auth-emulator";
import { createSampleApi, type SampleApiConfig } from "../../../samples/express-api/app.js";
import { emulatorConfig } from "../../../samples/express-api/emulator-config.js";
import { createFastifySampleApi } from "../../../samples/fastify-api/app.js";

interface Running {
  readonly base: string;
  close(): Promise<void>;
}

/** The same sample API in both frameworks: the same routes, the same answers. */
const frameworks: Record<string, (config: SampleApiConfig) => Promise<Running>> = {
  express: async (config) => {
    const { app } = createSampleApi(config);
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => {
        resolve(s);
      });
    });
    return {
      base: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
      close: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  },
  fastify: async (config) => {
    const { app } = await createFastifySampleApi(config);
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    return { base, close: () => app.close() };
  },
};

for (const [framework, start] of Object.entries(frameworks))
  describe(`samples/${framework}-api against the emulator`, function () {
    this.timeout(30_000);
    let emulator: Emulator;
    let running: Running;
    let base: string;

    before(async () => {
      emulator = await startEmulator();
      running = await start(emulatorConfig(emulator));
      base = running.base;
    });

    after(async () => {
      await running.close();
      await emulator.close();
    });

    afterEach(() => {
      emulator.clearInjections();
    });

    async function get(path: string, token?: string) {
      const response = await fetch(
        `${base}${path}`,
        token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
      );
      return {
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
        headers: response.headers,
      };
    }

    it("answers /me and /me/manager for users of two tenants, each with their own data", async () => {
      const { users } = emulator.defaults;
      const managers = new Map<string, string>([
        [users.alice, users.carol],
        [users.erin, users.frank],
      ]);
      for (const [upn, managerUpn] of managers) {
        const token = await emulator.signIn({ user: upn });
        const me = await get("/me", token);
        assert.equal(me.status, 200);
        assert.equal(me.body.userPrincipalName, upn);
        const manager = await get("/me/manager", token);
        assert.equal(manager.status, 200);
        assert.equal(manager.body.userPrincipalName, managerUpn);
      }
    });

    it("answers as the agent identity on behalf of the user", async () => {
      const token = await emulator.signIn({
        user: emulator.defaults.users.bob,
        clientId: emulator.defaults.apps.blueprint.clientId,
      });
      const me = await get("/agent/me", token);
      assert.equal(me.status, 200);
      assert.equal(me.body.userPrincipalName, emulator.defaults.users.bob);
    });

    it("refuses a missing, foreign-audience or expired token before calling Graph", async () => {
      const graphBefore = emulator.count({ endpoint: "graph" });
      const none = await get("/me");
      assert.equal(none.status, 401);
      assert.equal(none.headers.get("www-authenticate"), 'Bearer realm=""');
      const forBlueprint = await emulator.signIn({
        user: emulator.defaults.users.alice,
        clientId: emulator.defaults.apps.blueprint.clientId,
      });
      assert.equal((await get("/me", forBlueprint)).status, 401, "a token for another app");
      const expired = await emulator.signIn({
        user: emulator.defaults.users.alice,
        expiresInSeconds: -600,
      });
      const stale = await get("/me", expired);
      assert.equal(stale.status, 401);
      assert.match(stale.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
      assert.equal(emulator.count({ endpoint: "graph" }), graphBefore);
    });

    it("passes an MFA challenge on to the client as a 401 claims challenge", async () => {
      emulator.inject({
        endpoint: "token",
        user: emulator.defaults.users.carol,
        fault: { kind: "interaction_required" },
      });
      const response = await get(
        "/me",
        await emulator.signIn({ user: emulator.defaults.users.carol }),
      );
      assert.equal(response.status, 401);
      assert.ok(parseClaimsChallenge(response.headers.get("www-authenticate")));
    });

    it("answers an outage with the app's own error (502), not a challenge", async () => {
      emulator.inject({
        endpoint: "token",
        user: emulator.defaults.users.dan,
        times: 10,
        fault: { kind: "server_error", status: 500 },
      });
      const response = await get(
        "/me",
        await emulator.signIn({ user: emulator.defaults.users.dan }),
      );
      assert.equal(response.status, 502, JSON.stringify(response.body));
      assert.match(String(response.body.error), /^ERR_OBO_/);
    });
  });
