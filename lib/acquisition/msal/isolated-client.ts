import { hash } from "node:crypto";
import { ConfidentialClientApplication, type Configuration } from "@azure/msal-node";

/**
 * A `ConfidentialClientApplication` that never throttles a request because of another one, and
 * keeps no tokens of its own.
 *
 * @remarks
 * After a 429 or 5xx answer (or any error with `Retry-After`), msal-node stores a throttling entry
 * and refuses every identical request, without sending it, for `Retry-After` or 60 seconds
 * (msal-common `src/network/ThrottlingUtils.ts`, `preProcess`/`postProcess`). The entry is keyed by
 * client, authority, scopes and claims, not by the user assertion, so one user's 503 made every
 * other user's exchange fail at once with the first user's AADSTS code. Clearing the store after
 * the failed attempt is not enough: other users' requests read the entry in between.
 *
 * This client never writes the entry. Throttling is then ours alone: the request that got the 429
 * or 5xx waits for `Retry-After` (or backs off) on its own, and an app-wide leg (an exchange token)
 * holds back only requests of the same leg.
 *
 * Nor does it store the tokens of an answer. Every request of the library skips MSAL's cache
 * (`skipCache`, or a grant that always sends), and its tokens live in the library's own cache, so
 * the account, ID, access and refresh token entries that msal-common's `ResponseHandler`
 * (`handleServerTokenResponse`) writes through `CacheManager.saveCacheRecord` were never read: they
 * were written and then emptied again after every request, which cost a fifth of a miss's CPU
 * (`bench/profile.ts … miss`). The answer is still parsed, checked and turned into the
 * `AuthenticationResult` by msal-node as before; only the write is skipped. Server telemetry and
 * authority metadata still go to the store as usual.
 *
 * Two more of msal-node's per-request costs give the same result for less: the SHA-256 of the
 * user assertion (msal-node's `CryptoProvider.hashString` digests, encodes base64, then rewrites
 * it to base64url with three regular expressions; `crypto.hash` gives the same base64url digest
 * at once), and the token endpoint of a remembered authority (msal-common's `tokenEndpoint` getter
 * parses the authority URLs again on every read, two or three reads per request; see below).
 *
 * `storage` and `cryptoProvider` are protected members of msal-node's `ClientApplication`, meant
 * for subclasses.
 *
 * @internal
 */
export class IsolatedConfidentialClient extends ConfidentialClientApplication {
  public constructor(configuration: Configuration) {
    super(configuration);
    this.storage.setThrottlingCache = noThrottling;
    this.storage.saveCacheRecord = noCacheRecord;
    this.cryptoProvider.hashString = sha256Base64Url;
    // A protected method of msal-node's ClientApplication: wrapped only where it exists, so a
    // release that renamed it would lose the optimization, never the client.
    // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: the installed msal-node has the method; the guard is for other releases
    if (typeof this.createAuthority === "function") {
      this.createAuthority = rememberAuthorities(this.createAuthority.bind(this));
    }
  }
}

/** Authorities one client remembers; past this (a multi-tenant API's tenants), it starts over. */
const MAX_AUTHORITIES = 1_000;

/**
 * msal-node builds and resolves an `Authority` for every request (`createAuthority` in
 * `ClientApplication`, then `AuthorityFactory.createDiscoveredInstance`), although its endpoints
 * are the same every time: resolved from the built-in or configured metadata, or from metadata
 * msal-node already keeps in its store. This remembers the resolved authority per authority URL,
 * for requests without a region or cloud option (those go through msal-node as before). A
 * resolution that fails is not remembered. A remembered authority's token endpoint is read once and
 * kept on it (see {@link pinTokenEndpoint}).
 */
function rememberAuthorities<A extends unknown[], R>(
  create: (authority: string, correlationId: string, ...rest: A) => Promise<R>,
): (authority: string, correlationId: string, ...rest: A) => Promise<R> {
  const resolved = new Map<string, Promise<R>>();
  return (authority, correlationId, ...rest) => {
    if (rest.some((option) => option !== undefined))
      return create(authority, correlationId, ...rest);
    const known = resolved.get(authority);
    if (known !== undefined) return known;
    const created = create(authority, correlationId, ...rest).then(pinTokenEndpoint);
    if (resolved.size >= MAX_AUTHORITIES) resolved.clear();
    resolved.set(authority, created);
    created.catch(() => {
      // Stryker disable next-line ConditionalExpression: differs only when 1,000 other authorities were asked for while this one's failing resolution was pending, and then this one again
      if (resolved.get(authority) === created) resolved.delete(authority);
    });
    return created;
  };
}

/**
 * Keeps a resolved authority's `tokenEndpoint` as a plain property. msal-common computes it on every
 * read (`Authority.replacePath`: two `UrlString` parses of the metadata's URLs), from the metadata
 * and canonical authority that a resolved `Authority` never changes; msal-node reads it two or three
 * times per request (the request's URL, its log line, a client assertion's audience). Anything
 * without a readable string `tokenEndpoint` is left as it is.
 *
 * @internal
 */
export function pinTokenEndpoint<R>(authority: R): R {
  let endpoint: unknown;
  try {
    endpoint = (authority as { tokenEndpoint?: unknown }).tokenEndpoint;
  } catch {
    // Not resolved (msal-common throws), or not an object: nothing to keep.
  }
  if (typeof endpoint === "string") {
    Object.defineProperty(authority as object, "tokenEndpoint", { value: endpoint });
  }
  return authority;
}

/** What msal-node's `CryptoProvider.hashString` returns, an unpadded base64url SHA-256, computed at once. */
function sha256Base64Url(plainText: string): Promise<string> {
  return Promise.resolve(hash("sha256", plainText, "base64url"));
}

function noThrottling(): void {
  // Deliberately empty: see the class remarks.
}

function noCacheRecord(): Promise<void> {
  // Deliberately empty: see the class remarks.
  return Promise.resolve();
}
