import { OptionChecks } from "../options/checks.js";
import {
  checkSessionWrite,
  frozenRecord,
  sessionDeadline,
  sessionStoreUnavailable,
} from "./session-record.js";
import type { SessionLifetime, SessionRecord, SessionStore } from "./session-store.js";

const CHECKS = new OptionChecks("MemorySessionStore");

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /**
   * The most sessions kept. A live session is never evicted to make room (that would end a user's
   * job without a word): once the store is full, after dropping the expired sessions it finds,
   * `create` fails with `ERR_OBO_SESSION_STORE_UNAVAILABLE`.
   *
   * @defaultValue 10000
   */
  readonly maxSessions?: number;
  /** The clock, for tests. @defaultValue `Date.now` */
  readonly now?: () => number;
}

/** Counters of a {@link MemorySessionStore}. */
export type MemorySessionStoreStats = Readonly<{
  /** Sessions held now (expired ones not purged yet included). */
  sessions: number;
  /** Sessions dropped because their idle time or lifetime had passed. */
  expiredSessions: number;
}>;

// Alike MemoryTokenCache's ring and sweep (duplicates D6) in shape only: sessions are never evicted
// while alive and carry their own deadline, so the two structures keep separate code.
/** Ring positions a write examines for expired sessions (bounded work per write). */
const SWEEP_STEP = 2;
/** Ring positions a `create` into a full store examines for expired sessions. */
const FULL_SCAN = 64;

/** One stored session with its place in the ring. */
interface Slot {
  readonly id: string;
  record: SessionRecord;
  /** When the session stops being usable (milliseconds since the epoch). */
  deadline: number;
  /** The key of the user's index. */
  user: string;
  readonly index: number;
}

/**
 * The in-memory {@link SessionStore}, which the default {@link MemoryTokenCache} provides: sessions
 * live as long as the process, so a job cannot continue on another instance or after a restart
 * (use a `RedisTokenCache` for that).
 *
 * @remarks
 * Records are deep-frozen copies: what a caller passes is copied before it is kept, and what `get`
 * answers cannot be changed. A session's deadline is the earlier of its last use plus the idle
 * time and its start plus the absolute lifetime; `get`, `replace` and `listByUser` never answer a
 * session past it and drop it when they meet it, and every write also examines the next two
 * positions of a ring of all sessions and drops what has expired there, so expired sessions are
 * purged a few at a time, never by a walk of the whole store. `listByUser` reads an index by
 * tenant and object id, so its work is the user's sessions only.
 */
export class MemorySessionStore implements SessionStore {
  readonly #slots = new Map<string, Slot>();
  readonly #byUser = new Map<string, Set<string>>();
  /** Slots by ring position; `undefined` marks a free position (listed in `#free`). */
  readonly #ring: (Slot | undefined)[] = [];
  readonly #free: number[] = [];
  readonly #maxSessions: number;
  readonly #now: () => number;
  #sweepCursor = 0;
  #expired = 0;

  /** @param options - size bound and clock */
  public constructor(options: MemorySessionStoreOptions = {}) {
    this.#maxSessions = CHECKS.positiveInteger(options.maxSessions, "maxSessions", 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** The number of sessions held now (expired ones not purged yet included). */
  public get size(): number {
    return this.#slots.size;
  }

  /** Counters: sessions held, and sessions dropped because they had expired. */
  public stats(): MemorySessionStoreStats {
    return { sessions: this.#slots.size, expiredSessions: this.#expired };
  }

  /**
   * {@inheritDoc SessionStore.create}
   *
   * @throws `OnBehalfOfError` `ERR_OBO_SESSION_STORE_UNAVAILABLE` when `id` exists or the store is
   * full; `ERR_OBO_CONFIGURATION` for a malformed record or lifetime
   */
  public create(id: string, record: SessionRecord, lifetime: SessionLifetime): Promise<void> {
    return new Promise((resolve) => {
      checkSessionWrite(id, record, lifetime);
      const now = this.#now();
      const existing = this.#live(id, now);
      if (existing !== undefined) {
        throw sessionStoreUnavailable("a session with this id exists already; nothing stored.");
      }
      if (this.#slots.size >= this.#maxSessions) {
        this.#sweep(now, FULL_SCAN);
        if (this.#slots.size >= this.#maxSessions) {
          throw sessionStoreUnavailable(
            `the in-memory session store is full (maxSessions ${this.#maxSessions}); no live session is evicted to make room.`,
          );
        }
      }
      const kept = frozenRecord(record);
      const index = this.#free.pop() ?? this.#ring.length;
      const slot: Slot = {
        id,
        record: kept,
        deadline: sessionDeadline(kept, lifetime),
        user: userKey(kept.user.tid, kept.user.oid),
        index,
      };
      this.#ring[index] = slot;
      this.#slots.set(id, slot);
      this.#index(slot);
      this.#sweep(now, SWEEP_STEP);
      resolve();
    });
  }

  /** {@inheritDoc SessionStore.get} */
  public get(id: string): Promise<SessionRecord | undefined> {
    return Promise.resolve(this.#live(id, this.#now())?.record);
  }

  /**
   * Replaces the session if its stored `version` is still `expectedVersion`; answers whether it
   * did. An expired or absent session is not replaced. Should `next` name another user, the
   * session moves to that user's index.
   *
   * @throws `OnBehalfOfError` `ERR_OBO_CONFIGURATION` for a malformed record or lifetime
   */
  public replace(
    id: string,
    expectedVersion: number,
    next: SessionRecord,
    lifetime: SessionLifetime,
  ): Promise<boolean> {
    return new Promise((resolve) => {
      checkSessionWrite(id, next, lifetime);
      const now = this.#now();
      const slot = this.#live(id, now);
      let replaced = false;
      if (slot?.record.version === expectedVersion) {
        const kept = frozenRecord(next);
        const user = userKey(kept.user.tid, kept.user.oid);
        if (user !== slot.user) {
          this.#unindex(slot);
          slot.user = user;
          this.#index(slot);
        }
        slot.record = kept;
        slot.deadline = sessionDeadline(kept, lifetime);
        replaced = true;
      }
      this.#sweep(now, SWEEP_STEP);
      resolve(replaced);
    });
  }

  /** {@inheritDoc SessionStore.delete} */
  public delete(id: string): Promise<boolean> {
    const slot = this.#live(id, this.#now());
    if (slot !== undefined) this.#remove(slot);
    return Promise.resolve(slot !== undefined);
  }

  /** {@inheritDoc SessionStore.listByUser} */
  public listByUser(tid: string, oid: string): Promise<readonly string[]> {
    const ids = this.#byUser.get(userKey(tid, oid));
    if (ids === undefined) return Promise.resolve([]);
    const now = this.#now();
    const live: string[] = [];
    for (const id of [...ids]) {
      if (this.#live(id, now) !== undefined) live.push(id);
    }
    return Promise.resolve(Object.freeze(live));
  }

  /** The slot of a session that has not expired; drops it when it has. */
  #live(id: string, now: number): Slot | undefined {
    const slot = this.#slots.get(id);
    if (slot === undefined) return undefined;
    if (slot.deadline <= now) {
      this.#remove(slot);
      this.#expired++;
      return undefined;
    }
    return slot;
  }

  #index(slot: Slot): void {
    let ids = this.#byUser.get(slot.user);
    if (ids === undefined) {
      ids = new Set();
      this.#byUser.set(slot.user, ids);
    }
    ids.add(slot.id);
  }

  #unindex(slot: Slot): void {
    const ids = this.#byUser.get(slot.user);
    if (ids === undefined) return;
    ids.delete(slot.id);
    if (ids.size === 0) this.#byUser.delete(slot.user);
  }

  #remove(slot: Slot): void {
    this.#slots.delete(slot.id);
    this.#unindex(slot);
    this.#ring[slot.index] = undefined;
    this.#free.push(slot.index);
  }

  /** Drops the expired sessions among the next `positions` ring positions. */
  #sweep(now: number, positions: number): void {
    const ring = this.#ring;
    for (let i = 0; i < positions && ring.length > 0; i++) {
      if (this.#sweepCursor >= ring.length) this.#sweepCursor = 0;
      const slot = ring[this.#sweepCursor++];
      if (slot !== undefined && slot.deadline <= now) {
        this.#remove(slot);
        this.#expired++;
      }
    }
  }
}

/** The index key of a user: tenant and object id, unambiguously. */
function userKey(tid: string, oid: string): string {
  return JSON.stringify([tid, oid]);
}
