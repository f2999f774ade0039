import { randomUUID } from "node:crypto";

/** What an Entra token-endpoint error says, before the per-request parts are added. @internal */
export interface EntraErrorInit {
  /** HTTP status: 400, or 401 for `invalid_client`. */
  readonly status?: number;
  /** The OAuth `error` value, e.g. `invalid_grant`. */
  readonly error: string;
  /** The AADSTS number, e.g. 50013. */
  readonly aadsts: number;
  /** The text after `AADSTSnnnn: `. Never contains a token or a secret. */
  readonly message: string;
  /** Entra's `suberror`, e.g. `consent_required`. */
  readonly suberror?: string;
  /** A claims challenge (raw JSON, not base64), as Entra sends with `interaction_required`. */
  readonly claims?: string;
}

/**
 * An Entra refusal, thrown inside the token endpoint and turned into Entra's error JSON.
 *
 * @internal
 */
export class EntraError extends Error {
  readonly status: number;
  readonly error: string;
  readonly aadsts: number;
  readonly suberror: string | undefined;
  readonly claims: string | undefined;

  public constructor(init: EntraErrorInit) {
    super(`AADSTS${init.aadsts}: ${init.message}`);
    this.name = "EntraError";
    this.status = init.status ?? (init.error === "invalid_client" ? 401 : 400);
    this.error = init.error;
    this.aadsts = init.aadsts;
    this.suberror = init.suberror;
    this.claims = init.claims;
  }
}

/** `2026-11-22 10:00:00Z`, as Entra writes timestamps. */
function entraTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")}Z`;
}

/**
 * Entra's error JSON for a refusal: `error`, `error_description` starting `AADSTSnnnn:`,
 * `error_codes`, `timestamp`, `trace_id`, `correlation_id`, `error_uri`, and `suberror`/`claims`
 * when present.
 *
 * @param failure - the refusal
 * @param nowMs - the current time
 * @param correlationId - the client's `client-request-id`, echoed as Entra does
 * @internal
 */
export function entraErrorBody(
  failure: EntraError,
  nowMs: number,
  correlationId: string | undefined,
): Record<string, unknown> {
  const timestamp = entraTimestamp(nowMs);
  const traceId = randomUUID();
  const correlation = correlationId ?? randomUUID();
  return {
    error: failure.error,
    error_description:
      `${failure.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlation}` +
      `\r\nTimestamp: ${timestamp}`,
    error_codes: [failure.aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${failure.aadsts}`,
    ...(failure.suberror === undefined ? {} : { suberror: failure.suberror }),
    ...(failure.claims === undefined ? {} : { claims: failure.claims }),
  };
}
