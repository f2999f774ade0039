import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import nock from "nock";
import { createLocalJWKSet, errors, type FetchImplementation } from "jose";
import { createAccessTokenValidator } from "../../lib/validation/index.js";
import { API_CLIENT_ID, OTHER_TENANT, TENANT } from "../support/tokens.js";
import { refused } from "./support/assertions.js";
import { keySet, mint, newKey, type TestKey } from "./support/keys.js";
import { startJwksServer, TEST_CA, type JwksServer } from "./support/servers.js";

const INVALID = "ERR_OBO_ACCESS_TOKEN_INVALID";

describe("signing keys", () => {
  let keyA: TestKey;
  let keyB: TestKey;
  let servers: JwksServer[] = [];

  before(async () => {
    [keyA, keyB] = await Promise.all([newKey("key-a"), newKey("key-b")]);
  });

  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
  });

  async function serve(keys: TestKey[], tls = false): Promise<JwksServer> {
    const server = await startJwksServer(
      keys.map((key) => key.jwk),
      { tls },
    );
    servers.push(server);
    return server;
  }

  describe("from Entra's default key URL", () => {
    it("downloads the tenant's keys once and caches them", async () => {
      const tenant = randomUUID();
      nock("https://login.microsoftonline.com")
        .get(`/${tenant}/discovery/v2.0/keys`)
        .once()
        .reply(200, keySet(keyA));
      const validate = createAccessTokenValidator({ clientId: API_CLIENT_ID, tenantId: tenant });
      const token = await mint(keyA, { tid: tenant });
      assert.equal((await validate(token)).tid, tenant);
      assert.equal((await validate(await mint(keyA, { tid: tenant }))).tid, tenant);
    });

    it("shares downloaded keys between validators with the same settings", async () => {
      const tenant = randomUUID();
      nock("https://login.microsoftonline.com")
        .get(`/${tenant}/discovery/v2.0/keys`)
        .once()
        .reply(200, keySet(keyA));
      const base = { clientId: API_CLIENT_ID, tenantId: tenant };
      const token = await mint(keyA, { tid: tenant });
      await createAccessTokenValidator(base)(token);
      await createAccessTokenValidator({ ...base, requiredScopes: ["access_as_user"] })(token);
    });

    it("uses the common key set for a multi-tenant API", async () => {
      nock("https://login.microsoftonline.com")
        .get("/common/discovery/v2.0/keys")
        .once()
        .reply(200, keySet(keyA));
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        tenantId: "organizations",
        jwksCooldownMs: 29_999, // settings of its own, so no other spec's cached set is reused
      });
      assert.equal((await validate(await mint(keyA, { tid: OTHER_TENANT }))).tid, OTHER_TENANT);
    });

    it("reports an unreachable key set as such, with the failure as cause", async () => {
      const tenant = randomUUID();
      nock("https://login.microsoftonline.com")
        .get(`/${tenant}/discovery/v2.0/keys`)
        .once()
        .reply(503, "busy");
      const validate = createAccessTokenValidator({ clientId: API_CLIENT_ID, tenantId: tenant });
      const token = await mint(keyA, { tid: tenant });
      const error = await refused(validate(token), token, INVALID, /signing keys could not be/);
      assert.ok(error.cause instanceof errors.JOSEError);
    });
  });

  describe("in other clouds", () => {
    it("US Government: keys and v2 issuer at login.microsoftonline.us, v1 issuer sts.windows.net", async () => {
      const tenant = randomUUID();
      nock("https://login.microsoftonline.us")
        .get(`/${tenant}/discovery/v2.0/keys`)
        .once()
        .reply(200, keySet(keyA));
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        authority: `https://login.microsoftonline.us/${tenant}`,
      });
      const v2 = await mint(keyA, {
        tid: tenant,
        claims: { iss: `https://login.microsoftonline.us/${tenant}/v2.0` },
      });
      assert.equal((await validate(v2)).ver, "2.0");
      assert.equal((await validate(await mint(keyA, { ver: "1.0", tid: tenant }))).ver, "1.0");
      const publicCloud = await mint(keyA, { tid: tenant });
      await refused(validate(publicCloud), publicCloud, INVALID, /issuer/);
    });

    it("US Government through its alias login.usgovcloudapi.net: the preferred host's issuers", async () => {
      const tenant = randomUUID();
      nock("https://login.usgovcloudapi.net")
        .get(`/${tenant}/discovery/v2.0/keys`)
        .once()
        .reply(200, keySet(keyA));
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        authority: `https://login.usgovcloudapi.net/${tenant}`,
      });
      const v2 = await mint(keyA, {
        tid: tenant,
        claims: { iss: `https://login.microsoftonline.us/${tenant}/v2.0` },
      });
      assert.equal((await validate(v2)).ver, "2.0");
      const publicCloud = await mint(keyA, { tid: tenant });
      await refused(validate(publicCloud), publicCloud, INVALID, /issuer/);
    });

    it("China: v2 issuer login.partner.microsoftonline.cn, v1 issuer sts.chinacloudapi.cn", async () => {
      const tenant = randomUUID();
      nock("https://login.chinacloudapi.cn")
        .get(`/${tenant}/discovery/v2.0/keys`)
        .once()
        .reply(200, keySet(keyA));
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        tenantId: tenant,
        authority: "https://login.chinacloudapi.cn",
      });
      const v2 = await mint(keyA, {
        tid: tenant,
        claims: { iss: `https://login.partner.microsoftonline.cn/${tenant}/v2.0` },
      });
      assert.equal((await validate(v2)).tid, tenant);
      const v1 = await mint(keyA, {
        ver: "1.0",
        tid: tenant,
        claims: { iss: `https://sts.chinacloudapi.cn/${tenant}/` },
      });
      assert.equal((await validate(v1)).tid, tenant);
    });
  });

  describe("from the local emulator over https with its own CA", () => {
    it("trusts the CA given as `ca`, derives the key URL and issuers from the authority", async () => {
      const emulator = await serve([keyA], true);
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        authority: emulator.origin,
        ca: TEST_CA,
      });
      const token = await mint(keyA, { claims: { iss: `${emulator.origin}/${TENANT}/v2.0` } });
      assert.equal((await validate(token)).iss, `${emulator.origin}/${TENANT}/v2.0`);
      assert.deepEqual([...emulator.hits], [[`/${TENANT}/discovery/v2.0/keys`, 1]]);
      const publicCloud = await mint(keyA);
      await refused(validate(publicCloud), publicCloud, INVALID, /issuer/);
    });

    it("shares the downloaded keys between validators that trust the same CA", async () => {
      const emulator = await serve([keyA], true);
      const options = {
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        authority: emulator.origin,
        ca: [Buffer.from(TEST_CA)],
      };
      const token = await mint(keyA, { claims: { iss: `${emulator.origin}/${TENANT}/v2.0` } });
      await createAccessTokenValidator(options)(token);
      await createAccessTokenValidator({ ...options, ca: [Buffer.from(TEST_CA)] })(token);
      assert.equal(emulator.requests(), 1);
    });

    it("refuses to download keys from a server whose certificate it does not trust", async () => {
      const emulator = await serve([keyA], true);
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        authority: emulator.origin,
        jwksTimeoutMs: 4_000,
      });
      const token = await mint(keyA, { claims: { iss: `${emulator.origin}/${TENANT}/v2.0` } });
      await refused(validate(token), token, INVALID, /signing keys could not be/);
      assert.equal(emulator.requests(), 0);
    });
  });

  describe("rotation", () => {
    it("fetches a rotated key once, on the first token that names it", async () => {
      const server = await serve([keyA]);
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        jwks: `${server.origin}/keys`,
        jwksCooldownMs: 0,
      });
      await validate(await mint(keyA));
      assert.equal(server.requests(), 1);
      server.publish([keyA.jwk, keyB.jwk]);
      await validate(await mint(keyB));
      assert.equal(server.requests(), 2);
      await validate(await mint(keyB));
      await validate(await mint(keyA));
      assert.equal(server.requests(), 2);
    });

    it("refuses an unknown kid after one new download", async () => {
      const server = await serve([keyA]);
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        jwks: new URL(`${server.origin}/keys`),
        jwksCooldownMs: 0,
      });
      await validate(await mint(keyA));
      const token = await mint(keyB);
      await refused(validate(token), token, INVALID, /kid/);
      assert.equal(server.requests(), 2);
    });

    it("downloads at most once per cooldown, however many unknown kids arrive", async () => {
      const server = await serve([keyA]);
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        jwks: `${server.origin}/keys`,
      });
      await validate(await mint(keyA));
      const forged = await Promise.all(
        Array.from({ length: 5 }, (_, i) => mint(keyB, { header: { kid: `forged-${i}` } })),
      );
      for (const token of forged) await refused(validate(token), token, INVALID, /kid/);
      assert.equal(server.requests(), 1);
    });
  });

  describe("the issuer each published key is reserved for (multi-tenant APIs)", () => {
    const COMMON_ISSUER = "https://login.microsoftonline.com/{tenantid}/v2.0";
    const withIssuer = (key: TestKey, issuer: string) => ({ ...key.jwk, issuer });
    const multi = { clientId: API_CLIENT_ID, tenantId: "organizations" };

    it("accepts a key published for every tenant ({tenantid}) for v2.0 and v1.0 tokens of any tenant", async () => {
      const validate = createAccessTokenValidator({
        ...multi,
        jwks: { keys: [withIssuer(keyA, COMMON_ISSUER)] },
      });
      for (const tid of [TENANT, OTHER_TENANT]) {
        assert.equal((await validate(await mint(keyA, { tid }))).tid, tid);
        assert.equal((await validate(await mint(keyA, { tid, ver: "1.0" }))).tid, tid);
      }
    });

    it("refuses a token of another tenant signed with a key reserved for one tenant", async () => {
      const validate = createAccessTokenValidator({
        ...multi,
        jwks: {
          keys: [
            withIssuer(keyA, `https://login.microsoftonline.com/${TENANT}/v2.0`),
            withIssuer(keyB, COMMON_ISSUER),
          ],
        },
      });
      assert.equal((await validate(await mint(keyA, { tid: TENANT }))).tid, TENANT);
      assert.equal((await validate(await mint(keyA, { tid: TENANT, ver: "1.0" }))).tid, TENANT);
      for (const ver of ["2.0", "1.0"] as const) {
        const token = await mint(keyA, { tid: OTHER_TENANT, ver });
        await refused(
          validate(token),
          token,
          INVALID,
          /key that its key set reserves for another issuer/,
        );
      }
      assert.equal((await validate(await mint(keyB, { tid: OTHER_TENANT }))).tid, OTHER_TENANT);
    });

    it("checks the issuer of downloaded keys too", async () => {
      const server = await startJwksServer([
        withIssuer(keyA, `https://login.microsoftonline.com/${TENANT}/v2.0`),
      ]);
      servers.push(server);
      const validate = createAccessTokenValidator({ ...multi, jwks: `${server.origin}/keys` });
      assert.equal((await validate(await mint(keyA, { tid: TENANT }))).tid, TENANT);
      const token = await mint(keyA, { tid: OTHER_TENANT });
      await refused(validate(token), token, INVALID, /reserves for another issuer/);
    });

    it("leaves keys without an issuer (or with an empty one) usable by every tenant", async () => {
      const validate = createAccessTokenValidator({
        ...multi,
        jwks: { keys: [keyA.jwk, withIssuer(keyB, " ")] },
      });
      assert.equal((await validate(await mint(keyA, { tid: OTHER_TENANT }))).tid, OTHER_TENANT);
      assert.equal((await validate(await mint(keyB, { tid: OTHER_TENANT }))).tid, OTHER_TENANT);
    });

    it("reads the issuer through a custom resolver that exposes its key set (jose's sets do)", async () => {
      const published = {
        keys: [withIssuer(keyA, `https://login.microsoftonline.com/${TENANT}/v2.0`)],
      };
      const validate = createAccessTokenValidator({ ...multi, jwks: createLocalJWKSet(published) });
      const token = await mint(keyA, { tid: OTHER_TENANT });
      await refused(validate(token), token, INVALID, /reserves for another issuer/);
    });
  });

  describe("caller-supplied sources", () => {
    it("downloads through `jwksFetch`", async () => {
      const server = await serve([keyA]);
      const seen: string[] = [];
      const counting: FetchImplementation = (url, init) => {
        seen.push(url);
        return fetch(url, init);
      };
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        jwks: `${server.origin}/custom/keys`,
        jwksFetch: counting,
      });
      assert.equal((await validate(await mint(keyA))).tid, TENANT);
      assert.deepEqual(seen, [`${server.origin}/custom/keys`]);
    });

    it("uses a JSON Web Key Set object without any download", async () => {
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        jwks: keySet(keyA, keyB),
      });
      assert.equal((await validate(await mint(keyB))).tid, TENANT);
    });

    it("reports a key resolver's own failure as unavailable keys", async () => {
      const validate = createAccessTokenValidator({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        jwks: () => Promise.reject(new Error("vault unreachable")),
      });
      const token = await mint(keyA);
      const error = await refused(validate(token), token, INVALID, /signing keys could not be/);
      assert.equal((error.cause as Error).message, "vault unreachable");
    });
  });
});
