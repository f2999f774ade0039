/**
 * The names this package reports OpenTelemetry metrics and spans under. They are part of its
 * public contract: dashboards and alerts are built on them, so they change only with a major
 * version. The attributes follow the OpenTelemetry semantic conventions where one exists
 * (`error.type`, `http.response.status_code`); the others live under the `graph_obo_auth.` and
 * `entra.` namespaces.
 */

/** The meter and the tracer of this package. */
export const INSTRUMENTATION_NAME = "graph-obo-auth";

/** Metric instrument names. @internal */
export const METRIC = {
  cacheHits: "graph_obo_auth.cache.hits",
  cacheMisses: "graph_obo_auth.cache.misses",
  cacheCoalesced: "graph_obo_auth.cache.coalesced",
  cacheRefreshes: "graph_obo_auth.cache.refreshes",
  cacheEvictions: "graph_obo_auth.cache.evictions",
  tokenRequests: "graph_obo_auth.token_requests",
  tokenRequestDuration: "graph_obo_auth.token_request.duration",
  redisHits: "graph_obo_auth.redis.hits",
  redisMisses: "graph_obo_auth.redis.misses",
  redisFailures: "graph_obo_auth.redis.failures",
  redisCircuitOpen: "graph_obo_auth.redis.circuit.open",
} as const;

/** Span names. @internal */
export const SPAN = {
  /** One acquisition that goes to the network (a cache miss, a renewal or a claims request). */
  acquisition: "graph_obo_auth.acquire_token",
  /** One token request (leg) inside it, retries included. */
  tokenRequest: "graph_obo_auth.token_request",
} as const;

/** Attribute keys. @internal */
export const ATTR = {
  leg: "graph_obo_auth.leg",
  outcome: "graph_obo_auth.outcome",
  tokenKind: "graph_obo_auth.token_kind",
  correlationId: "graph_obo_auth.correlation_id",
  agentId: "graph_obo_auth.agent_id",
  retryCount: "graph_obo_auth.retry_count",
  claimsChallenge: "graph_obo_auth.claims_challenge",
  redisFailure: "graph_obo_auth.redis.failure",
  tenantId: "entra.tenant_id",
  entraError: "entra.error",
  entraErrorCode: "entra.error_code",
  errorType: "error.type",
  httpStatus: "http.response.status_code",
} as const;
