import { setTimeout as sleep } from "node:timers/promises";
import type {
  AuthenticationResult,
  ClientCredentialRequest,
  ConfidentialClientApplication,
} from "@azure/msal-node";
import type { FetchedToken } from "../cache/token-engine.js";
import { OnBehalfOfError, type TokenRequestLeg } from "../util/errors.js";
import type { InternalLogger } from "../util/logger.js";
import { toOnBehalfOfError, type ResponseFacts } from "./msal/msal-errors.js";
import { observeAttempt, type Attempt } from "./msal/network-client.js";
import { raceSignal } from "../util/promises.js";
import type { TokenRequestOutcome } from "../util/telemetry/cache-metrics.js";
import type { GrantMetrics } from "../util/telemetry/pipeline-metrics.js";
import { traceLeg, type LegProgress } from "../util/telemetry/tracing.js";
import type { LegGates } from "./leg-gates.js";

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

/** What the grant sender is built with. @internal */
export interface GrantSenderOptions {
  readonly log: InternalLogger;
  readonly policy: RequestPolicy;
  /** Entra's `Retry-After` for app-wide legs. */
  readonly gates: LegGates;
  /** Where every request is counted and timed: the provider's metrics sink. */
  readonly metrics: GrantMetrics;
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
  correlationId: string | undefined,
  timeoutMs: number,
  cause: unknown,
): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_TIMEOUT",
    `The token request (${leg}) did not complete within ${timeoutMs} ms.`,
    correlationId === undefined ? { leg, cause } : { leg, correlationId, cause },
  );
}

function throttledError(leg: TokenRequestLeg, what: string, waitMs: number): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_TOKEN_REQUEST_FAILED",
    `Entra asked to wait ${Math.ceil(waitMs / 1000)} s (Retry-After) before ${what} is requested again; it was not sent.`,
    { leg, status: 429, retryAfterMs: waitMs },
  );
}

/** A deadline that frees its timer as soon as the work is over (unlike `AbortSignal.timeout`). */
function startDeadline(timeoutMs: number): { signal: AbortSignal; stop: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException("The token request timed out.", "TimeoutError"));
  }, timeoutMs);
  return {
    signal: controller.signal,
    stop: () => {
      clearTimeout(timer);
    },
  };
}

/** One token request to send. @internal */
export interface LegRequest {
  /** Which leg this is, for errors and metrics. */
  readonly leg: TokenRequestLeg;
  /** A description for the log; never contains a token. */
  readonly what: string;
  /** The MSAL client the request goes through. */
  readonly client: ConfidentialClientApplication;
  /** The acquisition's correlation id: sent on every attempt, logged, and on errors. */
  readonly correlationId: string;
  /** For app-wide legs: the key of this request among the gates. */
  readonly gate?: string | undefined;
  /**
   * For a long-running session: receives the refresh token of the successful answer (`undefined`
   * when Entra sent none), read from that very answer, before the token is returned.
   */
  readonly keepRefreshToken?: ((refreshToken: string | undefined) => void) | undefined;
  /** Makes the MSAL call with the given correlation id. */
  readonly send: (correlationId: string) => Promise<AuthenticationResult | null>;
}

/**
 * Sends one token request through an MSAL client: bounded by the policy's timeout, retried on
 * transient failures, counted and logged; a failure becomes an {@link OnBehalfOfError} that names
 * the leg and carries the correlation id.
 *
 * @remarks
 * The client must be an `IsolatedConfidentialClient`, which never throttles one request because of
 * another; retries and `Retry-After` are ours, per request. For an app-wide leg, `gate` names the
 * request: Entra's `Retry-After` on a 429 or 503 then also holds back later requests of that same
 * leg, and only those. Every attempt of an acquisition sends the same correlation id. The client
 * stores no tokens of an answer; its MSAL store is emptied after a failed attempt, so that our
 * cache stays the only one. The deadline's timer is cleared as soon as the request settles. The
 * request runs in an OpenTelemetry span (a child of the acquisition's), and every attempt is
 * counted and timed in the provider's metrics.
 *
 * @param context - logger, metrics, policy and gates
 * @param request - the leg, the client, the correlation id and the MSAL call
 * @internal
 */
export async function requestToken(
  context: GrantSenderOptions,
  request: LegRequest,
): Promise<FetchedToken> {
  return traceLeg(request.leg, request.correlationId, async (progress) => {
    const deadline = startDeadline(context.policy.timeoutMs);
    try {
      return await attempt(context, request, deadline.signal, progress);
    } finally {
      deadline.stop();
    }
  });
}

function recordAttempt(
  context: GrantSenderOptions,
  leg: TokenRequestLeg,
  outcome: TokenRequestOutcome,
  startedAt: number,
): void {
  context.metrics.tokenRequestEnded(leg, outcome, (performance.now() - startedAt) / 1000);
}

async function attempt(
  context: GrantSenderOptions,
  request: LegRequest,
  deadline: AbortSignal,
  progress: LegProgress,
): Promise<FetchedToken> {
  const { policy, log, gates } = context;
  const { leg, what, client, correlationId, gate, send } = request;
  for (let attempt = 0; ; attempt++) {
    progress.retries = attempt;
    // Stryker disable next-line ConditionalExpression: no gate has no remaining wait (`remaining(undefined)` is 0), so waiting for it returns at once
    if (gate !== undefined) await waitForGate(context, leg, what, gate, deadline);
    log.info(
      `requesting ${what} (correlationId=${correlationId}${attempt > 0 ? `, retry ${attempt}` : ""})`,
    );
    context.metrics.tokenRequestSent(leg);
    const observed: Attempt = {
      signal: deadline,
      facts: undefined,
      // Stryker disable next-line ConditionalExpression: keeping the refresh token of a request that does not ask for it only reads it; nobody receives it
      keepRefreshToken: request.keepRefreshToken !== undefined,
    };
    let facts: ResponseFacts;
    let failure: OnBehalfOfError;
    const startedAt = performance.now();
    try {
      const result = await raceSignal(
        observeAttempt(observed, () => send(correlationId)),
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
      if (gate !== undefined) gates.open(gate);
      request.keepRefreshToken?.(observed.refreshToken);
      recordAttempt(context, leg, "success", startedAt);
      return {
        accessToken: result.accessToken,
        // No known expiry: use it for this request, do not cache it.
        expiresAt: result.expiresOn?.getTime() ?? Date.now(),
      };
    } catch (error) {
      // A failed attempt may leave msal-node's server telemetry of the failure in the client's
      // store; an answer's tokens are never stored there (IsolatedConfidentialClient).
      client.clearCache();
      facts = observed.facts ?? {};
      if (deadline.aborted) {
        recordAttempt(context, leg, "timeout", startedAt);
        log.warn(`${what} timed out (leg=${leg}, correlationId=${correlationId})`);
        throw timeoutError(leg, correlationId, policy.timeoutMs, error);
      }
      failure = toOnBehalfOfError(error, leg, correlationId, facts);
    }
    if (
      gate !== undefined &&
      facts.retryAfterMs !== undefined &&
      (facts.status === 429 || facts.status === 503)
    ) {
      gates.close(gate, facts.retryAfterMs, Date.now());
    }
    const delay = retryDelay(facts, attempt, policy);
    recordAttempt(context, leg, delay === undefined ? "failure" : "retried", startedAt);
    if (delay === undefined) {
      log.warn(
        `${what} failed: ${failure.code} ${failure.error ?? ""}${facts.status === undefined ? "" : ` HTTP ${facts.status}`} (leg=${leg}, correlationId=${correlationId})`,
      );
      throw failure;
    }
    log.warn(
      // Stryker disable next-line StringLiteral: a transient failure has a status or is a network failure, so "?" is never printed
      `${what} failed transiently (${facts.networkFailure === true ? "network error" : `HTTP ${facts.status ?? "?"}`}); retrying in ${delay} ms (leg=${leg}, correlationId=${correlationId})`,
    );
    await pause(delay, leg, correlationId, policy.timeoutMs, deadline);
  }
}

async function pause(
  delayMs: number,
  leg: TokenRequestLeg,
  correlationId: string | undefined,
  timeoutMs: number,
  deadline: AbortSignal,
): Promise<void> {
  try {
    await sleep(delayMs, undefined, { signal: deadline });
  } catch (cause) {
    throw timeoutError(leg, correlationId, timeoutMs, cause);
  }
}

/** Waits for a gate Entra closed with `Retry-After`, or refuses at once when that is too long. */
async function waitForGate(
  context: GrantSenderOptions,
  leg: TokenRequestLeg,
  what: string,
  gate: string,
  deadline: AbortSignal,
): Promise<void> {
  const waitMs = context.gates.remaining(gate, Date.now());
  if (waitMs === 0) return;
  if (waitMs > context.policy.maxRetryAfterMs) throw throttledError(leg, what, waitMs);
  context.log.info(`waiting ${waitMs} ms for ${what}: Entra asked for it (Retry-After)`);
  await pause(waitMs, leg, undefined, context.policy.timeoutMs, deadline);
}

/** A grant's common parts. @internal */
export interface GrantParams {
  /** The MSAL client the request goes through (an `IsolatedConfidentialClient`). */
  readonly client: ConfidentialClientApplication;
  readonly scopes: readonly string[];
  /** Claims of a claims challenge (JSON text), if any. */
  readonly claims?: string | undefined;
  /** The acquisition's correlation id. */
  readonly correlationId: string;
  /** A description for the log; never contains a token. */
  readonly what: string;
}

function withClaims(claims: string | undefined): { claims?: string } {
  // Stryker disable next-line ConditionalExpression: msal-node treats `claims: undefined` as no claims
  return claims === undefined ? {} : { claims };
}

/**
 * Makes every MSAL call of the library, one method per grant: each builds its MSAL request once
 * and sends it with the same retries, time-out, `Retry-After` gates, correlation id, logging and
 * metrics (see the module's `requestToken`). Built once per provider with what it needs.
 *
 * @internal
 */
export class GrantSender {
  readonly #context: GrantSenderOptions;

  public constructor(options: GrantSenderOptions) {
    this.#context = options;
  }

  /** The On-Behalf-Of grant (`jwt-bearer` with `requested_token_use=on_behalf_of`). */
  public onBehalfOf(
    params: GrantParams & {
      readonly assertion: string;
      readonly authority?: string | undefined;
      /**
       * For a long-running session: asks for `offline_access` and receives the answer's refresh
       * token (msal-node does not return it).
       */
      readonly keepRefreshToken?: ((refreshToken: string | undefined) => void) | undefined;
    },
  ): Promise<FetchedToken> {
    const { client, assertion, scopes, claims, authority, keepRefreshToken } = params;
    return requestToken(this.#context, {
      leg: "obo",
      what: params.what,
      client,
      correlationId: params.correlationId,
      keepRefreshToken,
      send: (correlationId) =>
        client.acquireTokenOnBehalfOf({
          oboAssertion: assertion,
          scopes: keepRefreshToken === undefined ? [...scopes] : [...scopes, "offline_access"],
          correlationId,
          skipCache: true,
          ...(authority === undefined ? {} : { authority }),
          ...withClaims(claims),
        }),
    });
  }

  /**
   * The client credentials grant: an agent identity's app-only token or its credential T2, or the
   * blueprint's exchange token T1 (with `fmiPath`). App-wide, so `gate` names it among the gates.
   */
  public clientCredentials(
    params: GrantParams & {
      readonly leg: TokenRequestLeg;
      readonly gate: string;
      readonly fmiPath?: string | undefined;
      readonly authority?: string | undefined;
    },
  ): Promise<FetchedToken> {
    const { client, scopes, claims, fmiPath, authority } = params;
    return requestToken(this.#context, {
      leg: params.leg,
      what: params.what,
      client,
      correlationId: params.correlationId,
      gate: params.gate,
      send: (correlationId) => {
        const request: ClientCredentialRequest = {
          scopes: [...scopes],
          correlationId,
          skipCache: true,
          ...(fmiPath === undefined ? {} : { fmiPath }),
          ...(authority === undefined ? {} : { authority }),
          ...withClaims(claims),
        };
        return client.acquireTokenByClientCredential(request);
      },
    });
  }

  // The grant methods are alike in shape (duplicates D4): each declares only its MSAL call; the
  // sending (retries, deadline, gates, metrics) is requestToken, written once.

  /** The `user_fic` grant: an agent's user account's token, with the agent's credential T2. */
  public userFederatedCredential(
    params: GrantParams & {
      readonly credential: string;
      readonly user: { readonly by: "upn" | "objectId"; readonly value: string };
    },
  ): Promise<FetchedToken> {
    const { client, scopes, claims, credential, user } = params;
    return requestToken(this.#context, {
      leg: "agent-user",
      what: params.what,
      client,
      correlationId: params.correlationId,
      send: (correlationId) =>
        client.acquireTokenByUserFederatedIdentityCredential({
          scopes: [...scopes],
          assertion: credential,
          correlationId,
          ...withClaims(claims),
          ...(user.by === "upn" ? { username: user.value } : { userObjectId: user.value }),
        }),
    });
  }

  /**
   * The refresh token grant of a long-running session: receives the rotated refresh token. msal-node
   * stores nothing from it without `forceCache` (AzureAD/microsoft-authentication-library-for-js, lib/msal-common/src/response/ResponseHandler.ts), so the tokens stay
   * ours alone.
   */
  public refreshToken(
    params: GrantParams & {
      readonly refreshToken: string;
      readonly authority: string;
      readonly keepRefreshToken: (refreshToken: string | undefined) => void;
    },
  ): Promise<FetchedToken> {
    const { client, refreshToken, scopes, claims, authority } = params;
    return requestToken(this.#context, {
      leg: "refresh-token",
      what: params.what,
      client,
      correlationId: params.correlationId,
      keepRefreshToken: params.keepRefreshToken,
      send: (correlationId) =>
        client.acquireTokenByRefreshToken({
          refreshToken,
          scopes: [...scopes],
          authority,
          correlationId,
          forceCache: false,
          ...withClaims(claims),
        }),
    });
  }
}
