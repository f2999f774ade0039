/** Which part of the emulator a request reached. */
export type EmulatorEndpoint = "token" | "graph" | "discovery" | "jwks" | "other";

/**
 * What a token request was, as the emulator understood it:
 *
 * - `obo`: On-Behalf-Of (`jwt-bearer` with `requested_token_use=on_behalf_of`), plain or by an
 *   agent identity;
 * - `exchange_token`: a blueprint's `client_credentials` request with `fmi_path` (T1);
 * - `client_credentials`: any other app-only request (including an agent's own, app-only or T2);
 * - `user_fic`: an agent user token;
 * - `refresh_token`: a refresh token redeemed;
 * - `unknown`: anything else.
 */
export type TokenFlow =
  "obo" | "exchange_token" | "client_credentials" | "user_fic" | "refresh_token" | "unknown";

/** One request the emulator received. Never holds a token, an assertion or a secret. */
export interface RecordedRequest {
  /** Which endpoint it reached. */
  readonly endpoint: EmulatorEndpoint;
  /** The HTTP method. */
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** When it arrived (the emulator's clock, ms). */
  readonly at: number;
  /** The tenant id, when the request named a known tenant. */
  readonly tenantId?: string;
  /** The calling app (`client_id`, or the token's `azp`/`appid` on Graph). */
  readonly clientId?: string;
  /** The user the request is about (the assertion's or token's `oid`, the `user_fic` user, or the refresh token's user). */
  readonly userId?: string;
  /** That user's UPN. */
  readonly userPrincipalName?: string;
  /** The raw `grant_type`. */
  readonly grantType?: string;
  /** The token request's {@link TokenFlow}. */
  readonly flow?: TokenFlow;
  /** The HTTP status answered; 0 when the connection was reset. Set when the answer is sent. */
  status: number;
  /** The injected fault that shaped the answer, if any. */
  fault?: string;
}

/** Which recorded requests to count or list; every given field must match. */
export interface RequestFilter {
  /** The endpoint. */
  readonly endpoint?: EmulatorEndpoint;
  /** A tenant id. */
  readonly tenant?: string;
  /** The calling app's client id. */
  readonly clientId?: string;
  /** A UPN or an object id. */
  readonly user?: string;
  /** The raw `grant_type`. */
  readonly grantType?: string;
  /** The token request's {@link TokenFlow}. */
  readonly flow?: TokenFlow;
  /** An exact path, or a pattern. */
  readonly path?: string | RegExp;
  /** The HTTP status answered (0 for a reset connection). */
  readonly status?: number;
}

/** Counts of the requests received since start or the last reset. */
export interface EmulatorCounters {
  /** All requests. */
  readonly total: number;
  /** By endpoint. */
  readonly byEndpoint: Readonly<Record<EmulatorEndpoint, number>>;
  /** Token requests by {@link TokenFlow}. */
  readonly byFlow: Readonly<Partial<Record<TokenFlow, number>>>;
  /** Token requests by raw `grant_type`. */
  readonly byGrantType: Readonly<Record<string, number>>;
  /** By calling app (client id). */
  readonly byClient: Readonly<Record<string, number>>;
  /** By tenant id. */
  readonly byTenant: Readonly<Record<string, number>>;
  /** By user (UPN when known, else object id). */
  readonly byUser: Readonly<Record<string, number>>;
}

const MAX_RECORDS = 10_000;

function bump(map: Record<string, number>, key: string | undefined): void {
  if (key !== undefined) map[key] = (map[key] ?? 0) + 1;
}

function matches(record: RecordedRequest, filter: RequestFilter): boolean {
  if (filter.endpoint !== undefined && record.endpoint !== filter.endpoint) return false;
  if (filter.tenant !== undefined && record.tenantId !== filter.tenant.toLowerCase()) return false;
  if (filter.clientId !== undefined && record.clientId !== filter.clientId.toLowerCase())
    return false;
  if (filter.user !== undefined) {
    const user = filter.user.toLowerCase();
    if (record.userId !== user && record.userPrincipalName?.toLowerCase() !== user) return false;
  }
  if (filter.grantType !== undefined && record.grantType !== filter.grantType) return false;
  if (filter.flow !== undefined && record.flow !== filter.flow) return false;
  if (filter.status !== undefined && record.status !== filter.status) return false;
  if (filter.path !== undefined) {
    const ok =
      typeof filter.path === "string" ? record.path === filter.path : filter.path.test(record.path);
    if (!ok) return false;
  }
  return true;
}

/**
 * The log of received requests, behind the emulator's counters. Keeps the last 10,000.
 *
 * @internal
 */
export class RequestLog {
  #records: RecordedRequest[] = [];

  public add(record: RecordedRequest): RecordedRequest {
    this.#records.push(record);
    if (this.#records.length > MAX_RECORDS)
      this.#records.splice(0, this.#records.length - MAX_RECORDS);
    return record;
  }

  public list(filter: RequestFilter = {}): RecordedRequest[] {
    return this.#records.filter((r) => matches(r, filter)).map((r) => ({ ...r }));
  }

  public count(filter: RequestFilter = {}): number {
    return this.#records.reduce((n, r) => (matches(r, filter) ? n + 1 : n), 0);
  }

  public counters(): EmulatorCounters {
    const byEndpoint: Record<EmulatorEndpoint, number> = {
      token: 0,
      graph: 0,
      discovery: 0,
      jwks: 0,
      other: 0,
    };
    const byFlow: Partial<Record<TokenFlow, number>> = {};
    const byGrantType: Record<string, number> = {};
    const byClient: Record<string, number> = {};
    const byTenant: Record<string, number> = {};
    const byUser: Record<string, number> = {};
    for (const r of this.#records) {
      byEndpoint[r.endpoint]++;
      if (r.flow !== undefined) byFlow[r.flow] = (byFlow[r.flow] ?? 0) + 1;
      bump(byGrantType, r.grantType);
      bump(byClient, r.clientId);
      bump(byTenant, r.tenantId);
      bump(byUser, r.userPrincipalName ?? r.userId);
    }
    return {
      total: this.#records.length,
      byEndpoint,
      byFlow,
      byGrantType,
      byClient,
      byTenant,
      byUser,
    };
  }

  public reset(): void {
    this.#records = [];
  }
}

/** A log entry still being filled in by its endpoint. @internal */
export type PendingRecord = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };
