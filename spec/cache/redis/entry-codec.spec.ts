import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { openEntry, sealEntry, sealEntryV1 } from "../../../lib/cache/redis/entry-codec.js";
import { KeyRing } from "../../../lib/cache/redis/key-ring.js";
import type { CachedToken } from "../../../lib/cache/token-cache.js";
import { OnBehalfOfError } from "../../../lib/util/errors.js";

const KEY_1 = randomBytes(32);
const KEY_2 = randomBytes(32);
const CACHE_KEY = "obo|login.microsoftonline.com|tenant|client|assertion-hash|scopes";
const TOKEN = "eyJ0eXAiOiJKV1QifQ.eyJvaWQiOiJzZWNyZXQtdXNlciJ9.sig";
const ENTRY: CachedToken = {
  accessToken: TOKEN,
  expiresAt: 1_900_000_000_000,
  refreshAt: 1_899_999_700_000,
  assertionExpiresAt: 1_899_999_000_000,
};

function ring(...keys: [string, Uint8Array | string][]): KeyRing {
  return KeyRing.from(
    keys.map(([id, key]) => ({ id, key })),
    "encryptionKeys",
  );
}

function configurationErrorFor(option: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof OnBehalfOfError);
    assert.equal(error.code, "ERR_OBO_CONFIGURATION");
    assert.equal(error.option, option);
    assert.match(error.message, /^RedisTokenCache: option/);
    return true;
  };
}

describe("Redis cache encryption", () => {
  describe("key ring", () => {
    it("takes 32-byte keys as bytes, base64 or base64url text, the first as primary", () => {
      const keys = ring(
        ["b64", KEY_1.toString("base64")],
        ["b64url", KEY_2.toString("base64url")],
        ["bytes", randomBytes(32)],
      );
      assert.equal(keys.primary.id, "b64");
      assert.deepEqual(
        keys.keys.map((k) => k.id),
        ["b64", "b64url", "bytes"],
      );
      assert.equal(keys.byId("b64url")?.id, "b64url");
      assert.equal(keys.byId("missing"), undefined);
    });

    it("derives distinct subkeys, and never keeps the key material itself", () => {
      const [key] = ring(["k", KEY_1]).keys;
      assert.ok(key !== undefined);
      assert.notDeepEqual(key.encryptionKey, key.namingKey);
      assert.notDeepEqual(key.encryptionKey, KEY_1);
      assert.notDeepEqual(key.namingKey, KEY_1);
      assert.equal(KEY_1.length, 32, "the caller's buffer is left alone");
    });

    it("names entries with an HMAC that depends on the key", () => {
      const [a] = ring(["k", KEY_1]).keys;
      const [b] = ring(["k", KEY_2]).keys;
      assert.ok(a !== undefined && b !== undefined);
      const name = KeyRing.digest(a, CACHE_KEY);
      assert.match(name, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(KeyRing.digest(a, CACHE_KEY), name);
      assert.notEqual(KeyRing.digest(b, CACHE_KEY), name);
      assert.notEqual(KeyRing.digest(a, `${CACHE_KEY}x`), name);
    });

    it("refuses bad key material with ERR_OBO_CONFIGURATION naming the key, never its value", () => {
      const short = randomBytes(16);
      const cases: [unknown, string][] = [
        [undefined, "encryptionKeys"],
        [[], "encryptionKeys"],
        [[null], "encryptionKeys[0]"],
        [[{ id: "", key: KEY_1 }], "encryptionKeys[0].id"],
        [[{ id: "has space", key: KEY_1 }], "encryptionKeys[0].id"],
        [[{ id: "x".repeat(33), key: KEY_1 }], "encryptionKeys[0].id"],
        [[{ id: "a", key: short }], "encryptionKeys[0].key"],
        [[{ id: "a", key: short.toString("base64") }], "encryptionKeys[0].key"],
        [[{ id: "a", key: randomBytes(33).toString("base64") }], "encryptionKeys[0].key"],
        [[{ id: "a", key: 42 }], "encryptionKeys[0].key"],
        [
          [
            { id: "a", key: KEY_1 },
            { id: "a", key: KEY_2 },
          ],
          "encryptionKeys[1].id",
        ],
      ];
      for (const [keys, option] of cases) {
        assert.throws(() => KeyRing.from(keys, "encryptionKeys"), configurationErrorFor(option));
      }
      assert.throws(
        () => KeyRing.from([{ id: "a", key: short.toString("base64") }], "encryptionKeys"),
        (error: Error) => !error.message.includes(short.toString("base64")),
      );
    });
  });

  describe("entries", () => {
    const keys = ring(["new", KEY_1], ["old", KEY_2]);
    const [primary, old] = keys.keys;
    assert.ok(primary !== undefined && old !== undefined);

    it("round-trips an entry, and the stored bytes reveal nothing of it", () => {
      const sealed = sealEntry(primary, CACHE_KEY, ENTRY);
      const text = sealed.toString("latin1");
      for (const secret of [TOKEN, "secret-user", CACHE_KEY, "assertion-hash", "tenant"]) {
        assert.ok(!text.includes(secret), `stored bytes contain ${secret}`);
      }
      assert.deepEqual(openEntry(keys, CACHE_KEY, sealed, "new"), {
        ok: true,
        entry: ENTRY,
        keyId: "new",
      });
      const appOnly = {
        accessToken: TOKEN,
        expiresAt: ENTRY.expiresAt,
        refreshAt: ENTRY.refreshAt,
      };
      const opened = openEntry(keys, CACHE_KEY, sealEntry(old, CACHE_KEY, appOnly), "old");
      assert.deepEqual(opened, { ok: true, entry: appOnly, keyId: "old" });
    });

    it("uses a fresh IV for every entry", () => {
      assert.notDeepEqual(
        sealEntry(primary, CACHE_KEY, ENTRY),
        sealEntry(primary, CACHE_KEY, ENTRY),
      );
    });

    it("refuses an entry stored under another cache key", () => {
      const sealed = sealEntry(primary, "another cache key", ENTRY);
      assert.deepEqual(openEntry(keys, CACHE_KEY, sealed, "new"), {
        ok: false,
        reason: "authentication failed",
      });
    });

    it("refuses tampered, truncated, relabelled and foreign values", () => {
      const sealed = sealEntry(primary, CACHE_KEY, ENTRY);
      const flipped = Buffer.from(sealed);
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
      const relabelled = Buffer.concat([Buffer.of(1, 3), Buffer.from("old"), sealed.subarray(5)]);
      const cases: [Buffer, string, string][] = [
        [flipped, "new", "authentication failed"],
        [sealed.subarray(0, sealed.length - 1), "new", "authentication failed"],
        [sealed.subarray(0, 20), "new", "unknown format"],
        [Buffer.alloc(0), "new", "unknown format"],
        [Buffer.from("plain text token"), "new", "unknown format"],
        [Buffer.concat([Buffer.of(3), sealed.subarray(1)]), "new", "unknown format"],
        [Buffer.concat([Buffer.of(1), sealed.subarray(1)]), "new", "authentication failed"],
        [relabelled, "old", "authentication failed"],
        [sealed, "old", "unknown key id"],
      ];
      for (const [value, keyId, reason] of cases) {
        assert.deepEqual(openEntry(keys, CACHE_KEY, value, keyId), { ok: false, reason });
      }
    });

    it("writes a binary frame (version 2), no JSON", () => {
      const sealed = sealEntry(primary, CACHE_KEY, ENTRY);
      assert.equal(sealed[0], 2);
      assert.equal(sealed.toString("latin1", 2, 2 + (sealed[1] ?? 0)), "new");
      // header, IV, tag, then the three times and the token: no JSON punctuation to encrypt.
      assert.equal(sealed.length, 2 + 3 + 12 + 16 + 24 + Buffer.byteLength(TOKEN));
    });

    it("still reads entries written by earlier releases (version 1, JSON), under any ring key", () => {
      const appOnly = {
        accessToken: TOKEN,
        expiresAt: ENTRY.expiresAt,
        refreshAt: ENTRY.refreshAt,
      };
      const older = sealEntryV1(old, CACHE_KEY, ENTRY);
      assert.equal(older[0], 1);
      assert.deepEqual(openEntry(keys, CACHE_KEY, older, "old"), {
        ok: true,
        entry: ENTRY,
        keyId: "old",
      });
      assert.deepEqual(
        openEntry(keys, CACHE_KEY, sealEntryV1(primary, CACHE_KEY, appOnly), "new"),
        {
          ok: true,
          entry: appOnly,
          keyId: "new",
        },
      );
      assert.deepEqual(openEntry(keys, "another cache key", older, "old"), {
        ok: false,
        reason: "authentication failed",
      });
      const flipped = Buffer.from(older);
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
      assert.deepEqual(openEntry(keys, CACHE_KEY, flipped, "old"), {
        ok: false,
        reason: "authentication failed",
      });
      for (const bad of [
        { accessToken: "", expiresAt: 1, refreshAt: 1 },
        { accessToken: "t", expiresAt: Number.NaN, refreshAt: 1 },
      ]) {
        assert.deepEqual(openEntry(keys, CACHE_KEY, sealEntryV1(primary, CACHE_KEY, bad), "new"), {
          ok: false,
          reason: "malformed content",
        });
      }
    });

    it("reads a version 1 value as the previous release wrote it, byte for byte", () => {
      // Written by the previous release's sealEntry under key "2026-10" (32 bytes of 0x2a).
      const written =
        "AQcyMDI2LTEwmp9DfDN/aRD+BbqUQu1he/tpSJtFbRMpXv2F6Jib8MSzVIQHPyRGgHFB2dn1bpTFWbTRdWP8wLw61RCeubikvHYAU3Cpn1pAvj0sqrDKhfZFHFQkJ+ZhryWOWWonexEoXVjYJxdQmwIyh0NZA+VazKe49E9ZwKWg+mXiybB/PZ6eL1XA+7Zw9527vU9S";
      const previous = ring(["2026-11", KEY_1], ["2026-10", Buffer.alloc(32, 0x2a)]);
      assert.deepEqual(openEntry(previous, CACHE_KEY, Buffer.from(written, "base64"), "2026-10"), {
        ok: true,
        entry: ENTRY,
        keyId: "2026-10",
      });
    });

    it("keeps a token's non-ASCII text and extreme times intact", () => {
      const odd = {
        accessToken: "tökén-€-𝄞",
        expiresAt: Number.MAX_SAFE_INTEGER,
        refreshAt: -1.5,
        assertionExpiresAt: 0,
      };
      assert.deepEqual(openEntry(keys, CACHE_KEY, sealEntry(primary, CACHE_KEY, odd), "new"), {
        ok: true,
        entry: odd,
        keyId: "new",
      });
    });

    it("refuses an entry whose key left the ring", () => {
      const sealed = sealEntry(old, CACHE_KEY, ENTRY);
      const newOnly = ring(["new", KEY_1]);
      assert.deepEqual(openEntry(newOnly, CACHE_KEY, sealed, "old"), {
        ok: false,
        reason: "unknown key id",
      });
    });

    it("refuses authentic content of the wrong shape", () => {
      for (const bad of [
        { accessToken: "", expiresAt: 1, refreshAt: 1 },
        { accessToken: "t", expiresAt: Number.NaN, refreshAt: 1 },
        { accessToken: "t", expiresAt: 1, refreshAt: 1, assertionExpiresAt: Infinity },
        { accessToken: "t", expiresAt: 1, refreshAt: Number.NEGATIVE_INFINITY },
      ]) {
        const sealed = sealEntry(primary, CACHE_KEY, bad);
        assert.deepEqual(openEntry(keys, CACHE_KEY, sealed, "new"), {
          ok: false,
          reason: "malformed content",
        });
      }
    });
  });
});
