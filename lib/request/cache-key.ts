import { hash } from "node:crypto";
import { refuseOversized } from "../assertion/user-assertion.js";
import type { ResolvedOptions } from "../options/resolve-options.js";

/** The key namespaces of one provider: plain exchanges and agent identities. @internal */
export interface KeyNamespaces {
  readonly obo: string;
  readonly agent: string;
  /**
   * Long-running sessions' ids and tokens. Without the rules' fingerprint: changing
   * allowedTenants or audiences must not orphan the sessions of running jobs.
   */
  readonly session: string;
}

/**
 * The SHA-256 of an assertion, the user's part of a cache key. An assertion larger than the bound
 * is refused before it is hashed.
 *
 * @internal
 */
export function hashAssertion(assertion: string, maxTokenBytes: number): string {
  refuseOversized(assertion, maxTokenBytes);
  return hash("sha256", assertion, "base64url");
}

/** The SHA-256 of a case-insensitive identity (an agent user), for a key. @internal */
export function hashIdentity(identity: string): string {
  return hash("sha256", identity, "base64url");
}

/** A short fingerprint of the options that decide the local checks' outcome ("" by default). */
function rulesFingerprint(options: ResolvedOptions): string {
  const { allowedTenants, assertionRules, clientId } = options;
  const extraAudiences = [...assertionRules.audiences].filter(
    (audience) => audience !== clientId && audience !== `api://${clientId}`,
  );
  if (allowedTenants === undefined && extraAudiences.length === 0) return "";
  const rules = JSON.stringify([[...(allowedTenants ?? [])].sort(), extraAudiences.sort()]);
  return `${hash("sha256", rules, "base64url").slice(0, 12)}|`;
}

/**
 * A cache-key namespace: 16 base64url characters (96 bits) of the SHA-256 of what separates a
 * provider's entries from another provider's (kind, authority host, tenant, client id, rules),
 * then `|`. A hash, not a counter, because keys are shared across processes through Redis: the
 * same configuration gives the same namespace everywhere, another one never meets it. Short, so
 * every entry does not carry (and every hit does not hash and compare) a prefix of about 100
 * characters.
 */
function keyNamespace(parts: readonly string[]): string {
  return `${hash("sha256", JSON.stringify(parts), "base64url").slice(0, 16)}|`;
}

/**
 * The namespaces of a provider's keys. Entries prove the local checks, whose outcome depends on
 * allowedTenants and audiences: a provider with other rules never reads them.
 *
 * @internal
 */
export function keyNamespaces(options: ResolvedOptions): KeyNamespaces {
  const { authority, clientId } = options;
  const rules = rulesFingerprint(options);
  return {
    obo: keyNamespace(["obo", authority.host, authority.tenant, clientId, rules]),
    agent: keyNamespace(["agent", authority.host, authority.tenant, clientId, rules]),
    session: keyNamespace(["session", authority.host, authority.tenant, clientId]),
  };
}
