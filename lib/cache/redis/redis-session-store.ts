import { createHash } from "node:crypto";
import type { InternalLogger } from "../../util/logger.js";
import {
  checkSessionWrite,
  sessionDeadline,
  sessionStoreUnavailable,
} from "../../session/session-record.js";
import type { SessionLifetime, SessionRecord, SessionStore } from "../../session/session-store.js";
import { KeyRing } from "./key-ring.js";
import { UNAVAILABLE, type RedisStore } from "./redis-store.js";
import { openSession, sealSession } from "./session-codec.js";
import type { ScriptRunner } from "./session-scripts.js";

/** Settings of a {@link RedisSessionStore}. @internal */
export interface RedisSessionStoreOptions {
  /** The token cache's bounded, circuit-broken Redis calls (one breaker for the whole cache). */
  readonly store: RedisStore;
  readonly run: ScriptRunner;
  readonly ring: KeyRing;
  readonly keyPrefix: string;
  /** The provider's namespace: part of every name, and of what each record is bound to. */
  readonly namespace: string;
  readonly now: () => number;
  readonly log: InternalLogger;
}

/**
 * Creates a record unless a live one has its name. A record holds three hash fields: `v`, its
 * version, and `d`, its deadline, in clear text so that scripts can compare them without the key;
 * `c`, the sealed record (which holds both again, authenticated).
 */
const CREATE = `
local d = redis.call("hget", KEYS[1], "d")
if d and tonumber(d) > tonumber(ARGV[5]) then return 0 end
redis.call("del", KEYS[1])
redis.call("hset", KEYS[1], "v", ARGV[1], "d", ARGV[2], "c", ARGV[3])
redis.call("pexpire", KEYS[1], ARGV[4])
return 1`;

/** Compare-and-set on the version of a live record. */
const REPLACE = `
local s = redis.call("hmget", KEYS[1], "v", "d")
if s[1] ~= ARGV[1] or not s[2] or tonumber(s[2]) <= tonumber(ARGV[2]) then return 0 end
redis.call("hset", KEYS[1], "v", ARGV[3], "d", ARGV[4], "c", ARGV[5])
redis.call("pexpire", KEYS[1], ARGV[6])
return 1`;

/** Deletes a record; answers 1 only if it was live. */
const DELETE = `
local d = redis.call("hget", KEYS[1], "d")
if not d then return 0 end
redis.call("del", KEYS[1])
if tonumber(d) <= tonumber(ARGV[1]) then return 0 end
return 1`;

const READ = `return redis.call("hmget", KEYS[1], "v", "c")`;

/** Adds a session to a user's index (a sorted set scored by when it was added) and keeps the set alive. */
const INDEX_ADD = `
redis.call("zadd", KEYS[1], ARGV[1], ARGV[2])
if redis.call("pttl", KEYS[1]) < tonumber(ARGV[3]) then redis.call("pexpire", KEYS[1], ARGV[3]) end
return 1`;

const INDEX_LIST = `return redis.call("zrange", KEYS[1], 0, -1, "WITHSCORES")`;

const INDEX_PRUNE = `return redis.call("zrem", KEYS[1], unpack(ARGV))`;

/**
 * How long an index member whose record is absent is kept: a session is added to its user's index
 * before its record is written, so a `listByUser` running meanwhile must not prune it.
 */
const CREATE_GRACE_MS = 60_000;

/** Members pruned by one command (Lua's `unpack` has a bound). */
const PRUNE_CHUNK = 500;

/**
 * The {@link SessionStore} of a `RedisTokenCache`: sessions survive restarts and are shared by every
 * instance on the same Redis.
 *
 * @remarks
 * A record is a Redis hash named `<prefix>s:<SHA-256 of namespace and id>` (the id is already a
 * hash of the session key), whatever the encryption key, so that a key rotation never moves it and
 * `replace` is one compare-and-set script on one key. Its sealed field is encrypted with
 * AES-256-GCM under the primary key exactly like token entries, bound to its Redis name (a record
 * copied under another name, or another namespace, does not open) and readable under any key of
 * the ring; the version and the deadline beside it are in clear text for the scripts, and checked
 * against the sealed copy on every read. The Redis TTL is the remaining idle time or absolute
 * lifetime, whichever is shorter; reads also compare the deadline with this process's clock.
 *
 * The index of a user is a sorted set named `<prefix>su:<key id>:<HMAC of namespace, tid and oid>`
 * under the naming key of each ring key (never an oid in clear); `listByUser` reads it under every
 * key of the ring, opens each listed record and answers only live ones of that very user, and
 * prunes the rest in the background. The index and a record are in different cluster slots, so no
 * script spans both: a session is indexed before its record is written, so that listing the
 * sessions of a user (to end them all) never misses one that exists.
 *
 * Sessions are not a cache: when Redis cannot be used (error, time-out, circuit open), every method
 * rejects with `ERR_OBO_SESSION_STORE_UNAVAILABLE`, never answers "no session".
 *
 * @internal
 */
export class RedisSessionStore implements SessionStore {
  readonly #options: RedisSessionStoreOptions;
  #unreadable = 0;

  public constructor(options: RedisSessionStoreOptions) {
    this.#options = options;
  }

  /** Records found in Redis that could not be read (tampered, moved, or under a removed key). */
  public get unreadable(): number {
    return this.#unreadable;
  }

  /** {@inheritDoc SessionStore.create} */
  public async create(id: string, record: SessionRecord, lifetime: SessionLifetime): Promise<void> {
    checkSessionWrite(id, record, lifetime);
    const now = this.#options.now();
    const deadline = sessionDeadline(record, lifetime);
    if (deadline <= now) return; // born expired: reads would never answer it
    await this.#index(id, record, lifetime, now);
    const name = this.#recordName(id);
    const sealed = sealSession(this.#options.ring.primary, name, { record, deadline });
    const created = await this.#script(
      CREATE,
      name,
      [String(record.version), String(deadline), sealed, ttl(deadline, now), String(now)],
      "store a new session",
    );
    if (created !== 1) {
      throw sessionStoreUnavailable("a session with this id exists already; nothing stored.");
    }
  }

  /** {@inheritDoc SessionStore.get} */
  public async get(id: string): Promise<SessionRecord | undefined> {
    return (await this.#read(this.#recordName(id), this.#options.now()))?.record;
  }

  /** {@inheritDoc SessionStore.replace} */
  public async replace(
    id: string,
    expectedVersion: number,
    next: SessionRecord,
    lifetime: SessionLifetime,
  ): Promise<boolean> {
    checkSessionWrite(id, next, lifetime);
    const now = this.#options.now();
    const deadline = sessionDeadline(next, lifetime);
    await this.#index(id, next, lifetime, now);
    const name = this.#recordName(id);
    const sealed = sealSession(this.#options.ring.primary, name, { record: next, deadline });
    const replaced = await this.#script(
      REPLACE,
      name,
      [
        String(expectedVersion),
        String(now),
        String(next.version),
        String(deadline),
        sealed,
        ttl(deadline, now),
      ],
      "replace a session",
    );
    return replaced === 1;
  }

  /** {@inheritDoc SessionStore.delete} */
  public async delete(id: string): Promise<boolean> {
    const now = this.#options.now();
    const deleted = await this.#script(
      DELETE,
      this.#recordName(id),
      [String(now)],
      "delete a session",
    );
    return deleted === 1;
  }

  /** {@inheritDoc SessionStore.listByUser} */
  public async listByUser(tid: string, oid: string): Promise<readonly string[]> {
    const now = this.#options.now();
    const indexes = this.#options.ring.keys.map((key) => this.#indexName(key, tid, oid));
    const replies = await Promise.all(
      indexes.map((index) => this.#script(INDEX_LIST, index, [], "list a user's sessions")),
    );
    const addedAt = new Map<string, number>();
    for (const reply of replies) {
      const flat = Array.isArray(reply) ? (reply as unknown[]) : [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = String(flat[i]);
        const score = Number(String(flat[i + 1]));
        addedAt.set(id, Math.max(addedAt.get(id) ?? -Infinity, score));
      }
    }
    const ids = [...addedAt.keys()];
    const found = await Promise.all(ids.map((id) => this.#read(this.#recordName(id), now)));
    const live: string[] = [];
    const dead: string[] = [];
    ids.forEach((id, i) => {
      const session = found[i];
      if (session?.record.user.tid === tid && session.record.user.oid === oid) live.push(id);
      else if (session !== undefined || (addedAt.get(id) ?? 0) < now - CREATE_GRACE_MS) {
        dead.push(id); // another user's, ended, expired or unreadable; not a create in flight
      }
    });
    if (dead.length > 0) this.#prune(indexes, dead);
    return Object.freeze(live);
  }

  /** Reads and opens a record; `undefined` when absent, unreadable or past its deadline. */
  async #read(name: string, now: number): Promise<{ record: SessionRecord } | undefined> {
    const reply = await this.#script(READ, name, [], "read a session");
    const [version, sealed] = Array.isArray(reply) ? (reply as unknown[]) : [];
    if (!Buffer.isBuffer(sealed) || !Buffer.isBuffer(version)) return undefined;
    const opened = openSession(this.#options.ring, name, sealed);
    if (!opened.ok || version.toString() !== String(opened.record.version)) {
      this.#unreadable++;
      this.#options.log.warn(
        `a session in Redis could not be read (${opened.ok ? "version mismatch" : opened.reason}: tampered, moved or sealed under a removed key); it is treated as ended`,
      );
      return undefined;
    }
    if (opened.deadline <= now) return undefined;
    return { record: opened.record };
  }

  /** Adds the session to its user's index under the primary key (before its record changes). */
  async #index(
    id: string,
    record: SessionRecord,
    lifetime: SessionLifetime,
    now: number,
  ): Promise<void> {
    const index = this.#indexName(this.#options.ring.primary, record.user.tid, record.user.oid);
    const end = Math.max(
      record.createdAt + lifetime.maxLifetimeMs,
      sessionDeadline(record, lifetime),
    );
    await this.#script(INDEX_ADD, index, [String(now), id, ttl(end, now)], "index a session");
  }

  /** Drops members from every index name, in the background: the next listing retries. */
  #prune(indexes: readonly string[], ids: readonly string[]): void {
    const { store, run } = this.#options;
    for (const index of indexes) {
      for (let i = 0; i < ids.length; i += PRUNE_CHUNK) {
        void store.run(() => run(INDEX_PRUNE, index, ids.slice(i, i + PRUNE_CHUNK)));
      }
    }
  }

  /** Runs a script under the cache's time-out and breaker; Redis unavailable is an error. */
  async #script(
    script: string,
    key: string,
    args: readonly (string | Buffer)[],
    what: string,
  ): Promise<unknown> {
    const { store, run } = this.#options;
    const outcome = await store.run(() => run(script, key, args));
    if (outcome === UNAVAILABLE) {
      throw sessionStoreUnavailable(
        `Redis is unavailable (error, time-out or circuit open), so the store could not ${what}; the session is not known to be gone: retry later.`,
      );
    }
    return outcome;
  }

  #recordName(id: string): string {
    const digest = createHash("sha256")
      .update(JSON.stringify(["session", this.#options.namespace, id]), "utf8")
      .digest("base64url");
    return `${this.#options.keyPrefix}s:${digest}`;
  }

  #indexName(key: KeyRing["primary"], tid: string, oid: string): string {
    const digest = KeyRing.digest(
      key,
      JSON.stringify(["session-user", this.#options.namespace, tid, oid]),
    );
    return `${this.#options.keyPrefix}su:${key.id}:${digest}`;
  }
}

/** A Redis TTL in milliseconds until `end`, at least 1. */
function ttl(end: number, now: number): string {
  return String(Math.max(1, Math.ceil(end - now)));
}
