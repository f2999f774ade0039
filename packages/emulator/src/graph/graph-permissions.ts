import type { GraphPrincipal } from "./graph-auth.js";

/** Delegated scopes that can read the signed-in user (and their manager). @internal */
export const READ_SELF: readonly string[] = [
  "user.read",
  "user.readwrite",
  "user.readbasic.all",
  "user.read.all",
  "user.readwrite.all",
  "directory.read.all",
  "directory.readwrite.all",
];
/** Scopes or roles that can read other users. @internal */
export const READ_USERS: readonly string[] = [
  "user.readbasic.all",
  "user.read.all",
  "user.readwrite.all",
  "directory.read.all",
  "directory.readwrite.all",
];

/**
 * Whether a principal holds one of the permissions: roles for app-only tokens, scopes otherwise.
 *
 * @param principal - the caller
 * @param allowed - the permissions, lower-case
 * @internal
 */
export function can(principal: GraphPrincipal, allowed: readonly string[]): boolean {
  const granted = principal.userId === undefined ? principal.roles : principal.scopes;
  return allowed.some((p) => granted.has(p));
}
