import nock from "nock";
import { claimsOf, FakeEntra, type FakeEntraRequest, type TokenLeg } from "./fake-entra.js";
import { API_CLIENT_ID } from "./tokens.js";

/** Agent identity ids (client ids) used by the agent specs. */
export const AGENT_A = "a9e7a000-0000-4000-8000-00000000000a";
export const AGENT_B = "a9e7b000-0000-4000-8000-00000000000b";
export const AGENT_C = "a9e7c000-0000-4000-8000-00000000000c";

export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
export const EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default";

/** Which step of which flow a token request was, as the fake Entra classified it. */
export type AgentLeg = TokenLeg;

/** A recorded token request of the agent specs. */
export type AgentTokenRequest = FakeEntraRequest;

/**
 * The {@link FakeEntra} of an agent identity blueprint: it checks the credential chain the way
 * Entra does (an agent's `client_assertion` must be a T1 issued for that agent and tenant;
 * `user_fic`'s credential a T2 of that agent), and answers with a token naming who it is for
 * (`oid`) and who asked (`azp`).
 */
export class FakeAgentEntra extends FakeEntra {
  /** @param blueprintId - the blueprint's client id: the only client that may ask for T1 */
  public constructor(blueprintId = API_CLIENT_ID) {
    super({ blueprintId });
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
