import assert from "node:assert/strict";
import { diagnoseAccessToken } from "../../lib/diagnose/diagnose-access-token.js";
import { API_CLIENT_ID, OTHER_TENANT, TENANT, userToken } from "../support/tokens.js";

function problems(
  token: string,
  options: Parameters<typeof diagnoseAccessToken>[1] = {},
): string[] {
  return diagnoseAccessToken(token, options)
    .findings.filter((f) => f.severity === "problem")
    .map((f) => f.check);
}

function unsigned(payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none" })}.${part(payload)}.`;
}

describe("diagnoseAccessToken", () => {
  it("finds nothing wrong with a good user token for this API, and lists its scopes", async () => {
    const token = await userToken({ oid: "alice", tid: TENANT });
    const diagnosis = diagnoseAccessToken(`Bearer ${token}`, {
      clientId: API_CLIENT_ID,
      allowedTenants: [TENANT],
    });
    assert.ok(diagnosis.ok, JSON.stringify(diagnosis.findings));
    assert.ok(
      diagnosis.findings.some((f) => f.check === "scopes" && f.message.includes("access_as_user")),
    );
    assert.ok(
      !JSON.stringify(diagnosis).includes(token.split(".")[2] ?? "-"),
      "no signature in the output",
    );
  });

  const verdicts: [
    string,
    () => Promise<string>,
    Parameters<typeof diagnoseAccessToken>[1],
    string,
  ][] = [
    ["expired", () => userToken({ oid: "a", tid: TENANT, expSeconds: -600 }), {}, "expired"],
    [
      "audience is Graph",
      () => userToken({ oid: "a", tid: TENANT, aud: "https://graph.microsoft.com" }),
      {},
      "graph-audience",
    ],
    [
      "audience is another app",
      () => userToken({ oid: "a", tid: TENANT, aud: "api://someone-else" }),
      { clientId: API_CLIENT_ID },
      "audience-mismatch",
    ],
    [
      "v2 claim with a v1 issuer",
      () =>
        Promise.resolve(
          unsigned({
            ver: "2.0",
            iss: `https://sts.windows.net/${TENANT}/`,
            tid: TENANT,
            scp: "x",
            exp: 9e9,
          }),
        ),
      {},
      "version-mismatch",
    ],
    [
      "v1 claim with a v2 issuer",
      () => userToken({ oid: "a", tid: TENANT, extra: { ver: "1.0" } }),
      {},
      "version-mismatch",
    ],
    [
      "an app-only token",
      () =>
        userToken({
          oid: "a",
          tid: TENANT,
          extra: { scp: undefined, idtyp: "app", roles: ["User.Read.All"] },
        }),
      {},
      "app-only",
    ],
    [
      "a tenant outside --allowed-tenants",
      () => userToken({ oid: "a", tid: OTHER_TENANT }),
      { allowedTenants: [TENANT] },
      "tenant-not-allowed",
    ],
    ["not a JWT", () => Promise.resolve("garbage"), {}, "malformed"],
    [
      "unsigned",
      () => Promise.resolve(unsigned({ tid: TENANT, scp: "x", exp: 9e9 })),
      {},
      "unsigned",
    ],
  ];
  for (const [what, make, options, check] of verdicts) {
    it(`says so for ${what}`, async () => {
      const found = problems(await make(), options);
      assert.ok(found.includes(check), `expected ${check}, got ${found.join(", ")}`);
    });
  }
});

describe("diagnoseAccessToken for agents and app-only tokens", () => {
  const findings = (token: string) => diagnoseAccessToken(token).findings;

  it("names the application, not a user, for an app-only token's oid", () => {
    const token = unsigned({
      ver: "1.0",
      iss: `https://sts.windows.net/${TENANT}/`,
      aud: "https://graph.microsoft.com",
      appid: "agent-app",
      oid: "sp-object-id",
      idtyp: "app",
      roles: ["User.Read.All"],
      tid: TENANT,
      exp: 9e9,
    });
    const all = findings(token);
    assert.ok(!all.some((f) => f.check === "user"), JSON.stringify(all));
    const app = all.find((f) => f.check === "app");
    assert.equal(app?.message, "Application: agent-app (service principal sp-object-id).");
  });

  it("does not blame the API's manifest for a v1.0 Graph token", () => {
    const graphV1 = unsigned({
      ver: "1.0",
      iss: `https://sts.windows.net/${TENANT}/`,
      aud: "https://graph.microsoft.com",
      scp: "User.Read",
      oid: "u",
      tid: TENANT,
      exp: 9e9,
    });
    const version = findings(graphV1).find((f) => f.check === "version");
    assert.ok(version !== undefined && !version.message.includes("manifest"), version?.message);
    const apiV1 = unsigned({
      ver: "1.0",
      iss: `https://sts.windows.net/${TENANT}/`,
      aud: "api://x",
      scp: "a",
      tid: TENANT,
      exp: 9e9,
    });
    assert.match(findings(apiV1).find((f) => f.check === "version")?.message ?? "", /manifest/);
  });

  it("says which agent identity and blueprint a token was issued to, when the optional facets are there", () => {
    const onBehalf = unsigned({
      ver: "1.0",
      iss: `https://sts.windows.net/${TENANT}/`,
      aud: "api://x",
      appid: "agent-app",
      scp: "User.Read",
      oid: "u",
      tid: TENANT,
      exp: 9e9,
      xms_act_fct: "3 9 11",
      xms_par_app_azp: "blueprint-app",
    });
    assert.equal(
      findings(onBehalf).find((f) => f.check === "agent")?.message,
      "Issued to agent identity agent-app on behalf of a user, of blueprint blueprint-app.",
    );
    const agentUser = unsigned({
      appid: "agent-app",
      scp: "User.Read",
      tid: TENANT,
      exp: 9e9,
      xms_act_fct: "11",
      xms_sub_fct: "13",
    });
    assert.match(
      findings(agentUser).find((f) => f.check === "agent")?.message ?? "",
      /agent user account/,
    );
  });

  for (const [code, words] of [
    ["82008", /fmi_path/],
    ["82014", /administrator must grant/],
    ["70022204", /AzureADTokenExchangeUSGov/],
    ["50000", /user_id takes the agent user's object id/],
  ] as const) {
    it(`explains an agent refusal AADSTS${code} pasted in place of a token`, () => {
      const diagnosis = diagnoseAccessToken(`AADSTS${code}: whatever Entra said.\r\nTrace ID: x`);
      assert.equal(diagnosis.ok, false);
      const finding = diagnosis.findings.find((f) => f.check === "entra-refusal");
      assert.match(finding?.message ?? "", words);
    });
  }
});
