import { AsyncLocalStorage } from "node:async_hooks";

const storage = new AsyncLocalStorage<string>();

/**
 * Runs `fn` with `userAssertion` as the current request's incoming access token. Everything `fn`
 * starts, directly or through promises and callbacks, sees it through {@link currentUserAssertion};
 * concurrent requests never see each other's token.
 *
 * @param userAssertion - the raw access token the caller sent (a leading `Bearer ` is tolerated)
 * @param fn - the work to run in that context
 * @returns what `fn` returns
 *
 * @example In an Express middleware
 * ```ts
 * app.use((req, _res, next) => runWithUserAssertion(req.headers.authorization ?? "", next));
 * ```
 */
export function runWithUserAssertion<T>(userAssertion: string, fn: () => T): T {
  return storage.run(userAssertion, fn);
}

/**
 * The incoming access token of the current request, as set by {@link runWithUserAssertion} (or
 * the validation middleware), or `undefined` outside a request. It is the provider's default
 * `getUserAssertion`.
 */
export function currentUserAssertion(): string | undefined {
  return storage.getStore();
}
