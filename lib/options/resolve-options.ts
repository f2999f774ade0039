import type { NodeSystemOptions } from "@azure/msal-node";
import {
  resolveCredential,
  type MsalCredential,
} from "../acquisition/credentials/client-credential.js";
import type { RequestPolicy } from "../acquisition/grant-sender.js";
import { resolveProxy, type ProxyRoute } from "../acquisition/msal/proxy.js";
import { DEFAULT_MAX_TOKEN_BYTES } from "../assertion/token-limits.js";
import type { AssertionRules } from "../assertion/user-assertion.js";
import type { TokenCache } from "../cache/token-cache.js";
import type { TokenCacheEvent } from "../cache/token-engine.js";
import { agentId } from "../request/agent-selection.js";
import { resolveSessionLifetime } from "../session/session-options.js";
import type { SessionLifetime } from "../session/session-store.js";
import { normalizeScopes } from "../request/scopes.js";
import type { Logger } from "../util/logger.js";
import { isGuid, resolveAuthority, type ResolvedAuthority } from "./authority.js";
import { OptionChecks } from "./checks.js";
import type {
  MsalAuthorityOptions,
  OnBehalfOfAuthenticationProviderOptions,
  RetryOptions,
  UserAssertionAccessor,
} from "./provider-options.js";

const checks = new OptionChecks("OnBehalfOfAuthenticationProvider");

/** Validated, frozen options. @internal */
export interface ResolvedOptions {
  readonly clientId: string;
  readonly authority: ResolvedAuthority;
  readonly credential: MsalCredential;
  readonly getUserAssertion: UserAssertionAccessor | undefined;
  readonly scopes: readonly string[];
  readonly allowedTenants: ReadonlySet<string> | undefined;
  readonly clockSkewMs: number;
  readonly expirySkewMs: number;
  readonly refreshAheadMs: number;
  readonly tokenCache: TokenCache | undefined;
  readonly onCacheEvent: ((event: TokenCacheEvent) => void) | undefined;
  readonly msalSystemOptions: NodeSystemOptions | undefined;
  readonly msalAuthorityOptions: MsalAuthorityOptions | undefined;
  readonly logger: Logger | undefined;
  /** The default agent identity, lower-cased. */
  readonly agentIdentity: string | undefined;
  readonly maxAgentClients: number;
  readonly clientCapabilities: readonly string[] | undefined;
  readonly policy: RequestPolicy;
  readonly assertionRules: AssertionRules;
  readonly refusalCacheMs: number;
  readonly proxy: ProxyRoute | undefined;
  /** How long long-running sessions live. */
  readonly sessionLifetime: SessionLifetime;
}

/**
 * Checks every option and applies defaults. The only place options are validated.
 *
 * @internal
 */
export function resolveOptions(input: OnBehalfOfAuthenticationProviderOptions): ResolvedOptions {
  if (typeof input !== "object") {
    throw checks.invalid("options", "must be an object.");
  }
  const { clientId } = input;
  if (typeof clientId !== "string" || clientId.trim() === "") {
    throw checks.invalid("clientId", "is required: the web API's application (client) id.");
  }
  if (!isGuid(clientId)) {
    throw checks.invalid("clientId", "must be the application (client) id, a GUID.");
  }
  const authority = resolveAuthority(input.tenantId, input.authority, {
    cloud: input.cloud,
    requireCloud: true,
  });
  const credential = resolveCredential(input);
  const scopes =
    input.scopes === undefined
      ? Object.freeze([`${authority.cloud.graphEndpoint}/.default`])
      : normalizeScopes(input.scopes, "scopes");

  let allowedTenants: ReadonlySet<string> | undefined;
  if (input.allowedTenants !== undefined) {
    if (!authority.multiTenant) {
      throw checks.invalid(
        "allowedTenants",
        'only applies to multi-tenant APIs (tenantId "organizations" or "common"); a single-tenant API serves its own tenant only.',
      );
    }
    if (!Array.isArray(input.allowedTenants) || input.allowedTenants.length === 0) {
      throw checks.invalid("allowedTenants", "must be a non-empty array of tenant ids (GUIDs).");
    }
    for (const tenant of input.allowedTenants) {
      if (typeof tenant !== "string" || !isGuid(tenant)) {
        throw checks.invalid(
          "allowedTenants",
          "must contain tenant ids (GUIDs), as found in the tokens' tid claim.",
        );
      }
    }
    allowedTenants = new Set(input.allowedTenants.map((tenant: string) => tenant.toLowerCase()));
  }

  if (input.tokenCache !== undefined) {
    const cache = input.tokenCache as Partial<TokenCache>;
    if (
      typeof cache.get !== "function" ||
      typeof cache.set !== "function" ||
      typeof cache.delete !== "function"
    ) {
      throw checks.invalid(
        "tokenCache",
        "must implement get, set and delete (the TokenCache interface).",
      );
    }
  }
  if (input.msalSystemOptions !== undefined && typeof input.msalSystemOptions !== "object") {
    throw checks.invalid("msalSystemOptions", "must be an object (MSAL's system configuration).");
  }
  if (input.logger !== undefined && typeof input.logger !== "object") {
    throw checks.invalid("logger", "must be an object with error, warn, info and verbose methods.");
  }
  if (!authority.knownCloud && input.msalAuthorityOptions?.knownAuthorities === undefined) {
    throw checks.invalid(
      "msalAuthorityOptions",
      `must list "${authority.host}" in knownAuthorities: it is not a Microsoft cloud MSAL knows.`,
    );
  }

  const clockSkewMs = checks.duration(input.clockSkewMs, "clockSkewMs", 60_000);
  return Object.freeze({
    clientId: clientId.toLowerCase(),
    authority,
    credential,
    getUserAssertion: checks.optionalFunction(input.getUserAssertion, "getUserAssertion"),
    scopes,
    allowedTenants,
    clockSkewMs,
    expirySkewMs: checks.duration(input.expirySkewMs, "expirySkewMs", 120_000),
    refreshAheadMs: checks.duration(input.refreshAheadMs, "refreshAheadMs", 300_000),
    tokenCache: input.tokenCache,
    onCacheEvent: checks.optionalFunction(input.onCacheEvent, "onCacheEvent"),
    msalSystemOptions: input.msalSystemOptions,
    msalAuthorityOptions: input.msalAuthorityOptions,
    logger: input.logger,
    agentIdentity:
      input.agentIdentity === undefined ? undefined : agentId(input.agentIdentity, "agentIdentity"),
    maxAgentClients: checks.positiveInteger(input.maxAgentClients, "maxAgentClients", 1000),
    clientCapabilities: capabilities(input.clientCapabilities),
    policy: resolvePolicy(input.timeoutMs, input.retry),
    assertionRules: Object.freeze({
      audiences: audiencesOf(clientId.toLowerCase(), input.audiences),
      maxTokenBytes: checks.positiveInteger(
        input.maxTokenBytes,
        "maxTokenBytes",
        DEFAULT_MAX_TOKEN_BYTES,
      ),
      clockSkewMs,
    }),
    refusalCacheMs: checks.duration(input.refusalCacheMs, "refusalCacheMs", 60_000),
    proxy: proxyOf(input),
    sessionLifetime: resolveSessionLifetime(input.sessions),
  });
}

function audiencesOf(clientId: string, extra: unknown): ReadonlySet<string> {
  const audiences = new Set([clientId, `api://${clientId}`]);
  if (extra === undefined) return audiences;
  if (
    !Array.isArray(extra) ||
    extra.some((audience) => typeof audience !== "string" || audience.trim() === "")
  ) {
    throw checks.invalid(
      "audiences",
      'must be an array of audience strings, e.g. ["https://api.contoso.com"].',
    );
  }
  for (const audience of extra as string[]) audiences.add(audience.trim().toLowerCase());
  return audiences;
}

function proxyOf(input: OnBehalfOfAuthenticationProviderOptions): ProxyRoute | undefined {
  const legacy = (input.msalSystemOptions as { proxyUrl?: unknown } | undefined)?.proxyUrl;
  const option = input.proxyUrl === undefined ? "msalSystemOptions.proxyUrl" : "proxyUrl";
  const proxyUrl: unknown = input.proxyUrl ?? legacy;
  if (proxyUrl !== undefined && input.msalSystemOptions?.networkClient !== undefined) {
    throw checks.invalid(
      option,
      "cannot be combined with msalSystemOptions.networkClient: a custom network client does its own networking (proxy included).",
    );
  }
  if (input.msalSystemOptions?.networkClient !== undefined) return undefined;
  return resolveProxy(proxyUrl, option);
}

function capabilities(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((c) => typeof c !== "string" || !/^[\w-]+$/.test(c))) {
    throw checks.invalid(
      "clientCapabilities",
      'must be an array of capability names, e.g. ["cp1"].',
    );
  }
  return value.length === 0 ? undefined : Object.freeze([...(value as string[])]);
}

function resolvePolicy(timeoutMs: unknown, retry: unknown): RequestPolicy {
  if (retry !== undefined && (typeof retry !== "object" || retry === null)) {
    throw checks.invalid(
      "retry",
      "must be an object { maxRetries, baseDelayMs, maxDelayMs, maxRetryAfterMs }.",
    );
  }
  const options = (retry ?? {}) as RetryOptions;
  const maxRetries = options.maxRetries ?? 2;
  if (
    typeof maxRetries !== "number" ||
    !Number.isInteger(maxRetries) ||
    maxRetries < 0 ||
    maxRetries > 10
  ) {
    throw checks.invalid("retry.maxRetries", "must be an integer from 0 to 10.");
  }
  const timeout = checks.duration(timeoutMs, "timeoutMs", 30_000);
  if (timeout === 0) throw checks.invalid("timeoutMs", "must be more than 0.");
  return Object.freeze({
    timeoutMs: timeout,
    maxRetries,
    baseDelayMs: checks.duration(options.baseDelayMs, "retry.baseDelayMs", 250),
    maxDelayMs: checks.duration(options.maxDelayMs, "retry.maxDelayMs", 4000),
    maxRetryAfterMs: checks.duration(options.maxRetryAfterMs, "retry.maxRetryAfterMs", 10_000),
  });
}
