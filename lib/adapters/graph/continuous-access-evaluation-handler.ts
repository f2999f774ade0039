import {
  AuthenticationHandlerOptions,
  type AuthenticationProviderOptions,
  type Context,
  type Middleware,
} from "@microsoft/microsoft-graph-client";
import { parseClaimsChallenge, unresolvedChallengeError } from "../../util/claims-challenge.js";

/** Per-request provider options with the claims of a challenge, as this handler passes them on. */
export interface ClaimsAuthenticationProviderOptions extends AuthenticationProviderOptions {
  /** The claims Graph asked for, as JSON text (already base64-decoded). */
  claims?: string;
}

function isReplayable(body: unknown): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === "string" ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams ||
    (typeof Blob !== "undefined" && body instanceof Blob)
  );
}

function deleteAuthorization(context: Context): void {
  const headers = context.options?.headers;
  if (headers === undefined) return;
  if (headers instanceof Headers) headers.delete("Authorization");
  else if (Array.isArray(headers)) {
    const kept = headers.filter(([name]) => name.toLowerCase() !== "authorization");
    if (context.options) context.options.headers = kept;
  } else {
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === "authorization") Reflect.deleteProperty(headers, name);
    }
  }
}

/**
 * Graph v3 middleware for Continuous Access Evaluation (CAE). When Graph answers `401` with a
 * Bearer `insufficient_claims` challenge, it asks the provider once more for a token acquired with
 * those claims (bypassing and replacing the cached one) and retries the request **once**. If Graph
 * challenges the retry too, the request fails with `ERR_OBO_INTERACTION_REQUIRED` carrying the
 * claims, so the web API can pass the challenge on to its client; there is never a retry loop.
 *
 * @remarks
 * Place it right before the `AuthenticationHandler`, as {@link createGraphClient} does. Graph only
 * sends claims challenges for tokens requested with the client capability `cp1`
 * (the provider's `clientCapabilities` option). Requests whose body is a stream are not retried.
 */
export class ContinuousAccessEvaluationHandler implements Middleware {
  #next: Middleware | undefined;

  /**
   * Runs the rest of the chain, and once more with the challenge's claims after a CAE `401`.
   *
   * @param context - the Graph client's request context
   */
  public async execute(context: Context): Promise<void> {
    const next = this.#next;
    if (next === undefined)
      throw new Error("ContinuousAccessEvaluationHandler must not be the last middleware.");
    await next.execute(context);
    const response = context.response;
    if (response?.status !== 401) return;
    const claims = parseClaimsChallenge(response.headers.get("www-authenticate"));
    if (claims === undefined || !isReplayable(context.options?.body)) return;
    const control = context.middlewareControl;
    if (control === undefined) return;

    await response.body?.cancel().catch(() => undefined);
    const current = control.getMiddlewareOptions(AuthenticationHandlerOptions) as
      AuthenticationHandlerOptions | undefined;
    const provider = current?.authenticationProvider;
    const options: ClaimsAuthenticationProviderOptions = {
      ...(current?.authenticationProviderOptions ?? {}),
      claims,
    };
    control.setMiddlewareOptions(
      AuthenticationHandlerOptions,
      new AuthenticationHandlerOptions(provider, options),
    );
    deleteAuthorization(context);
    delete context.response;
    await next.execute(context);

    const retried = context.response as Response | undefined;
    if (retried?.status !== 401) return;
    const again = parseClaimsChallenge(retried.headers.get("www-authenticate"));
    if (again === undefined) return;
    await retried.body?.cancel().catch(() => undefined);
    throw unresolvedChallengeError(again);
  }

  /**
   * Sets the middleware that follows.
   *
   * @param next - the next middleware, normally the `AuthenticationHandler`
   */
  public setNext(next: Middleware): void {
    this.#next = next;
  }
}
