import assert from "node:assert/strict";
import { DEFAULT_MAX_TOKEN_BYTES } from "../../lib/assertion/token-limits.js";
import { createAccessTokenValidator } from "../../lib/validation/index.js";
import { API_CLIENT_ID, TENANT } from "../support/tokens.js";
import { misconfigured, refused } from "./support/assertions.js";
import { mint, newKey, type TestKey } from "./support/keys.js";
import { startJwksServer, type JwksServer } from "./support/servers.js";

const INVALID = "ERR_OBO_ACCESS_TOKEN_INVALID";

/** A token signed by `key`, padded (in a claim and a header parameter) to exactly `bytes` bytes. */
async function tokenOfSize(key: TestKey, bytes: number): Promise<string> {
  const bare = await mint(key, { claims: { pad: "" }, header: { pad: "" } });
  // base64url turns 3 bytes into 4 characters, so some lengths need the header padded too.
  const estimate = Math.max(0, Math.floor(((bytes - bare.length) * 3) / 4));
  for (let header = 0; header < 3; header++) {
    for (let pad = Math.max(0, estimate - 6); pad <= estimate + 6; pad++) {
      const token = await mint(key, {
        claims: { pad: "p".repeat(pad) },
        header: { pad: "h".repeat(header) },
      });
      if (token.length === bytes) return token;
    }
  }
  throw new Error(`no token of ${String(bytes)} bytes`);
}

describe("incoming token size", () => {
  let key: TestKey;
  let server: JwksServer;

  before(async () => {
    key = await newKey();
    server = await startJwksServer([key.jwk]);
  });

  after(() => server.close());

  const options = (extra: Record<string, unknown> = {}) => ({
    clientId: API_CLIENT_ID,
    tenantId: TENANT,
    jwks: `${server.origin}/${String(Math.random())}/keys`,
    ...extra,
  });

  it("refuses a properly signed 200 KB token before fetching any signing key", async () => {
    const validate = createAccessTokenValidator(options());
    const before = server.requests();
    const token = await mint(key, { claims: { pad: "x".repeat(200 * 1024) } });
    const error = await refused(validate(token), token, INVALID, /larger than the 16384 bytes/);
    assert.equal(error.cause, undefined);
    assert.equal(server.requests(), before, "no signing-key request");
  });

  it("accepts a token of exactly the bound, refuses one byte more (default 16 KiB)", async () => {
    assert.equal(DEFAULT_MAX_TOKEN_BYTES, 16 * 1024);
    const validate = createAccessTokenValidator(options());
    const atBound = await tokenOfSize(key, DEFAULT_MAX_TOKEN_BYTES);
    assert.equal((await validate(atBound)).tid, TENANT);
    const fetched = server.requests();
    const over = await tokenOfSize(key, DEFAULT_MAX_TOKEN_BYTES + 1);
    await refused(validate(over), over, INVALID, /larger than/);
    assert.equal(server.requests(), fetched);
  });

  it("counts a `Bearer ` prefix and surrounding spaces out", async () => {
    const validate = createAccessTokenValidator(options());
    const atBound = await tokenOfSize(key, DEFAULT_MAX_TOKEN_BYTES);
    assert.equal((await validate(`  Bearer ${atBound}  `)).tid, TENANT);
  });

  it("takes another bound from maxTokenBytes, counting bytes, not characters", async () => {
    const small = createAccessTokenValidator(options({ maxTokenBytes: 2048 }));
    const token = await tokenOfSize(key, 2049);
    await refused(small(token), token, INVALID, /larger than the 2048 bytes/);
    const ok = await tokenOfSize(key, 2048);
    assert.equal((await small(ok)).tid, TENANT);
    // 1,000 three-byte characters: 1,000 characters, 3,000 bytes.
    const wide = "€".repeat(1000);
    await refused(small(wide), wide, INVALID, /larger than the 2048 bytes/);
  });

  it("rejects a maxTokenBytes that is not a positive whole number", () => {
    for (const value of [0, -1, 1.5, Number.NaN, Infinity, "16384", null]) {
      misconfigured(
        () => createAccessTokenValidator(options({ maxTokenBytes: value })),
        "maxTokenBytes",
        /positive whole number/,
      );
    }
  });
});
