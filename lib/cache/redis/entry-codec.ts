import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { CachedToken } from "../token-cache.js";
import type { KeyRing, RingKey } from "./key-ring.js";

/**
 * The stored form of an entry:
 *
 * ```text
 * version (1 byte) | key id length (1 byte) | key id | IV (12 bytes) | GCM tag (16 bytes) | ciphertext
 * ```
 *
 * The additional authenticated data is the header (version and key id) followed by the full cache
 * key, so an entry copied under another cache key, relabelled with another key id or with another
 * version, fails authentication.
 *
 * The plaintext of version 2, written now, is a binary frame, so that a read decodes no JSON:
 *
 * ```text
 * expiresAt | refreshAt | assertionExpiresAt (NaN when absent): float64 big-endian, 8 bytes each | access token, UTF-8
 * ```
 *
 * Version 1, written by earlier releases, holds a small JSON object (`{ t, e, r, a? }`); it is
 * still read, so entries written before an upgrade keep being served until they expire.
 */
const VERSION_JSON = 1;
const VERSION_BINARY = 2;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The three times at the start of a version 2 plaintext. */
const TIMES_BYTES = 24;

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
 * Encrypts an entry for a cache key with AES-256-GCM under `key`, with a fresh random IV, in the
 * current format (version 2).
 *
 * @internal
 */
export function sealEntry(key: RingKey, cacheKey: string, entry: CachedToken): Buffer {
  const tokenBytes = Buffer.byteLength(entry.accessToken, "utf8");
  const plaintext = Buffer.allocUnsafe(TIMES_BYTES + tokenBytes);
  plaintext.writeDoubleBE(entry.expiresAt, 0);
  plaintext.writeDoubleBE(entry.refreshAt, 8);
  plaintext.writeDoubleBE(entry.assertionExpiresAt ?? Number.NaN, 16);
  plaintext.write(entry.accessToken, TIMES_BYTES, "utf8");
  return seal(key, cacheKey, VERSION_BINARY, plaintext);
}

/**
 * Encrypts an entry in the format of earlier releases (version 1, a JSON plaintext). Only specs
 * and benchmarks use it, to prove that such entries are still read.
 *
 * @internal
 */
export function sealEntryV1(key: RingKey, cacheKey: string, entry: CachedToken): Buffer {
  const fields: StoredFields = { t: entry.accessToken, e: entry.expiresAt, r: entry.refreshAt };
  if (entry.assertionExpiresAt !== undefined) fields.a = entry.assertionExpiresAt;
  return seal(key, cacheKey, VERSION_JSON, Buffer.from(JSON.stringify(fields), "utf8"));
}

function seal(key: RingKey, cacheKey: string, version: number, plaintext: Buffer): Buffer {
  const headerLength = 2 + key.idBytes.length;
  const bodyStart = headerLength + IV_BYTES + TAG_BYTES;
  const stored = Buffer.allocUnsafe(bodyStart + plaintext.length);
  stored[0] = version;
  stored[1] = key.idBytes.length;
  key.idBytes.copy(stored, 2);
  const iv = randomBytes(IV_BYTES);
  iv.copy(stored, headerLength);
  const cipher = createCipheriv("aes-256-gcm", key.encryptionKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(stored, headerLength, cacheKey));
  const body = cipher.update(plaintext);
  const rest = cipher.final(); // empty for GCM
  body.copy(stored, bodyStart);
  rest.copy(stored, bodyStart + body.length);
  cipher.getAuthTag().copy(stored, headerLength + IV_BYTES);
  plaintext.fill(0);
  return stored;
}

/**
 * Encrypts `plaintext` with AES-256-GCM under `key`, with a fresh random IV, bound to `name` (the
 * Redis key it is stored under) and to the frame's header: `format` (1 byte, what the plaintext
 * is), key id length (1 byte), key id, IV (12 bytes), GCM tag (16 bytes), ciphertext. Token entries
 * use formats 1 and 2, session records 3. The plaintext buffer is zeroed.
 *
 * @internal
 */
export function sealFrame(format: number, key: RingKey, name: string, plaintext: Buffer): Buffer {
  return seal(key, name, format, plaintext);
}

/** A frame of {@link sealFrame}, opened. @internal */
export type OpenedFrame =
  | {
      readonly ok: true;
      readonly plaintext: Buffer;
      readonly keyId: string;
      readonly format: number;
    }
  | { readonly ok: false; readonly reason: UnreadableReason };

/**
 * Decrypts and authenticates a frame stored under `name` whose format is one of `formats`. Never
 * throws: anything unreadable (another format, a key the ring lacks, a tampered, truncated or
 * foreign value) is reported as such.
 *
 * @param expectedKeyId - the key whose name the value was found under, when names depend on it
 * @internal
 */
export function openFrame(
  formats: number | readonly number[],
  ring: KeyRing,
  name: string,
  stored: Buffer,
  expectedKeyId?: string,
): OpenedFrame {
  const format = stored[0];
  const accepted =
    typeof formats === "number" ? format === formats : formats.includes(format ?? -1);
  if (stored.length < 2 || format === undefined || !accepted) return frameFailure("unknown format");
  const idLength = stored[1] ?? 0;
  const headerLength = 2 + idLength;
  const bodyStart = headerLength + IV_BYTES + TAG_BYTES;
  if (stored.length < bodyStart + 1) return frameFailure("unknown format");
  const keyId = stored.toString("latin1", 2, headerLength);
  if (expectedKeyId !== undefined && keyId !== expectedKeyId) {
    return frameFailure("unknown key id");
  }
  const key = ring.byId(keyId);
  if (key === undefined) return frameFailure("unknown key id");
  try {
    const decipher = createDecipheriv(
      "aes-256-gcm",
      key.encryptionKey,
      stored.subarray(headerLength, headerLength + IV_BYTES),
      { authTagLength: TAG_BYTES },
    );
    decipher.setAAD(additionalData(stored, headerLength, name));
    decipher.setAuthTag(stored.subarray(headerLength + IV_BYTES, bodyStart));
    const plaintext = decipher.update(stored.subarray(bodyStart));
    decipher.final(); // checks the tag; GCM has no bytes left to give
    return { ok: true, plaintext, keyId, format };
  } catch {
    return frameFailure("authentication failed");
  }
}

const TOKEN_FORMATS: readonly number[] = [VERSION_BINARY, VERSION_JSON];

/**
 * Decrypts and checks a stored value for a cache key, in either format. Never throws: anything
 * unreadable (another format, a key the ring lacks, a tampered, truncated or foreign value) is
 * reported as such.
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
  const opened = openFrame(TOKEN_FORMATS, ring, cacheKey, stored, expectedKeyId);
  if (!opened.ok) return opened;
  const { plaintext, format, keyId } = opened;
  const entry = format === VERSION_BINARY ? parseFrame(plaintext) : parseJson(plaintext);
  return entry === undefined ? failure("malformed content") : { ok: true, entry, keyId };
}

function frameFailure(reason: UnreadableReason): OpenedFrame {
  return { ok: false, reason };
}

/** The header (the first `headerLength` bytes of `stored`) followed by the cache key. */
function additionalData(stored: Buffer, headerLength: number, cacheKey: string): Buffer {
  const keyBytes = Buffer.byteLength(cacheKey, "utf8");
  const aad = Buffer.allocUnsafe(headerLength + keyBytes);
  stored.copy(aad, 0, 0, headerLength);
  aad.write(cacheKey, headerLength, "utf8");
  return aad;
}

function parseFrame(plaintext: Buffer): CachedToken | undefined {
  if (plaintext.length <= TIMES_BYTES) return undefined;
  const expiresAt = plaintext.readDoubleBE(0);
  const refreshAt = plaintext.readDoubleBE(8);
  const assertionExpiresAt = plaintext.readDoubleBE(16);
  if (!Number.isFinite(expiresAt) || !Number.isFinite(refreshAt)) return undefined;
  const accessToken = plaintext.toString("utf8", TIMES_BYTES);
  if (Number.isNaN(assertionExpiresAt)) return { accessToken, expiresAt, refreshAt };
  if (!Number.isFinite(assertionExpiresAt)) return undefined;
  return { accessToken, expiresAt, refreshAt, assertionExpiresAt };
}

function parseJson(plaintext: Buffer): CachedToken | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString("utf8"));
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

function failure(reason: UnreadableReason): OpenedEntry {
  return { ok: false, reason };
}
