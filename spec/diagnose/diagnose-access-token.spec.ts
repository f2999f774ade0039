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
