import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { OnBehalfOfError } from "../../../lib/util/errors.js";
import { claimsChallengeErrorHandler } from "../../../lib/adapters/express/express-error-handler.js";
import { parseClaimsChallenge } from "../../../lib/util/claims-challenge.js";

const TENANT = "11111111-1111-4111-8111-111111111111";
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
    const usgov = express.Router();
    usgov.get("/mfa", () => {
      throw new OnBehalfOfError("ERR_OBO_INTERACTION_REQUIRED", "mfa", { claims: CLAIMS });
    });
    usgov.use(
      claimsChallengeErrorHandler({ authority: `https://login.microsoftonline.us/${TENANT}` }),
    );
    app.use("/usgov", usgov);
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

  it("names the provider's cloud and tenant in authorization_uri", async () => {
    const response = await fetch(`${base}/usgov/mfa`);
    assert.equal(response.status, 401);
    const header = response.headers.get("www-authenticate") ?? "";
    assert.ok(
      header.includes(
        `authorization_uri="https://login.microsoftonline.us/${TENANT}/oauth2/authorize"`,
      ),
      header,
    );
    assert.equal(parseClaimsChallenge(header), CLAIMS);
  });

  it("refuses a bad authority when the handler is created", () => {
    assert.throws(() => claimsChallengeErrorHandler({ authority: "not a url" }), {
      code: "ERR_OBO_CONFIGURATION",
      option: "authority",
    });
  });

  it("passes other errors on", async () => {
    const response = await fetch(`${base}/other`);
    assert.equal(response.status, 502);
    assert.equal(response.headers.get("www-authenticate"), null);
  });
});
