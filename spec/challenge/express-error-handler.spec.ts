import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { OnBehalfOfError } from "../../lib/errors.js";
import { claimsChallengeErrorHandler } from "../../lib/challenge/express-error-handler.js";
import { parseClaimsChallenge } from "../../lib/challenge/claims-challenge.js";

const CLAIMS = '{"access_token":{"polids":{"essential":true,"values":["p1"]}}}';

describe("claimsChallengeErrorHandler", () => {
  let server: Server;
  let base: string;

  before(async () => {
    const app = express();
    app.get("/mfa", () => {
      throw new OnBehalfOfError("ERR_OBO_INTERACTION_REQUIRED", "mfa", { claims: CLAIMS });
    });
    app.get("/other", () => {
      throw new OnBehalfOfError("ERR_OBO_TOKEN_REQUEST_FAILED", "down");
    });
    app.use(claimsChallengeErrorHandler());
    app.use(
      (
        _error: unknown,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(502).json({ error: "upstream" });
      },
    );
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => {
        resolve(s);
      });
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("answers an interaction-required error with the 401 claims challenge", async () => {
    const response = await fetch(`${base}/mfa`);
    assert.equal(response.status, 401);
    assert.equal(parseClaimsChallenge(response.headers.get("www-authenticate")), CLAIMS);
    const body = (await response.json()) as { error: string };
    assert.equal(body.error, "insufficient_claims");
  });

  it("passes other errors on", async () => {
    const response = await fetch(`${base}/other`);
    assert.equal(response.status, 502);
    assert.equal(response.headers.get("www-authenticate"), null);
  });
});
