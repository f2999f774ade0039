import assert from "node:assert/strict";
import {
  AuthError,
  ConfidentialClientApplication,
  type ClientAssertionCallback,
} from "@azure/msal-node";
import { decodeJwt, generateKeyPair, type JWTPayload } from "jose";
import {
  generateClientCertificate,
  startEmulator,
  type ClientCertificateCredential,
  type Emulator,
} from "graph-obo-auth-emulator";

let shared: Promise<Emulator> | undefined;

/** One emulator for every emulator spec file: starting one costs an RSA key generation. */
function sharedEmulator(): Promise<Emulator> {
  shared ??= startEmulator();
  return shared;
}

// A root-level hook, registered once when this module is first loaded: closes the emulator at the
// end of the run.
after(async () => {
  if (shared !== undefined) await (await shared).close();
});

/**
 * Gives a describe block the shared emulator, reset (counters, injections, revocations) after
 * each test.
 */
export function useEmulator(): () => Emulator {
  let emulator: Emulator | undefined;
  before(async () => {
    emulator = await sharedEmulator();
  });
  afterEach(() => {
    emulator?.reset();
  });
  return () => {
    assert.ok(emulator, "the emulator is started in a before hook");
    return emulator;
  };
}

export interface CcaOptions {
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly clientAssertion?: string | ClientAssertionCallback;
  readonly clientCertificate?: {
    thumbprintSha256?: string;
    thumbprint?: string;
    privateKey: string;
  };
  readonly tenant?: string;
  readonly clientCapabilities?: string[];
}

/**
 * A fresh msal-node confidential client wired to the emulator (fresh, so MSAL's cache and its
 * 429/5xx throttling never leak between tests).
 */
export function cca(emulator: Emulator, options: CcaOptions): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: options.clientId,
      authority: emulator.authority(options.tenant),
      ...emulator.msalAuthorityOptions(options.tenant),
      ...(options.clientSecret === undefined ? {} : { clientSecret: options.clientSecret }),
      ...(options.clientAssertion === undefined
        ? {}
        : { clientAssertion: options.clientAssertion }),
      ...(options.clientCertificate === undefined
        ? {}
        : { clientCertificate: options.clientCertificate }),
      ...(options.clientCapabilities === undefined
        ? {}
        : { clientCapabilities: options.clientCapabilities }),
    },
    system: emulator.msalSystemOptions(),
  });
}

/** What an MSAL failure must show. */
export interface ExpectedMsalError {
  readonly name?: string;
  readonly errorCode?: string;
  readonly aadsts?: number;
  readonly subError?: string;
}

/** Asserts that an MSAL call fails with Entra's error, and returns the error. */
export async function rejectsWithEntra(
  promise: Promise<unknown>,
  expected: ExpectedMsalError,
): Promise<AuthError & { errorNo?: string; claims?: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AuthError, `expected an MSAL AuthError, got ${String(error)}`);
    const failure = error as AuthError & { errorNo?: string; claims?: string };
    if (expected.name !== undefined) assert.equal(failure.name, expected.name);
    if (expected.errorCode !== undefined) assert.equal(failure.errorCode, expected.errorCode);
    if (expected.aadsts !== undefined) {
      assert.equal(String(failure.errorNo), String(expected.aadsts), failure.errorMessage);
      assert.match(failure.errorMessage, new RegExp(`AADSTS${expected.aadsts}:`));
    }
    if (expected.subError !== undefined) assert.equal(failure.subError, expected.subError);
    return failure;
  }
  assert.fail("expected the token request to fail");
}

/** A JWT's claims, unverified. */
export function claimsOf(token: string): JWTPayload {
  return decodeJwt(token);
}

export const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";
export const TOKEN_EXCHANGE_DEFAULT = "api://AzureADTokenExchange/.default";

let forger: ReturnType<typeof generateKeyPair> | undefined;

/** An RSA key that is not the emulator's, for forged tokens (generated once: RSA is slow). */
export async function forgeryKey(): Promise<CryptoKey> {
  forger ??= generateKeyPair("RS256");
  return (await forger).privateKey;
}

/** Posts a raw form to a tenant's token endpoint and returns the status and JSON body. */
export async function postToken(
  emulator: Emulator,
  tenant: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await emulator.fetch(`/${tenant}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The first AADSTS code of an Entra error body. */
export function aadstsOf(body: Record<string, unknown>): number | undefined {
  return Array.isArray(body.error_codes) ? (body.error_codes[0] as number) : undefined;
}

let certificates: Promise<[ClientCertificateCredential, ClientCertificateCredential]> | undefined;

/** Two client certificates, generated once per run (RSA key generation is slow). */
export function clientCertificates(): Promise<
  [ClientCertificateCredential, ClientCertificateCredential]
> {
  certificates ??= Promise.all([
    generateClientCertificate(),
    generateClientCertificate("another client"),
  ]);
  return certificates;
}
