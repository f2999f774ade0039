import { createHmac, hkdfSync } from "node:crypto";
import { OnBehalfOfError } from "../../util/errors.js";

/**
 * One key of the encryption key ring of a {@link RedisTokenCache}.
 *
 * @example Generating a key
 * ```sh
 * node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"
 * ```
 */
export interface RedisEncryptionKey {
  /**
   * A short, stable, non-secret label of the key, for example `"2026-11"`: 1 to 32 characters of
   * `A-Z a-z 0-9 . _ -`. It is stored with every entry and is part of the Redis key names, so
   * entries written under a key can be found (`SCAN MATCH <prefix>t:<id>:*`) until they expire.
   */
  readonly id: string;
  /** 32 random bytes, as bytes or as base64 / base64url text. Never logged. */
  readonly key: Uint8Array | string;
}

/** One validated key, with the subkeys derived from it. @internal */
export interface RingKey {
  readonly id: string;
  /** The key id as bytes, for the entry header. */
  readonly idBytes: Buffer;
  /** The AES-256-GCM key. */
  readonly encryptionKey: Buffer;
  /** The HMAC-SHA256 key that names entries in Redis. */
  readonly namingKey: Buffer;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;
const BASE64_32_BYTES = /^[A-Za-z0-9+/_-]{43}=?$/;
const ENCRYPTION_INFO = "graph-obo-auth/redis/v1 encryption";
const NAMING_INFO = "graph-obo-auth/redis/v1 naming";

/**
 * The validated key ring: the primary key (the first) encrypts new entries; every key decrypts.
 * Each key yields two independent subkeys by HKDF-SHA256, one to encrypt and one to name entries.
 *
 * @internal
 */
export class KeyRing {
  /** The key that encrypts new entries. */
  public readonly primary: RingKey;
  /** The keys, primary first. */
  public readonly keys: readonly RingKey[];
  readonly #byId: ReadonlyMap<string, RingKey>;

  private constructor(primary: RingKey, others: readonly RingKey[]) {
    this.primary = primary;
    this.keys = [primary, ...others];
    this.#byId = new Map(this.keys.map((k) => [k.id, k]));
  }

  /**
   * Validates key material before anything touches the network.
   *
   * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` naming the offending key (never its
   * material)
   */
  public static from(keys: unknown, option: string): KeyRing {
    if (!Array.isArray(keys) || keys.length === 0) {
      throw redisConfigurationError(
        option,
        "must list at least one encryption key ({ id, key }), the primary first.",
      );
    }
    const ring: RingKey[] = [];
    const seen = new Set<string>();
    keys.forEach((candidate: unknown, index) => {
      const path = `${option}[${index}]`;
      if (typeof candidate !== "object" || candidate === null) {
        throw redisConfigurationError(path, "must be an object { id, key }.");
      }
      const { id, key } = candidate as { id?: unknown; key?: unknown };
      if (typeof id !== "string" || !KEY_ID.test(id)) {
        throw redisConfigurationError(
          `${path}.id`,
          "must be 1 to 32 characters of A-Z, a-z, 0-9, '.', '_' or '-'.",
        );
      }
      if (seen.has(id)) throw redisConfigurationError(`${path}.id`, "repeats an earlier key id.");
      seen.add(id);
      const material = keyMaterial(key, `${path}.key`);
      ring.push({
        id,
        idBytes: Buffer.from(id, "ascii"),
        encryptionKey: derive(material, ENCRYPTION_INFO),
        namingKey: derive(material, NAMING_INFO),
      });
      material.fill(0);
    });
    const [primary, ...others] = ring;
    if (primary === undefined) throw redisConfigurationError(option, "must not be empty.");
    return new KeyRing(primary, others);
  }

  /** The key with this id, if the ring has it. */
  public byId(id: string): RingKey | undefined {
    return this.#byId.get(id);
  }

  /** The HMAC-SHA256 of a cache key under a key's naming subkey, base64url (43 characters). */
  public static digest(key: RingKey, cacheKey: string): string {
    return createHmac("sha256", key.namingKey).update(cacheKey, "utf8").digest("base64url");
  }
}

function keyMaterial(key: unknown, path: string): Buffer {
  if (typeof key === "string") {
    if (!BASE64_32_BYTES.test(key)) {
      throw redisConfigurationError(
        path,
        "must be 32 bytes: a Uint8Array, or 44 characters of base64 (for example `openssl rand -base64 32`).",
      );
    }
    return Buffer.from(key, "base64"); // Node's decoder reads both base64 alphabets
  }
  if (key instanceof Uint8Array) {
    if (key.byteLength !== 32) {
      throw redisConfigurationError(
        path,
        `must be exactly 32 bytes for AES-256-GCM (got ${key.byteLength}).`,
      );
    }
    return Buffer.from(key); // a copy: the caller's buffer is left alone
  }
  throw redisConfigurationError(path, "must be 32 bytes: a Uint8Array or base64 text.");
}

function derive(material: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", material, Buffer.alloc(0), info, 32));
}

/**
 * An `ERR_OBO_CONFIGURATION` error of the Redis cache, naming the option path.
 *
 * @internal
 */
export function redisConfigurationError(option: string, problem: string): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_CONFIGURATION",
    `RedisTokenCache: option "${option}" ${problem}`,
    { option },
  );
}
