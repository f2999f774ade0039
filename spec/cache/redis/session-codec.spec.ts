import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { sealEntry, sealFrame } from "../../../lib/cache/redis/entry-codec.js";
import { KeyRing } from "../../../lib/cache/redis/key-ring.js";
import { openSession, sealSession } from "../../../lib/cache/redis/session-codec.js";
import type { SessionRecord } from "../../../lib/session/session-store.js";

const RING = KeyRing.from([{ id: "k1", key: randomBytes(32) }], "encryptionKeys");
const NAME = "graph-obo-auth:s:record-digest";
const RECORD: SessionRecord = {
  refreshToken: "rt-secret-0123456789",
  clientId: "22222222-0000-4000-8000-000000000001",
  agentId: "33333333-0000-4000-8000-000000000001",
  tenantId: "11111111-0000-4000-8000-000000000001",
  scopes: ["https://graph.microsoft.com/User.Read", "offline_access", "é-scope"],
  user: {
    oid: "00000000-0000-4000-8000-000000000001",
    tid: "11111111-0000-4000-8000-000000000001",
  },
  createdAt: 1_796_112_000_000,
  lastUsedAt: 1_796_112_600_000.5,
  version: 7,
};
const DEADLINE = 1_796_116_200_000;

describe("Redis session record encryption", () => {
  it("opens what it sealed, as a frozen record with its deadline", () => {
    const sealed = sealSession(RING.primary, NAME, { record: RECORD, deadline: DEADLINE });
    assert.equal(sealed.includes(Buffer.from(RECORD.refreshToken)), false);
    assert.equal(sealed.includes(Buffer.from(RECORD.user.oid)), false);
    const opened = openSession(RING, NAME, sealed);
    assert.ok(opened.ok);
    assert.deepEqual(opened.record, RECORD);
    assert.equal(opened.deadline, DEADLINE);
    assert.equal(opened.keyId, "k1");
    assert.ok(Object.isFrozen(opened.record) && Object.isFrozen(opened.record.scopes));
  });

  it("keeps a session without an agent id and without scopes", () => {
    const { agentId: _, ...plain } = RECORD;
    const bare = { ...plain, scopes: [] };
    const opened = openSession(
      RING,
      NAME,
      sealSession(RING.primary, NAME, { record: bare, deadline: DEADLINE }),
    );
    assert.ok(opened.ok);
    assert.deepEqual(opened.record, bare);
  });

  it("does not open under another name, a truncated or flipped value, or a token entry", () => {
    const sealed = sealSession(RING.primary, NAME, { record: RECORD, deadline: DEADLINE });
    const outcome = (name: string, value: Buffer) => {
      const opened = openSession(RING, name, value);
      return opened.ok ? "opened" : opened.reason;
    };
    assert.equal(outcome(`${NAME}x`, sealed), "authentication failed");
    assert.equal(outcome(NAME, sealed.subarray(0, sealed.length - 1)), "authentication failed");
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] ?? 0) ^ 0x80;
    assert.equal(outcome(NAME, flipped), "authentication failed");
    assert.equal(outcome(NAME, sealed.subarray(0, 10)), "unknown format");
    const other = KeyRing.from([{ id: "k2", key: randomBytes(32) }], "encryptionKeys");
    assert.equal(openSession(other, NAME, sealed).ok, false);
    const entry = sealEntry(RING.primary, NAME, {
      accessToken: "at",
      expiresAt: DEADLINE,
      refreshAt: DEADLINE,
    });
    assert.equal(outcome(NAME, entry), "unknown format");
  });

  it("refuses an authentic but malformed plaintext (strict binary reader)", () => {
    const good = sealSession(RING.primary, NAME, { record: RECORD, deadline: DEADLINE });
    const opened = openSession(RING, NAME, good);
    assert.ok(opened.ok);
    for (const plaintext of [
      Buffer.from("{}"),
      Buffer.of(1),
      Buffer.concat([Buffer.of(1), Buffer.alloc(32), Buffer.from([0xff, 0xff, 0xff, 0xff])]),
    ]) {
      const sealed = sealFrame(3, RING.primary, NAME, plaintext);
      const outcome = openSession(RING, NAME, sealed);
      assert.equal(outcome.ok ? "opened" : outcome.reason, "malformed content");
    }
  });
});
