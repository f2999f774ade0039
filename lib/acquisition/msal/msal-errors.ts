import { AuthError, InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { OnBehalfOfError, isOnBehalfOfError, type TokenRequestLeg } from "../../util/errors.js";
import { agentRefusalAdvice } from "../../diagnose/entra-refusals.js";
import { redact } from "../../util/logger.js";

const LEG_NAMES: Record<TokenRequestLeg, string> = {
  obo: "the On-Behalf-Of exchange",
  "exchange-token": "the agent identity blueprint's exchange token (T1) request",
  "app-only": "the agent identity's app-only token request",
  "agent-user": "the agent user token (user_fic) request",
  "refresh-token": "the session's refresh token request",
};

function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? "";
  return redact(line.length > 300 ? `${line.slice(0, 300)}…` : line);
}

function aadstsOf(error: AuthError): number | undefined {
  const errorNo =
    error instanceof ServerError || error instanceof InteractionRequiredAuthError
      ? error.errorNo
      : undefined;
  const fromNo = Number.parseInt(errorNo ?? "", 10);
  if (Number.isFinite(fromNo)) return fromNo;
  const match = /AADSTS(\d+)/.exec(error.errorMessage);
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 10);
}

// Alike token-credential-assertion.ts's option types only in the shape of optional fields with TSDoc
// (duplicates D5): no shared logic.
/** What the network layer saw for a token request, when it saw it. @internal */
export interface ResponseFacts {
  readonly status?: number | undefined;
  readonly retryAfterMs?: number | undefined;
  /** The request never got an HTTP answer (connection refused or reset, DNS, TLS). */
  readonly networkFailure?: boolean | undefined;
}

/**
 * Maps anything MSAL (or a credential callback) threw into an {@link OnBehalfOfError}, keeping
 * Entra's details and the original as `cause`.
 *
 * @internal
 */
export function toOnBehalfOfError(
  error: unknown,
  leg: TokenRequestLeg,
  correlationId: string,
  facts: ResponseFacts = {},
): OnBehalfOfError {
  if (isOnBehalfOfError(error)) return error;
  const where = LEG_NAMES[leg];
  if (error instanceof AuthError) {
    const aadsts = aadstsOf(error);
    const common = {
      cause: error,
      leg,
      correlationId: error.correlationId || correlationId,
      ...(error.errorCode ? { error: error.errorCode } : {}),
      ...(error.subError ? { suberror: error.subError } : {}),
      ...(aadsts === undefined ? {} : { aadsts }),
      ...(facts.status === undefined ? {} : { status: facts.status }),
      ...(facts.retryAfterMs === undefined ? {} : { retryAfterMs: facts.retryAfterMs }),
    };
    const advice = aadsts === undefined ? undefined : agentRefusalAdvice(aadsts, leg);
    if (advice !== undefined) {
      // Agent-specific refusals: the same codes, a message that says what to change.
      const withClaims =
        error instanceof InteractionRequiredAuthError && error.claims
          ? { ...common, claims: error.claims }
          : common;
      return new OnBehalfOfError(
        error instanceof InteractionRequiredAuthError
          ? "ERR_OBO_INTERACTION_REQUIRED"
          : "ERR_OBO_TOKEN_REQUEST_FAILED",
        `Entra refused ${where} (AADSTS${advice.aadsts}): ${advice.advice}`,
        withClaims,
      );
    }
    if (error instanceof InteractionRequiredAuthError) {
      return new OnBehalfOfError(
        "ERR_OBO_INTERACTION_REQUIRED",
        `Entra requires the user to sign in again (${aadsts === undefined ? error.errorCode : `AADSTS${aadsts}`}) in ${where}: ` +
          "multi-factor authentication, Conditional Access or consent. Send the claims challenge back to the client.",
        error.claims ? { ...common, claims: error.claims } : common,
      );
    }
    const detail = error.errorMessage ? `: ${firstLine(error.errorMessage)}` : "";
    const kind = error instanceof ServerError ? "Entra refused" : "MSAL failed in";
    return new OnBehalfOfError(
      "ERR_OBO_TOKEN_REQUEST_FAILED",
      `${kind} ${where} (${error.errorCode || "unknown_error"})${detail}`,
      common,
    );
  }
  const name = error instanceof Error ? error.name : "unknown error";
  return new OnBehalfOfError("ERR_OBO_TOKEN_REQUEST_FAILED", `${where} failed (${name}).`, {
    cause: error,
    leg,
    correlationId,
  });
}
