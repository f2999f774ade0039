import assert from "node:assert/strict";
import nock from "nock";
import { isOnBehalfOfError, withAgentIdentity, withoutAgentIdentity } from "../../../lib/index.js";
import { agentProvider, rejectsWithCode } from "../agent/helpers.js";
import { AGENT_A, AGENT_B, FakeAgentEntra } from "../../support/agent-entra.js";
import { entraError } from "../../support/entra.js";
import { TENANT, userToken } from "../../support/tokens.js";

/**
 * An app-wide leg that Entra throttles (one agent's exchange token, T1) holds back that very leg
 * for `Retry-After`, and nothing else: other agents' and the plain exchange's users are served.
 * Default transport (global fetch, intercepted by nock).
 */
describe("failure isolation of app-wide legs", () => {
  it("a 429 on agent A's exchange token holds back A's exchange token only", async () => {
    nock("https://login.microsoftonline.com")
      .post(
        /\/[^/]+\/oauth2\/v2\.0\/token/,
        (body: Record<string, string>) => body.fmi_path === AGENT_A,
      )
      .query(true)
      .reply(429, entraError("temporarily_unavailable", 50196), { "Retry-After": "30" });
    // B's T1, 10 users through B, 5 plain exchanges
    const entra = new FakeAgentEntra().expect(16);
    const authProvider = agentProvider({ agentIdentity: AGENT_A });
    const tokens = await Promise.all(
      Array.from({ length: 17 }, (_, i) => userToken({ oid: `user-${i}`, tid: TENANT })),
    );
    const throttled = await rejectsWithCode(
      authProvider.getAccessToken({ userAssertion: tokens[0] ?? "" }),
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    assert.equal(throttled.status, 429);
    assert.equal(throttled.leg, "exchange-token");
    assert.equal(throttled.retryAfterMs, 30_000);

    const held = await rejectsWithCode(
      authProvider.getAccessToken({ userAssertion: tokens[1] ?? "" }),
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    assert.equal(held.status, 429, "held back without a request");
    assert.ok((held.retryAfterMs ?? 0) > 20_000);
    assert.match(held.message, /it was not sent/);

    const viaB = await Promise.allSettled(
      tokens.slice(2, 12).map((userAssertion) =>
        authProvider.getAccessToken({
          ...(withAgentIdentity(AGENT_B).authenticationProviderOptions as object),
          userAssertion,
        }),
      ),
    );
    const plain = await Promise.allSettled(
      tokens.slice(12).map((userAssertion) =>
        authProvider.getAccessToken({
          ...(withoutAgentIdentity().authenticationProviderOptions as object),
          userAssertion,
        }),
      ),
    );
    const failed = [...viaB, ...plain].filter((r) => r.status === "rejected");
    assert.deepEqual(
      failed.map((r) => {
        const reason = r.reason as unknown;
        return isOnBehalfOfError(reason) ? reason.code : String(reason);
      }),
      [],
    );
    assert.equal(entra.of("exchange-token").length, 1, "only B's T1 was requested");
    assert.equal(entra.of("obo").length, 15);
  });
});
