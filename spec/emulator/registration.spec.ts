import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { X509Certificate } from "node:crypto";
import { EmulatorError, startEmulator } from "graph-obo-auth-emulator";
import {
  GRAPH_DEFAULT,
  cca,
  claimsOf,
  clientCertificates,
  useEmulator,
} from "./support/emulator.js";

describe("emulator directory API", () => {
  const emulator = useEmulator();
  const refuses = (action: () => unknown, message: RegExp) => {
    assert.throws(action, (error: unknown) => {
      assert.ok(error instanceof EmulatorError);
      assert.match(error.message, message);
      return true;
    });
  };

  it("registers tenants, users and apps, and finds them again", () => {
    const tenant = emulator().addTenant({
      domains: ["Northwind.Example"],
      displayName: "Northwind",
    });
    assert.deepEqual(tenant.domains, ["northwind.example"]);
    assert.ok(emulator().tenants.some((t) => t.id === tenant.id));
    const user = emulator().addUser({ userPrincipalName: "nora.north@northwind.example" });
    assert.equal(user.displayName, "Nora north", "derived from the UPN");
    assert.equal(user.tenantId, tenant.id);
    assert.equal(emulator().user(user.id)?.userPrincipalName, "nora.north@northwind.example");
    assert.equal(emulator().user("nobody@northwind.example"), undefined);
    const app = emulator().registerApp({
      tenant: "northwind.example",
      appIdUri: "api://northwind-api/",
    });
    assert.equal(app.appIdUri, "api://northwind-api");
    assert.equal(emulator().app(app.clientId)?.tenantId, tenant.id);
    assert.equal(emulator().app(randomUUID()), undefined);
  });

  it("refuses malformed or conflicting tenants and users", () => {
    refuses(() => emulator().addTenant({ domains: [] }), /at least one domain/);
    refuses(() => emulator().addTenant({ domains: ["contoso.example"] }), /already registered/);
    refuses(() => emulator().addTenant({ id: "not-a-guid", domains: ["x.example"] }), /GUID/);
    refuses(() => emulator().addTenant({ domains: [""] }), /non-empty/);
    refuses(() => emulator().addUser({ userPrincipalName: "no-at-sign" }), /name@domain/);
    refuses(
      () => emulator().addUser({ userPrincipalName: "x@unknown.example" }),
      /not in the directory/,
    );
    refuses(
      () => emulator().addUser({ userPrincipalName: "alice@contoso.example" }),
      /already registered/,
    );
    refuses(
      () => emulator().addUser({ userPrincipalName: "y@contoso.example", id: "nope" }),
      /GUID/,
    );
    refuses(
      () =>
        emulator().addUser({
          userPrincipalName: "z@contoso.example",
          agentGraphScopes: ["Mail.Read"],
        }),
      /agentGraphScopes needs agentIdentity/,
    );
    refuses(() => {
      emulator().setManager("alice@contoso.example", "erin@fabrikam.example");
    }, /same tenant/);
    refuses(() => {
      emulator().setManager("nobody@contoso.example", null);
    }, /not in the directory/);
  });

  it("refuses malformed app registrations", () => {
    const { blueprint, api } = emulator().defaults.apps;
    refuses(() => emulator().registerApp({ clientId: "nope" }), /GUID/);
    refuses(() => emulator().registerApp({ clientId: api.clientId }), /already registered/);
    refuses(() => emulator().registerApp({ kind: "robot" as never }), /kind must be/);
    refuses(() => emulator().registerApp({ kind: "agent" }), /needs its blueprint/);
    refuses(
      () => emulator().registerApp({ kind: "agent", blueprint: api.clientId }),
      /not a registered agent identity blueprint/,
    );
    refuses(
      () =>
        emulator().registerApp({ kind: "agent", blueprint: blueprint.clientId, multiTenant: true }),
      /single-tenant/,
    );
    refuses(
      () => emulator().registerApp({ blueprint: blueprint.clientId }),
      /only agent identities/,
    );
    refuses(() => emulator().registerApp({ clientSecret: "" }), /non-empty string/);
    refuses(() => emulator().registerApp({ appIdUri: `api://${api.clientId}` }), /already in use/);
    refuses(
      () => emulator().registerApp({ apiPermissions: { "api://unknown": { scopes: ["x"] } } }),
      /not a registered API/,
    );
    refuses(() => emulator().registerApp({ graphScopes: "User.Read" as never }), /array/);
    refuses(
      () => emulator().registerApp({ certificate: { certificatePem: "garbage" } }),
      /readable PEM certificate/,
    );
    refuses(
      () => emulator().registerApp({ certificate: { publicKeyPem: "garbage", thumbprint: "00" } }),
      /readable PEM public key/,
    );
  });

  it("accepts a certificate given as a public key with its thumbprint", async () => {
    const [certificate] = await clientCertificates();
    const publicKeyPem = new X509Certificate(certificate.certificatePem).publicKey
      .export({ format: "pem", type: "spki" })
      .toString();
    refuses(
      () => emulator().registerApp({ certificate: { publicKeyPem } }),
      /needs thumbprintSha256 or thumbprint/,
    );
    const clientId = randomUUID();
    emulator().registerApp({
      clientId,
      certificates: [
        { publicKeyPem, thumbprintSha256: certificate.thumbprintSha256.toUpperCase() },
      ],
    });
    const result = await cca(emulator(), {
      clientId,
      clientCertificate: {
        thumbprintSha256: certificate.thumbprintSha256,
        privateKey: certificate.privateKeyPem,
      },
    }).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
    assert.equal(claimsOf(result?.accessToken ?? "").appid, clientId);
  });

  it("refuses sign-ins it cannot honour", async () => {
    const { downstreamApi, blueprint } = emulator().defaults.apps;
    const rejects = (
      options: Parameters<ReturnType<typeof emulator>["signIn"]>[0],
      message: RegExp,
    ) =>
      assert.rejects(emulator().signIn(options), (error: unknown) => {
        assert.ok(error instanceof EmulatorError);
        assert.match(error.message, message);
        return true;
      });
    await rejects({ user: "nobody@contoso.example" }, /not in the directory/);
    await rejects({ user: "alice@contoso.example", tenant: "fabrikam.example" }, /not a member/);
    await rejects(
      { user: "alice@contoso.example", clientId: "api://AzureADTokenExchange" },
      /not a registered API/,
    );
    await rejects(
      { user: "erin@fabrikam.example", clientId: blueprint.clientId },
      /not available in the user's tenant/,
    );
    await rejects(
      { user: "alice@contoso.example", clientId: downstreamApi.clientId, scopes: ["Orders.Write"] },
      /does not expose/,
    );
    await rejects({ user: "alice@contoso.example", scopes: [] }, /at least one scope/);
    await rejects({ user: "alice@contoso.example", clientAppId: randomUUID() }, /clientAppId/);
    await rejects({ user: "alice@contoso.example", expiresInSeconds: 1.5 }, /whole number/);

    const orders = claimsOf(
      await emulator().signIn({
        user: "alice@contoso.example",
        clientId: downstreamApi.clientId,
        clientCapabilities: true,
      }),
    );
    assert.equal(orders.scp, "Orders.Read", "all the API exposes when it has no access_as_user");
    assert.deepEqual(orders.xms_cc, ["cp1"]);
  });

  it("validates injections and start options", async () => {
    refuses(
      () => emulator().inject({ endpoint: "queue" as never, fault: { kind: "throttled" } }),
      /endpoint must be/,
    );
    refuses(
      () => emulator().inject({ endpoint: "token", fault: { kind: "boom" } as never }),
      /unknown fault kind/,
    );
    refuses(
      () => emulator().inject({ endpoint: "token", fault: { kind: "delay", ms: -1 } }),
      /delay needs/,
    );
    refuses(
      () =>
        emulator().inject({
          endpoint: "token",
          tenant: "unknown.example",
          fault: { kind: "throttled" },
        }),
      /not in the directory/,
    );
    const injection = emulator().inject({
      endpoint: "token",
      times: Infinity,
      fault: { kind: "throttled" },
    });
    assert.equal(injection.remaining, Infinity);
    injection.remove();
    assert.equal(injection.remaining, 0);
    await assert.rejects(startEmulator({ tokenLifetimeSeconds: 0 }), EmulatorError);
    await assert.rejects(startEmulator({ port: -1 }), EmulatorError);
    await assert.rejects(startEmulator({ directory: "empty" }), /at least one tenant/);
  });
});
