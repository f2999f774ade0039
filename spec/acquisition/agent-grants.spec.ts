import assert from "node:assert/strict";
import nock from "nock";
import type { OnBehalfOfError } from "../../lib/index.js";
import { AGENT_A, AGENT_B, FakeAgentEntra } from "../support/agent-entra.js";
import { entraError } from "../support/entra.js";
import { TENANT, userToken } from "../support/tokens.js";
import { agentProvider } from "../api/agent/helpers.js";

const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
const USER_OID = "5e5e5e5e-0000-4000-8000-0000000000bb";

describe("agent identity tokens (AgentGrants)", () => {
  it("logs each leg it requests by what it is, for which agent and tenant", async () => {
    const info: string[] = [];
    const entra = new FakeAgentEntra().expect(5);
    const authProvider = agentProvider({
      agentIdentity: AGENT_A,
      logger: { info: (m: string) => info.push(m) },
    });
    await authProvider.getAccessToken({
      userAssertion: await userToken({ oid: "alice", tid: TENANT }),
    });
    await authProvider.getAccessToken({ tokenKind: "app-only" });
    await authProvider.getAccessToken({ agentUser: { objectId: USER_OID } });
    assert.equal(entra.requests.length, 5);
    const what = info
      .map((line) => /requesting (.*) \(correlationId=/.exec(line)?.[1])
      .filter((w) => w !== undefined);
    assert.deepEqual(what, [
      `the exchange token (T1) for agent identity ${AGENT_A} (tenant=${TENANT})`,
      `an On-Behalf-Of token as agent identity ${AGENT_A} (tenant=${TENANT})`,
      `an app-only token of agent identity ${AGENT_A} (tenant=${TENANT})`,
      `the agent user credential (T2) of agent identity ${AGENT_A} (tenant=${TENANT})`,
      `an agent user token (user_fic, by objectId) of agent identity ${AGENT_A} (tenant=${TENANT})`,
    ]);
  });

  it("sends a claims challenge on the leg that got it (OBO, app-only, user_fic), never on T1 or T2", async () => {
    const entra = new FakeAgentEntra().expect(5);
    const authProvider = agentProvider({ agentIdentity: AGENT_A });
    await authProvider.getAccessToken({
      userAssertion: await userToken({ oid: "alice", tid: TENANT }),
      claims: CLAIMS,
    });
    await authProvider.getAccessToken({ tokenKind: "app-only", claims: CLAIMS });
    await authProvider.getAccessToken({ agentUser: { objectId: USER_OID }, claims: CLAIMS });
    const claimsOf = (leg: Parameters<FakeAgentEntra["of"]>[0]) =>
      entra
        .of(leg)
        .map((r) =>
          r.form.claims === undefined
            ? undefined
            : (JSON.parse(r.form.claims) as Record<string, unknown>),
        );
    for (const leg of ["obo", "app-only", "agent-user"] as const) {
      const [sent] = claimsOf(leg);
      assert.ok(sent !== undefined, `${leg}: claims sent`);
      assert.deepEqual(
        sent.access_token && (sent.access_token as Record<string, unknown>).nbf,
        {
          essential: true,
          value: "1700000000",
        },
        leg,
      );
    }
    for (const leg of ["exchange-token", "agent-user-credential"] as const) {
      for (const sent of claimsOf(leg)) {
        assert.equal(
          (sent?.access_token as Record<string, unknown> | undefined)?.nbf,
          undefined,
          leg,
        );
      }
    }
  });

  it("holds back, after a 429 with a long Retry-After, only that leg of that agent: other agents are served", async () => {
    const throttle = (match: (form: Record<string, string>) => boolean): void => {
      nock("https://login.microsoftonline.com")
        .post(/\/oauth2\/v2\.0\/token/, (body: Record<string, string>) => match(body))
        .query(true)
        .reply(429, entraError("temporarily_unavailable", 50196), { "Retry-After": "300" });
    };
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const legs: [string, (form: Record<string, string>) => boolean, Record<string, unknown>][] = [
      ["exchange-token", (f) => f.fmi_path === AGENT_A, { userAssertion: alice }],
      [
        "app-only",
        (f) => f.client_id === AGENT_A && f.scope?.includes("graph.microsoft.com") === true,
        { tokenKind: "app-only" },
      ],
      [
        "agent-user-credential",
        (f) =>
          f.client_id === AGENT_A && f.scope?.startsWith("api://AzureADTokenExchange") === true,
        { agentUser: { objectId: USER_OID } },
      ],
    ];
    for (const [leg, match, options] of legs) {
      throttle(match);
      const entra = new FakeAgentEntra();
      if (leg !== "exchange-token") entra.expect(1); // A's T1
      const authProvider = agentProvider();
      const failed = await authProvider.getAccessToken({ ...options, agentIdentity: AGENT_A }).then(
        () => assert.fail(`${leg}: resolved`),
        (e: unknown) => e as OnBehalfOfError,
      );
      assert.equal(failed.status, 429, leg);
      entra.expect(leg === "agent-user-credential" ? 3 : 2); // B's T1 (and T2), and its token
      await authProvider.getAccessToken({ ...options, agentIdentity: AGENT_B });
      assert.ok(
        entra.requests.some((r) => r.form.client_id === AGENT_B),
        `${leg}: B served`,
      );
    }
  });
});
