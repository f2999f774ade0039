import { MemoryTokenCache, type CachedToken, type TokenCache } from "../../lib/index.js";
import type {
  SessionLifetime,
  SessionRecord,
  SessionStore,
} from "../../lib/session/session-store.js";

/** One `replace` a store was asked for, and its answer. */
export interface ReplaceCall {
  readonly id: string;
  readonly expectedVersion: number;
  readonly next: SessionRecord;
  readonly replaced: boolean;
}

/** A session store that delegates and records the writes (for specs only). */
export class SpyStore implements SessionStore {
  public readonly replaces: ReplaceCall[] = [];
  readonly #inner: SessionStore;
  /** Runs before each `replace` reaches the inner store: lets a spec interleave writers. */
  public beforeReplace: (() => Promise<void>) | undefined;

  public constructor(inner: SessionStore) {
    this.#inner = inner;
  }

  public create(id: string, record: SessionRecord, lifetime: SessionLifetime): Promise<void> {
    return this.#inner.create(id, record, lifetime);
  }

  public get(id: string): Promise<SessionRecord | undefined> {
    return this.#inner.get(id);
  }

  public async replace(
    id: string,
    expectedVersion: number,
    next: SessionRecord,
    lifetime: SessionLifetime,
  ): Promise<boolean> {
    await this.beforeReplace?.();
    const replaced = await this.#inner.replace(id, expectedVersion, next, lifetime);
    this.replaces.push({ id, expectedVersion, next, replaced });
    return replaced;
  }

  public delete(id: string): Promise<boolean> {
    return this.#inner.delete(id);
  }

  public listByUser(tid: string, oid: string): Promise<readonly string[]> {
    return this.#inner.listByUser(tid, oid);
  }
}

/**
 * A memory token cache whose session stores are spied on. Given another `SpyCache`, it keeps its
 * own tokens but shares that one's sessions: two instances of an API sharing a session store.
 */
export class SpyCache implements TokenCache {
  readonly #inner = new MemoryTokenCache();
  readonly #stores = new Map<string, SpyStore>();
  readonly #sessionsOf: SpyCache | undefined;

  public constructor(sessionsOf?: SpyCache) {
    this.#sessionsOf = sessionsOf;
  }

  /** The store of the (only) namespace used so far. */
  public get store(): SpyStore {
    if (this.#sessionsOf !== undefined) return this.#sessionsOf.store;
    const [store] = this.#stores.values();
    if (store === undefined) throw new Error("no session store was asked for yet");
    return store;
  }

  public get(key: string): CachedToken | undefined {
    return this.#inner.get(key);
  }

  public set(key: string, entry: CachedToken): void {
    this.#inner.set(key, entry);
  }

  public delete(key: string): void {
    this.#inner.delete(key);
  }

  public sessionStore(namespace: string): SessionStore {
    if (this.#sessionsOf !== undefined) return this.#sessionsOf.sessionStore(namespace);
    let store = this.#stores.get(namespace);
    if (store === undefined) {
      store = new SpyStore(this.#inner.sessionStore(namespace));
      this.#stores.set(namespace, store);
    }
    return store;
  }
}
