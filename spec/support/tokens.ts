import { randomUUID } from "node:crypto";
import { SignJWT, generateKeyPair, type CryptoKey } from "jose";

export const TENANT = "11111111-1111-4111-8111-111111111111";
export const OTHER_TENANT = "22222222-2222-4222-8222-222222222222";
export const API_CLIENT_ID = "aaaaaaaa-0000-4000-8000-000000000001";
export const CLIENT_SECRET = "s3cret-never-logged-Q1w2E3";

let keyPromise: Promise<CryptoKey> | undefined;
function signingKey(): Promise<CryptoKey> {
  keyPromise ??= generateKeyPair("RS256").then((pair) => pair.privateKey);
  return keyPromise;
}

export interface UserTokenClaims {
  oid: string;
  tid?: string | undefined;
  aud?: string;
  expSeconds?: number;
  name?: string;
  extra?: Record<string, unknown>;
}

/** Mints an incoming user access token (as a client would send to our API). Not verified by the provider. */
export async function userToken(claims: UserTokenClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    oid: claims.oid,
    scp: "access_as_user",
    ver: "2.0",
    name: claims.name ?? claims.oid,
    // padding so the token is about as large as a real one (~1.5 KB)
    uti: randomUUID(),
    ...claims.extra,
  };
  if (claims.tid !== undefined) payload.tid = claims.tid;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "test-key" })
    .setIssuer(`https://login.microsoftonline.com/${claims.tid ?? TENANT}/v2.0`)
    .setAudience(claims.aud ?? API_CLIENT_ID)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (claims.expSeconds ?? 3600))
    .sign(await signingKey());
}

/** base64url client_info, as Entra returns it. */
export function clientInfo(oid: string, tid: string): string {
  return Buffer.from(JSON.stringify({ uid: oid, utid: tid })).toString("base64url");
}
