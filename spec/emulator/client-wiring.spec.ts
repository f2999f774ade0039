import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { promisify } from "node:util";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { EmulatorNetworkClient, startEmulator } from "graph-obo-auth-emulator";
import { GRAPH_DEFAULT, claimsOf, useEmulator } from "./support/emulator.js";

describe("emulator TLS and client wiring", () => {
  const emulator = useEmulator();

  it("never relies on NODE_TLS_REJECT_UNAUTHORIZED", () => {
    assert.equal(process.env.NODE_TLS_REJECT_UNAUTHORIZED, undefined);
  });

  it("serves a certificate for localhost and 127.0.0.1, issued by its throwaway CA", async () => {
    const ca = new X509Certificate(emulator().caPem);
    assert.ok(ca.ca);
    const peer = await new Promise<X509Certificate>((resolve, reject) => {
      const socket = connect(
        { host: "127.0.0.1", port: emulator().port, servername: "localhost", ca: emulator().caPem },
        () => {
          const certificate = socket.getPeerX509Certificate();
          socket.end();
          if (certificate === undefined) reject(new Error("no peer certificate"));
          else resolve(certificate);
        },
      );
      socket.once("error", reject);
    });
    assert.equal(peer.subjectAltName, "DNS:localhost, IP Address:127.0.0.1");
    assert.ok(peer.checkIssued(ca));
    assert.ok(peer.verify(ca.publicKey));
  });

  it("is refused by a client that was not handed the CA", async () => {
    await assert.rejects(
      fetch(`${emulator().origin}/contoso.example/discovery/v2.0/keys`),
      (error: unknown) => {
        const cause = (error as { cause?: { code?: string } }).cause;
        assert.match(
          cause?.code ?? "",
          /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/,
        );
        return true;
      },
    );
  });

  it(`works as a dispatcher with Node's bundled undici ${process.versions.undici ?? ""}`, async () => {
    const response = await fetch(`${emulator().origin}/contoso.example/discovery/v2.0/keys`, {
      dispatcher: emulator().dispatcher,
    } as RequestInit);
    const jwks = (await response.json()) as {
      keys: { kid: string; kty: string; use: string; issuer: string }[];
    };
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]?.kty, "RSA");
    assert.equal(jwks.keys[0].use, "sig");
    assert.equal(
      jwks.keys[0].issuer,
      `${emulator().origin}/{tenantid}/v2.0`,
      "Entra's per-key issuer",
    );
  });

  it("lets a child process trust it through NODE_EXTRA_CA_CERTS", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emulator-ca-"));
    try {
      const caFile = join(dir, "ca.pem");
      await writeFile(caFile, emulator().caPem);
      const url = `${emulator().origin}/fabrikam.example/v2.0/.well-known/openid-configuration`;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          "-e",
          `fetch(${JSON.stringify(url)}).then(r => r.json()).then(j => console.log(j.issuer))`,
        ],
        { env: { PATH: process.env.PATH ?? "", NODE_EXTRA_CA_CERTS: caFile }, timeout: 10_000 },
      );
      assert.equal(
        stdout.trim(),
        `${emulator().origin}/${emulator().defaults.tenants.fabrikam.id}/v2.0`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("provider options need no discovery request for the configured tenant", async () => {
    const options = emulator().providerOptions({ tenant: "contoso.example" });
    assert.equal(
      options.authority,
      `${emulator().origin}/${emulator().defaults.tenants.contoso.id}`,
    );
    assert.deepEqual(options.msalAuthorityOptions.knownAuthorities, [
      `localhost:${emulator().port}`,
    ]);
    const metadata = JSON.parse(options.msalAuthorityOptions.authorityMetadata) as Record<
      string,
      string
    >;
    assert.deepEqual(Object.keys(metadata).sort(), [
      "authorization_endpoint",
      "end_session_endpoint",
      "issuer",
      "jwks_uri",
      "token_endpoint",
    ]);
    const { api } = emulator().defaults.apps;
    const client = new ConfidentialClientApplication({
      auth: {
        clientId: api.clientId,
        clientSecret: api.clientSecret,
        authority: options.authority,
        ...options.msalAuthorityOptions,
      },
      system: options.msalSystemOptions,
    });
    await client.acquireTokenOnBehalfOf({
      oboAssertion: await emulator().signIn({ user: "alice@contoso.example" }),
      scopes: [GRAPH_DEFAULT],
    });
    assert.equal(emulator().count({ endpoint: "discovery" }), 0);
    assert.equal(emulator().count({ endpoint: "token" }), 1);
  });

  it("serves OpenID discovery to MSAL for per-request tenants, through the network client", async () => {
    const { api } = emulator().defaults.apps;
    const client = new ConfidentialClientApplication({
      auth: {
        clientId: api.clientId,
        clientSecret: api.clientSecret,
        authority: emulator().authority("organizations"),
        knownAuthorities: [`localhost:${emulator().port}`],
      },
      system: emulator().msalSystemOptions(),
    });
    const result = await client.acquireTokenOnBehalfOf({
      oboAssertion: await emulator().signIn({ user: "erin@fabrikam.example" }),
      scopes: [GRAPH_DEFAULT],
      authority: emulator().authority("fabrikam.example"),
    });
    assert.equal(claimsOf(result?.accessToken ?? "").tid, emulator().defaults.tenants.fabrikam.id);
    assert.ok(
      emulator().count({
        endpoint: "discovery",
        tenant: emulator().defaults.tenants.fabrikam.id,
      }) >= 1,
    );
  });

  it("serves /organizations discovery with the {tenantid} issuer template", async () => {
    const config = (await (
      await emulator().fetch("/organizations/v2.0/.well-known/openid-configuration")
    ).json()) as {
      issuer: string;
      token_endpoint: string;
    };
    assert.equal(config.issuer, `${emulator().origin}/{tenantid}/v2.0`);
    assert.equal(config.token_endpoint, `${emulator().origin}/organizations/oauth2/v2.0/token`);
  });

  it("keeps MSAL's network client on the emulator", async () => {
    const client = new EmulatorNetworkClient(emulator().origin, emulator().caPem);
    try {
      await assert.rejects(
        client.sendGetRequestAsync("https://login.microsoftonline.com/common/discovery/instance"),
        { errorCode: "network_error" },
      );
    } finally {
      client.destroy();
    }
  });

  it("starts from an empty directory with options, and closes twice safely", async () => {
    const own = await startEmulator({
      directory: "empty",
      tenants: [{ domains: ["example.test"] }],
      users: [{ userPrincipalName: "solo@example.test" }],
      apps: [{ clientId: "0a0a0a0a-0000-4000-8000-00000000000a", clientSecret: "s" }],
      tokenLifetimeSeconds: 1200,
    });
    try {
      assert.equal(own.tenants.length, 1);
      assert.equal(own.user("solo@example.test")?.displayName, "Solo");
      const token = await own.signIn({
        user: "solo@example.test",
        clientId: "0a0a0a0a-0000-4000-8000-00000000000a",
      });
      const claims = claimsOf(token);
      assert.equal(Number(claims.exp) - Number(claims.iat), 1200);
    } finally {
      await own.close();
      await own.close();
    }
  });
});
