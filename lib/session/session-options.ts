import { configurationError } from "../util/errors.js";
import type { SessionLifetime } from "./session-store.js";

/** One day, in milliseconds. */
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Entra's refresh tokens live 90 days from issue
 * (https://learn.microsoft.com/entra/identity-platform/refresh-tokens, "90 days for all other
 * scenarios"); a session cannot outlive them, so no lifetime beyond is accepted.
 */
const MAX_LIFETIME_MS = 90 * DAY_MS;

/** Lifetimes of the long-running sessions of a provider (`startSession`). */
export interface SessionOptions {
  /**
   * The longest time between two uses of a session, in milliseconds: a session unused for longer
   * is ended. At most `maxLifetimeMs`.
   *
   * @defaultValue 86400000 (24 hours)
   */
  readonly maxIdleMs?: number | undefined;
  /**
   * The longest time a session lives from its start, in milliseconds, however often it is used.
   * At most 90 days, the lifetime of Entra's refresh tokens.
   *
   * @defaultValue 604800000 (7 days)
   */
  readonly maxLifetimeMs?: number | undefined;
}

function duration(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw configurationError(option, "must be a positive integer number of milliseconds.");
  }
  return value;
}

/**
 * Validates the session options and applies the defaults (24 hours idle, 7 days in all).
 *
 * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` naming the offending option
 * @internal
 */
export function resolveSessionLifetime(options: SessionOptions | undefined): SessionLifetime {
  if (options !== undefined && (typeof options !== "object" || (options as unknown) === null)) {
    throw configurationError("sessions", "must be an object.");
  }
  const maxLifetimeMs = duration(options?.maxLifetimeMs, "sessions.maxLifetimeMs", 7 * DAY_MS);
  if (maxLifetimeMs > MAX_LIFETIME_MS) {
    throw configurationError(
      "sessions.maxLifetimeMs",
      "must be at most 90 days (7776000000 ms): Entra's refresh tokens expire then.",
    );
  }
  const maxIdleMs = duration(
    options?.maxIdleMs,
    "sessions.maxIdleMs",
    Math.min(DAY_MS, maxLifetimeMs),
  );
  if (maxIdleMs > maxLifetimeMs) {
    throw configurationError("sessions.maxIdleMs", "must not exceed sessions.maxLifetimeMs.");
  }
  return { maxIdleMs, maxLifetimeMs };
}
