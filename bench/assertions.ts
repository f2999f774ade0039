/**
 * Incoming user assertions for the bench: fake ~1.5 KB JWTs for this API (`aud` = the API's
 * client id), one per user, with `tid`, `oid` and `exp` in the future. They are not signed with a
 * real key: no approach verifies them (the API's own middleware would have).
 */
import { randomBytes } from "node:crypto";

/** The tenant of every bench user. */
export const TENANT = "7f3c2a10-5b4e-4d6f-9a8b-1c2d3e4f5a6b";
/** The web API's client id (the audience of the assertions, the OBO client). */
export const API_CLIENT_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
/** The client app that called the API. */
const CALLER_APP_ID = "c0ffee00-1234-4abc-9def-0123456789ab";

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function noise(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4))
    .toString("base64url")
    .slice(0, length);
}

/** A claim of a JWT's payload (decoded, not verified): the bench checks whose token it got. */
export function claimOf(token: string, name: string): unknown {
  const part = token.split(".")[1] ?? "";
  return (JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>)[
    name
  ];
}

/** A GUID-shaped object id for user `index` (stable, so runs are comparable). */
export function userOid(index: number): string {
  const hex = index.toString(16).padStart(12, "0");
  return `00000000-0000-4000-8000-${hex}`;
}

/**
 * One incoming access token for user `index`, about 1.5 KB, valid for `lifetimeSeconds`.
 *
 * @param index - the user's number
 * @param lifetimeSeconds - how long until `exp`
 */
export function makeAssertion(index: number, lifetimeSeconds = 4 * 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const oid = userOid(index);
  const header = b64url({ typ: "JWT", alg: "RS256", kid: noise(27) });
  const payload = b64url({
    aud: API_CLIENT_ID,
    iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    iat: now - 60,
    nbf: now - 60,
    exp: now + lifetimeSeconds,
    aio: noise(104),
    azp: CALLER_APP_ID,
    azpacr: "0",
    name: `Bench User ${String(index)}`,
    oid,
    preferred_username: `user${String(index)}@contoso.example`,
    rh: `1.${noise(84)}.`,
    scp: "access_as_user",
    sid: noise(36),
    sub: noise(43),
    tid: TENANT,
    uti: noise(22),
    ver: "2.0",
    xms_ftd: noise(60),
  });
  return `${header}.${payload}.${noise(342)}`;
}

/** `count` assertions, one per user. */
export function makeAssertions(count: number): string[] {
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = makeAssertion(i);
  return out;
}

/**
 * A fresh copy of a string, as a new request's header would be: a flat string that shares no
 * memory with the original, so an approach that keeps the assertion pays for it.
 */
export function freshCopy(value: string): string {
  return Buffer.from(value, "latin1").toString("latin1");
}
