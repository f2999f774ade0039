import assert from "node:assert/strict";
import { normalizeScopes, scopesKey } from "../../lib/request/scopes.js";
import { OnBehalfOfAuthenticationProvider } from "../../lib/index.js";
import { mockOboEndpoint } from "../support/entra.js";
import { API_CLIENT_ID, CLIENT_SECRET, TENANT, userToken } from "../support/tokens.js";

describe("scopes", () => {
  it("keys scope lists case-insensitively and in any order, as Entra treats scope values", () => {
    assert.equal(scopesKey(["User.Read", "Mail.Read"]), scopesKey(["mail.read", "USER.READ"]));
    assert.equal(scopesKey(["User.Read"]), scopesKey(["user.read"]));
    assert.notEqual(scopesKey(["User.Read"]), scopesKey(["User.ReadBasic.All"]));
  });

  it("serves one cached token to requests whose scopes differ only in case", async () => {
    const recorded = mockOboEndpoint();
    const provider = new OnBehalfOfAuthenticationProvider({
      clientId: API_CLIENT_ID,
      tenantId: TENANT,
      clientSecret: CLIENT_SECRET,
    });
    const userAssertion = await userToken({ oid: "alice", tid: TENANT });
    const a = await provider.getAccessToken({ userAssertion, scopes: ["User.Read"] });
    const b = await provider.getAccessToken({ userAssertion, scopes: ["user.read"] });
    assert.equal(a, b);
    assert.equal(recorded.length, 1);
  });

  it("keeps the caller's order and drops duplicates", () => {
    assert.deepEqual(normalizeScopes(["b", "a", "b"], "scopes"), ["b", "a"]);
  });
});
