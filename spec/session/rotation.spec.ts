import assert from "node:assert/strict";
import { useEmulator } from "../emulator/support/emulator.js";
import { SpyCache } from "./spy-cache.js";
import { apiProvider, assertTokenOf, rejectsWithCode } from "./support.js";

const USER_READ = "https://graph.microsoft.com/User.Read";
const READ_BASIC = "https://graph.microsoft.com/User.ReadBasic.All";

describe("long-running sessions: refresh-token rotation", () => {
  const emulator = useEmulator();
  const alice = "alice@contoso.example";
  const bob = "bob@contoso.example";

  it("runs one session's refreshes one at a time in a process, each with the latest refresh token", async () => {
    const cache = new SpyCache();
    const provider = apiProvider(emulator(), { tokenCache: cache });
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const bystander = await provider.startSession({
      userAssertion: await emulator().signIn({ user: bob }),
    });
    const tokens = await Promise.all([
      provider.getAccessToken({ session, scopes: [USER_READ] }),
      provider.getAccessToken({ session, scopes: [READ_BASIC] }),
      provider.getAccessToken({ session: bystander, scopes: [USER_READ] }),
      provider.getAccessToken({ session, scopes: [USER_READ, READ_BASIC] }),
    ]);
    assertTokenOf(emulator(), tokens[0], alice);
    assertTokenOf(emulator(), tokens[1], alice);
    assertTokenOf(emulator(), tokens[2], bob);
    assertTokenOf(emulator(), tokens[3], alice);
    const alices = cache.store.replaces.filter((call) => call.next.user.oid === tokenOid(alice));
    assert.deepEqual(
      alices.map((call) => [call.expectedVersion, call.replaced]),
      [
        [0, true],
        [1, true],
        [2, true],
      ],
      "three rotations in a row, none lost",
    );
    const secrets = new Set(alices.map((call) => call.next.refreshToken));
    assert.equal(secrets.size, 3, "a new refresh token every time");
  });

  it("keeps one rotated refresh token when two instances refresh the same session at once (compare-and-set), and both serve the user", async () => {
    const shared = new SpyCache();
    const one = apiProvider(emulator(), { tokenCache: shared });
    const two = apiProvider(emulator(), { tokenCache: new SpyCache(shared) });
    const session = await one.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const bystander = await two.startSession({
      userAssertion: await emulator().signIn({ user: bob }),
    });
    const [a, b, c] = await Promise.all([
      one.getAccessToken({ session, scopes: [USER_READ] }),
      two.getAccessToken({ session, scopes: [USER_READ] }),
      one.getAccessToken({ session: bystander, scopes: [USER_READ] }),
    ]);
    assertTokenOf(emulator(), a, alice);
    assertTokenOf(emulator(), b, alice);
    assertTokenOf(emulator(), c, bob);
    assert.notEqual(a, b, "each instance refreshed");
    const alices = shared.store.replaces.filter((call) => call.next.user.oid === tokenOid(alice));
    assert.deepEqual(alices.map((call) => [call.expectedVersion, call.replaced]).sort(), [
      [0, false],
      [0, true],
    ]);
    const winner = alices.find((call) => call.replaced);
    const [info] = await one.listSessions(tidOf(alice));
    assert.ok(winner && info);
    // The session goes on with the winner's refresh token, on both instances.
    assertTokenOf(emulator(), await two.getAccessToken({ session, scopes: [READ_BASIC] }), alice);
    assertTokenOf(emulator(), await one.getAccessToken({ session, scopes: [READ_BASIC] }), alice);
    const later = shared.store.replaces.filter((call) => call.next.user.oid === tokenOid(alice));
    assert.deepEqual(
      later.slice(2).map((call) => [call.expectedVersion, call.replaced]),
      [
        [1, true],
        [2, true],
      ],
    );
  });

  it("does not serve the token of a refresh whose session was ended meanwhile", async () => {
    const cache = new SpyCache();
    const provider = apiProvider(emulator(), { tokenCache: cache });
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const bystander = await provider.startSession({
      userAssertion: await emulator().signIn({ user: bob }),
    });
    let ended = false;
    cache.store.beforeReplace = async () => {
      if (ended) return;
      ended = true;
      assert.equal(await provider.endSession(session), true);
    };
    await rejectsWithCode(
      provider.getAccessToken({ session, scopes: [USER_READ] }),
      "ERR_OBO_SESSION_NOT_FOUND",
    );
    await rejectsWithCode(provider.getAccessToken({ session }), "ERR_OBO_SESSION_NOT_FOUND");
    assertTokenOf(
      emulator(),
      await provider.getAccessToken({ session: bystander, scopes: [USER_READ] }),
      bob,
    );
  });

  function tokenOid(upn: string): string {
    const user = emulator().user(upn);
    assert.ok(user);
    return user.id;
  }

  function tidOf(upn: string): { tid: string; oid: string } {
    const user = emulator().user(upn);
    assert.ok(user);
    return { tid: user.tenantId, oid: user.id };
  }
});
