/**
 * The offline Entra ID + Microsoft Graph emulator moved to its own package,
 * `graph-obo-auth-emulator`: this subpath re-exports it, unchanged, for code written against
 * earlier versions, and only when `graph-obo-auth-emulator` is installed (an optional peer
 * dependency).
 *
 * @deprecated Install the emulator as a dev dependency (`npm install -D graph-obo-auth-emulator`)
 * and import it from `graph-obo-auth-emulator` instead of `graph-obo-auth/emulator`. This alias
 * will be removed in a future major version.
 *
 * @packageDocumentation
 * @module graph-obo-auth/emulator
 */
export * from "graph-obo-auth-emulator";
