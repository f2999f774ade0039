import type { SessionRecord } from "../../session/session-store.js";
import { openFrame, sealFrame, type UnreadableReason } from "./entry-codec.js";
import type { KeyRing, RingKey } from "./key-ring.js";

/**
 * The sealed form of a session record: the frame of the token entries (AES-256-GCM, bound to the
 * Redis key name and to the key id), with format byte 2, so that a token entry never opens as a
 * session or the other way round. The plaintext is binary, not JSON:
 *
 * ```text
 * layout (1 byte, 1) | createdAt | lastUsedAt | deadline | version   (float64 BE each)
 * refreshToken | clientId | agentId ("" when none) | tenantId | oid | tid   (uint32 BE length + UTF-8 each)
 * scope count (uint16 BE) | scopes (uint32 BE length + UTF-8 each)
 * ```
 */
const FORMAT = 2;
const LAYOUT = 1;
/** More scopes than a token request could ever carry: the reader's bound. */
const MAX_SCOPES = 1_000;

/** A session record with the time it stops being usable. @internal */
export interface SealedSession {
  readonly record: SessionRecord;
  /** Milliseconds since the epoch: the earlier of idle end and absolute end. */
  readonly deadline: number;
}

/** The outcome of {@link openSession}. @internal */
export type OpenedSession =
  | ({ readonly ok: true; readonly keyId: string } & SealedSession)
  | { readonly ok: false; readonly reason: UnreadableReason };

/**
 * Encrypts a session record under `key`, bound to the Redis key `name`.
 *
 * @internal
 */
export function sealSession(key: RingKey, name: string, session: SealedSession): Buffer {
  const { record, deadline } = session;
  const strings = [
    record.refreshToken,
    record.clientId,
    record.agentId ?? "",
    record.tenantId,
    record.user.oid,
    record.user.tid,
  ];
  const parts: Buffer[] = [Buffer.of(LAYOUT)];
  const times = Buffer.alloc(32);
  [record.createdAt, record.lastUsedAt, deadline, record.version].forEach((value, i) => {
    times.writeDoubleBE(value, i * 8);
  });
  parts.push(times);
  for (const text of strings) parts.push(...lengthPrefixed(text));
  const count = Buffer.alloc(2);
  count.writeUInt16BE(record.scopes.length);
  parts.push(count);
  for (const scope of record.scopes) parts.push(...lengthPrefixed(scope));
  const plaintext = Buffer.concat(parts);
  try {
    return sealFrame(FORMAT, key, name, plaintext);
  } finally {
    plaintext.fill(0); // the refresh token leaves no plaintext copy behind in our buffers
  }
}

/**
 * Decrypts and checks a sealed session found under the Redis key `name`, with any key of the ring.
 * Never throws: anything unreadable (another format, a key the ring lacks, a tampered, truncated
 * or moved value, a malformed plaintext) is reported as such.
 *
 * @internal
 */
export function openSession(ring: KeyRing, name: string, stored: Buffer): OpenedSession {
  const opened = openFrame(FORMAT, ring, name, stored);
  if (!opened.ok) return opened;
  const session = parse(opened.plaintext);
  opened.plaintext.fill(0);
  return session === undefined
    ? { ok: false, reason: "malformed content" }
    : { ok: true, keyId: opened.keyId, ...session };
}

function lengthPrefixed(text: string): [Buffer, Buffer] {
  const bytes = Buffer.from(text, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
}

/** Reads the binary plaintext strictly: any bound crossed or byte left over is malformed. */
function parse(plaintext: Buffer): SealedSession | undefined {
  let offset = 0;
  const take = (bytes: number): Buffer | undefined => {
    if (offset + bytes > plaintext.length) return undefined;
    const slice = plaintext.subarray(offset, offset + bytes);
    offset += bytes;
    return slice;
  };
  const text = (): string | undefined => {
    const length = take(4)?.readUInt32BE();
    return length === undefined ? undefined : take(length)?.toString("utf8");
  };
  if (take(1)?.[0] !== LAYOUT) return undefined;
  const times = take(32);
  if (times === undefined) return undefined;
  const [createdAt, lastUsedAt, deadline, version] = [0, 1, 2, 3].map((i) =>
    times.readDoubleBE(i * 8),
  ) as [number, number, number, number];
  const strings: string[] = [];
  for (let i = 0; i < 6; i++) {
    const value = text();
    if (value === undefined) return undefined;
    strings.push(value);
  }
  const count = take(2)?.readUInt16BE();
  if (count === undefined || count > MAX_SCOPES) return undefined;
  const scopes: string[] = [];
  for (let i = 0; i < count; i++) {
    const scope = text();
    if (scope === undefined) return undefined;
    scopes.push(scope);
  }
  if (offset !== plaintext.length) return undefined;
  const [refreshToken, clientId, agentId, tenantId, oid, tid] = strings as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (refreshToken === "" || clientId === "" || tenantId === "" || oid === "" || tid === "") {
    return undefined;
  }
  if (![createdAt, lastUsedAt, deadline].every(Number.isFinite)) return undefined;
  if (!Number.isSafeInteger(version) || version < 0) return undefined;
  const record: SessionRecord = Object.freeze({
    refreshToken,
    clientId,
    ...(agentId === "" ? {} : { agentId }),
    tenantId,
    scopes: Object.freeze(scopes),
    user: Object.freeze({ oid, tid }),
    createdAt,
    lastUsedAt,
    version,
  });
  return { record, deadline };
}
