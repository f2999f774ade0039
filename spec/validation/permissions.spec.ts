import assert from "node:assert/strict";
import {
  createAccessTokenValidator,
  type AccessTokenValidationOptions,
} from "../../lib/validation/index.js";
import { API_CLIENT_ID, TENANT } from "../support/tokens.js";
import { misconfigured, refused } from "./support/assertions.js";
import { keySet, mint, newKey, type TestKey } from "./support/keys.js";

const INVALID = "ERR_OBO_ACCESS_TOKEN_INVALID";
const INSUFFICIENT = "ERR_OBO_ACCESS_TOKEN_INSUFFICIENT_SCOPE";

describe("scopes and app roles", () => {
  let key: TestKey;
  let options: AccessTokenValidationOptions;

  before(async () => {
    key = await newKey();
    options = { clientId: API_CLIENT_ID, tenantId: TENANT, jwks: keySet(key) };
  });

  describe("a token with neither scp nor roles (Microsoft.Identity.Web's IDW10201)", () => {
    it("is refused by default, as invalid (401), even with nothing required", async () => {
      const validate = createAccessTokenValidator(options);
      const appOnly = await mint(key, { claims: { scp: undefined, idtyp: "app" } });
      await refused(validate(appOnly), appOnly, INVALID, /neither a scope \(scp\) nor an app role/);
      const emptyScp = await mint(key, { claims: { scp: "", roles: [] } });
      await refused(validate(emptyScp), emptyScp, INVALID, /neither a scope/);
      // An agent's app-only token says "unscoped" with scp "/": still no permission.
      const unscoped = await mint(key, { claims: { scp: "/" } });
      await refused(validate(unscoped), unscoped, INVALID, /neither a scope/);
    });

    it("is accepted with allowTokensWithoutScopesOrRoles (authorisation by ACL)", async () => {
      const validate = createAccessTokenValidator({
        ...options,
        allowTokensWithoutScopesOrRoles: true,
      });
      const token = await mint(key, { claims: { scp: undefined, idtyp: "app" } });
      const claims = await validate(token);
      assert.deepEqual(claims.scp, []);
      assert.deepEqual(claims.roles, []);
    });

    it("does not concern tokens with a scope or a role", async () => {
      const validate = createAccessTokenValidator(options);
      const delegated = await mint(key);
      assert.deepEqual((await validate(delegated)).scp, ["access_as_user", "Files.Read"]);
      const app = await mint(key, { claims: { scp: "/", roles: ["Orders.Read.All"] } });
      const claims = await validate(app);
      assert.deepEqual(claims.scp, []);
      assert.deepEqual(claims.roles, ["Orders.Read.All"]);
    });

    it("rejects an allowTokensWithoutScopesOrRoles that is not a boolean", () => {
      misconfigured(
        () =>
          createAccessTokenValidator({
            ...options,
            allowTokensWithoutScopesOrRoles: "yes" as unknown as boolean,
          }),
        "allowTokensWithoutScopesOrRoles",
      );
    });
  });

  describe("requiredScopes with requiredRoles", () => {
    const required = { requiredScopes: ["access_as_user"], requiredRoles: ["Orders.Read.All"] };

    it("requires both by default (permissionMatch: all)", async () => {
      const validate = createAccessTokenValidator({ ...options, ...required });
      const delegated = await mint(key);
      await refused(
        validate(delegated),
        delegated,
        INSUFFICIENT,
        /app role\(s\) Orders\.Read\.All/,
      );
      const app = await mint(key, { claims: { scp: undefined, roles: ["Orders.Read.All"] } });
      await refused(validate(app), app, INSUFFICIENT, /scope\(s\) access_as_user/);
      const both = await mint(key, { claims: { roles: ["Orders.Read.All"] } });
      assert.deepEqual((await validate(both)).roles, ["Orders.Read.All"]);
    });

    it("accepts either with permissionMatch: scopes-or-roles (scope or app permission)", async () => {
      const validate = createAccessTokenValidator({
        ...options,
        ...required,
        permissionMatch: "scopes-or-roles",
      });
      const delegated = await mint(key);
      assert.deepEqual((await validate(delegated)).scp, ["access_as_user", "Files.Read"]);
      const app = await mint(key, { claims: { scp: undefined, roles: ["Orders.Read.All"] } });
      assert.deepEqual((await validate(app)).roles, ["Orders.Read.All"]);
      const neither = await mint(key, { claims: { scp: "Other", roles: ["Orders.Write"] } });
      await refused(
        validate(neither),
        neither,
        INSUFFICIENT,
        /scope\(s\) access_as_user or the app role\(s\) Orders\.Read\.All; either suffices/,
      );
    });

    it("still requires every entry of a list in scopes-or-roles", async () => {
      const validate = createAccessTokenValidator({
        ...options,
        requiredScopes: ["access_as_user", "Files.Read"],
        requiredRoles: ["Orders.Read.All", "Orders.Write.All"],
        permissionMatch: "scopes-or-roles",
      });
      const partial = await mint(key, {
        claims: { scp: "access_as_user", roles: ["Orders.Read.All"] },
      });
      await refused(
        validate(partial),
        partial,
        INSUFFICIENT,
        /Files\.Read or .*Orders\.Write\.All/,
      );
    });

    it("with only one list, scopes-or-roles requires that list", async () => {
      const validate = createAccessTokenValidator({
        ...options,
        requiredScopes: ["access_as_user"],
        permissionMatch: "scopes-or-roles",
      });
      const app = await mint(key, { claims: { scp: undefined, roles: ["Orders.Read.All"] } });
      await refused(validate(app), app, INSUFFICIENT, /scope\(s\) access_as_user\.$/);
    });

    it("rejects an unknown permissionMatch", () => {
      misconfigured(
        () =>
          createAccessTokenValidator({
            ...options,
            permissionMatch: "any" as unknown as "all",
          }),
        "permissionMatch",
        /"all" or "scopes-or-roles"/,
      );
    });
  });
});
