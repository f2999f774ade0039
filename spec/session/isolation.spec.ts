import assert from "node:assert/strict";
import { isOnBehalfOfError } from "../../lib/index.js";
import { claimsOf, useEmulator } from "../emulator/support/emulator.js";
import { apiProvider } from "./support.js";

const USER_READ = "https://graph.microsoft.com/User.Read";
const USERS = 100;
const SESSIONS_PER_USER = 10;

/** Runs `work` over `items` with at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>) {
  const results = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      try {
        results[index] = { status: "fulfilled", value: await work(item) };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  }
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

/** A deterministic shuffle (no flakiness, still interleaved users and sessions). */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  let seed = 15;
  for (let i = copy.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe("long-running sessions: isolation under concurrency", () => {
  const emulator = useEmulator();

  it("serves 1,000 sessions of 100 users concurrently, never one session's token for another, with 10 users revoked meanwhile", async () => {
    const upns = Array.from({ length: USERS }, (_, i) => `session-user-${i}@contoso.example`);
    for (const upn of upns) {
      if (emulator().user(upn) === undefined) emulator().addUser({ userPrincipalName: upn });
    }
    const provider = apiProvider(emulator());
    const assertions = await Promise.all(upns.map((user) => emulator().signIn({ user })));
    const wanted = upns.flatMap((upn, u) =>
      Array.from({ length: SESSIONS_PER_USER }, () => ({ upn, assertion: assertions[u] ?? "" })),
    );
    const started = await pool(shuffled(wanted), 50, async ({ upn, assertion }) => ({
      upn,
      key: await provider.startSession({ userAssertion: assertion }),
    }));
    const sessions = started.map((result) => {
      assert.equal(result.status, "fulfilled");
      return result.value;
    });
    assert.equal(new Set(sessions.map((s) => s.key)).size, USERS * SESSIONS_PER_USER);

    // Ten users' sessions are revoked: their refreshes fail, everyone else's are served.
    const revoked = new Set(upns.slice(0, 10));
    for (const upn of revoked) emulator().revokeSessions(upn);

    // Every session is used twice: its cached start token and a refresh, all interleaved.
    const uses = shuffled(
      sessions.flatMap((session) => [
        { ...session, scopes: undefined },
        { ...session, scopes: [USER_READ] },
      ]),
    );
    const served = await pool(uses, 100, (use) =>
      provider.getAccessToken({
        session: use.key,
        ...(use.scopes === undefined ? {} : { scopes: use.scopes }),
      }),
    );
    const seen = new Map<string, string>();
    served.forEach((result, index) => {
      const use = uses[index];
      assert.ok(use);
      if (result.status === "rejected") {
        assert.ok(revoked.has(use.upn), "only revoked users' sessions fail");
        assert.ok(
          isOnBehalfOfError(result.reason, "ERR_OBO_SESSION_REVOKED") ||
            isOnBehalfOfError(result.reason, "ERR_OBO_SESSION_NOT_FOUND"),
        );
        return;
      }
      const claims = claimsOf(result.value);
      assert.equal(claims.oid, emulator().user(use.upn)?.id, "the session's own user");
      const owner = seen.get(result.value);
      assert.ok(owner === undefined || owner === use.key, "no token served for two sessions");
      seen.set(result.value, use.key);
    });
    const bystanders = uses.filter((use) => !revoked.has(use.upn)).length;
    assert.equal(
      uses.filter((use, index) => !revoked.has(use.upn) && served[index]?.status === "fulfilled")
        .length,
      bystanders,
      "every bystander served",
    );
    // Each revoked user's sessions are ended: none is left to list.
    for (const upn of revoked) {
      const user = emulator().user(upn);
      assert.ok(user);
      assert.deepEqual(await provider.listSessions({ tid: user.tenantId, oid: user.id }), []);
    }
  }).timeout(180_000);
});
