import assert from "node:assert/strict";
import { Client } from "@microsoft/microsoft-graph-client";
import {
  OnBehalfOfAuthenticationProvider,
  runWithUserAssertion,
  withAgentIdentity,
  withAgentUser,
  withoutAgentIdentity,
} from "../../lib/index.js";
import { useEmulator } from "./support/emulator.js";

// The README's "Agent identities" example, run against the emulator as its emulator section
// wires it: every Graph call it makes is served, except the blueprint's OBO for itself, which
// Entra refuses.
describe("the README's agent identity example against the emulator", () => {
  const emulator = useEmulator();

  it("serves /me as the agent, /users app-only and /me/messages as the agent user; refuses the blueprint for itself", async () => {
    const { blueprint, agent } = emulator().defaults.apps;
    const authProvider = new OnBehalfOfAuthenticationProvider({
      clientId: blueprint.clientId,
      clientSecret: blueprint.clientSecret,
      agentIdentity: agent.clientId,
      ...emulator().providerOptions(),
    });
    const graph = Client.initWithMiddleware({ authProvider, ...emulator().graphClientOptions() });
    const token = await emulator().signIn({
      user: "alice@contoso.example",
      clientId: blueprint.clientId,
      scopes: ["access_agent"],
    });
    emulator().addUser({
      userPrincipalName: "mailbox-agent@contoso.example",
      agentIdentity: agent.clientId,
      agentGraphScopes: ["Mail.Read"],
    });
    await runWithUserAssertion(token, async () => {
      const me = (await graph.api("/me").get()) as { userPrincipalName: string };
      assert.equal(me.userPrincipalName, "alice@contoso.example");
      const users = (await graph
        .api("/users")
        .middlewareOptions([withAgentIdentity(agent.clientId, { tokenKind: "app-only" })])
        .get()) as { value: unknown[] };
      assert.ok(users.value.length > 0);
      const messages = (await graph
        .api("/me/messages")
        .middlewareOptions([
          withAgentUser(
            agent.clientId,
            { upn: "mailbox-agent@contoso.example" },
            { scopes: ["Mail.Read"] },
          ),
        ])
        .get()) as { value: unknown[] };
      assert.deepEqual(messages.value, []);
      await assert.rejects(
        graph.api("/me").middlewareOptions([withoutAgentIdentity()]).get(),
        (error: unknown) => {
          const cause = (error as { cause?: { errorCode?: string } }).cause;
          return (
            (error as { code?: string }).code === "ERR_OBO_TOKEN_REQUEST_FAILED" &&
            cause?.errorCode === "unauthorized_client"
          );
        },
      );
    });
  });
});
