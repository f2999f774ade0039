import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type ErrorRequestHandler } from "express";
import { decodeJwt } from "jose";
import {
  currentUserAssertion,
  OnBehalfOfAuthenticationProvider,
  type Logger,
} from "../../lib/index.js";
import { bearerChallenge } from "../../lib/validation/bearer.js";
import { requireAccessToken, type RequireAccessTokenOptions } from "../../lib/validation/index.js";
import { mockOboEndpoint } from "../support/entra.js";
import { API_CLIENT_ID, CLIENT_SECRET, OTHER_TENANT, TENANT } from "../support/tokens.js";
import { keySet, mint, newKey, now, type TestKey } from "./support/keys.js";

interface Answer {
  readonly status: number;
  readonly challenge: string | null;
  readonly contentType: string | null;
  readonly body: Record<string, unknown>;
}

async function listen(server: Server): Promise<{ url: string; server: Server }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

async function call(url: string, authorization?: string): Promise<Answer> {
  const response = await fetch(
    url,
    authorization === undefined ? {} : { headers: { authorization } },
  );
  const text = await response.text();
  return {
    status: response.status,
    challenge: response.headers.get("www-authenticate"),
    contentType: response.headers.get("content-type"),
    body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** The token of the current request context, decoded, or undefined outside one. */
function contextOid(): unknown {
  const assertion = currentUserAssertion();
  return assertion === undefined ? undefined : decodeJwt(assertion).oid;
}

describe("requireAccessToken", () => {
  let key: TestKey;
  let options: RequireAccessTokenOptions;
  const servers: Server[] = [];

  before(async () => {
    key = await newKey();
    options = { clientId: API_CLIENT_ID, tenantId: TENANT, jwks: keySet(key) };
  });

  after(async () => {
    await Promise.all(servers.map(close));
  });

  /** An express app with `/me` behind the middleware, answering the claims it saw. */
  async function start(
    extra: Partial<RequireAccessTokenOptions> = {},
    route?: express.RequestHandler,
  ): Promise<string> {
    const app = express();
    app.get(
      "/me",
      requireAccessToken({ ...options, ...extra }),
      route ??
        ((req, res) => {
          res.json({
            oid: req.auth?.oid,
            scp: req.auth?.scp,
            sameToken: currentUserAssertion() === req.headers.authorization?.slice(7),
          });
        }),
    );
    const onError: ErrorRequestHandler = (error: { code?: string }, _req, res, next) => {
      if (res.headersSent) {
        next(error);
        return;
      }
      res.status(500).json({ code: error.code });
    };
    app.use(onError);
    const { url, server } = await listen(createServer(app));
    servers.push(server);
    return `${url}/me`;
  }

  describe("over HTTP with Express", () => {
    let url: string;
    before(async () => {
      url = await start({ requiredScopes: ["access_as_user", "Files.Read"] });
    });

    it("lets a valid token through, with its claims on req.auth and the token in the context", async () => {
      const token = await mint(key, { claims: { oid: "alice" } });
      const answer = await call(url, `Bearer ${token}`);
      assert.equal(answer.status, 200);
      assert.equal(answer.challenge, null);
      assert.deepEqual(answer.body, {
        oid: "alice",
        scp: ["access_as_user", "Files.Read"],
        sameToken: true,
      });
    });

    it("accepts the scheme in any case", async () => {
      const token = await mint(key, { claims: { oid: "bob" } });
      assert.equal((await call(url, `bearer ${token}`)).status, 200);
    });

    it("answers 401 with a bare challenge when there is no token", async () => {
      for (const authorization of [undefined, "Basic dXNlcjpwYXNz", "Bearer", "Bearer   "]) {
        const answer = await call(url, authorization);
        assert.equal(answer.status, 401, String(authorization));
        assert.equal(answer.challenge, 'Bearer realm=""');
        assert.match(answer.contentType ?? "", /^application\/json/);
        assert.equal(answer.body.error, "unauthorized");
        assert.match(String(answer.body.error_description), /Authorization: Bearer/);
      }
    });

    it("answers 401 invalid_token for an expired token, saying why", async () => {
      const token = await mint(key, { claims: { exp: now() - 3600 } });
      const answer = await call(url, `Bearer ${token}`);
      assert.equal(answer.status, 401);
      assert.equal(
        answer.challenge,
        'Bearer realm="", error="invalid_token", error_description="The access token has expired."',
      );
      assert.deepEqual(answer.body, {
        error: "invalid_token",
        error_description: "The access token has expired.",
      });
    });

    it("answers 401 invalid_token for a token that is not a JWT, and for another tenant's", async () => {
      const garbage = await call(url, "Bearer not.a.jwt");
      assert.equal(garbage.status, 401);
      assert.match(garbage.challenge ?? "", /^Bearer realm="", error="invalid_token", /);
      const other = await call(url, `Bearer ${await mint(key, { tid: OTHER_TENANT })}`);
      assert.equal(other.status, 401);
      assert.match(other.challenge ?? "", /error_description="[^"]*\(tid\)\."$/);
    });

    it("answers 401 invalid_token for a token with neither scp nor roles, and lets it through when allowed", async () => {
      const token = await mint(key, { claims: { scp: undefined, idtyp: "app" } });
      const answer = await call(url, `Bearer ${token}`);
      assert.equal(answer.status, 401);
      assert.match(
        answer.challenge ?? "",
        /error="invalid_token", error_description="[^"]*neither a scope/,
      );
      const acl = await start({ allowTokensWithoutScopesOrRoles: true });
      assert.equal((await call(acl, `Bearer ${token}`)).status, 200);
    });

    it("answers 401 invalid_token for a token over maxTokenBytes", async () => {
      const small = await start({ maxTokenBytes: 1024 });
      const token = await mint(key, { claims: { pad: "x".repeat(1024) } });
      const answer = await call(small, `Bearer ${token}`);
      assert.equal(answer.status, 401);
      assert.match(String(answer.body.error_description), /larger than the 1024 bytes/);
    });

    it("answers 403 insufficient_scope with the required scopes", async () => {
      const token = await mint(key, { claims: { scp: "access_as_user" } });
      const answer = await call(url, `Bearer ${token}`);
      assert.equal(answer.status, 403);
      assert.equal(
        answer.challenge,
        'Bearer realm="", error="insufficient_scope", ' +
          'error_description="The access token lacks the scope(s) Files.Read.", ' +
          'scope="access_as_user Files.Read"',
      );
      assert.equal(answer.body.error, "insufficient_scope");
    });

    it("never echoes the token", async () => {
      const token = await mint(key, { claims: { exp: now() - 3600 } });
      const answer = await call(url, `Bearer ${token}`);
      const shown = `${answer.challenge ?? ""} ${JSON.stringify(answer.body)}`;
      assert.ok(!shown.includes(token.split(".")[2] ?? "-"));
    });
  });

  describe("answers", () => {
    it("403 without a scope attribute when only an app role is missing", async () => {
      const url = await start({ requiredRoles: ["Admin"] });
      const answer = await call(url, `Bearer ${await mint(key)}`);
      assert.equal(answer.status, 403);
      assert.match(answer.challenge ?? "", /error="insufficient_scope"/);
      assert.doesNotMatch(answer.challenge ?? "", /scope="/);
    });

    it("with the configured realm", async () => {
      const url = await start({ realm: "contoso-api" });
      assert.equal((await call(url)).challenge, 'Bearer realm="contoso-api"');
    });

    it("through next(error) when the signing keys cannot be obtained, logging a warning", async () => {
      const warnings: string[] = [];
      const logger: Logger = { warn: (message) => warnings.push(message) };
      const url = await start({
        jwks: () => Promise.reject(new Error("key vault unreachable")),
        logger,
      });
      const token = await mint(key);
      const answer = await call(url, `Bearer ${token}`);
      assert.equal(answer.status, 500);
      assert.deepEqual(answer.body, { code: "ERR_OBO_ACCESS_TOKEN_INVALID" });
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0] ?? "",
        /signing keys could not be retrieved.*: key vault unreachable/,
      );
      assert.ok(!warnings.join().includes(token));
    });

    it("logs refusals at verbose level, without the token", async () => {
      const lines: string[] = [];
      const url = await start({ logger: { verbose: (message) => lines.push(message) } });
      const token = await mint(key, { claims: { exp: now() - 3600 } });
      await call(url, `Bearer ${token}`);
      await call(url);
      assert.equal(lines.length, 2);
      assert.match(lines[0] ?? "", /expired/);
      assert.ok(!lines.join().includes(token));
    });
  });

  describe("request context", () => {
    it("keeps concurrent requests' tokens apart", async () => {
      const users = Array.from({ length: 8 }, (_, i) => `user-${i}`);
      let arrived = 0;
      let releaseAll: () => void = () => undefined;
      const allArrived = new Promise<void>((resolve) => {
        releaseAll = resolve;
      });
      const url = await start({}, (req, res, next) => {
        const before = contextOid();
        arrived++;
        if (arrived === users.length) releaseAll();
        // Every request waits until all have arrived, then resumes in a different order.
        const index = users.indexOf(String(req.auth?.oid));
        allArrived
          .then(() => new Promise((resolve) => setTimeout(resolve, (users.length - index) * 5)))
          .then(() => {
            res.json({ oid: req.auth?.oid, before, after: contextOid() });
          })
          .catch(next);
      });
      const tokens = await Promise.all(users.map((oid) => mint(key, { claims: { oid } })));
      const answers = await Promise.all(tokens.map((token) => call(url, `Bearer ${token}`)));
      for (const [i, answer] of answers.entries()) {
        assert.deepEqual(answer.body, { oid: users[i], before: users[i], after: users[i] });
      }
      assert.equal(currentUserAssertion(), undefined);
    });

    it("feeds the On-Behalf-Of provider's default accessor, per request", async () => {
      const provider = new OnBehalfOfAuthenticationProvider({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        clientSecret: CLIENT_SECRET,
      });
      const exchanges = mockOboEndpoint({ times: 2, delayMs: 20 });
      const url = await start({}, (req, res, next) => {
        provider
          .getAccessToken()
          .then((graphToken) => {
            res.json({ oid: req.auth?.oid, graphTokenFor: decodeJwt(graphToken).oid });
          })
          .catch(next);
      });
      const [alice, bob] = await Promise.all([
        mint(key, { claims: { oid: "alice" } }),
        mint(key, { claims: { oid: "bob" } }),
      ]);
      const answers = await Promise.all([call(url, `Bearer ${alice}`), call(url, `Bearer ${bob}`)]);
      assert.deepEqual(
        answers.map((answer) => answer.body),
        [
          { oid: "alice", graphTokenFor: "alice" },
          { oid: "bob", graphTokenFor: "bob" },
        ],
      );
      assert.deepEqual(
        exchanges.map((exchange) => exchange.form.assertion).sort(),
        [alice, bob].sort(),
      );
    });
  });

  it("works with a plain Node http server", async () => {
    const middleware = requireAccessToken(options);
    const server = createServer((req, res) => {
      middleware(req, res, (error) => {
        res.statusCode = error === undefined ? 200 : 500;
        res.end(JSON.stringify({ oid: (req as { auth?: { oid?: string } }).auth?.oid }));
      });
    });
    const { url } = await listen(server);
    servers.push(server);
    assert.equal((await call(url)).status, 401);
    const answer = await call(url, `Bearer ${await mint(key, { claims: { oid: "carol" } })}`);
    assert.deepEqual(answer, {
      status: 200,
      challenge: null,
      contentType: null,
      body: { oid: "carol" },
    });
  });
});

describe("bearerChallenge", () => {
  it("keeps quoted strings within RFC 6750's characters", () => {
    assert.equal(
      bearerChallenge({
        realm: 'a"b\\c',
        error: "invalid_token",
        description: 'bad "token"\\ here\r\nX-Injected: 1 é',
      }),
      `Bearer realm="abc", error="invalid_token", error_description="bad 'token'' here  X-Injected: 1  "`,
    );
  });
});
