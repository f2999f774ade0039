import assert from "node:assert/strict";
import { inspect } from "node:util";
import { errors } from "jose";
import { OnBehalfOfError } from "../../lib/util/errors.js";
import {
  createAccessTokenValidator,
  type AccessTokenValidationOptions,
} from "../../lib/validation/index.js";
import { API_CLIENT_ID, OTHER_TENANT, TENANT } from "../support/tokens.js";
import {
  hmacWithPublicKey,
  keySet,
  mint,
  newKey,
  now,
  unsecured,
  type MintOptions,
  type TestKey,
} from "./support/keys.js";

/** A person whose details must never appear in an error. */
const PERSON = {
  name: "Ada Lovelace",
  preferred_username: "ada.lovelace@contoso.example",
  upn: "ada.lovelace@contoso.example",
  unique_name: "ada.lovelace@contoso.example",
  email: "ada.lovelace@contoso.example",
  oid: "0da1ace0-1815-4a1c-b1e2-000000001815",
};
const FORBIDDEN = ["Ada Lovelace", "ada.lovelace", PERSON.oid];

/** JSON text, or "" for what JSON.stringify cannot represent (it then returns undefined). */
function json(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  return text ?? "";
}

/** Everything an error shows along its cause chain: messages, stacks, inspection, JSON. */
function everythingShown(error: unknown): string {
  const shown: string[] = [inspect(error, { depth: Infinity, showHidden: true })];
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    shown.push(inspect(current, { depth: Infinity, showHidden: true }));
    shown.push(json(current));
    if (typeof current === "object") {
      const own = Object.getOwnPropertyNames(current).map((name) => {
        const value: unknown = (current as Record<string, unknown>)[name];
        return `${name}=${typeof value === "string" ? value : json(value)}`;
      });
      shown.push(own.join("\n"));
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return shown.join("\n");
}

async function failure(promise: Promise<unknown>): Promise<OnBehalfOfError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OnBehalfOfError, String(error));
    return error;
  }
  assert.fail("expected a refusal");
}

function assertNothingPersonal(error: OnBehalfOfError, token: string): void {
  const shown = everythingShown(error);
  for (const value of FORBIDDEN) {
    assert.ok(!shown.includes(value), `the error shows "${value}": ${error.message}`);
  }
  assert.ok(!shown.includes(token), "the error shows the token");
  for (const segment of token.split(".")) {
    if (segment.length >= 8) assert.ok(!shown.includes(segment), "the error shows a token segment");
  }
}

const b64url = (value: unknown): string =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

describe("validation errors carry no personal data and no token", () => {
  let key: TestKey;
  let options: AccessTokenValidationOptions;

  before(async () => {
    key = await newKey();
    options = { clientId: API_CLIENT_ID, tenantId: TENANT, jwks: keySet(key) };
  });

  const personal = (
    claims: Record<string, unknown> = {},
    extra: MintOptions = {},
  ): MintOptions => ({
    ...extra,
    claims: { ...PERSON, ...claims },
  });

  type Extra = () => Partial<AccessTokenValidationOptions>;
  const cases: [string, () => Promise<string>, Extra?][] = [
    ["expired", () => mint(key, personal({ exp: now() - 3600 }))],
    ["not valid yet", () => mint(key, personal({ nbf: now() + 3600 }))],
    ["another audience", () => mint(key, personal({ aud: "https://graph.microsoft.com" }))],
    ["no exp", () => mint(key, personal({ exp: undefined }))],
    ["exp of the wrong type", () => mint(key, personal({ exp: "tomorrow" }))],
    ["an unknown version", () => mint(key, personal({ ver: "3.0" }))],
    ["another tenant", () => mint(key, personal({}, { tid: OTHER_TENANT }))],
    [
      "a foreign issuer",
      () => mint(key, personal({ iss: `https://login.evil.example/${TENANT}/v2.0` })),
    ],
    ["neither scp nor roles", () => mint(key, personal({ scp: undefined }))],
    ["a missing scope", () => mint(key, personal()), () => ({ requiredScopes: ["Admin"] })],
    ["a malformed tenant id", () => mint(key, personal({}, { tid: "contoso.example" }))],
    [
      "a key reserved for another tenant's issuer",
      () => mint(key, personal({}, { tid: OTHER_TENANT })),
      () => ({
        tenantId: "organizations",
        jwks: {
          keys: [{ ...key.jwk, issuer: `https://login.microsoftonline.com/${TENANT}/v2.0` }],
        },
      }),
    ],
    [
      "signing keys that cannot be downloaded",
      () => mint(key, personal()),
      () => ({ jwks: "http://127.0.0.1:1/keys", jwksTimeoutMs: 2000 }),
    ],
    ["alg none", () => Promise.resolve(unsecured(key, personal()))],
    ["HMAC with the public key", () => hmacWithPublicKey(key, personal())],
    [
      "a forged signature",
      async () => {
        const forger = await newKey(key.kid);
        return mint(forger, personal());
      },
    ],
    [
      "an unknown kid",
      async () => {
        const stranger = await newKey();
        return mint(stranger, personal());
      },
    ],
    [
      "a payload that is not JSON (the parser would quote it)",
      async () => {
        const [header, , signature] = (await mint(key)).split(".");
        const text = `{"name":"${PERSON.name}","upn":"${PERSON.upn}","oid":"${PERSON.oid}",`;
        return `${header}.${b64url(text)}.${signature}`;
      },
    ],
    ["too large", () => mint(key, personal({ padding: "x".repeat(20_000) }))],
  ];

  for (const [what, make, extra] of cases) {
    it(`a token of a named user that fails: ${what}`, async () => {
      const token = await make();
      const error = await failure(createAccessTokenValidator({ ...options, ...extra?.() })(token));
      assertNothingPersonal(error, token);
    });
  }

  it("keeps the kind, code and message of jose's failure as the cause", async () => {
    const token = await mint(key, personal({ exp: now() - 3600 }));
    const error = await failure(createAccessTokenValidator(options)(token));
    const cause = error.cause;
    assert.ok(cause instanceof errors.JWTExpired);
    assert.equal(cause.code, "ERR_JWT_EXPIRED");
    assert.equal(cause.claim, "exp");
    assert.equal(cause.reason, "check_failed");
    assert.match(cause.message, /exp/);
    assert.deepEqual(cause.payload, {});
    assert.match(cause.stack ?? "", /^JWTExpired: /);
  });

  it("scrubs the token from a custom key resolver's failure, and keeps only its message", async () => {
    const token = await mint(key, personal());
    const resolver = (): never => {
      const failure = new Error(`cannot resolve a key for ${token}`, {
        cause: Object.assign(new Error(`lookup of ${PERSON.upn} failed`), {
          code: "ELOOKUP",
          user: PERSON,
        }),
      });
      throw Object.assign(failure, { token, claims: PERSON });
    };
    const error = await failure(createAccessTokenValidator({ ...options, jwks: resolver })(token));
    assert.match(error.message, /signing keys could not be retrieved/);
    assert.ok(error.cause instanceof Error);
    assert.match(error.cause.message, /cannot resolve a key for \[redacted\]/);
    assert.equal((error.cause.cause as { code?: unknown }).code, "ELOOKUP");
    assert.match((error.cause.cause as Error).message, /lookup of \[redacted\] failed/);
    assertNothingPersonal(error, token);
  });
});
