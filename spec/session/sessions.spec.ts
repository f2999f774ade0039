import assert from "node:assert/strict";
import { MemoryTokenCache, type OnBehalfOfError } from "../../lib/index.js";
import { claimsOf, useEmulator } from "../emulator/support/emulator.js";
import {
  GRAPH_DEFAULT,
  HOUR_MS,
  apiProvider,
  assertTokenOf,
  blueprintProvider,
  rejectsWithCode,
} from "./support.js";

const USER_READ = "https://graph.microsoft.com/User.Read";
const READ_BASIC = "https://graph.microsoft.com/User.ReadBasic.All";

describe("long-running sessions", () => {
  const emulator = useEmulator();
  const alice = "alice@contoso.example";
  const bob = "bob@contoso.example";

  it("starts a session inside a request and serves the user's tokens after their token has expired, with no assertion", async () => {
    const provider = apiProvider(emulator());
    const assertion = await emulator().signIn({ user: alice });
    const session = await provider.startSession({ userAssertion: assertion });
    assert.match(session, /^obs1\.[\w-]{43}$/);
    assert.equal(emulator().count({ endpoint: "token", flow: "obo" }), 1);

    // The first token is the start's own, cached for the session.
    assertTokenOf(emulator(), await provider.getAccessToken({ session }), alice);
    assert.equal(emulator().count({ endpoint: "token", flow: "refresh_token" }), 0);

    // Two hours later (Entra's clock): the assertion is dead, the session is not.
    emulator().advanceClock(2 * HOUR_MS);
    await assert.rejects(provider.getAccessToken({ userAssertion: assertion }));
    const token = await provider.getAccessToken({ session, scopes: [USER_READ] });
    assertTokenOf(emulator(), token, alice, emulator().defaults.apps.api.clientId);
    assert.equal(emulator().count({ endpoint: "token", flow: "refresh_token", user: alice }), 1);
    // Cached per session and scopes.
    assert.equal(await provider.getAccessToken({ session, scopes: [USER_READ] }), token);
    assert.equal(emulator().count({ endpoint: "token", flow: "refresh_token" }), 1);
  });

  it("redeems the rotated refresh token next time, and lists the session without its key or token", async () => {
    const provider = apiProvider(emulator());
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    await provider.getAccessToken({ session, scopes: [USER_READ] });
    await provider.getAccessToken({ session, scopes: [READ_BASIC] });
    assert.equal(emulator().count({ endpoint: "token", flow: "refresh_token" }), 2);
    const user = emulator().user(alice);
    assert.ok(user);
    const listed = await provider.listSessions({ tid: user.tenantId, oid: user.id });
    assert.equal(listed.length, 1);
    const [info] = listed;
    assert.ok(info);
    assert.deepEqual(Object.keys(info).sort(), ["createdAt", "id", "lastUsedAt", "scopes"]);
    assert.ok(!JSON.stringify(listed).includes(session.slice(5)), "the key is not listed");
    // The revocation of the first refresh token only (not the user's) does not matter: the
    // session has moved on. Revoking the user's sessions does.
    emulator().revokeSessions(alice);
    await rejectsWithCode(
      provider.getAccessToken({ session, scopes: [USER_READ, READ_BASIC] }),
      "ERR_OBO_SESSION_REVOKED",
    );
  });

  it("ends a session when Entra refuses its refresh token (revokeSessions), with the user's bystanders served", async () => {
    const provider = apiProvider(emulator());
    const aliceSession = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const bobSession = await provider.startSession({
      userAssertion: await emulator().signIn({ user: bob }),
    });
    emulator().revokeSessions(alice);
    const [refused, served] = await Promise.allSettled([
      provider.getAccessToken({ session: aliceSession, scopes: [USER_READ] }),
      provider.getAccessToken({ session: bobSession, scopes: [USER_READ] }),
    ]);
    assert.equal(served.status, "fulfilled");
    assertTokenOf(emulator(), served.value, bob);
    assert.equal(refused.status, "rejected");
    const error = refused.reason as OnBehalfOfError;
    assert.equal(error.code, "ERR_OBO_SESSION_REVOKED");
    assert.equal(error.error, "invalid_grant");
    assert.equal(error.aadsts, 50173);
    assert.equal(error.leg, "refresh-token");
    assert.doesNotMatch(error.message, /alice/i, "no personal data in the error");

    // Ended: the cached token of the start is not served either, and nothing is sent.
    const before = emulator().count({ endpoint: "token" });
    await rejectsWithCode(
      provider.getAccessToken({ session: aliceSession }),
      "ERR_OBO_SESSION_NOT_FOUND",
    );
    assert.equal(emulator().count({ endpoint: "token" }), before);
    assertTokenOf(emulator(), await provider.getAccessToken({ session: bobSession }), bob);
  });

  it("ends a session whose refresh token Entra lets expire (90 days from its issue, AADSTS700082); a bystander whose token was rotated meanwhile is served", async () => {
    const provider = apiProvider(emulator());
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const bystander = await provider.startSession({
      userAssertion: await emulator().signIn({ user: bob }),
    });
    emulator().advanceClock(45 * 24 * HOUR_MS);
    assertTokenOf(
      emulator(),
      await provider.getAccessToken({ session: bystander, scopes: [USER_READ] }),
      bob,
    );
    emulator().advanceClock(46 * 24 * HOUR_MS);
    const [refused, served] = await Promise.allSettled([
      provider.getAccessToken({ session, scopes: [USER_READ] }),
      provider.getAccessToken({ session: bystander, scopes: [READ_BASIC] }),
    ]);
    assert.equal(refused.status, "rejected");
    assert.equal((refused.reason as OnBehalfOfError).code, "ERR_OBO_SESSION_REVOKED");
    assert.equal((refused.reason as OnBehalfOfError).aadsts, 700082);
    await rejectsWithCode(provider.getAccessToken({ session }), "ERR_OBO_SESSION_NOT_FOUND");
    assert.equal(served.status, "fulfilled");
    assertTokenOf(emulator(), served.value, bob);
  });

  it("refuses malformed, tampered and unknown keys with no network call", async () => {
    const provider = apiProvider(emulator());
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const before = emulator().counters.total;
    const last = session.at(-1) === "A" ? "B" : "A";
    const tampered = `${session.slice(0, -1)}${last}`;
    for (const key of [
      tampered,
      `obs1.${"A".repeat(43)}`,
      "obs1.short",
      session.replace("obs1.", "obs2."),
      "",
      ` ${session}`,
    ]) {
      await rejectsWithCode(
        provider.getAccessToken({ session: key }),
        "ERR_OBO_SESSION_NOT_FOUND",
        [session],
      );
    }
    assert.equal(emulator().counters.total, before, "no request to Entra or Graph");
    // The genuine key still works: no fall-back, no damage.
    assertTokenOf(emulator(), await provider.getAccessToken({ session }), alice);
  });

  it("never lets a key of one provider open a session of another (namespace-bound storage ids)", async () => {
    const cache = new MemoryTokenCache();
    const api = apiProvider(emulator(), { tokenCache: cache });
    const blueprint = blueprintProvider(emulator(), { tokenCache: cache });
    const session = await api.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    await rejectsWithCode(blueprint.getAccessToken({ session }), "ERR_OBO_SESSION_NOT_FOUND");
    assertTokenOf(emulator(), await api.getAccessToken({ session }), alice);
  });

  it("ends one session, and every session of a user, on every provider sharing the store", async () => {
    const cache = new MemoryTokenCache();
    const one = apiProvider(emulator(), { tokenCache: cache });
    const two = apiProvider(emulator(), { tokenCache: cache });
    const aliceToken = await emulator().signIn({ user: alice });
    const first = await one.startSession({ userAssertion: aliceToken });
    const second = await one.startSession({ userAssertion: aliceToken, scopes: [USER_READ] });
    const bobs = await one.startSession({ userAssertion: await emulator().signIn({ user: bob }) });
    assertTokenOf(emulator(), await two.getAccessToken({ session: first }), alice);

    assert.equal(await two.endSession(first), true);
    assert.equal(await one.endSession(first), false, "already ended");
    await rejectsWithCode(one.getAccessToken({ session: first }), "ERR_OBO_SESSION_NOT_FOUND");
    assertTokenOf(emulator(), await one.getAccessToken({ session: second }), alice);

    const user = emulator().user(alice);
    assert.ok(user);
    const who = { tid: user.tenantId.toUpperCase(), oid: user.id.toUpperCase() };
    assert.equal((await one.listSessions(who)).length, 1);
    assert.equal(await two.endUserSessions(who), 1);
    assert.deepEqual(await one.listSessions(who), []);
    await rejectsWithCode(two.getAccessToken({ session: second }), "ERR_OBO_SESSION_NOT_FOUND");
    assertTokenOf(emulator(), await two.getAccessToken({ session: bobs }), bob);
    await rejectsWithCode(one.endSession("not a key"), "ERR_OBO_SESSION_NOT_FOUND");
  });

  it("refuses conflicting options before any network call", async () => {
    const provider = apiProvider(emulator());
    const assertion = await emulator().signIn({ user: alice });
    const session = await provider.startSession({ userAssertion: assertion });
    const before = emulator().counters.total;
    for (const extra of [
      { userAssertion: assertion },
      { agentIdentity: emulator().defaults.apps.agent.clientId },
      { agentIdentity: null },
      { tokenKind: "app-only" as const },
      { agentUser: { upn: "helper-agent@contoso.example" } },
      { tenantId: emulator().user(alice)?.tenantId ?? "" },
    ]) {
      const error = (await rejectsWithCode(
        provider.getAccessToken({ session, ...extra }),
        "ERR_OBO_CONFIGURATION",
      )) as OnBehalfOfError;
      assert.equal(error.option, Object.keys(extra)[0]);
    }
    await rejectsWithCode(
      provider.startSession({ userAssertion: assertion, agentIdentity: undefined, scopes: [] }),
      "ERR_OBO_CONFIGURATION",
    );
    await rejectsWithCode(provider.startSession(), "ERR_OBO_USER_ASSERTION_MISSING");
    assert.equal(emulator().counters.total, before);
  });

  it("validates the sessions option", () => {
    for (const sessions of [
      { maxIdleMs: 0 },
      { maxLifetimeMs: -1 },
      { maxIdleMs: 1.5 },
      { maxIdleMs: 2 * HOUR_MS, maxLifetimeMs: HOUR_MS },
      { maxLifetimeMs: 91 * 24 * HOUR_MS },
    ]) {
      assert.throws(
        () => apiProvider(emulator(), { sessions }),
        (error: OnBehalfOfError) =>
          error.code === "ERR_OBO_CONFIGURATION" && error.option?.startsWith("sessions.") === true,
      );
    }
  });

  it("ends sessions after their idle time and their absolute lifetime", async () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const provider = apiProvider(emulator(), {
      sessions: { maxIdleMs: 1500, maxLifetimeMs: 4000 },
    });
    const assertion = await emulator().signIn({ user: alice });
    const [idle, busy, bystander] = await Promise.all([
      provider.startSession({ userAssertion: assertion }),
      provider.startSession({ userAssertion: assertion }),
      provider.startSession({ userAssertion: await emulator().signIn({ user: bob }) }),
    ]);
    // `busy` and the bystander are used every half idle time; `idle` is not.
    for (let step = 0; step < 4; step++) {
      await sleep(500);
      await provider.getAccessToken({ session: busy });
      await provider.getAccessToken({ session: bystander });
    }
    await rejectsWithCode(provider.getAccessToken({ session: idle }), "ERR_OBO_SESSION_NOT_FOUND");
    assertTokenOf(emulator(), await provider.getAccessToken({ session: busy }), alice);
    assertTokenOf(emulator(), await provider.getAccessToken({ session: bystander }), bob);
    // Past the absolute lifetime, however busy.
    const alive = async () =>
      (await provider.listSessions(tidOid(alice))).length +
      (await provider.listSessions(tidOid(bob))).length;
    while ((await alive()) > 0) {
      await sleep(250);
      await provider.getAccessToken({ session: busy }).catch(() => undefined);
    }
    await rejectsWithCode(provider.getAccessToken({ session: busy }), "ERR_OBO_SESSION_NOT_FOUND");
    await rejectsWithCode(
      provider.getAccessToken({ session: bystander }),
      "ERR_OBO_SESSION_NOT_FOUND",
    );
  }).timeout(15_000);

  it("does not end a session when Entra refuses only the scopes asked for (missing consent)", async () => {
    const provider = apiProvider(emulator());
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const error = (await rejectsWithCode(
      provider.getAccessToken({ session, scopes: ["https://graph.microsoft.com/Mail.Read"] }),
      "ERR_OBO_INTERACTION_REQUIRED",
    )) as OnBehalfOfError;
    assert.equal(error.aadsts, 65001);
    assertTokenOf(
      emulator(),
      await provider.getAccessToken({ session, scopes: [USER_READ] }),
      alice,
    );
  });

  it("runs an agent identity's session: the agent redeems its own refresh token with its T1", async () => {
    const { blueprint, agent } = emulator().defaults.apps;
    const provider = blueprintProvider(emulator(), { agentIdentity: agent.clientId });
    const bystander = apiProvider(emulator());
    const assertion = await emulator().signIn({
      user: alice,
      clientId: blueprint.clientId,
      scopes: ["access_agent"],
    });
    const session = await provider.startSession({ userAssertion: assertion });
    const plain = await bystander.startSession({
      userAssertion: await emulator().signIn({ user: bob }),
    });
    const first = await provider.getAccessToken({ session });
    assertTokenOf(emulator(), first, alice, agent.clientId);
    const refreshed = await provider.getAccessToken({ session, scopes: [USER_READ] });
    assertTokenOf(emulator(), refreshed, alice, agent.clientId);
    const redeemed = emulator().requests({ endpoint: "token", flow: "refresh_token" });
    assert.equal(redeemed.length, 1);
    assert.equal(redeemed[0]?.clientId, agent.clientId, "redeemed by the agent identity");
    assert.equal((await provider.listSessions(tidOid(alice)))[0]?.agentId, agent.clientId);

    emulator().revokeSessions(alice);
    await rejectsWithCode(
      provider.getAccessToken({ session, scopes: [READ_BASIC] }),
      "ERR_OBO_SESSION_REVOKED",
    );
    assertTokenOf(
      emulator(),
      await bystander.getAccessToken({ session: plain, scopes: [USER_READ] }),
      bob,
    );
  });

  it("refuses app-only and agent-user sessions: there is no user to keep a session for", async () => {
    const { agent } = emulator().defaults.apps;
    const provider = blueprintProvider(emulator(), { agentIdentity: agent.clientId });
    const before = emulator().counters.total;
    // Not in StartSessionOptions' type, but JavaScript callers can pass them.
    const appOnly: object = { tokenKind: "app-only" };
    const agentUser: object = { agentUser: { upn: "helper-agent@contoso.example" } };
    for (const options of [appOnly, agentUser]) {
      await rejectsWithCode(provider.startSession(options), "ERR_OBO_CONFIGURATION");
    }
    assert.equal(emulator().counters.total, before);
  });

  function tidOid(upn: string): { tid: string; oid: string } {
    const user = emulator().user(upn);
    assert.ok(user);
    return { tid: user.tenantId, oid: user.id };
  }

  it("keeps the provider's stats: token requests by the session legs are counted", async () => {
    const provider = apiProvider(emulator());
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    await provider.getAccessToken({ session, scopes: [USER_READ] });
    assert.equal(provider.stats().tokenRequests, 2);
    assert.equal(claimsOf(await provider.getAccessToken({ session })).scp !== undefined, true);
  });

  it("starts sessions with the provider's default scopes, or the given ones", async () => {
    const provider = apiProvider(emulator(), { scopes: [GRAPH_DEFAULT] });
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
      scopes: [USER_READ],
    });
    const [info] = await provider.listSessions(tidOid(alice));
    assert.deepEqual(info?.scopes, [USER_READ]);
    assertTokenOf(emulator(), await provider.getAccessToken({ session }), alice);
  });
});
