/**
 * The approaches the bench compares, all configured alike (same client, tenant, secret, scope)
 * and all answered by the same fake endpoint:
 *
 * - `ours`: graph-obo-auth's `OnBehalfOfAuthenticationProvider`, `getAccessToken({ userAssertion })`.
 * - `lower`: the lower bound, `sha256(assertion)` + `Map` lookup (single-flight, raw POST on a miss).
 * - `msal-shared`: one shared msal-node `ConfidentialClientApplication`, `acquireTokenOnBehalfOf`.
 * - `ms-partitioned`: Microsoft's OBO distributed-cache sample: a new app per request whose cache
 *   plugin loads and saves the partition `hash(assertion)` from a `Map` standing in for Redis.
 * - `identity-per-request`: `new OnBehalfOfCredential({ userAssertionToken })` per request.
 * - `identity-per-assertion`: one `OnBehalfOfCredential` per assertion, kept in an LRU.
 */
import { hash } from "node:crypto";
import {
  ConfidentialClientApplication,
  CryptoProvider,
  type Configuration,
  type ICachePlugin,
  type TokenCacheContext,
} from "@azure/msal-node";
import { OnBehalfOfCredential } from "@azure/identity";
import { LRUCache } from "lru-cache";
import { MemoryTokenCache, OnBehalfOfAuthenticationProvider } from "../lib/index.js";
import { API_CLIENT_ID, TENANT, freshCopy } from "./assertions.js";
import { AUTHORITY, CLIENT_SECRET, GRAPH_SCOPE, type FakeEntra } from "./fake-entra.js";

/** The approaches, by id. */
export type SubjectId =
  | "ours"
  | "lower"
  | "msal-shared"
  | "ms-partitioned"
  | "identity-per-request"
  | "identity-per-assertion"
  | "msal-call";

/** One approach, ready to serve tokens. */
export interface Subject {
  /** A Graph token for the user whose incoming token is `assertion`. */
  getToken(assertion: string): Promise<string>;
  /**
   * Caches the users of `assertions`. Without it the bench calls `getToken` once per user with a
   * fresh copy of the assertion (as a new request would carry).
   */
  fill?(assertions: readonly string[], log: (message: string) => void): Promise<void>;
}

/** What a subject is built with. */
export interface SubjectContext {
  readonly entra: FakeEntra;
  /** How many users will be cached (sizes LRUs). */
  readonly users: number;
}

/** An approach of the comparison. */
export interface SubjectSpec {
  readonly id: SubjectId;
  /** Column header. */
  readonly label: string;
  readonly role: "ours" | "lower bound" | "peer" | "reference";
  /** Whether it keeps tokens between calls (false: every call is a token request). */
  readonly caches: boolean;
  readonly description: string;
  create(context: SubjectContext): Subject;
}

const SCOPES = [GRAPH_SCOPE];

/** The msal-node configuration every msal-based approach uses. */
export function msalConfiguration(entra: FakeEntra): Configuration {
  return {
    auth: { clientId: API_CLIENT_ID, authority: AUTHORITY, clientSecret: CLIENT_SECRET },
    system: { networkClient: entra.msalNetworkClient() },
  };
}

function tokenOf(result: { accessToken: string } | null): string {
  if (result === null || result.accessToken === "") throw new Error("no access token");
  return result.accessToken;
}

/** Fills by calling `getToken` once per user, sequentially, with fresh copies. */
export async function fillByCalls(
  subject: Subject,
  assertions: readonly string[],
  log: (message: string) => void,
): Promise<void> {
  const step = Math.max(10_000, Math.ceil(assertions.length / 10));
  for (let i = 0; i < assertions.length; i++) {
    await subject.getToken(freshCopy(assertions[i]!));
    if ((i + 1) % step === 0) log(`  filled ${String(i + 1)} / ${String(assertions.length)}`);
  }
}

// ---------------------------------------------------------------------------------------------

/** Builds our provider. `tokenCache` may be shared (the Graph job shares one between two). */
export function createOurProvider(
  entra: FakeEntra,
  options: { users: number; tokenCache?: MemoryTokenCache; getUserAssertion?: () => string },
): OnBehalfOfAuthenticationProvider {
  return new OnBehalfOfAuthenticationProvider({
    clientId: API_CLIENT_ID,
    tenantId: TENANT,
    clientSecret: CLIENT_SECRET,
    tokenCache:
      options.tokenCache ?? new MemoryTokenCache({ maxEntries: Math.max(10_000, options.users) }),
    msalSystemOptions: { networkClient: entra.msalNetworkClient() },
    ...(options.getUserAssertion === undefined
      ? {}
      : { getUserAssertion: options.getUserAssertion }),
  });
}

const ours: SubjectSpec = {
  id: "ours",
  label: "graph-obo-auth",
  role: "ours",
  caches: true,
  description:
    "OnBehalfOfAuthenticationProvider, getAccessToken({ userAssertion }); MemoryTokenCache({ maxEntries: max(10,000, users) })",
  create({ entra, users }) {
    const provider = createOurProvider(entra, { users });
    return { getToken: (assertion) => provider.getAccessToken({ userAssertion: assertion }) };
  },
};

// ---------------------------------------------------------------------------------------------

/** The lower bound: sha256(assertion) + scopes as the key of a Map, single-flight on a miss. */
export class ReferenceCache {
  readonly #entries = new Map<string, { accessToken: string; expiresAt: number }>();
  readonly #inFlight = new Map<string, Promise<string>>();
  readonly #entra: FakeEntra;

  public constructor(entra: FakeEntra) {
    this.#entra = entra;
  }

  public getToken(assertion: string): Promise<string> {
    const key = `${hash("sha256", assertion, "base64url")}|${GRAPH_SCOPE}`;
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt > Date.now()) {
      return Promise.resolve(entry.accessToken);
    }
    let flight = this.#inFlight.get(key);
    if (flight === undefined) {
      flight = this.#fetch(key, assertion).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, flight);
    }
    return flight;
  }

  async #fetch(key: string, assertion: string): Promise<string> {
    const { accessToken, expiresIn } = await this.#entra.rawObo(assertion, GRAPH_SCOPE);
    this.#entries.set(key, { accessToken, expiresAt: Date.now() + (expiresIn - 300) * 1000 });
    return accessToken;
  }
}

const lower: SubjectSpec = {
  id: "lower",
  label: "lower bound",
  role: "lower bound",
  caches: true,
  description: "sha256(assertion) + Map lookup (crypto.hash, single-flight, raw POST on a miss)",
  create({ entra }) {
    const reference = new ReferenceCache(entra);
    return { getToken: (assertion) => reference.getToken(assertion) };
  },
};

// ---------------------------------------------------------------------------------------------

/** Users per scratch app when filling a large shared msal cache (§4.0 of perf.md). */
const SCRATCH_USERS = 250;
/** Users per `deserialize()` chunk (100k users' JSON exceeds V8's maximum string length). */
const CHUNK_USERS = 10_000;
/** Up to this many users, the shared app is filled by calling it (O(N²) beyond). */
const DIRECT_FILL_MAX = 2_000;

type SerializedSections = Record<string, Record<string, unknown>>;
const EMPTY_SERIALIZED = JSON.stringify({
  Account: {},
  IdToken: {},
  AccessToken: {},
  RefreshToken: {},
  AppMetadata: {},
});

const msalShared: SubjectSpec = {
  id: "msal-shared",
  label: "msal shared",
  role: "peer",
  caches: true,
  description:
    "msal-node: one shared ConfidentialClientApplication, acquireTokenOnBehalfOf per call (in-memory cache)",
  create({ entra }) {
    const configuration = msalConfiguration(entra);
    const app = new ConfidentialClientApplication(configuration);
    const getToken = async (assertion: string): Promise<string> =>
      tokenOf(await app.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: SCOPES }));
    const subject: Subject = {
      getToken,
      async fill(assertions, log) {
        if (assertions.length <= DIRECT_FILL_MAX) {
          await fillByCalls(subject, assertions, log);
          return;
        }
        // Real misses in small scratch apps, serialized and merged into the shared app in chunks.
        for (let start = 0; start < assertions.length; start += CHUNK_USERS) {
          const end = Math.min(assertions.length, start + CHUNK_USERS);
          const merged: SerializedSections = JSON.parse(EMPTY_SERIALIZED) as SerializedSections;
          for (let s = start; s < end; s += SCRATCH_USERS) {
            const scratch = new ConfidentialClientApplication(configuration);
            for (let i = s; i < Math.min(end, s + SCRATCH_USERS); i++) {
              tokenOf(
                await scratch.acquireTokenOnBehalfOf({
                  oboAssertion: freshCopy(assertions[i]!),
                  scopes: SCOPES,
                }),
              );
            }
            const sections = JSON.parse(scratch.getTokenCache().serialize()) as SerializedSections;
            for (const [section, entries] of Object.entries(sections)) {
              Object.assign((merged[section] ??= {}), entries);
            }
          }
          app.getTokenCache().deserialize(JSON.stringify(merged));
          log(`  filled ${String(end)} / ${String(assertions.length)} (deserialized)`);
        }
        // The token cache keeps the last snapshot string: replace it with an empty one.
        app.getTokenCache().deserialize(EMPTY_SERIALIZED);
      },
    };
    return subject;
  },
};

// ---------------------------------------------------------------------------------------------

/** Microsoft's partitioned pattern: a cache plugin over one partition of a shared store. */
class PartitionPlugin implements ICachePlugin {
  readonly #store: Map<string, string>;
  readonly #key: string;

  public constructor(store: Map<string, string>, key: string) {
    this.#store = store;
    this.#key = key;
  }

  public beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    const data = this.#store.get(this.#key);
    if (data !== undefined) context.tokenCache.deserialize(data);
    return Promise.resolve();
  }

  public afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (context.cacheHasChanged) this.#store.set(this.#key, context.tokenCache.serialize());
    return Promise.resolve();
  }
}

const msPartitioned: SubjectSpec = {
  id: "ms-partitioned",
  label: "MS partitioned",
  role: "peer",
  caches: true,
  description:
    "msal-node, Microsoft's OBO distributed-cache sample: new app per request, cache plugin on partition hash(assertion), a Map stands in for Redis",
  create({ entra }) {
    const configuration = msalConfiguration(entra);
    const store = new Map<string, string>();
    const crypto = new CryptoProvider();
    return {
      async getToken(assertion) {
        const partitionKey = await crypto.hashString(assertion);
        const app = new ConfidentialClientApplication({
          ...configuration,
          cache: { cachePlugin: new PartitionPlugin(store, partitionKey) },
        });
        await app.getTokenCache().getAllAccounts(); // loads the partition, as the sample does
        return tokenOf(
          await app.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: SCOPES }),
        );
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------

function createCredential(entra: FakeEntra, assertion: string): OnBehalfOfCredential {
  return new OnBehalfOfCredential({
    tenantId: TENANT,
    clientId: API_CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    userAssertionToken: assertion,
    httpClient: entra.azureHttpClient(),
  });
}

async function credentialToken(credential: OnBehalfOfCredential): Promise<string> {
  const token = await credential.getToken(GRAPH_SCOPE);
  return token.token;
}

const identityPerRequest: SubjectSpec = {
  id: "identity-per-request",
  label: "identity per request",
  role: "peer",
  caches: false,
  description:
    "@azure/identity: new OnBehalfOfCredential({ userAssertionToken }) per request (no cache survives: 1 token request per call)",
  create({ entra }) {
    return { getToken: (assertion) => credentialToken(createCredential(entra, assertion)) };
  },
};

const identityPerAssertion: SubjectSpec = {
  id: "identity-per-assertion",
  label: "identity per assertion",
  role: "peer",
  caches: true,
  description:
    "@azure/identity: one OnBehalfOfCredential per assertion, in an lru-cache keyed by sha256(assertion) (max = users)",
  create({ entra, users }) {
    const credentials = new LRUCache<string, OnBehalfOfCredential>({ max: Math.max(1, users) });
    return {
      getToken(assertion) {
        const key = hash("sha256", assertion, "base64url");
        let credential = credentials.get(key);
        if (credential === undefined) {
          credential = createCredential(entra, assertion);
          credentials.set(key, credential);
        }
        return credentialToken(credential);
      },
    };
  },
};

/**
 * The miss section's second reference, not an approach of the comparison: msal-node's own
 * On-Behalf-Of call, as little around it as possible (one app reused, `skipCache`, its store
 * emptied after each call so that it does not grow), caching nothing itself. What a miss costs
 * with msal-node doing the protocol, before anything of ours.
 */
const msalCall: SubjectSpec = {
  id: "msal-call",
  label: "msal-node call alone",
  role: "reference",
  caches: false,
  description:
    "one reused ConfidentialClientApplication, acquireTokenOnBehalfOf({ skipCache: true }), clearCache() after each call",
  create({ entra }) {
    const app = new ConfidentialClientApplication(msalConfiguration(entra));
    return {
      async getToken(assertion) {
        try {
          return tokenOf(
            await app.acquireTokenOnBehalfOf({
              oboAssertion: assertion,
              scopes: SCOPES,
              skipCache: true,
            }),
          );
        } finally {
          app.clearCache();
        }
      },
      // Caches nothing: the cached users of a miss rep are irrelevant to it.
      fill: () => Promise.resolve(),
    };
  },
};

/** Every approach, in column order. */
export const SUBJECTS: readonly SubjectSpec[] = [
  ours,
  lower,
  msalShared,
  msPartitioned,
  identityPerRequest,
  identityPerAssertion,
];

/** The approach with this id. */
export function subjectSpec(id: SubjectId): SubjectSpec {
  const spec = id === "msal-call" ? msalCall : SUBJECTS.find((s) => s.id === id);
  if (spec === undefined) throw new Error(`unknown approach ${id}`);
  return spec;
}
