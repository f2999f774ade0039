import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type CompactJWSHeaderParameters,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
  type RemoteJWKSet,
} from "jose";
import { fetchTrusting } from "./https-fetch.js";
import { invalid, type ResolvedKeySource } from "./options.js";

/**
 * Thrown by a key resolver when the signing keys could not be obtained at all (network, HTTP
 * status, malformed key set): a fault of this API's environment, not of the caller's token.
 *
 * @internal
 */
export class SigningKeysUnavailable extends Error {
  /** @param cause - the original failure */
  public constructor(cause: unknown) {
    super("The signing keys could not be retrieved.", { cause });
    this.name = "SigningKeysUnavailable";
  }
}

/** Remote key sets shared by every validator with the same fetch, URL and cache settings. */
const sharedRemoteSets = new WeakMap<object, Map<string, RemoteJWKSet>>();
const GLOBAL_FETCH = {};
/** One fetch per set of extra CAs, so that validators trusting the same CAs share their keys. */
const trustingFetches = new Map<string, FetchImplementation>();

function fetchFor(ca: readonly (string | Buffer)[]): FetchImplementation {
  const id = ca.map((pem) => pem.toString()).join("\n");
  let fetch = trustingFetches.get(id);
  if (fetch === undefined) {
    fetch = fetchTrusting(ca);
    trustingFetches.set(id, fetch);
  }
  return fetch;
}

function remoteSet(source: Extract<ResolvedKeySource, { kind: "remote" }>): RemoteJWKSet {
  const fetch: FetchImplementation | undefined =
    source.ca === undefined ? source.fetch : fetchFor(source.ca);
  const owner: object = fetch ?? GLOBAL_FETCH;
  let sets = sharedRemoteSets.get(owner);
  if (sets === undefined) {
    sets = new Map();
    sharedRemoteSets.set(owner, sets);
  }
  const key = `${source.url.href} ${source.cacheMaxAgeMs} ${source.cooldownMs} ${source.timeoutMs}`;
  let set = sets.get(key);
  if (set === undefined) {
    set = createRemoteJWKSet(source.url, {
      cacheMaxAge: source.cacheMaxAgeMs,
      cooldownDuration: source.cooldownMs,
      timeoutDuration: source.timeoutMs,
      ...(fetch === undefined ? {} : { [customFetch]: fetch }),
    });
    sets.set(key, set);
  }
  return set;
}

function localSet(source: Extract<ResolvedKeySource, { kind: "set" }>): JWTVerifyGetKey {
  try {
    return createLocalJWKSet(source.jwks);
  } catch (cause) {
    throw invalid("jwks", "is not a valid JSON Web Key Set.", cause);
  }
}

/** Failures that mean "this token names no usable key", as opposed to "no keys at all". */
function isTokenKeyMismatch(error: unknown): boolean {
  return (
    error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys
  );
}

/** What a key resolution found out about the key, besides the key itself. @internal */
export interface KeyFacts {
  /**
   * The `issuer` the key set publishes for the key (Entra's keys carry one, possibly with a
   * `{tenantid}` placeholder), or `undefined` when it publishes none.
   */
  issuer: string | undefined;
}

/** A key resolver that also reports {@link KeyFacts} of the key it returns. @internal */
export type KeyResolver = (
  protectedHeader: CompactJWSHeaderParameters,
  token: FlattenedJWSInput,
  facts: KeyFacts,
) => Promise<Awaited<ReturnType<JWTVerifyGetKey>>>;

/** The published issuer of each resolved key object (`null`: none), found once per key. */
const keyIssuers = new WeakMap<object, string | null>();

/**
 * The `issuer` published for the one RS256 signing key of the set that the header names (by
 * `kid`), as jose selected it; `null` when there is none or the choice is not unique.
 */
function publishedIssuer(
  jwks: JSONWebKeySet | undefined,
  header: JWSHeaderParameters,
): string | null {
  const { kid } = header;
  const candidates = (jwks?.keys ?? []).filter(
    (jwk) =>
      jwk.kty === "RSA" &&
      (kid === undefined || jwk.kid === kid) &&
      (jwk.use === undefined || jwk.use === "sig") &&
      (jwk.alg === undefined || jwk.alg === "RS256"),
  );
  const only: Record<string, unknown> | undefined =
    candidates.length === 1 ? candidates[0] : undefined;
  const issuer = only?.issuer;
  return typeof issuer === "string" && issuer.trim() !== "" ? issuer : null;
}

/** The current key set of a resolver that exposes one (jose's local and remote sets do). */
function keySetOf(resolver: JWTVerifyGetKey): (() => JSONWebKeySet | undefined) | undefined {
  const candidate = resolver as { jwks?: unknown };
  if (typeof candidate.jwks !== "function") return undefined;
  const jwks = candidate.jwks as () => unknown;
  return () => {
    const set = jwks.call(resolver);
    return typeof set === "object" && set !== null && Array.isArray((set as JSONWebKeySet).keys)
      ? (set as JSONWebKeySet)
      : undefined;
  };
}

/**
 * The key resolver for a key source. Remote key sets are downloaded lazily, cached, and shared
 * between validators with identical settings; an unknown `kid` triggers at most one download per
 * cooldown. Failures to obtain any keys are rethrown as {@link SigningKeysUnavailable}.
 *
 * It reports the `issuer` the key set publishes for the returned key in `facts`; for a custom
 * resolver, only when it exposes its key set as jose's do (a `jwks()` method).
 *
 * @param source - the resolved key source
 * @internal
 */
export function createKeyResolver(source: ResolvedKeySource): KeyResolver {
  let resolver: JWTVerifyGetKey;
  switch (source.kind) {
    case "resolver":
      resolver = source.resolver;
      break;
    case "set":
      resolver = localSet(source);
      break;
    case "remote":
      resolver = remoteSet(source);
      break;
  }
  const keySet = keySetOf(resolver);
  return async (protectedHeader, token, facts) => {
    let key: Awaited<ReturnType<JWTVerifyGetKey>>;
    try {
      key = await resolver(protectedHeader, token);
    } catch (error) {
      if (isTokenKeyMismatch(error)) throw error;
      throw new SigningKeysUnavailable(error);
    }
    if (keySet !== undefined && typeof key === "object") {
      let issuer = keyIssuers.get(key);
      if (issuer === undefined) {
        // Once per key object: jose imports each published key once, so this runs on key rotation.
        issuer = publishedIssuer(keySet(), protectedHeader);
        keyIssuers.set(key, issuer);
      }
      facts.issuer = issuer ?? undefined;
    }
    return key;
  };
}
