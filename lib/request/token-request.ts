import { isGuid } from "../options/authority.js";
import { claimsJson } from "../util/claims-challenge.js";
import { configurationError } from "../util/errors.js";
import type { AgentSelection } from "./agent-selection.js";

/** The kinds of token the pipeline gets; each has one row in the token-kind table. @internal */
export type TokenKindName = AgentSelection["kind"];

/** The selection of one kind. @internal */
export type SelectionOf<K extends TokenKindName> = Extract<AgentSelection, { readonly kind: K }>;

/** What every request carries besides its kind, resolved once per call. @internal */
export interface RequestBasics {
  /** The scopes, normalised. */
  readonly scopes: readonly string[];
  /** The scopes' part of the cache key (case-folded, sorted). */
  readonly scopesKey: string;
  /** Claims of a claims challenge, as JSON text. */
  readonly claims: string | undefined;
  /** The caller's correlation id (lower-cased GUID); a new one is made on a miss when absent. */
  readonly correlationId: string | undefined;
}

/** The user assertion of a request, after every local check. @internal */
export interface CheckedAssertion {
  /** The assertion, without `Bearer `. */
  readonly token: string;
  /** When it expires, in milliseconds since the epoch. */
  readonly expiresAt: number;
  /** Its `tid` and `oid` claims, lower-cased, when present. */
  readonly tenantId: string | undefined;
  readonly objectId: string | undefined;
}

/**
 * One token request, built once: the selection of its kind, the scopes, claims and correlation id,
 * the tenant the grants go to and, for kinds on behalf of the signed-in user, the checked
 * assertion. What the token-kind table's grants receive. @internal
 */
export type TokenRequest<K extends TokenKindName = TokenKindName> = SelectionOf<K> & {
  readonly scopes: readonly string[];
  readonly claims: string | undefined;
  /** Sent on every leg and retry of the acquisition. */
  readonly correlationId: string;
  /** The tenant the grants go to. */
  readonly tenant: string;
  /** The signed-in user's checked assertion (for the On-Behalf-Of kinds). */
  readonly assertion: CheckedAssertion | undefined;
};

/** Validates per-request claims: JSON text of a claims request. @internal */
export function readClaims(claims: unknown): string | undefined {
  if (claims === undefined || claims === "") return undefined;
  if (typeof claims === "string" && claimsJson(claims) !== undefined) return claims;
  throw configurationError(
    "claims",
    "must be the claims challenge as JSON text (decode Graph's base64 first).",
  );
}

/** Validates a per-request correlation id: a GUID, as Entra's `client-request-id` is. @internal */
export function readCorrelationId(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !isGuid(value)) {
    throw configurationError(
      "correlationId",
      "must be a GUID: it is sent to Entra as client-request-id on every leg of the acquisition.",
    );
  }
  return value.toLowerCase();
}

/** App-only (client credentials) tokens exist only for a resource's `/.default` scope. @internal */
export function requireDefaultScopes(scopes: readonly string[]): void {
  if (!scopes.every((scope) => scope.endsWith("/.default"))) {
    throw configurationError(
      "scopes",
      'must be "<resource>/.default" scopes for app-only tokens, e.g. "https://graph.microsoft.com/.default".',
    );
  }
}
