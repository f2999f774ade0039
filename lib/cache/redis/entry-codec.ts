import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { CachedToken } from "../token-cache.js";
import type { KeyRing, RingKey } from "./key-ring.js";

/**
 * The stored form of an entry:
 *
 * ```text
 * version (1 byte, 1) | key id length (1 byte) | key id | IV (12 bytes) | GCM tag (16 bytes) | ciphertext
 * ```
 *
 * The plaintext is a small JSON object. The additional authenticated data is the header (version
 * and key id) followed by the full cache key, so an entry copied under another cache key, or
 * relabelled with another key id, fails authentication.
 */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Why a stored value could not be read. @internal */
export type UnreadableReason =
  "unknown format" | "unknown key id" | "authentication failed" | "malformed content";

/** The outcome of {@link openEntry}. @internal */
export type OpenedEntry =
  | { readonly ok: true; readonly entry: CachedToken; readonly keyId: string }
  | { readonly ok: false; readonly reason: UnreadableReason };

interface StoredFields {
  t?: unknown;
  e?: unknown;
  r?: unknown;
  a?: unknown;
}

/**
 * Encrypts an entry for a cache key with AES-256-GCM under `key`, with a fresh random IV.
 *
 * @internal
 */
export function sealEntry(key: RingKey, cacheKey: string, entry: CachedToken): Buffer {
  const fields: StoredFields = { t: entry.accessToken, e: entry.expiresAt, r: entry.refreshAt };
  if (entry.assertionExpiresAt !== undefined) fields.a = entry.assertionExpiresAt;
  return sealFrame(VERSION, key, cacheKey, Buffer.from(JSON.stringify(fields), "utf8"));
}

/**
 * Encrypts `plaintext` with AES-256-GCM under `key`, with a fresh random IV, bound to `name` (the
 * Redis key it is stored under) and to the frame's header: `format` (1 byte, what the plaintext
 * is), key id length (1 byte), key id, IV (12 bytes), GCM tag (16 bytes), ciphertext.
 *
 * @internal
 */
export function sealFrame(format: number, key: RingKey, name: string, plaintext: Buffer): Buffer {
  const header = Buffer.concat([Buffer.of(format, key.idBytes.length), key.idBytes]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.encryptionKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(header, name));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

/** The outcome of {@link openFrame}. @internal */
export type OpenedFrame =
  | { readonly ok: true; readonly plaintext: Buffer; readonly keyId: string }
  | { readonly ok: false; readonly reason: UnreadableReason };

/**
 * Decrypts and authenticates a frame of {@link sealFrame} stored under `name`. Never throws.
 *
 * @param expectedKeyId - the key whose name the value was found under, when names depend on it
 * @internal
 */
export function openFrame(
  format: number,
  ring: KeyRing,
  name: string,
  stored: Buffer,
  expectedKeyId?: string,
): OpenedFrame {
  if (stored.length < 2 || stored[0] !== format) return failure("unknown format");
  const idLength = stored[1] ?? 0;
  const headerLength = 2 + idLength;
  if (stored.length < headerLength + IV_BYTES + TAG_BYTES + 1) return failure("unknown format");
  const keyId = stored.toString("ascii", 2, headerLength);
  const key = ring.byId(keyId);
  if (key === undefined || (expectedKeyId !== undefined && keyId !== expectedKeyId)) {
    return failure("unknown key id");
  }
  const header = stored.subarray(0, headerLength);
  const iv = stored.subarray(headerLength, headerLength + IV_BYTES);
  const tag = stored.subarray(headerLength + IV_BYTES, headerLength + IV_BYTES + TAG_BYTES);
  const body = stored.subarray(headerLength + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.encryptionKey, iv, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(additionalData(header, name));
    decipher.setAuthTag(tag);
    return { ok: true, plaintext: Buffer.concat([decipher.update(body), decipher.final()]), keyId };
  } catch {
    return failure("authentication failed");
  }
}

/**
 * Decrypts and checks a stored value for a cache key. Never throws: anything unreadable (another
 * format, a key the ring lacks, a tampered, truncated or foreign value) is reported as such.
 *
 * @param expectedKeyId - the key whose name the value was found under
 * @internal
 */
export function openEntry(
  ring: KeyRing,
  cacheKey: string,
  stored: Buffer,
  expectedKeyId: string,
): OpenedEntry {
  const opened = openFrame(VERSION, ring, cacheKey, stored, expectedKeyId);
  if (!opened.ok) return opened;
  const entry = parseFields(opened.plaintext.toString("utf8"));
  return entry === undefined
    ? failure("malformed content")
    : { ok: true, entry, keyId: opened.keyId };
}

function additionalData(header: Buffer, cacheKey: string): Buffer {
  return Buffer.concat([header, Buffer.from(cacheKey, "utf8")]);
}

function parseFields(plaintext: string): CachedToken | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { t, e, r, a } = parsed as StoredFields;
  if (typeof t !== "string" || t === "" || !isTime(e) || !isTime(r)) return undefined;
  if (a === undefined) return { accessToken: t, expiresAt: e, refreshAt: r };
  if (!isTime(a)) return undefined;
  return { accessToken: t, expiresAt: e, refreshAt: r, assertionExpiresAt: a };
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function failure(reason: UnreadableReason): {
  readonly ok: false;
  readonly reason: UnreadableReason;
} {
  return { ok: false, reason };
}
