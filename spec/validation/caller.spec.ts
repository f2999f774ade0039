import assert from "node:assert/strict";
import { describeCaller as fromRoot } from "../../lib/index.js";
import {
  createAccessTokenValidator,
  describeCaller,
  type AccessTokenClaims,
} from "../../lib/validation/index.js";
import { API_CLIENT_ID, TENANT } from "../support/tokens.js";
import { keySet, mint, newKey, type TestKey } from "./support/keys.js";

const AGENT = "a9e17000-0000-4000-8000-0000000000a9";
const BLUEPRINT = "b1e00000-0000-4000-8000-0000000000b1";

describe("describeCaller", () => {
  let key: TestKey;
  let claimsOf: (
    claims: Record<string, unknown>,
    ver?: "1.0" | "2.0",
  ) => Promise<AccessTokenClaims>;

  before(async () => {
    key = await newKey();
    const validate = createAccessTokenValidator({
      clientId: API_CLIENT_ID,
      tenantId: TENANT,
      jwks: keySet(key),
      allowTokensWithoutScopesOrRoles: true,
    });
    claimsOf = async (claims, ver = "2.0") => validate(await mint(key, { ver, claims }));
  });

  it("is exported from the package root", () => {
    assert.equal(fromRoot, describeCaller);
  });

  // The claim sets of Learn's "Token claims reference for agents", scenario by scenario.
  it("an agent identity acting for a person (xms_act_fct 11)", async () => {
    const caller = describeCaller(
      await claimsOf({ azp: AGENT, xms_act_fct: "11", xms_par_app_azp: BLUEPRINT }),
    );
    assert.deepEqual(caller, {
      kind: "person",
      viaAgent: true,
      clientAppId: AGENT,
      blueprintId: BLUEPRINT,
      agentClaimsPresent: true,
    });
  });

  it("an agent identity acting on its own (xms_sub_fct 11), v1.0 with scp '/' and no idtyp", async () => {
    const caller = describeCaller(
      await claimsOf(
        {
          appid: AGENT,
          scp: "/",
          idtyp: undefined,
          roles: ["Orders.Read.All"],
          xms_act_fct: "3 9 11",
          xms_sub_fct: "9 3 11",
          xms_par_app_azp: BLUEPRINT,
        },
        "1.0",
      ),
    );
    assert.deepEqual(caller, {
      kind: "agent",
      viaAgent: true,
      clientAppId: AGENT,
      blueprintId: BLUEPRINT,
      agentClaimsPresent: true,
    });
  });

  it("an agent's user account (xms_sub_fct 13), in any order of facets", async () => {
    const caller = describeCaller(
      await claimsOf({ azp: AGENT, xms_act_fct: "11", xms_sub_fct: "13 1" }),
    );
    assert.equal(caller.kind, "agent-user");
    assert.equal(caller.viaAgent, true);
    assert.equal(caller.blueprintId, undefined);
  });

  it("a person through an ordinary client, whatever idtyp says or omits", async () => {
    for (const idtyp of ["user", undefined]) {
      const caller = describeCaller(await claimsOf({ idtyp }));
      assert.deepEqual(caller, {
        kind: "person",
        viaAgent: false,
        clientAppId: "cccccccc-0000-4000-8000-00000000000c",
        blueprintId: undefined,
        agentClaimsPresent: false,
      });
    }
  });

  it("an ordinary application, by its missing scp rather than idtyp", async () => {
    const caller = describeCaller(
      await claimsOf({ scp: undefined, idtyp: undefined, roles: ["Orders.Read.All"] }),
    );
    assert.equal(caller.kind, "application");
    assert.equal(caller.viaAgent, false);
  });

  it("an agent's app-only token with only xms_par_app_azp (Learn's agent marker)", async () => {
    const caller = describeCaller(
      await claimsOf({ scp: undefined, roles: ["R"], xms_par_app_azp: BLUEPRINT.toUpperCase() }),
    );
    assert.equal(caller.kind, "agent");
    assert.equal(caller.blueprintId, BLUEPRINT);
  });

  it("without the optional agent claims, an agent's tokens look ordinary and say so", async () => {
    const delegated = describeCaller(await claimsOf({ azp: AGENT }));
    assert.equal(delegated.kind, "person");
    assert.equal(delegated.viaAgent, false);
    assert.equal(delegated.agentClaimsPresent, false);
    const appOnly = describeCaller(await claimsOf({ azp: AGENT, scp: undefined, roles: ["R"] }));
    assert.equal(appOnly.kind, "application");
  });

  it("ignores malformed facet claims and a blueprint id that is not a GUID", async () => {
    const caller = describeCaller(
      await claimsOf({
        xms_act_fct: "11 agent",
        xms_sub_fct: ["13"],
        xms_par_app_azp: "not-a-guid",
      }),
    );
    assert.equal(caller.kind, "person");
    assert.equal(caller.viaAgent, false);
    assert.equal(caller.blueprintId, undefined);
    assert.equal(caller.agentClaimsPresent, true);
  });

  it("does not make the validation depend on the agent claims", async () => {
    const claims = await claimsOf({ xms_act_fct: 11, xms_sub_fct: null, xms_par_app_azp: 7 });
    assert.equal(claims.tid, TENANT);
    assert.ok(Object.isFrozen(describeCaller(claims)));
  });
});
