import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTVerifyGetKey,
  type RemoteJWKSet,
} from "jose";
import { configurationError } from "../errors.js";
import { fetchTrusting } from "./https-fetch.js";
import type { ResolvedKeySource } from "./options.js";

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
    throw configurationError("jwks", "is not a valid JSON Web Key Set.", cause);
  }
}

/** Failures that mean "this token names no usable key", as opposed to "no keys at all". */
function isTokenKeyMismatch(error: unknown): boolean {
  return (
    error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys
  );
}

/**
 * The key resolver for a key source. Remote key sets are downloaded lazily, cached, and shared
 * between validators with identical settings; an unknown `kid` triggers at most one download per
 * cooldown. Failures to obtain any keys are rethrown as {@link SigningKeysUnavailable}.
 *
 * @param source - the resolved key source
 * @internal
 */
export function createKeyResolver(source: ResolvedKeySource): JWTVerifyGetKey {
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
  return async (protectedHeader, token) => {
    try {
      return await resolver(protectedHeader, token);
    } catch (error) {
      if (isTokenKeyMismatch(error)) throw error;
      throw new SigningKeysUnavailable(error);
    }
  };
}
