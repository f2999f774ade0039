import {
  authorizationUri,
  claimsChallengeResponse,
  type ClaimsChallengeOptions,
} from "../../util/claims-challenge.js";

/** The little of an Express response the handler uses (Express 4 and 5 both fit). */
export interface ChallengeResponseLike {
  /** Whether the response has started; then the error is passed on. */
  headersSent: boolean;
  /** Sets the status code. */
  status(code: number): this;
  /** Sets headers. */
  set(headers: Record<string, string>): this;
  /** Sends a JSON body. */
  json(body: unknown): unknown;
}

/**
 * An Express error handler that answers an `ERR_OBO_INTERACTION_REQUIRED` error with the `401`
 * claims challenge of {@link claimsChallengeResponse}, and passes every other error on.
 *
 * @param options - the provider's `tenantId` and/or `authority`, for the challenge's
 * `authorization_uri`; checked here, so a bad value fails at startup (`ERR_OBO_CONFIGURATION`)
 *
 * @example
 * ```ts
 * app.get("/me", async (req, res) => res.json(await graph.api("/me").get()));
 * app.use(claimsChallengeErrorHandler(providerOptions)); // the options the provider was built with
 * ```
 */
export function claimsChallengeErrorHandler(
  options?: ClaimsChallengeOptions,
): (
  error: unknown,
  request: unknown,
  response: ChallengeResponseLike,
  next: (error?: unknown) => void,
) => void {
  authorizationUri(options);
  const where: ClaimsChallengeOptions | undefined =
    options === undefined
      ? undefined
      : { tenantId: options.tenantId, authority: options.authority };
  return (error, _request, response, next) => {
    const challenge = claimsChallengeResponse(error, where);
    if (challenge === undefined || response.headersSent) {
      next(error);
      return;
    }
    response.status(challenge.status).set(challenge.headers).json(challenge.body);
  };
}
