import { configurationError } from "../util/errors.js";

/**
 * Validates a scope list and returns it with duplicates removed, in the caller's order.
 *
 * @param scopes - the scopes as given by the user
 * @param option - the option name, for the error message
 * @internal
 */
export function normalizeScopes(scopes: unknown, option: string): readonly string[] {
  if (!Array.isArray(scopes)) {
    throw configurationError(
      option,
      'must be an array of scopes, e.g. ["https://graph.microsoft.com/.default"].',
    );
  }
  if (scopes.length === 0) {
    throw configurationError(
      option,
      'must contain at least one scope, e.g. "https://graph.microsoft.com/.default".',
    );
  }
  const seen = new Set<string>();
  for (const scope of scopes) {
    if (typeof scope !== "string" || scope.trim() === "" || /\s/.test(scope)) {
      throw configurationError(option, "must contain non-empty scope strings without spaces.");
    }
    seen.add(scope);
  }
  return Object.freeze([...seen]);
}

/**
 * A canonical, order-independent text for a scope list, used in cache keys. Scope values are
 * case-insensitive in Entra, so they are lower-cased.
 *
 * @internal
 */
export function scopesKey(scopes: readonly string[]): string {
  if (scopes.length === 1) return (scopes[0] ?? "").toLowerCase();
  return [...new Set(scopes.map((s) => s.toLowerCase()))].sort().join(" ");
}
