import { randomUUID } from "node:crypto";
import nock from "nock";
import { claimsOf, fakeGraphToken, formOf, type Form } from "./entra.js";
import { API_CLIENT_ID, clientInfo } from "./tokens.js";

/** Agent identity ids (client ids) used by the agent specs. */
export const AGENT_A = "a9e7a000-0000-4000-8000-00000000000a";
export const AGENT_B = "a9e7b000-0000-4000-8000-00000000000b";
export const AGENT_C = "a9e7c000-0000-4000-8000-00000000000c";

export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
export const EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default";

/** Which step of which flow a token request was, as the fake Entra classified it. */
export type AgentLeg =
  | "exchange-token" // T1: blueprint client credentials with fmi_path
  | "obo" // On-Behalf-Of, as the agent or as the blueprint
  | "app-only" // agent client credentials for a resource
  | "agent-user-credential" // T2: agent client credentials for the exchange scope
  | "agent-user"; // user_fic

export interface AgentTokenRequest {
  readonly leg: AgentLeg;
  readonly tenant: string;
  readonly form: Form;
  /** The token the fake answered with (empty for a refusal). */
  readonly issued: string;
}

interface Credential {
  readonly kind: "T1" | "T2";
  readonly agentId: string;
  readonly tenant: string;
}

/**
 * A fake Entra token endpoint for agent identities. It classifies each request by its form, checks
 * the credential chain the way Entra does (an agent's `client_assertion` must be a T1 issued for
 * that agent and tenant; `user_fic`'s credential a T2 of that agent), records the request, and
 * answers with a token naming who it is for (`oid`) and who asked (`azp`).
 */
export class FakeAgentEntra {
  readonly requests: AgentTokenRequest[] = [];
  /** Lifetime of the T1 and T2 credentials issued, in seconds. */
  credentialLifetime = 3599;
  readonly #credentials = new Map<string, Credential>();
  readonly #blueprintId: string;
  #serial = 0;

  /** @param blueprintId - the blueprint's client id: the only client that may ask for T1 */
  public constructor(blueprintId = API_CLIENT_ID) {
    this.#blueprintId = blueprintId;
  }

  /**
   * Expects exactly `times` token requests at `host` (a mock left unused fails the test).
   *
   * @returns this, for chaining
   */
  public expect(times: number, options: { host?: string; delayMs?: number } = {}): this {
    nock(options.host ?? "https://login.microsoftonline.com")
      .post(/\/[^/]+\/oauth2\/v2\.0\/token/)
      .query(true)
      .times(times)
      .delay(options.delayMs ?? 0)
      .reply((uri, body) => this.#answer(uri.split("/")[1] ?? "", formOf(body)));
    return this;
  }

  /** The recorded requests of one leg. */
  public of(leg: AgentLeg): AgentTokenRequest[] {
    return this.requests.filter((r) => r.leg === leg);
  }

  /** Every token and credential the fake issued, for "never leaks" checks. */
  public issued(): string[] {
    return this.requests.map((r) => r.issued).filter((t) => t !== "");
  }

  #answer(tenant: string, form: Form): [number, Record<string, unknown>] {
    const leg = classify(form);
    const refuse = (error: string, aadsts: number): [number, Record<string, unknown>] => {
      this.requests.push({ leg, tenant, form, issued: "" });
      return [
        400,
        { error, error_description: `AADSTS${aadsts}: fake refusal.`, error_codes: [aadsts] },
      ];
    };
    const clientId = form.client_id ?? "";
    if (leg === "exchange-token" && clientId !== this.#blueprintId) {
      return refuse("unauthorized_client", 82001);
    }
    if (clientId !== this.#blueprintId) {
      // An agent identity authenticates with T1, issued for it, in this tenant.
      const t1 = this.#credentials.get(form.client_assertion ?? "");
      if (t1?.kind !== "T1" || t1.agentId !== clientId || t1.tenant !== tenant) {
        return refuse("invalid_client", 700024);
      }
    }
    let issued: string;
    let extra: Record<string, unknown> = {};
    switch (leg) {
      case "exchange-token":
      case "agent-user-credential": {
        const agentId = leg === "exchange-token" ? (form.fmi_path ?? "") : clientId;
        issued = `${leg === "exchange-token" ? "T1" : "T2"}-${randomUUID()}`;
        this.#credentials.set(issued, {
          kind: leg === "exchange-token" ? "T1" : "T2",
          agentId,
          tenant,
        });
        break;
      }
      case "app-only":
        issued = fakeGraphToken(clientId, tenant, { azp: clientId, idtyp: "app" });
        break;
      case "obo": {
        const user = claimsOf(form.assertion ?? "");
        const oid = String(user.oid);
        const tid = typeof user.tid === "string" ? user.tid : tenant;
        issued = fakeGraphToken(oid, tid, { azp: clientId, idtyp: "user", scp: form.scope });
        extra = { client_info: clientInfo(oid, tid) };
        break;
      }
      case "agent-user": {
        const t2 = this.#credentials.get(form.user_federated_identity_credential ?? "");
        if (t2?.kind !== "T2" || t2.agentId !== clientId || t2.tenant !== tenant) {
          return refuse("invalid_grant", 700211);
        }
        const oid = form.user_id ?? `oid-of-${form.username ?? ""}`;
        issued = fakeGraphToken(oid, tenant, {
          azp: clientId,
          idtyp: "user",
          upn: form.username,
          xms_sub_fct: "13",
        });
        extra = { client_info: clientInfo(oid, tenant) };
        break;
      }
    }
    this.#serial++;
    this.requests.push({ leg, tenant, form, issued });
    const credential = leg === "exchange-token" || leg === "agent-user-credential";
    return [
      200,
      {
        token_type: "Bearer",
        expires_in: credential ? this.credentialLifetime : 3599,
        ext_expires_in: 3599,
        access_token: issued,
        n: this.#serial,
        ...extra,
      },
    ];
  }
}

function classify(form: Form): AgentLeg {
  switch (form.grant_type ?? "") {
    case "client_credentials":
      if (form.fmi_path !== undefined) return "exchange-token";
      return /^api:\/\/AzureADTokenExchange[A-Za-z]*\/\.default$/.test(form.scope ?? "")
        ? "agent-user-credential"
        : "app-only";
    case "user_fic":
      return "agent-user";
    default:
      return "obo";
  }
}

/** What Graph saw: the path, and who the bearer token is for and from. */
export interface GraphHit {
  readonly path: string;
  readonly oid: string;
  readonly azp: string;
  readonly token: string;
}

/**
 * Mocks `times` Graph GETs under `/v1.0/` (any path); each answers with the token's user (`oid`)
 * and client (`azp`), so a test sees whose token, from which agent, reached Graph.
 */
export function mockGraph(times: number, host = "https://graph.microsoft.com"): GraphHit[] {
  const seen: GraphHit[] = [];
  nock(host)
    .get(/^\/v1\.0\//)
    .times(times)
    .reply(function (uri) {
      const auth: unknown = this.req.headers.authorization;
      const header = Array.isArray(auth) ? String(auth[0]) : typeof auth === "string" ? auth : "";
      const token = header.replace(/^Bearer /, "");
      const claims = claimsOf(token);
      const hit = { path: uri, oid: String(claims.oid), azp: String(claims.azp), token };
      seen.push(hit);
      return [200, { path: uri, id: hit.oid, azp: hit.azp }];
    });
  return seen;
}
