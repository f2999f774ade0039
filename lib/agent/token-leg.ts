import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { AuthenticationResult, ConfidentialClientApplication } from "@azure/msal-node";
import type { FetchedToken } from "../cache/token-engine.js";
import { OnBehalfOfError, type TokenRequestLeg } from "../errors.js";
import type { InternalLogger } from "../logger.js";
import { toOnBehalfOfError, type ResponseFacts } from "../msal/msal-errors.js";
import type { ObservingNetworkClient } from "../msal/network-client.js";
import { raceSignal } from "../promises.js";

/** How token requests are bounded and retried. @internal */
export interface RequestPolicy {
  /** The whole acquisition, retries included, must finish within this. */
  readonly timeoutMs: number;
  /** Retries of transient failures (network errors, 500/502/503/504, 429). */
  readonly maxRetries: number;
  /** The first backoff; it doubles on each retry, with full jitter. */
  readonly baseDelayMs: number;
  /** The longest backoff. */
  readonly maxDelayMs: number;
  /** A 429 or 503 whose `Retry-After` is longer than this is not waited for. */
  readonly maxRetryAfterMs: number;
}

/** What every token request shares. @internal */
export interface LegContext {
  readonly log: InternalLogger;
  /** Counts a request sent to the token endpoint, in the provider's stats. */
  readonly countTokenRequest: (leg: TokenRequestLeg) => void;
  readonly policy: RequestPolicy;
  readonly network: ObservingNetworkClient;
}

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

/**
 * How long to wait before retrying a failure, or `undefined` when it must not be retried.
 * Network failures and 500/502/503/504 back off exponentially with full jitter; a 429 waits for
 * `Retry-After` (or the backoff). Anything Entra decided (`invalid_grant`, `invalid_client`,
 * interaction required…) is final.
 *
 * @internal
 */
export function retryDelay(
  facts: ResponseFacts,
  attempt: number,
  policy: RequestPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxRetries) return undefined;
  const transient =
    facts.networkFailure === true ||
    facts.status === 429 ||
    (facts.status !== undefined && TRANSIENT_STATUS.has(facts.status));
  if (!transient) return undefined;
  if (facts.retryAfterMs !== undefined) {
    return facts.retryAfterMs <= policy.maxRetryAfterMs ? facts.retryAfterMs : undefined;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

function timeoutError(
  leg: TokenRequestLeg,
  correlationId: string,
  timeoutMs: number,
  cause: unknown,
): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_TIMEOUT",
    `The token request (${leg}) did not complete within ${timeoutMs} ms.`,
    { leg, correlationId, cause },
  );
}

/**
 * Sends one token request through an MSAL client: bounded by the policy's timeout, retried on
 * transient failures, counted and logged; a failure becomes an {@link OnBehalfOfError} that names
 * the leg. The client's MSAL store is emptied after every attempt, so that our cache stays the
 * only one and MSAL's cross-user throttle (one user's 5xx blocking every user's identical request
 * for a minute) never outlives the attempt that caused it: retries are ours, per request.
 *
 * @param context - logger, counter, policy and network observer
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
  const { policy, network, log } = context;
  const deadline = AbortSignal.timeout(policy.timeoutMs);
  for (let attempt = 0; ; attempt++) {
    const correlationId = randomUUID();
    log.info(
      `requesting ${what} (correlationId=${correlationId}${attempt > 0 ? `, retry ${attempt}` : ""})`,
    );
    context.countTokenRequest(leg);
    network.watch(correlationId, deadline);
    try {
      const result = await raceSignal(
        send(correlationId),
        deadline,
        () => deadline.reason as Error,
      );
      if (result === null || result.accessToken === "") {
        throw new OnBehalfOfError(
          "ERR_OBO_TOKEN_REQUEST_FAILED",
          "Entra returned no access token.",
          {
            leg,
            correlationId,
          },
        );
      }
      return {
        accessToken: result.accessToken,
        // No known expiry: use it for this request, do not cache it.
        expiresAt: result.expiresOn?.getTime() ?? Date.now(),
      };
    } catch (error) {
      const facts = network.take(correlationId);
      if (deadline.aborted) {
        const failure = timeoutError(leg, correlationId, policy.timeoutMs, error);
        log.warn(`${what} timed out (leg=${leg}, correlationId=${correlationId})`);
        throw failure;
      }
      const failure = toOnBehalfOfError(error, leg, correlationId, facts);
      const delay = retryDelay(facts, attempt, policy);
      if (delay === undefined) {
        log.warn(
          `${what} failed: ${failure.code} ${failure.error ?? ""}${facts.status === undefined ? "" : ` HTTP ${facts.status}`} (leg=${leg}, correlationId=${failure.correlationId ?? correlationId})`,
        );
        throw failure;
      }
      log.warn(
        `${what} failed transiently (${facts.networkFailure === true ? "network error" : `HTTP ${facts.status ?? "?"}`}); retrying in ${delay} ms (leg=${leg}, correlationId=${correlationId})`,
      );
      try {
        await sleep(delay, undefined, { signal: deadline });
      } catch (cause) {
        throw timeoutError(leg, correlationId, policy.timeoutMs, cause);
      }
    } finally {
      network.take(correlationId);
      client.clearCache();
    }
  }
}
