import { createHash, timingSafeEqual } from "node:crypto";
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload } from "jose";
import type { EmulatorContext } from "../context.js";
import type { App, Tenant } from "../directory.js";
import { audiencesOf, verifyEmulatorToken } from "../token-verification.js";
import { isExchangeAudience, isOtherCloudExchangeAudience } from "../well-known.js";
import { aadsts } from "./aadsts.js";
import { fmiPathOf, issuerOf, type ClientAuthMethod } from "./claims.js";

const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** An authenticated client. @internal */
export interface AuthenticatedClient {
  readonly app: App;
  readonly method: ClientAuthMethod;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The token endpoint URLs a client assertion may be addressed to, for a tenant. */
function tokenEndpointAudiences(origin: string, tenant: Tenant, segment: string): Set<string> {
  const aliases = [tenant.id, ...tenant.domains, segment, "organizations", "common"];
  const urls = new Set<string>();
  for (const alias of aliases) {
    urls.add(`${origin}/${alias}/oauth2/v2.0/token`.toLowerCase());
    urls.add(`${origin}/${alias}/oauth2/token`.toLowerCase());
  }
  return urls;
}

function hexFromBase64url(value: unknown): string | undefined {
  return typeof value === "string" ? Buffer.from(value, "base64url").toString("hex") : undefined;
}

async function verifyCertificateAssertion(
  ctx: EmulatorContext,
  app: App,
  assertion: string,
  tenant: Tenant,
  segment: string,
): Promise<void> {
  const header = decodeProtectedHeader(assertion);
  const sha256 = hexFromBase64url(header["x5t#S256"]);
  const sha1 = hexFromBase64url(header.x5t);
  const certificate = app.certificates.find(
    (c) => (sha256 !== undefined && c.sha256 === sha256) || (sha1 !== undefined && c.sha1 === sha1),
  );
  if (certificate === undefined)
    throw aadsts.clientAssertionKeyNotFound(sha256 ?? sha1 ?? "(none)");
  if (header.alg !== "RS256" && header.alg !== "PS256") throw aadsts.clientAssertionBadSignature();
  try {
    await compactVerify(assertion, certificate.publicKey, { algorithms: [header.alg] });
  } catch {
    throw aadsts.clientAssertionBadSignature();
  }
  const claims = decodeJwt(assertion);
  if (claims.iss !== claims.sub) throw aadsts.clientAssertionSubjectMismatchesIssuer();
  if (claims.iss?.toLowerCase() !== app.clientId) throw aadsts.clientAssertionWrongClient();
  const allowed = tokenEndpointAudiences(ctx.origin, tenant, segment);
  const audiences = audiencesOf(claims);
  if (!audiences.some((aud) => allowed.has(aud.toLowerCase().split("?")[0] ?? ""))) {
    throw aadsts.clientAssertionWrongAudience(audiences.join(", "));
  }
  const nowSeconds = Math.floor(ctx.now() / 1000);
  if (
    typeof claims.exp !== "number" ||
    claims.exp <= nowSeconds ||
    (typeof claims.nbf === "number" && claims.nbf > nowSeconds + 300)
  ) {
    throw aadsts.clientAssertionTimeRange(nowSeconds, claims.exp);
  }
}

/**
 * Checks a federated credential: an exchange token (T1) the emulator issued to an agent
 * identity's blueprint with `fmi_path` = the agent.
 */
async function verifyExchangeTokenAssertion(
  ctx: EmulatorContext,
  app: App,
  assertion: string,
  tenant: Tenant,
): Promise<JWTPayload> {
  if (app.kind !== "agent") {
    throw aadsts.ficNoMatchingIssuer(
      app.clientId,
      "Only agent identities accept their blueprint's exchange token as a client assertion.",
    );
  }
  const nowSeconds = Math.floor(ctx.now() / 1000);
  const verified = await verifyEmulatorToken(ctx.key, assertion, nowSeconds);
  if (!verified.ok) {
    if (verified.reason === "expired" || verified.reason === "not_yet_valid") {
      throw aadsts.clientAssertionTimeRange(nowSeconds, verified.payload?.exp);
    }
    throw aadsts.clientAssertionBadSignature();
  }
  const t1 = verified.payload;
  const otherCloud = audiencesOf(t1).find(isOtherCloudExchangeAudience);
  if (otherCloud !== undefined) throw aadsts.ficOtherCloudAudience(otherCloud);
  if (!audiencesOf(t1).some(isExchangeAudience)) {
    throw aadsts.ficWrongAudience(audiencesOf(t1).join(", "));
  }
  if (t1.iss !== issuerOf(ctx.origin, tenant.id)) {
    throw aadsts.ficNoMatchingIssuer(
      app.clientId,
      `The exchange token's issuer '${String(t1.iss)}' is not this tenant's: request it in the agent identity's tenant.`,
    );
  }
  if (t1.idtyp !== "app") throw aadsts.ficUserToken();
  const fmi = fmiPathOf(t1.sub);
  if (fmi === undefined || t1.azp !== app.blueprint || fmi.blueprint !== app.blueprint) {
    throw aadsts.ficWrongSubject(
      app.clientId,
      "The exchange token must be requested by the agent identity's blueprint with fmi_path set to the agent identity.",
    );
  }
  if (fmi.fmiPath.toLowerCase() !== app.clientId) {
    throw aadsts.ficWrongSubject(
      app.clientId,
      `The exchange token was issued for another agent identity (fmi_path '${fmi.fmiPath}').`,
    );
  }
  return t1;
}

/**
 * Authenticates the client of a token request: a client secret, a certificate-signed assertion
 * (RS256 with `x5t` or PS256 with `x5t#S256`, `aud` = this token endpoint, `iss` = `sub` =
 * client id), or, for agent identities, their blueprint's exchange token (T1).
 *
 * @param ctx - the emulator
 * @param form - the request form
 * @param tenant - the request's tenant
 * @param segment - the tenant segment of the request URL
 * @internal
 */
export async function authenticateClient(
  ctx: EmulatorContext,
  form: URLSearchParams,
  tenant: Tenant,
  segment: string,
): Promise<AuthenticatedClient> {
  const clientId = form.get("client_id");
  if (clientId === null || clientId === "") throw aadsts.missingParameter("client_id");
  const app = ctx.directory.appInTenant(clientId, tenant.id);
  if (app === undefined) throw aadsts.applicationNotFound(clientId, tenant.displayName);
  const secret = form.get("client_secret");
  const assertion = form.get("client_assertion");
  if (secret !== null && assertion !== null) {
    throw aadsts.invalidRequest("Send either 'client_secret' or 'client_assertion', not both.");
  }
  if (secret !== null) {
    if (!app.secrets.some((s) => sameSecret(s, secret)))
      throw aadsts.invalidClientSecret(app.clientId);
    return { app, method: "1" };
  }
  if (assertion === null || assertion === "") throw aadsts.missingCredential();
  const assertionType = form.get("client_assertion_type");
  if (assertionType === null) throw aadsts.missingParameter("client_assertion_type");
  if (assertionType !== JWT_BEARER_ASSERTION) {
    throw aadsts.invalidRequest(`Unsupported client_assertion_type '${assertionType}'.`);
  }
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(assertion).kid;
    decodeJwt(assertion);
  } catch {
    throw aadsts.malformedJwt("The client assertion is not a well-formed JWT.");
  }
  if (kid === ctx.key.kid) await verifyExchangeTokenAssertion(ctx, app, assertion, tenant);
  else await verifyCertificateAssertion(ctx, app, assertion, tenant, segment);
  return { app, method: "2" };
}
