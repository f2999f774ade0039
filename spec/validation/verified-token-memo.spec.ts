import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { importJWK, type JWTVerifyGetKey } from "jose";
import { OnBehalfOfError, currentUserAssertion } from "../../lib/index.js";
import type { AccessTokenClaims } from "../../lib/validation/claims.js";
import { requireAccessToken, type RequireAccessTokenOptions } from "../../lib/validation/index.js";
import { rememberVerifiedTokens } from "../../lib/validation/verified-token-memo.js";
import { API_CLIENT_ID, TENANT } from "../support/tokens.js";
import { mint, newKey, now, type TestKey } from "./support/keys.js";

/** Claims as the validator returns them, for the memo's own specs. */
function claimsOf(oid: string, exp: number, nbf?: number): AccessTokenClaims {
  return {
    ver: "2.0",
    iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    aud: API_CLIENT_ID,
    tid: TENANT,
    oid,
    sub: oid,
    scp: ["access_as_user"],
    roles: [],
    clientAppId: undefined,
    idtyp: "user",
    exp,
    iat: undefined,
    nbf,
    payload: { oid, exp },
  };
}

describe("rememberVerifiedTokens (the memo)", () => {
  const start = 1_900_000_000_000; // ms
  let clock: number;
  let verified: string[];
  const lifetimes = new Map<string, { exp: number; nbf?: number }>();

  /** A stand-in for the full validation: counts its calls, refuses tokens named "bad…". */
  const validate = (token: string): Promise<AccessTokenClaims> => {
    verified.push(token);
    if (token.startsWith("bad")) {
      return Promise.reject(new OnBehalfOfError("ERR_OBO_ACCESS_TOKEN_INVALID", "refused"));
    }
    const { exp, nbf } = lifetimes.get(token) ?? { exp: start / 1000 + 3600 };
    return Promise.resolve(claimsOf(`oid-${token}`, exp, nbf));
  };

  beforeEach(() => {
    clock = start;
    verified = [];
    lifetimes.clear();
  });

  const memo = (maxEntries = 100, clockSkewMs = 0, maxAgeMs = 600_000) =>
    rememberVerifiedTokens(validate, { maxEntries, clockSkewMs, maxAgeMs, now: () => clock });

  it("verifies a token once and serves it again from the memo, beside other tokens", async () => {
    const check = memo();
    for (let round = 0; round < 3; round++) {
      for (const token of ["alice", "bob", "carol"]) {
        assert.equal((await check(token)).oid, `oid-${token}`);
      }
    }
    assert.deepEqual(verified, ["alice", "bob", "carol"]);
  });

  it("never serves different bytes from the memo: each text is verified on its own", async () => {
    const check = memo();
    await check("alice");
    for (const other of ["alice ", " alice", "Alice", "alicf", "alice.x"]) {
      assert.equal((await check(other)).oid, `oid-${other}`);
    }
    assert.deepEqual(verified, ["alice", "alice ", " alice", "Alice", "alicf", "alice.x"]);
  });

  it("refuses a remembered token whose exp passed, verifying it again (which refuses it)", async () => {
    const check = memo(100, 5_000);
    lifetimes.set("alice", { exp: start / 1000 + 60 });
    await check("alice");
    await check("bob");
    clock = start + 64_999; // exp + skew not yet reached (whole seconds, as jose counts)
    await check("alice");
    assert.deepEqual(verified, ["alice", "bob"]);
    clock = start + 65_000; // exp <= now - skew: jose would refuse it now
    lifetimes.set("alice", { exp: start / 1000 + 60 });
    await check("alice");
    assert.deepEqual(verified, ["alice", "bob", "alice"], "verified again, not served");
    await check("bob"); // a bystander whose token is still good stays remembered
    assert.equal(verified.length, 3);
  });

  it("serves a remembered token only once its nbf is reached, as jose does", async () => {
    const check = memo(100, 0);
    lifetimes.set("early", { exp: start / 1000 + 3600, nbf: start / 1000 });
    await check("early");
    clock = start - 1_000; // the clock went back: nbf > now
    await check("early");
    assert.deepEqual(verified, ["early", "early"]);
  });

  it("verifies a token again once it is as old as the signing keys are kept", async () => {
    const check = memo(100, 0, 10_000);
    await check("alice");
    clock = start + 9_999;
    await check("alice");
    assert.equal(verified.length, 1);
    clock = start + 10_000;
    await check("alice");
    assert.equal(verified.length, 2);
  });

  it("is bounded: the oldest token is forgotten first", async () => {
    const check = memo(2);
    await check("a");
    await check("b");
    await check("c"); // a goes
    await check("b");
    await check("c");
    assert.deepEqual(verified, ["a", "b", "c"]);
    await check("a"); // verified again; b goes
    await check("c");
    await check("b");
    assert.deepEqual(verified, ["a", "b", "c", "a", "b"]);
  });

  it("does not forget another token when two first requests bring the same one at once", async () => {
    const check = memo(2);
    await check("a");
    await Promise.all([check("b"), check("b")]); // both verify: neither was remembered yet
    await check("a");
    assert.deepEqual(verified, ["a", "b", "b"], "a is still remembered");
  });

  it("never remembers a refused token", async () => {
    const check = memo();
    for (let i = 0; i < 3; i++) {
      await assert.rejects(check("bad-token"), { code: "ERR_OBO_ACCESS_TOKEN_INVALID" });
    }
    assert.deepEqual(verified, ["bad-token", "bad-token", "bad-token"]);
  });

  it("hands out frozen claims, so no request can change what the next one sees", async () => {
    const check = memo();
    const claims = await check("alice");
    assert.ok(Object.isFrozen(claims) && Object.isFrozen(claims.scp));
    assert.ok(Object.isFrozen(claims.payload));
    assert.equal(await check("alice"), claims);
  });
});

describe("requireAccessToken with rememberVerifiedTokens", () => {
  let key: TestKey;
  let keyLookups: number;
  let server: Server;
  let url: string;

  async function listen(extra: Partial<RequireAccessTokenOptions>): Promise<void> {
    const resolver: JWTVerifyGetKey = async () => {
      keyLookups++;
      return importJWK(key.jwk, "RS256");
    };
    const app = express();
    app.get(
      "/me",
      requireAccessToken({ clientId: API_CLIENT_ID, tenantId: TENANT, jwks: resolver, ...extra }),
      (req, res) => {
        res.json({
          oid: req.auth?.oid,
          sameToken: currentUserAssertion() === req.headers.authorization?.slice(7),
        });
      },
    );
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/me`;
  }

  async function call(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  before(async () => {
    key = await newKey();
  });

  beforeEach(() => {
    keyLookups = 0;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  });

  it("verifies each user's token once while many users call concurrently, each seeing their own claims", async () => {
    await listen({ rememberVerifiedTokens: 100 });
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => mint(key, { claims: { oid: `user-${String(i)}` } })),
    );
    for (const token of tokens) assert.equal((await call(token)).status, 200);
    assert.equal(keyLookups, 20);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => call(tokens[i % 20]!)));
    answers.forEach((answer, i) => {
      assert.deepEqual(answer, {
        status: 200,
        body: { oid: `user-${String(i % 20)}`, sameToken: true },
      });
    });
    assert.equal(keyLookups, 20, "no signature checked again");
  });

  it("verifies every request without the option", async () => {
    await listen({});
    const token = await mint(key, { claims: { oid: "alice" } });
    for (let i = 0; i < 3; i++) assert.equal((await call(token)).status, 200);
    assert.equal(keyLookups, 3);
  });

  it("refuses a token with a forged signature even right after its genuine twin was remembered", async () => {
    await listen({ rememberVerifiedTokens: 100 });
    const genuine = await mint(key, { claims: { oid: "alice" } });
    assert.equal((await call(genuine)).status, 200);
    const [header, payload, signature] = genuine.split(".") as [string, string, string];
    // A character in the middle (the last one may carry only padding bits, the same bytes).
    const at = Math.floor(signature.length / 2);
    const flipped = signature[at] === "A" ? "B" : "A";
    const forged = `${header}.${payload}.${signature.slice(0, at)}${flipped}${signature.slice(at + 1)}`;
    const answer = await call(forged);
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, "invalid_token");
    assert.equal((await call(genuine)).status, 200, "the genuine token is still served");
  });

  it("refuses a remembered token once its exp has passed", async function () {
    this.timeout(8_000);
    await listen({ rememberVerifiedTokens: 100, clockSkewMs: 0 });
    const exp = now() + 2;
    const shortLived = await mint(key, { claims: { oid: "alice", exp } });
    const bystander = await mint(key, { claims: { oid: "bob" } });
    assert.equal((await call(shortLived)).status, 200);
    assert.equal((await call(bystander)).status, 200);
    while (now() < exp) await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = await call(shortLived);
    assert.equal(answer.status, 401);
    assert.match(String(answer.body.error_description), /expired|exp/i);
    assert.deepEqual(await call(bystander), { status: 200, body: { oid: "bob", sameToken: true } });
  });

  it("refuses an invalid bound before any request", () => {
    for (const bad of [-1, 1.5, Number.NaN, "10"]) {
      assert.throws(
        () =>
          requireAccessToken({
            clientId: API_CLIENT_ID,
            tenantId: TENANT,
            rememberVerifiedTokens: bad as number,
          }),
        { code: "ERR_OBO_CONFIGURATION" },
        String(bad),
      );
    }
  });
});
