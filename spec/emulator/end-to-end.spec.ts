import assert from "node:assert/strict";
import { Client } from "@microsoft/microsoft-graph-client";
import { OnBehalfOfAuthenticationProvider, runWithUserAssertion } from "../../lib/index.js";
import { useEmulator } from "./support/emulator.js";

interface GraphUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  jobTitle: string | null;
  mail: string;
  "@odata.context": string;
}

describe("emulator, end to end with OnBehalfOfAuthenticationProvider and the Graph client", () => {
  const emulator = useEmulator();

  function graphFor(tenant: string): { graph: Client; provider: OnBehalfOfAuthenticationProvider } {
    const { api } = emulator().defaults.apps;
    const provider = new OnBehalfOfAuthenticationProvider({
      clientId: api.clientId,
      clientSecret: api.clientSecret,
      ...emulator().providerOptions({ tenant }),
    });
    return {
      graph: Client.initWithMiddleware({
        authProvider: provider,
        ...emulator().graphClientOptions(),
      }),
      provider,
    };
  }

  it("serves /me and /me/manager for two users, each with their own token", async () => {
    const { graph, provider } = graphFor("contoso.example");
    const alice = await emulator().signIn({ user: "alice@contoso.example" });
    const bob = await emulator().signIn({ user: "bob@contoso.example" });
    const call = (token: string, path: string) =>
      runWithUserAssertion(token, () => graph.api(path).get() as Promise<GraphUser>);

    const [aliceMe, bobMe, aliceManager, bobManager] = await Promise.all([
      call(alice, "/me"),
      call(bob, "/me"),
      call(alice, "/me/manager"),
      call(bob, "/me/manager"),
    ]);

    assert.equal(aliceMe.userPrincipalName, "alice@contoso.example");
    assert.equal(aliceMe.displayName, "Alice Adams");
    assert.equal(aliceMe.jobTitle, "Software Engineer");
    assert.equal(aliceMe.id, emulator().user("alice@contoso.example")?.id);
    assert.match(aliceMe["@odata.context"], /\$metadata#users\/\$entity$/);
    assert.equal(bobMe.userPrincipalName, "bob@contoso.example");
    assert.equal(aliceManager.displayName, "Carol Clark");
    assert.equal(bobManager.userPrincipalName, "carol@contoso.example");
    assert.equal(emulator().count({ endpoint: "token", flow: "obo" }), 2, "one exchange per user");
    assert.equal(emulator().count({ endpoint: "token", user: "alice@contoso.example" }), 1);
    assert.equal(emulator().count({ endpoint: "graph" }), 4);
    assert.equal(provider.stats().tokenRequests, 2);
  });

  it("routes a multi-tenant API's exchange to each caller's tenant", async () => {
    const { graph } = graphFor("organizations");
    const alice = await emulator().signIn({ user: "alice@contoso.example" });
    const erin = await emulator().signIn({ user: "erin@fabrikam.example" });

    const erinManager = await runWithUserAssertion(
      erin,
      () => graph.api("/me/manager").get() as Promise<GraphUser>,
    );
    const aliceMe = await runWithUserAssertion(
      alice,
      () => graph.api("/me").get() as Promise<GraphUser>,
    );

    assert.equal(erinManager.displayName, "Frank Foster");
    assert.equal(aliceMe.displayName, "Alice Adams");
    const { contoso, fabrikam } = emulator().defaults.tenants;
    assert.equal(emulator().count({ endpoint: "token", tenant: fabrikam.id }), 1);
    assert.equal(emulator().count({ endpoint: "token", tenant: contoso.id }), 1);
    assert.equal(
      emulator().counters.byUser["erin@fabrikam.example"],
      2,
      "a token and a Graph call",
    );
  });

  it("answers Graph's 404 Request_ResourceNotFound for a user with no manager", async () => {
    const { graph } = graphFor("contoso.example");
    const dan = await emulator().signIn({ user: "dan@contoso.example" });
    await assert.rejects(
      runWithUserAssertion(dan, () => graph.api("/me/manager").get()),
      { statusCode: 404, code: "Request_ResourceNotFound" },
    );
  });

  it("reads other users and their managers by id or UPN, with $select", async () => {
    const { graph } = graphFor("contoso.example");
    const alice = await emulator().signIn({ user: "alice@contoso.example" });
    const bobId = emulator().user("bob@contoso.example")?.id ?? "";

    const bob = (await runWithUserAssertion(alice, () =>
      graph.api(`/users/${bobId}`).select(["displayName", "mail"]).get(),
    )) as Record<string, unknown>;
    const manager = (await runWithUserAssertion(alice, () =>
      graph.api("/users/bob@contoso.example/manager").get(),
    )) as GraphUser;

    assert.deepEqual(Object.keys(bob).sort(), ["@odata.context", "displayName", "id", "mail"]);
    assert.equal(bob.displayName, "Bob Brown");
    assert.equal(manager.displayName, "Carol Clark");
    await assert.rejects(
      runWithUserAssertion(alice, () => graph.api("/users/nobody@contoso.example").get()),
      { statusCode: 404, code: "Request_ResourceNotFound" },
    );
    await assert.rejects(
      runWithUserAssertion(alice, () => graph.api("/users/erin@fabrikam.example").get()),
      { statusCode: 404 },
      "users of other tenants are not visible",
    );
  });
});
