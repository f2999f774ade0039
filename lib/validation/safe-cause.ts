import { errors } from "jose";

/** How deep a cause chain is copied; deeper causes are dropped. */
const MAX_DEPTH = 4;
/** Token segments shorter than this are too common to be worth scrubbing from messages. */
const MIN_SEGMENT = 8;

function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join("[redacted]");
  return result;
}

/** Claims that identify the protocol, not a person: kept readable in messages. */
const PROTOCOL_CLAIMS = new Set([
  "iss",
  "aud",
  "ver",
  "tid",
  "azp",
  "appid",
  "scp",
  "roles",
  "idtyp",
]);
/** Claim values shorter than this are left alone ("1", "0"): they identify nobody. */
const MIN_VALUE = 3;

/** The string values of the token's claims that may identify a person, if it can be decoded. */
function claimValues(token: string): string[] {
  const payload = token.split(".")[1];
  if (payload === undefined) return [];
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return [];
  }
  if (typeof claims !== "object" || claims === null) return [];
  const values: string[] = [];
  for (const [name, value] of Object.entries(claims)) {
    if (PROTOCOL_CLAIMS.has(name)) continue;
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof item === "string" && item.length >= MIN_VALUE) values.push(item);
    }
  }
  return values;
}

/**
 * What must never be repeated: the token, each long segment of it, and the values of its claims
 * (names, UPNs, object ids), longest first.
 */
function secretsOf(token: string | undefined): readonly string[] {
  if (token === undefined || token === "") return [];
  const segments = token.split(".").filter((segment) => segment.length >= MIN_SEGMENT);
  return [token, ...segments, ...claimValues(token)].sort((a, b) => b.length - a.length);
}

function copy(error: Error, secrets: readonly string[], depth: number): Error {
  // Same prototype, so `instanceof` and the name still tell the kind of failure; only the message,
  // the stable code and (for jose's claim checks) the claim's name and reason are kept. jose's
  // claim errors carry the whole decoded claim set in `payload`; it is left behind, as is anything
  // else the original carried.
  const safe = Object.create(Object.getPrototypeOf(error) as object) as Error;
  const message = scrub(error.message, secrets);
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  const own = (name: string, value: unknown): void => {
    Object.defineProperty(safe, name, { value, writable: true, configurable: true });
  };
  own("message", message);
  own("stack", [`${error.name}: ${message}`, ...frames].join("\n"));
  if (Object.hasOwn(error, "name")) own("name", error.name);
  const { code } = error as { code?: unknown };
  if (typeof code === "string") own("code", code);
  if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
    own("claim", error.claim);
    own("reason", error.reason);
    own("payload", Object.freeze({}));
  }
  // jose's own nested causes (a JSON parser's error quoting the payload, for one) are dropped.
  if (!(error instanceof errors.JOSEError) && depth < MAX_DEPTH) {
    const cause = safeCause(error.cause, secrets, depth + 1);
    if (cause !== undefined) own("cause", cause);
  }
  return safe;
}

function safeCause(error: unknown, secrets: readonly string[], depth: number): Error | undefined {
  if (error instanceof Error) return copy(error, secrets, depth);
  return undefined;
}

/**
 * A copy of a failure that is safe to attach as the `cause` of a validation error: it keeps the
 * kind (prototype, `name`, `code`) and the message of each error along the chain, but none of
 * their other properties (jose's `payload`, the decoded claim set with names and UPNs). The token,
 * and the values of its claims, are replaced by `[redacted]` in every message, for failures whose
 * words the package does not control (a custom key resolver's). Values that are not errors are
 * dropped.
 *
 * @param error - the original failure
 * @param token - the token that was being validated, scrubbed from every message
 * @internal
 */
export function sanitizedCause(error: unknown, token?: string): Error | undefined {
  return safeCause(error, secretsOf(token), 0);
}
