import {
  SpanKind,
  SpanStatusCode,
  context,
  createContextKey,
  trace,
  type Attributes,
  type Span,
} from "@opentelemetry/api";
import { OnBehalfOfError, type TokenRequestLeg } from "../errors.js";
import { ATTR, INSTRUMENTATION_NAME, SPAN } from "./names.js";

/** What the span of one acquisition records: ids only, never a token, an assertion or a user. */
export interface AcquisitionFacts {
  /** `obo`, `app-only` or `agent-user`. */
  readonly tokenKind: string;
  readonly tenant: string;
  readonly agentId: string | undefined;
  readonly correlationId: string;
  /** Whether the acquisition answers a claims challenge. */
  readonly claims: boolean;
}

/** The acquisition a leg runs in, read by its span from the OpenTelemetry context. */
const ACQUISITION = createContextKey("graph-obo-auth acquisition");

/** What a leg's span learns while it runs. @internal */
export interface LegProgress {
  /** Retries sent after the first attempt. */
  retries: number;
}

/**
 * Runs one acquisition that goes to the network in a span (a child of the caller's active span),
 * and its legs in that span's context, so that {@link traceLeg} makes them its children.
 *
 * @remarks
 * The tracer is looked up per acquisition (a miss), so a tracer provider registered after the
 * provider was created is used too. Without one, the API's no-op tracer records nothing.
 *
 * @internal
 */
export function traceAcquisition<T>(facts: AcquisitionFacts, run: () => Promise<T>): Promise<T> {
  const attributes: Attributes = {
    [ATTR.tokenKind]: facts.tokenKind,
    [ATTR.correlationId]: facts.correlationId,
    [ATTR.tenantId]: facts.tenant,
  };
  if (facts.agentId !== undefined) attributes[ATTR.agentId] = facts.agentId;
  if (facts.claims) attributes[ATTR.claimsChallenge] = true;
  const parent = context.active().setValue(ACQUISITION, facts);
  return trace
    .getTracer(INSTRUMENTATION_NAME)
    .startActiveSpan(
      SPAN.acquisition,
      { kind: SpanKind.INTERNAL, attributes },
      parent,
      async (span) => {
        try {
          return await run();
        } catch (error) {
          recordFailure(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
    );
}

/**
 * Runs one token request (a leg, retries included) in a client span, a child of the active span
 * (the acquisition's). The tenant and agent id come from the acquisition it runs in.
 *
 * @internal
 */
export function traceLeg<T>(
  leg: TokenRequestLeg,
  correlationId: string,
  run: (progress: LegProgress) => Promise<T>,
): Promise<T> {
  const active = context.active();
  const attributes: Attributes = {
    [ATTR.leg]: leg,
    [ATTR.correlationId]: correlationId,
  };
  const acquisition = active.getValue(ACQUISITION) as AcquisitionFacts | undefined;
  if (acquisition !== undefined) {
    attributes[ATTR.tenantId] = acquisition.tenant;
    if (acquisition.agentId !== undefined) attributes[ATTR.agentId] = acquisition.agentId;
  }
  return trace
    .getTracer(INSTRUMENTATION_NAME)
    .startActiveSpan(
      `${SPAN.tokenRequest} ${leg}`,
      { kind: SpanKind.CLIENT, attributes },
      active,
      async (span) => {
        const progress: LegProgress = { retries: 0 };
        try {
          return await run(progress);
        } catch (error) {
          recordFailure(span, error);
          throw error;
        } finally {
          span.setAttribute(ATTR.retryCount, progress.retries);
          span.end();
        }
      },
    );
}

/**
 * Marks a span failed with the error's code and Entra's answer. The message and the exception are
 * not recorded: only stable codes, which never hold a token, an assertion or personal data.
 */
function recordFailure(span: Span, error: unknown): void {
  if (!(error instanceof OnBehalfOfError)) {
    const type = error instanceof Error ? error.name : "unknown";
    span.setAttribute(ATTR.errorType, type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: type });
    return;
  }
  span.setAttribute(ATTR.errorType, error.code);
  if (error.error !== undefined) span.setAttribute(ATTR.entraError, error.error);
  if (error.aadsts !== undefined) span.setAttribute(ATTR.entraErrorCode, error.aadsts);
  if (error.status !== undefined) span.setAttribute(ATTR.httpStatus, error.status);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
}
