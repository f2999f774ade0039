import type { Directory } from "./directory.js";
import { EmulatorError } from "./errors.js";
import { requireUser } from "./lookups.js";
import type { TokenFlow } from "./request-log.js";

/**
 * A failure the token endpoint answers instead of a token.
 *
 * - `interaction_required`: MFA or Conditional Access. AADSTS50079 (default) answers
 *   `interaction_required`; AADSTS50076 answers `invalid_grant` with `suberror: basic_action`;
 *   both carry a `claims` challenge (raw JSON, default a `capolids` request).
 * - `consent_required`: AADSTS65001, `invalid_grant` with `suberror: consent_required`.
 */
export type TokenFault =
  | {
      /** MFA or Conditional Access. */
      readonly kind: "interaction_required";
      /** Which AADSTS error to answer. @defaultValue 50079 */
      readonly aadsts?: 50076 | 50079;
      /** The claims challenge JSON. */
      readonly claims?: string;
    }
  | {
      /** Consent is missing (AADSTS65001). */
      readonly kind: "consent_required";
    };

/**
 * A failure either endpoint can show.
 *
 * - `throttled`: HTTP 429 with `Retry-After` (default 1 second);
 * - `server_error`: an HTTP 5xx (default 503), with `Retry-After` when given;
 * - `delay`: answer normally, after `ms` milliseconds;
 * - `connection_reset`: destroy the connection without an answer.
 */
export type TransportFault =
  | {
      /** HTTP 429. */
      readonly kind: "throttled";
      /** The `Retry-After` seconds. @defaultValue 1 */
      readonly retryAfterSeconds?: number;
    }
  | {
      /** An HTTP 5xx. */
      readonly kind: "server_error";
      /** The status. @defaultValue 503 */
      readonly status?: 500 | 502 | 503 | 504;
      /** The `Retry-After` seconds, if any. */
      readonly retryAfterSeconds?: number;
    }
  | {
      /** A slow answer. */
      readonly kind: "delay";
      /** How long to wait before answering, in milliseconds. */
      readonly ms: number;
    }
  | {
      /** The connection is destroyed without an answer. */
      readonly kind: "connection_reset";
    };

/** Any fault. */
export type EmulatorFault = TokenFault | TransportFault;

/** What to inject, and which requests it applies to. Every given filter must match. */
export type InjectOptions =
  | (InjectFilter & {
      /** The token endpoint. */
      readonly endpoint: "token";
      /** What to answer instead of a token. */
      readonly fault: EmulatorFault;
      /** Only token requests of this flow. */
      readonly flow?: TokenFlow;
    })
  | (InjectFilter & {
      /** Microsoft Graph. */
      readonly endpoint: "graph";
      /** What to answer instead of Graph's data. */
      readonly fault: TransportFault;
      /** Only Graph requests to this path (e.g. `/v1.0/me/manager`) or matching this pattern. */
      readonly path?: string | RegExp;
    });

/** Filters shared by both endpoints. */
export interface InjectFilter {
  /** Only requests about this user (UPN or object id): the OBO assertion's, `user_fic`'s, the refresh token's or the Graph token's user. */
  readonly user?: string;
  /** Only requests by this app (`client_id`; the token's app on Graph). */
  readonly clientId?: string;
  /** Only requests for this tenant (id or domain). */
  readonly tenant?: string;
  /**
   * How many matching requests get the fault; `Infinity` until removed.
   *
   * @defaultValue 1
   */
  readonly times?: number;
}

/** A registered injection. */
export interface Injection {
  /** Matching requests still to be faulted. */
  readonly remaining: number;
  /** Requests faulted so far. */
  readonly hits: number;
  /** Stops injecting. */
  remove(): void;
}

/** Facts about a request that injections are matched against. @internal */
export interface RequestFacts {
  readonly endpoint: "token" | "graph";
  readonly tenantId: string | undefined;
  readonly clientId: string | undefined;
  readonly userId: string | undefined;
  readonly flow: TokenFlow | undefined;
  readonly path: string;
}

/** An injection with its filters resolved to ids. @internal */
export interface ResolvedInjection {
  readonly endpoint: "token" | "graph";
  readonly fault: EmulatorFault;
  readonly userId: string | undefined;
  readonly clientId: string | undefined;
  readonly tenantId: string | undefined;
  readonly flow: TokenFlow | undefined;
  readonly path: string | RegExp | undefined;
  readonly times: number;
}

class ActiveInjection implements Injection {
  hits = 0;
  #removed = false;
  readonly #owner: FaultInjector;
  readonly spec: ResolvedInjection;

  public constructor(owner: FaultInjector, spec: ResolvedInjection) {
    this.#owner = owner;
    this.spec = spec;
  }

  public get remaining(): number {
    return this.#removed ? 0 : Math.max(0, this.spec.times - this.hits);
  }

  public remove(): void {
    this.#removed = true;
    this.#owner.forget(this);
  }
}

function matches(spec: ResolvedInjection, facts: RequestFacts): boolean {
  if (spec.endpoint !== facts.endpoint) return false;
  if (spec.userId !== undefined && spec.userId !== facts.userId) return false;
  if (spec.clientId !== undefined && spec.clientId !== facts.clientId) return false;
  if (spec.tenantId !== undefined && spec.tenantId !== facts.tenantId) return false;
  if (spec.flow !== undefined && spec.flow !== facts.flow) return false;
  if (spec.path !== undefined) {
    return typeof spec.path === "string" ? spec.path === facts.path : spec.path.test(facts.path);
  }
  return true;
}

/**
 * The registered injections, matched in registration order; the first match takes the request.
 *
 * @internal
 */
export class FaultInjector {
  #active: ActiveInjection[] = [];

  public add(spec: ResolvedInjection): Injection {
    const injection = new ActiveInjection(this, spec);
    this.#active.push(injection);
    return injection;
  }

  /** Takes the fault for a request, consuming one use of its injection. */
  public take(facts: RequestFacts): EmulatorFault | undefined {
    const injection = this.#active.find((i) => i.remaining > 0 && matches(i.spec, facts));
    if (injection === undefined) return undefined;
    injection.hits++;
    if (injection.remaining === 0) this.forget(injection);
    return injection.spec.fault;
  }

  public forget(injection: Injection): void {
    this.#active = this.#active.filter((i) => i !== injection);
  }

  public reset(): void {
    for (const injection of [...this.#active]) injection.remove();
  }
}

const FAULT_KINDS = new Set([
  "interaction_required",
  "consent_required",
  "throttled",
  "server_error",
  "delay",
  "connection_reset",
]);

/**
 * Validates an injection and resolves its user and tenant filters to ids.
 *
 * @param options - what the caller asked for
 * @param directory - where users and tenants are looked up
 * @internal
 */
export function resolveInjection(options: InjectOptions, directory: Directory): ResolvedInjection {
  const { endpoint, fault } = options;
  const endpointName: string = endpoint;
  if (endpointName !== "token" && endpointName !== "graph") {
    throw new EmulatorError('inject: endpoint must be "token" or "graph".');
  }
  const kind: string = fault.kind;
  if (!FAULT_KINDS.has(kind)) throw new EmulatorError(`inject: unknown fault kind "${kind}".`);
  if (endpoint === "graph" && (kind === "interaction_required" || kind === "consent_required")) {
    throw new EmulatorError(
      `inject: "${kind}" is a token endpoint fault; Graph's challenge is revokeSessions().`,
    );
  }
  if (fault.kind === "delay" && (!Number.isFinite(fault.ms) || fault.ms < 0)) {
    throw new EmulatorError("inject: a delay needs ms >= 0.");
  }
  const times = options.times ?? 1;
  if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
    throw new EmulatorError("inject: times must be a positive whole number or Infinity.");
  }
  return {
    endpoint,
    fault,
    userId: options.user === undefined ? undefined : requireUser(directory, options.user).id,
    clientId: options.clientId?.toLowerCase(),
    tenantId:
      options.tenant === undefined
        ? undefined
        : directory.requireTenant(options.tenant, "inject").id,
    flow: options.endpoint === "token" ? options.flow : undefined,
    path: options.endpoint === "graph" ? options.path : undefined,
    times,
  };
}
