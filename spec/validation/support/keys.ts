import { createHmac, randomUUID } from "node:crypto";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { API_CLIENT_ID, TENANT } from "../../support/tokens.js";

/** An RS256 signing key as Entra's key set publishes it (kid, use, no alg). */
export interface TestKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

export async function newKey(kid = `kid-${randomUUID()}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, use: "sig" };
  return { kid, privateKey, publicKey, jwk };
}

export function keySet(...keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.jwk) };
}

export const now = (): number => Math.floor(Date.now() / 1000);

export interface MintOptions {
  /** Token version; selects the default issuer, audience and client-app claim. */
  readonly ver?: "1.0" | "2.0";
  readonly tid?: string;
  /** Claims that replace or extend the defaults; `undefined` removes a default claim. */
  readonly claims?: Record<string, unknown>;
  /** Header parameters that replace or extend `{ alg: "RS256", typ: "JWT", kid }`. */
  readonly header?: Record<string, unknown>;
}

/** Default claims of an Entra access token for this test API. */
export function defaultClaims(ver: "1.0" | "2.0", tid: string): Record<string, unknown> {
  const t = now();
  const common = {
    tid,
    oid: randomUUID(),
    sub: randomUUID(),
    scp: "access_as_user Files.Read",
    idtyp: "user",
    iat: t - 60,
    nbf: t - 60,
    exp: t + 3600,
    ver,
  };
  return ver === "2.0"
    ? {
        ...common,
        iss: `https://login.microsoftonline.com/${tid}/v2.0`,
        aud: API_CLIENT_ID,
        azp: "cccccccc-0000-4000-8000-00000000000c",
      }
    : {
        ...common,
        iss: `https://sts.windows.net/${tid}/`,
        aud: `api://${API_CLIENT_ID}`,
        appid: "cccccccc-0000-4000-8000-00000000000c",
      };
}

function payloadOf(options: MintOptions): Record<string, unknown> {
  const merged = {
    ...defaultClaims(options.ver ?? "2.0", options.tid ?? TENANT),
    ...options.claims,
  };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}

/** Mints an access token signed with `key` (RS256 unless the header says otherwise). */
export async function mint(key: TestKey, options: MintOptions = {}): Promise<string> {
  return new SignJWT(payloadOf(options))
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid, ...options.header })
    .sign(key.privateKey);
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An unsecured token: `alg: none`, empty signature. */
export function unsecured(key: TestKey, options: MintOptions = {}): string {
  return `${b64url({ alg: "none", typ: "JWT", kid: key.kid })}.${b64url(payloadOf(options))}.`;
}

/** The algorithm-confusion attack: HS256 with the RSA public key (PEM) as the HMAC secret. */
export async function hmacWithPublicKey(key: TestKey, options: MintOptions = {}): Promise<string> {
  const secret = await exportSPKI(key.publicKey);
  const input = `${b64url({ alg: "HS256", typ: "JWT", kid: key.kid })}.${b64url(payloadOf(options))}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}
