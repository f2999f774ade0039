import assert from "node:assert/strict";
import { OnBehalfOfError } from "../../lib/util/errors.js";
import { claimsChallengeResponse, parseClaimsChallenge } from "../../lib/util/claims-challenge.js";

const TENANT = "11111111-1111-4111-8111-111111111111";
const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1635527790"}}}';
const B64 = Buffer.from(CLAIMS).toString("base64");

describe("claims challenges", () => {
  describe("parseClaimsChallenge", () => {
    it("reads Graph's CAE challenge", () => {
      const header = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="${B64}"`;
      assert.equal(parseClaimsChallenge(header), CLAIMS);
    });

    it("finds the Bearer challenge among several, in any parameter order, and tolerates quoted commas", () => {
      const header = `Basic realm="x", PoP nonce="abc", Bearer claims="${B64}", error_description="a, b, and \\"c\\"", error="insufficient_claims"`;
      assert.equal(parseClaimsChallenge(header), CLAIMS);
      assert.equal(
        parseClaimsChallenge([
          'Basic realm="x"',
          `Bearer error="insufficient_claims", claims="${B64}"`,
        ]),
        CLAIMS,
      );
    });

    it("ignores other errors, missing claims, undecodable claims and absent headers", () => {
      assert.equal(
        parseClaimsChallenge(`Bearer error="invalid_token", claims="${B64}"`),
        undefined,
      );
      assert.equal(parseClaimsChallenge('Bearer error="insufficient_claims"'), undefined);
      assert.equal(
        parseClaimsChallenge('Bearer error="insufficient_claims", claims="bm90IGpzb24="'),
        undefined,
      );
      assert.equal(
        parseClaimsChallenge(`Basic error="insufficient_claims", claims="${B64}"`),
        undefined,
      );
      assert.equal(parseClaimsChallenge(null), undefined);
      assert.equal(parseClaimsChallenge(undefined), undefined);
    });
  });

  describe("claimsChallengeResponse", () => {
    it("turns an interaction-required error with claims into a 401 claims challenge", () => {
      const error = new OnBehalfOfError("ERR_OBO_INTERACTION_REQUIRED", "mfa", {
        claims: CLAIMS,
        aadsts: 50079,
        correlationId: "c-1",
      });
      const response = claimsChallengeResponse(error);
      assert.ok(response);
      assert.equal(response.status, 401);
      const header = response.headers["WWW-Authenticate"];
      assert.match(
        header,
        /^Bearer realm="", authorization_uri="[^"]+", error="insufficient_claims", claims="[^"]+"$/,
      );
      assert.equal(
        parseClaimsChallenge(header),
        CLAIMS,
        "round-trips through the parser client MSALs mirror",
      );
      assert.equal(response.body.error, "insufficient_claims");
      assert.equal(response.body.aadsts, 50079);
      assert.equal(response.body.correlation_id, "c-1");
    });

    it("asks for interaction when Entra sent no claims (consent)", () => {
      const response = claimsChallengeResponse(
        new OnBehalfOfError("ERR_OBO_INTERACTION_REQUIRED", "consent", { aadsts: 65001 }),
      );
      assert.ok(response);
      assert.match(response.headers["WWW-Authenticate"], /error="interaction_required"/);
      assert.equal(response.body.error, "interaction_required");
    });

    function authorizationUriOf(header: string): string | undefined {
      return /authorization_uri="([^"]*)"/.exec(header)?.[1];
    }
    const mfa = new OnBehalfOfError("ERR_OBO_INTERACTION_REQUIRED", "mfa", { claims: CLAIMS });
    const consent = new OnBehalfOfError("ERR_OBO_INTERACTION_REQUIRED", "consent", {
      aadsts: 65001,
    });

    for (const [what, options, expected] of [
      [
        "a US Government authority",
        { authority: `https://login.microsoftonline.us/${TENANT}` },
        `https://login.microsoftonline.us/${TENANT}/oauth2/authorize`,
      ],
      [
        "a US Government host with tenantId",
        { authority: "https://login.usgovcloudapi.net", tenantId: TENANT },
        `https://login.usgovcloudapi.net/${TENANT}/oauth2/authorize`,
      ],
      [
        "a China authority",
        { authority: `https://login.chinacloudapi.cn/${TENANT}` },
        `https://login.chinacloudapi.cn/${TENANT}/oauth2/authorize`,
      ],
      [
        "a France (Bleu) authority",
        { authority: "https://login.sovcloud-identity.fr/contoso.onmicrosoft.com" },
        "https://login.sovcloud-identity.fr/contoso.onmicrosoft.com/oauth2/authorize",
      ],
      [
        "a Germany (Delos) multi-tenant authority",
        { authority: "https://login.sovcloud-identity.de/organizations" },
        "https://login.sovcloud-identity.de/organizations/oauth2/authorize",
      ],
      [
        "a public-cloud tenantId",
        { tenantId: TENANT },
        `https://login.microsoftonline.com/${TENANT}/oauth2/authorize`,
      ],
    ] as const) {
      it(`points the client at the provider's cloud and tenant: ${what}`, () => {
        for (const error of [mfa, consent]) {
          const response = claimsChallengeResponse(error, options);
          assert.ok(response);
          assert.equal(authorizationUriOf(response.headers["WWW-Authenticate"]), expected);
        }
      });
    }

    it("keeps the public cloud's /common only when given no tenant or authority", () => {
      for (const options of [undefined, {}]) {
        const response = claimsChallengeResponse(mfa, options);
        assert.ok(response);
        assert.equal(
          authorizationUriOf(response.headers["WWW-Authenticate"]),
          "https://login.microsoftonline.com/common/oauth2/authorize",
        );
      }
    });

    it("refuses a bad tenant or authority with ERR_OBO_CONFIGURATION", () => {
      assert.throws(() => claimsChallengeResponse(mfa, { authority: "http://login.example" }), {
        code: "ERR_OBO_CONFIGURATION",
        option: "authority",
      });
      assert.throws(() => claimsChallengeResponse(mfa, { tenantId: "consumers" }), {
        code: "ERR_OBO_CONFIGURATION",
        option: "tenantId",
      });
    });

    it("answers undefined for anything else", () => {
      assert.equal(
        claimsChallengeResponse(new OnBehalfOfError("ERR_OBO_TOKEN_REQUEST_FAILED", "x")),
        undefined,
      );
      assert.equal(claimsChallengeResponse(new Error("x")), undefined);
    });
  });
});
