import assert from "node:assert/strict";
import { decodeChallengeClaims } from "../../../lib/adapters/kiota/challenge-claims.js";

const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}';

describe("decoding the claims of a Kiota CAE retry", () => {
  it("decodes base64 (as Graph sends it) and base64url into JSON text", () => {
    assert.equal(decodeChallengeClaims(Buffer.from(CLAIMS).toString("base64")), CLAIMS);
    assert.equal(decodeChallengeClaims(Buffer.from(CLAIMS).toString("base64url")), CLAIMS);
    assert.equal(decodeChallengeClaims(` ${Buffer.from(CLAIMS).toString("base64")}\n`), CLAIMS);
  });

  it("takes JSON text as it is", () => {
    assert.equal(decodeChallengeClaims(CLAIMS), CLAIMS);
  });

  it("yields nothing for anything that is not a JSON object", () => {
    for (const value of [
      undefined,
      null,
      42,
      "",
      "   ",
      "not base64 json",
      Buffer.from("[1,2]").toString("base64"),
      Buffer.from('"text"').toString("base64"),
      "{not json",
    ]) {
      assert.equal(decodeChallengeClaims(value), undefined, String(value));
    }
  });
});
