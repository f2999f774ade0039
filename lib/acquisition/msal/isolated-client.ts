import { ConfidentialClientApplication, type Configuration } from "@azure/msal-node";

/**
 * A `ConfidentialClientApplication` that never throttles a request because of another one.
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
 * holds back only requests of the same leg. `storage` is a protected member of msal-node's
 * `ClientApplication`, meant for subclasses.
 *
 * @internal
 */
export class IsolatedConfidentialClient extends ConfidentialClientApplication {
  public constructor(configuration: Configuration) {
    super(configuration);
    this.storage.setThrottlingCache = noThrottling;
  }
}

function noThrottling(): void {
  // Deliberately empty: see the class remarks.
}
