import { X509Certificate, createPrivateKey, randomBytes, webcrypto } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

/** Client certificates are RSA: msal-node signs client assertions with RS256 or PS256. */
const RSA: RsaHashedKeyGenParams = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

/** The CA and the TLS server use P-256 keys: generated in a millisecond, where RSA takes ~0.5 s. */
const EC: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };

const OID = {
  commonName: "2.5.4.3",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** pkijs with Node's WebCrypto passed explicitly: no global engine is set. */
const engine = new pkijs.CryptoEngine({ name: "node", crypto: webcrypto as unknown as Crypto });

/** A certificate with its private key, both PEM. @internal */
export interface IssuedCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** Only for signing further certificates. */
  readonly signingKey: CryptoKey;
  readonly subject: string;
}

function distinguishedName(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({
        type: OID.commonName,
        value: new asn1js.Utf8String({ value: commonName }),
      }),
    ],
  });
}

function extension(
  extnID: string,
  critical: boolean,
  value: { toSchema(): asn1js.AsnType } | asn1js.AsnType,
): pkijs.Extension {
  const schema = "toSchema" in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const base64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString(
    "base64",
  );
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

interface CertificateSpec {
  readonly subject: string;
  readonly issuer: string;
  readonly publicKey: CryptoKey;
  readonly signingKey: CryptoKey;
  readonly notAfter: Date;
  readonly extensions: pkijs.Extension[];
}

async function buildCertificate(spec: CertificateSpec): Promise<string> {
  const certificate = new pkijs.Certificate();
  certificate.version = 2;
  // A positive 128-bit serial number in minimal DER: the first byte must be neither 0x00 (OpenSSL
  // refuses the non-minimal INTEGER, "illegal padding") nor 0x80 and above (negative).
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  certificate.serialNumber = new asn1js.Integer({ valueHex: serial });
  certificate.issuer = distinguishedName(spec.issuer);
  certificate.subject = distinguishedName(spec.subject);
  certificate.notBefore.value = new Date(Date.now() - 5 * 60_000);
  certificate.notAfter.value = spec.notAfter;
  certificate.extensions = spec.extensions;
  await certificate.subjectPublicKeyInfo.importKey(spec.publicKey, engine);
  await certificate.sign(spec.signingKey, "SHA-256", engine);
  return toPem(certificate.toSchema(true).toBER(false), "CERTIFICATE");
}

async function newKeyPair(
  algorithm: RsaHashedKeyGenParams | EcKeyGenParams,
): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

const ONE_DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Creates a throwaway certificate authority, valid for a day, that exists only in memory.
 *
 * @internal
 */
export async function createCertificateAuthority(): Promise<IssuedCertificate> {
  const keys = await newKeyPair(EC);
  const subject = `graph-obo-auth emulator CA ${randomBytes(4).toString("hex")}`;
  const certificatePem = await buildCertificate({
    subject,
    issuer: subject,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    notAfter: new Date(Date.now() + ONE_DAY_MS),
    extensions: [
      extension(
        OID.basicConstraints,
        true,
        new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }),
      ),
      // keyCertSign | cRLSign
      extension(
        OID.keyUsage,
        true,
        new asn1js.BitString({ valueHex: new Uint8Array([0x06]), unusedBits: 1 }),
      ),
    ],
  });
  return {
    certificatePem,
    privateKeyPem: await privateKeyPem(keys.privateKey),
    signingKey: keys.privateKey,
    subject,
  };
}

/**
 * Issues the emulator's TLS server certificate from the CA, for `DNS:localhost` and
 * `IP:127.0.0.1`.
 *
 * @param ca - the issuing authority
 * @internal
 */
export async function issueServerCertificate(ca: IssuedCertificate): Promise<IssuedCertificate> {
  const keys = await newKeyPair(EC);
  const altNames = new pkijs.AltName({
    altNames: [
      new pkijs.GeneralName({ type: 2, value: "localhost" }),
      new pkijs.GeneralName({
        type: 7,
        value: new asn1js.OctetString({ valueHex: new Uint8Array([127, 0, 0, 1]) }),
      }),
    ],
  });
  const certificatePem = await buildCertificate({
    subject: "localhost",
    issuer: ca.subject,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    notAfter: new Date(Date.now() + ONE_DAY_MS),
    extensions: [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false })),
      // digitalSignature
      extension(
        OID.keyUsage,
        true,
        new asn1js.BitString({ valueHex: new Uint8Array([0x80]), unusedBits: 7 }),
      ),
      extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.serverAuth] })),
      extension(OID.subjectAltName, false, altNames),
    ],
  });
  return {
    certificatePem,
    privateKeyPem: await privateKeyPem(keys.privateKey),
    signingKey: keys.privateKey,
    subject: "localhost",
  };
}

/** A client certificate credential for an app registration, as msal-node and Entra use it. */
export interface ClientCertificateCredential {
  /** The PEM certificate: register it with `registerApp({ certificate: { certificatePem } })`. */
  readonly certificatePem: string;
  /** The PEM (PKCS#8) private key: give it to msal-node's `clientCertificate.privateKey`. */
  readonly privateKeyPem: string;
  /** Hex SHA-256 thumbprint (msal-node then signs PS256 with `x5t#S256`). */
  readonly thumbprintSha256: string;
  /** Hex SHA-1 thumbprint (msal-node then signs RS256 with `x5t`). */
  readonly thumbprint: string;
}

/**
 * SHA-256 and SHA-1 thumbprints of a PEM certificate, as lower-case hex.
 *
 * @param certificatePem - the certificate
 * @internal
 */
export function thumbprintsOf(certificatePem: string): { sha256: string; sha1: string } {
  const certificate = new X509Certificate(certificatePem);
  return {
    sha256: certificate.fingerprint256.replace(/:/g, "").toLowerCase(),
    sha1: certificate.fingerprint.replace(/:/g, "").toLowerCase(),
  };
}

/**
 * Generates a self-signed RSA client certificate and its private key, for testing certificate
 * credentials against the emulator. Nothing is written to disk.
 *
 * @param commonName - the certificate's subject common name
 * @returns the certificate, its private key and both thumbprints
 *
 * @example
 * ```ts
 * const cert = await generateClientCertificate();
 * emulator.registerApp({ clientId, certificate: { certificatePem: cert.certificatePem } });
 * new ConfidentialClientApplication({
 *   auth: { clientId, authority, clientCertificate: { thumbprintSha256: cert.thumbprintSha256, privateKey: cert.privateKeyPem } },
 *   system: emulator.msalSystemOptions(),
 * });
 * ```
 */
export async function generateClientCertificate(
  commonName = "graph-obo-auth emulator client",
): Promise<ClientCertificateCredential> {
  const keys = await newKeyPair(RSA);
  const certificatePem = await buildCertificate({
    subject: commonName,
    issuer: commonName,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    notAfter: new Date(Date.now() + ONE_DAY_MS),
    extensions: [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false })),
      extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.clientAuth] })),
    ],
  });
  const pem = await privateKeyPem(keys.privateKey);
  // Round-trip through node:crypto so the PEM is exactly what Node's own tooling writes.
  const privateKeyPemText = createPrivateKey(pem)
    .export({ format: "pem", type: "pkcs8" })
    .toString();
  const { sha256, sha1 } = thumbprintsOf(certificatePem);
  return {
    certificatePem,
    privateKeyPem: privateKeyPemText,
    thumbprintSha256: sha256,
    thumbprint: sha1,
  };
}
