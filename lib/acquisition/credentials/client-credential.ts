import { createPrivateKey } from "node:crypto";
import type { ClientAssertionCallback, NodeAuthOptions } from "@azure/msal-node";
import { configurationError } from "../../util/errors.js";

/** A certificate credential: the private key and the SHA-256 thumbprint of its certificate. */
export interface ClientCertificate {
  /** Hex SHA-256 thumbprint of the certificate registered on the app (64 hex digits). */
  readonly thumbprintSha256: string;
  /** The PEM-encoded private key. */
  readonly privateKey: string;
  /** The PEM certificate chain, sent as `x5c` for subject-name/issuer authentication. */
  readonly x5c?: string;
}

/**
 * A callback that returns a client assertion (a signed JWT or a federated token, for example from
 * a managed identity). It is called for every token request, so it should cache what it fetches.
 */
export type ClientAssertionProvider = (context: {
  /** The client id the assertion is for. */
  readonly clientId: string;
  /** The token endpoint the request goes to. */
  readonly tokenEndpoint?: string;
}) => string | Promise<string>;

/** The credential fields of the provider's options. @internal */
export interface CredentialOptions {
  readonly clientSecret?: string | undefined;
  readonly clientCertificate?: ClientCertificate | undefined;
  readonly clientAssertion?: string | ClientAssertionProvider | undefined;
}

/** The MSAL `auth` fields of one credential. @internal */
export type MsalCredential = Pick<
  NodeAuthOptions,
  "clientSecret" | "clientCertificate" | "clientAssertion"
>;

/**
 * Checks that exactly one credential is given and well formed, and returns it in MSAL's shape.
 *
 * @internal
 */
export function resolveCredential(options: CredentialOptions): MsalCredential {
  const given = (["clientSecret", "clientCertificate", "clientAssertion"] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (given.length === 0) {
    throw configurationError(
      "clientSecret",
      'is missing: give exactly one credential, "clientSecret", "clientCertificate" or "clientAssertion".',
    );
  }
  if (given.length > 1) {
    throw configurationError(
      given[1] ?? "clientSecret",
      `conflicts with "${given[0] ?? ""}": give exactly one credential.`,
    );
  }
  const { clientSecret, clientCertificate, clientAssertion } = options;
  if (clientSecret !== undefined) {
    if (typeof clientSecret !== "string" || clientSecret.trim() === "") {
      throw configurationError("clientSecret", "must be a non-empty string.");
    }
    return { clientSecret };
  }
  if (clientCertificate !== undefined)
    return { clientCertificate: resolveCertificate(clientCertificate) };
  if (typeof clientAssertion === "string") {
    if (clientAssertion.trim() === "")
      throw configurationError("clientAssertion", "must not be empty.");
    return { clientAssertion };
  }
  if (typeof clientAssertion !== "function") {
    throw configurationError(
      "clientAssertion",
      "must be a string or a function returning the assertion.",
    );
  }
  const callback: ClientAssertionCallback = async (config) => {
    const value = await clientAssertion(
      config.tokenEndpoint === undefined
        ? { clientId: config.clientId }
        : { clientId: config.clientId, tokenEndpoint: config.tokenEndpoint },
    );
    if (typeof value !== "string" || value.trim() === "") {
      throw configurationError("clientAssertion", "callback returned no assertion.");
    }
    return value;
  };
  return { clientAssertion: callback };
}

function resolveCertificate(
  certificate: ClientCertificate,
): NonNullable<NodeAuthOptions["clientCertificate"]> {
  if (typeof certificate !== "object") {
    throw configurationError(
      "clientCertificate",
      "must be an object { thumbprintSha256, privateKey, x5c? }.",
    );
  }
  const { thumbprintSha256, privateKey, x5c } = certificate;
  if (
    typeof thumbprintSha256 !== "string" ||
    !/^[0-9a-f]{64}$/i.test(thumbprintSha256.replace(/:/g, ""))
  ) {
    throw configurationError(
      "clientCertificate.thumbprintSha256",
      "must be the certificate's SHA-256 thumbprint: 64 hexadecimal digits.",
    );
  }
  if (typeof privateKey !== "string" || !privateKey.includes("PRIVATE KEY-----")) {
    throw configurationError("clientCertificate.privateKey", "must be a PEM-encoded private key.");
  }
  try {
    const key = createPrivateKey(privateKey);
    if (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "rsa-pss") {
      throw new Error("not an RSA key");
    }
  } catch (cause) {
    throw configurationError(
      "clientCertificate.privateKey",
      "is not a readable RSA private key (PEM, unencrypted).",
      cause,
    );
  }
  if (x5c !== undefined && (typeof x5c !== "string" || !x5c.includes("BEGIN CERTIFICATE"))) {
    throw configurationError("clientCertificate.x5c", "must be a PEM certificate chain.");
  }
  const thumbprint = thumbprintSha256.replace(/:/g, "").toLowerCase();
  return x5c === undefined
    ? { thumbprintSha256: thumbprint, privateKey }
    : { thumbprintSha256: thumbprint, privateKey, x5c };
}
