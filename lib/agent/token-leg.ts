import { randomUUID } from "node:crypto";
import type { AuthenticationResult, ConfidentialClientApplication } from "@azure/msal-node";
import type { FetchedToken } from "../cache/token-engine.js";
import { OnBehalfOfError, type TokenRequestLeg } from "../errors.js";
import type { InternalLogger } from "../logger.js";
import { toOnBehalfOfError } from "../msal/msal-errors.js";

/** What every token request of the agent flows shares. @internal */
export interface LegContext {
  readonly log: InternalLogger;
  /** Counts a request sent to the token endpoint, in the provider's stats. */
  readonly countTokenRequest: (leg: TokenRequestLeg) => void;
}

/**
 * Sends one token request through an MSAL client: counts and logs it, maps a failure to an
 * {@link OnBehalfOfError} that names the leg, and empties the client's MSAL store afterwards, so
 * that our cache stays the only one (and MSAL's cross-request throttle never outlives a request).
 *
 * @param context - logger and counter
 * @param leg - which leg this is, for errors and metrics
 * @param what - a description for the log; never contains a token
 * @param client - the MSAL client the request goes through
 * @param send - makes the MSAL call with the given correlation id
 * @internal
 */
export async function requestToken(
  context: LegContext,
  leg: TokenRequestLeg,
  what: string,
  client: ConfidentialClientApplication,
  send: (correlationId: string) => Promise<AuthenticationResult | null>,
): Promise<FetchedToken> {
  const correlationId = randomUUID();
  context.log.info(`requesting ${what} (correlationId=${correlationId})`);
  context.countTokenRequest(leg);
  try {
    const result = await send(correlationId);
    if (result === null || result.accessToken === "") {
      throw new OnBehalfOfError("ERR_OBO_TOKEN_REQUEST_FAILED", "Entra returned no access token.", {
        leg,
        correlationId,
      });
    }
    return {
      accessToken: result.accessToken,
      // No known expiry: use it for this request, do not cache it.
      expiresAt: result.expiresOn?.getTime() ?? Date.now(),
    };
  } catch (error) {
    const failure = toOnBehalfOfError(error, leg, correlationId);
    context.log.warn(
      `${what} failed: ${failure.code} ${failure.error ?? ""} (leg=${leg}, correlationId=${failure.correlationId ?? correlationId})`,
    );
    throw failure;
  } finally {
    client.clearCache();
  }
}
