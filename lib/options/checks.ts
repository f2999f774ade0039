import { configurationError, type OnBehalfOfError } from "../util/errors.js";

/**
 * The option checks every configurable part shares (the provider, the inbound validation, the
 * Redis cache), bound to the part's name so each error says whose option it is:
 * `ERR_OBO_CONFIGURATION` with "<subject>: option "<name>" <problem>".
 *
 * @internal
 */
export class OptionChecks {
  /** The name errors start with, e.g. `"RedisTokenCache"`. */
  public readonly subject: string;

  public constructor(subject: string) {
    this.subject = subject;
  }

  /** An `ERR_OBO_CONFIGURATION` error about `option` of this subject. */
  public invalid(option: string, problem: string, cause?: unknown): OnBehalfOfError {
    return configurationError(option, problem, cause, this.subject);
  }

  /** A non-negative number of milliseconds, or `fallback` when absent. */
  public duration(value: unknown, option: string, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw this.invalid(option, "must be a non-negative number of milliseconds.");
    }
    return value;
  }

  /** A positive number of milliseconds, or `fallback` when absent. */
  public positiveDuration(value: unknown, option: string, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw this.invalid(option, "must be a positive number of milliseconds.");
    }
    return value;
  }

  /** A positive integer, or `fallback` when absent. */
  public positiveInteger(value: unknown, option: string, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      throw this.invalid(option, "must be a positive integer.");
    }
    return value;
  }

  /** `true` or `false`; `false` when absent. */
  public flag(value: unknown, option: string): boolean {
    if (value === undefined) return false;
    if (typeof value !== "boolean") throw this.invalid(option, "must be true or false.");
    return value;
  }

  /** A function, or `undefined` when absent. */
  public optionalFunction<T>(value: T | undefined, option: string): T | undefined {
    if (value !== undefined && typeof value !== "function") {
      throw this.invalid(option, "must be a function.");
    }
    return value;
  }

  /** A non-empty array of non-empty strings (de-duplicated, frozen), or `undefined` when absent. */
  public stringList(value: unknown, option: string, what: string): readonly string[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0) {
      throw this.invalid(option, `must be a non-empty array of ${what}; omit it otherwise.`);
    }
    const list: unknown[] = value;
    for (const item of list) {
      if (typeof item !== "string" || item.trim() === "") {
        throw this.invalid(option, `must contain only non-empty strings (${what}).`);
      }
    }
    return Object.freeze([...new Set(list as string[])]);
  }
}
