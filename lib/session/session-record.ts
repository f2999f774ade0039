import { OnBehalfOfError } from "../util/errors.js";
import type { SessionLifetime, SessionRecord } from "./session-store.js";

/**
 * When a session stops being usable: its idle time after its last use, or its absolute lifetime
 * after its start, whichever comes first (milliseconds since the epoch).
 *
 * @internal
 */
export function sessionDeadline(record: SessionRecord, lifetime: SessionLifetime): number {
  return Math.min(
    record.lastUsedAt + lifetime.maxIdleMs,
    record.createdAt + lifetime.maxLifetimeMs,
  );
}

/**
 * A deep, frozen copy of a record: what a store keeps and hands out, so that neither the writer
 * nor a reader can change a stored session through a reference.
 *
 * @internal
 */
export function frozenRecord(record: SessionRecord): SessionRecord {
  const copy: SessionRecord = {
    refreshToken: record.refreshToken,
    clientId: record.clientId,
    ...(record.agentId === undefined ? {} : { agentId: record.agentId }),
    tenantId: record.tenantId,
    scopes: Object.freeze([...record.scopes]),
    user: Object.freeze({ oid: record.user.oid, tid: record.user.tid }),
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
    version: record.version,
  };
  return Object.freeze(copy);
}

/**
 * Checks what a store is asked to keep, before anything is stored: a store never keeps a record it
 * could not give back intact. The message names the field, never its value.
 *
 * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` for a malformed id, record or lifetime
 * @internal
 */
export function checkSessionWrite(
  id: string,
  record: SessionRecord,
  lifetime: SessionLifetime,
): void {
  if (typeof id !== "string" || id === "") invalid("id", "must be a non-empty string");
  if (typeof lifetime !== "object" || (lifetime as unknown) === null) {
    invalid("lifetime", "must be an object");
  }
  for (const field of ["maxIdleMs", "maxLifetimeMs"] as const) {
    const value = lifetime[field];
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      invalid(`lifetime.${field}`, "must be a positive number of milliseconds");
    }
  }
  if (typeof record !== "object" || (record as unknown) === null) {
    invalid("record", "must be an object");
  }
  for (const field of ["refreshToken", "clientId", "tenantId"] as const) {
    if (typeof record[field] !== "string" || record[field] === "") {
      invalid(`record.${field}`, "must be a non-empty string");
    }
  }
  if (
    record.agentId !== undefined &&
    (typeof record.agentId !== "string" || record.agentId === "")
  ) {
    invalid("record.agentId", "must be a non-empty string when present");
  }
  if (!Array.isArray(record.scopes) || !record.scopes.every((s) => typeof s === "string")) {
    invalid("record.scopes", "must be an array of strings");
  }
  if (typeof record.user !== "object" || (record.user as unknown) === null) {
    invalid("record.user", "must be an object { oid, tid }");
  }
  for (const field of ["oid", "tid"] as const) {
    if (typeof record.user[field] !== "string" || record.user[field] === "") {
      invalid(`record.user.${field}`, "must be a non-empty string");
    }
  }
  for (const field of ["createdAt", "lastUsedAt"] as const) {
    if (typeof record[field] !== "number" || !Number.isFinite(record[field])) {
      invalid(`record.${field}`, "must be a time in milliseconds since the epoch");
    }
  }
  if (!Number.isSafeInteger(record.version) || record.version < 0) {
    invalid("record.version", "must be a non-negative integer");
  }
}

function invalid(field: string, problem: string): never {
  throw new OnBehalfOfError("ERR_OBO_CONFIGURATION", `session store: "${field}" ${problem}.`, {
    option: field,
  });
}

/**
 * The error of a session store that cannot answer now (Redis unreachable, timed out or its
 * circuit open; the in-memory store full; an id that exists already). It never means that the
 * session is gone: the caller may retry later.
 *
 * @internal
 */
export function sessionStoreUnavailable(problem: string, cause?: unknown): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_SESSION_STORE_UNAVAILABLE",
    `session store: ${problem}`,
    cause === undefined ? {} : { cause },
  );
}
