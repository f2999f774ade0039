import assert from "node:assert/strict";
import {
  createAccessTokenValidator,
  type AccessTokenValidationOptions,
} from "../../lib/validation/index.js";
import { API_CLIENT_ID, TENANT } from "../support/tokens.js";
import { refused } from "./support/assertions.js";
import { keySet, mint, newKey, type TestKey } from "./support/keys.js";

const INVALID = "ERR_OBO_ACCESS_TOKEN_INVALID";
const APP_ID_URI = `api://${API_CLIENT_ID}`;

describe("audience by token version", () => {
  let key: TestKey;
  let options: AccessTokenValidationOptions;

  before(async () => {
    key = await newKey();
    options = { clientId: API_CLIENT_ID, tenantId: TENANT, jwks: keySet(key) };
  });

  it("a v2.0 token: only the client id", async () => {
    const validate = createAccessTokenValidator(options);
    assert.equal((await validate(await mint(key))).aud, API_CLIENT_ID);
    const byUri = await mint(key, { claims: { aud: APP_ID_URI } });
    const error = await refused(validate(byUri), byUri, INVALID, /\(aud\)/);
    assert.equal(
      error.message,
      `The access token is not meant for this API (aud): a v2.0 token's audience must be ${API_CLIENT_ID}.`,
    );
  });

  it("a v1.0 token: the App ID URI, or the client id", async () => {
    const validate = createAccessTokenValidator(options);
    assert.equal((await validate(await mint(key, { ver: "1.0" }))).aud, APP_ID_URI);
    const byId = await mint(key, { ver: "1.0", claims: { aud: API_CLIENT_ID } });
    assert.equal((await validate(byId)).aud, API_CLIENT_ID);
    const other = await mint(key, { ver: "1.0", claims: { aud: "https://graph.microsoft.com" } });
    const error = await refused(validate(other), other, INVALID, /\(aud\)/);
    assert.equal(
      error.message,
      `The access token is not meant for this API (aud): a v1.0 token's audience must be one of ${API_CLIENT_ID}, ${APP_ID_URI}.`,
    );
  });

  it("a custom App ID URI (audiences) applies to v1.0 tokens only, and is named when refused", async () => {
    const custom = "https://api.contoso.example/orders";
    const validate = createAccessTokenValidator({ ...options, audiences: [custom] });
    const v1 = await mint(key, { ver: "1.0", claims: { aud: custom } });
    assert.equal((await validate(v1)).aud, custom);
    const v2 = await mint(key, { claims: { aud: custom } });
    await refused(validate(v2), v2, INVALID, /v2\.0 token's audience must be/);
    const defaultUri = await mint(key, { ver: "1.0" });
    const error = await refused(validate(defaultUri), defaultUri, INVALID, /\(aud\)/);
    assert.match(error.message, new RegExp(`one of ${API_CLIENT_ID}, ${custom}\\.$`));
  });

  it("an audience list must contain an accepted audience; a token without aud is refused", async () => {
    const validate = createAccessTokenValidator(options);
    const listed = await mint(key, { claims: { aud: ["https://other.example", API_CLIENT_ID] } });
    assert.equal((await validate(listed)).aud, API_CLIENT_ID);
    const none = await mint(key, { claims: { aud: undefined } });
    await refused(validate(none), none, INVALID, /lacks the aud claim/);
  });

  it("never repeats the token's own audience in the message", async () => {
    const validate = createAccessTokenValidator(options);
    const token = await mint(key, { claims: { aud: "https://secret-resource.example" } });
    const error = await refused(validate(token), token, INVALID, /\(aud\)/);
    assert.doesNotMatch(error.message, /secret-resource/);
  });
});
