import assert from "node:assert/strict";
import { RedisTokenCache } from "../../lib/redis.js";
import type { Redis } from "ioredis";
import { KEY_A, KEY_B, disconnectClients, redisClient } from "../cache/redis/fixtures.js";
import { useEmulator } from "../emulator/support/emulator.js";
import { requireRedisServer, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { apiProvider, assertTokenOf, rejectsWithCode } from "./support.js";

const USER_READ = "https://graph.microsoft.com/User.Read";
const READ_BASIC = "https://graph.microsoft.com/User.ReadBasic.All";

/** Every key and value (strings, set members, hash fields) in Redis, as text. */
async function everything(client: Redis): Promise<string[]> {
  const out: string[] = [];
  for (const key of await client.keys("*")) {
    out.push(key);
    const type = await client.type(key);
    if (type === "string") out.push((await client.getBuffer(key))?.toString("latin1") ?? "");
    else if (type === "set") out.push(...(await client.smembers(key)));
    else if (type === "hash") out.push(...Object.entries(await client.hgetall(key)).flat());
    else out.push(`<${type}>`);
  }
  return out;
}

describe("long-running sessions: restart and a second instance on the same Redis", function () {
  this.timeout(60_000);
  const emulator = useEmulator();
  let server: RedisServer | undefined;

  before(async function () {
    requireRedisServer(this);
    server = await startRedisServer();
  });
  afterEach(() => {
    disconnectClients();
  });
  after(async () => {
    await server?.stop();
  });

  async function instance(keys = [{ id: "a", key: KEY_A }]) {
    assert.ok(server);
    const client = await redisClient(server.port);
    const provider = apiProvider(emulator(), {
      tokenCache: new RedisTokenCache({ client, encryptionKeys: keys }),
    });
    return { client, provider };
  }

  it("continues a session on a new provider (a restarted process) and on a second instance; ends it everywhere", async () => {
    const first = await instance();
    const session = await first.provider.startSession({
      userAssertion: await emulator().signIn({ user: "alice@contoso.example" }),
    });
    const bystander = await first.provider.startSession({
      userAssertion: await emulator().signIn({ user: "bob@contoso.example" }),
    });
    // Nothing readable in Redis: no refresh token, no key, no user.
    const stored = await everything(first.client);
    assert.ok(stored.length > 0);
    for (const value of stored) {
      assert.doesNotMatch(value, /alice|eyJ|obs1\./);
      assert.ok(!value.includes(session.slice(5)));
    }

    // "Restart": a new provider on a new connection, with a rotated key ring (new key first).
    const restarted = await instance([
      { id: "b", key: KEY_B },
      { id: "a", key: KEY_A },
    ]);
    emulator().advanceClock(2 * 60 * 60 * 1000);
    assertTokenOf(
      emulator(),
      await restarted.provider.getAccessToken({ session, scopes: [USER_READ] }),
      "alice@contoso.example",
    );
    const second = await instance([
      { id: "b", key: KEY_B },
      { id: "a", key: KEY_A },
    ]);
    assertTokenOf(
      emulator(),
      await second.provider.getAccessToken({ session, scopes: [READ_BASIC] }),
      "alice@contoso.example",
    );
    assert.equal(emulator().count({ endpoint: "token", flow: "refresh_token" }), 2);
    // Both instances refresh the same session at once, with a bystander: all served, and the
    // session goes on with whichever rotation won.
    const both = await Promise.all([
      restarted.provider.getAccessToken({ session, scopes: [USER_READ, READ_BASIC] }),
      second.provider.getAccessToken({ session, scopes: [USER_READ, READ_BASIC] }),
      second.provider.getAccessToken({ session: bystander, scopes: [READ_BASIC] }),
    ]);
    assertTokenOf(emulator(), both[0], "alice@contoso.example");
    assertTokenOf(emulator(), both[1], "alice@contoso.example");
    assertTokenOf(emulator(), both[2], "bob@contoso.example");
    assertTokenOf(
      emulator(),
      await restarted.provider.getAccessToken({ session, scopes: [READ_BASIC] }),
      "alice@contoso.example",
    );

    assert.equal(await second.provider.endSession(session), true);
    await rejectsWithCode(
      restarted.provider.getAccessToken({ session, scopes: [USER_READ] }),
      "ERR_OBO_SESSION_NOT_FOUND",
    );
    assertTokenOf(
      emulator(),
      await restarted.provider.getAccessToken({ session: bystander, scopes: [USER_READ] }),
      "bob@contoso.example",
    );
  });
});
