import { createHash, randomBytes } from "node:crypto";

/**
 * A GUID derived from names, the same on every run: the default directory's object ids stay stable
 * so demos and snapshots can refer to them.
 *
 * @param parts - the names the GUID is derived from
 * @internal
 */
export function stableGuid(...parts: readonly string[]): string {
  const hex = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A random url-safe identifier, as Entra's `uti` and key ids look.
 *
 * @param bytes - how many random bytes
 * @internal
 */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString("base64url");
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether a string is a GUID.
 *
 * @param value - the string
 * @internal
 */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}
