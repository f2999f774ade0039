import { createHmac, randomBytes } from "node:crypto";
import { OnBehalfOfError } from "../util/errors.js";

/** The version prefix of a session key: a later format gets another one. */
const PREFIX = "obs1.";
/** 32 random bytes: 256 bits, well above the 128 bits an unguessable key needs. */
const KEY_BYTES = 32;
/** 32 bytes in base64url without padding. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** A new session's key (handed to the caller) and its storage id (what the store keeps). @internal */
export interface NewSessionKey {
  readonly key: string;
  readonly id: string;
}

/**
 * The storage id of a session key: the HMAC-SHA256 of its secret, keyed by the provider's
 * namespace. The key itself is never stored, so the store's content cannot be used to get tokens,
 * and a key of another provider (another client, tenant or authority) maps to nothing here.
 */
function storageId(secret: string, namespace: string): string {
  return createHmac("sha256", namespace).update(secret).digest("base64url");
}

/**
 * Makes a new session key: `obs1.` and 32 bytes of `crypto.randomBytes` in base64url.
 *
 * @param namespace - the provider's key namespace
 * @internal
 */
export function newSessionKey(namespace: string): NewSessionKey {
  const secret = randomBytes(KEY_BYTES).toString("base64url");
  return { key: `${PREFIX}${secret}`, id: storageId(secret, namespace) };
}

/** The error for a key that names no live session: malformed, tampered with, unknown, ended or expired. */
export function sessionNotFound(problem: string): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_SESSION_NOT_FOUND",
    `No such long-running session: ${problem} Start a new session with a fresh access token of the user.`,
  );
}

/**
 * The storage id of a session key, after checking its form (no store read, no network).
 *
 * @param key - the key `startSession` returned
 * @param namespace - the provider's key namespace
 * @throws {@link OnBehalfOfError} `ERR_OBO_SESSION_NOT_FOUND` for anything that is not a key
 * @internal
 */
export function sessionStorageId(key: unknown, namespace: string): string {
  if (typeof key !== "string" || !key.startsWith(PREFIX)) {
    throw sessionNotFound("the session key is malformed.");
  }
  const secret = key.slice(PREFIX.length);
  if (!SECRET.test(secret)) throw sessionNotFound("the session key is malformed.");
  return storageId(secret, namespace);
}
