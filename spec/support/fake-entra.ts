/**
 * The unit fake of Entra's token endpoint: the one way specs fake Entra besides the emulator
 * (`lib/emulator`, for end-to-end specs over real sockets).
 *
 * {@link FakeEntra} answers every grant the provider sends, in the shape Entra answers it
 * (`token_type`, `scope`, `expires_in`, `ext_expires_in`, `access_token` and, for user tokens,
 * `client_info`), and records each request with the leg it classified it as:
 *
 * - On-Behalf-Of (`jwt-bearer`, as the API, the blueprint or an agent identity): a Graph token for
 *   the user the assertion names (`oid`, `tid`), from the client that asked (`azp`);
 * - the agent legs: the blueprint's exchange token T1 (client credentials with `fmi_path`), an
 *   agent's own exchange token T2, its app-only token, and `user_fic`. Agent credentials are
 *   checked the way Entra checks them (an agent's `client_assertion` must be a T1 issued for that
 *   agent in that tenant; `user_fic`'s credential a T2 of that agent), when the fake knows the
 *   blueprint (`blueprintId`).
 *
 * Tokens are JWT-shaped but unsigned (`alg: none`): msal-node and the provider do not verify the
 * tokens Entra returns. The transport is nock ({@link FakeEntra.expect}); {@link FakeEntra.answer}
 * is the transport-free core. Failures: {@link mockTokenError} with an {@link entraError} body, or
 * a one-off `nock(...).replyWithError(...)` for a network failure.
 *
 * The helpers in `entra.ts` (`mockOboEndpoint`) and `agent-entra.ts` (`FakeAgentEntra`) are this
 * fake with their historical defaults.
 */
import { randomUUID } from "node:crypto";
import nock from "nock";
import { clientInfo } from "./tokens.js";

export type Form = Record<string, string>;

/** A token request as the fake received it. */
export interface RecordedTokenRequest {
  readonly tenant: string;
  readonly form: Form;
}

/** Which step of which flow a token request was, as the fake classified it. */
export type TokenLeg =
  | "exchange-token" // T1: blueprint client credentials with fmi_path
  | "obo" // On-Behalf-Of, as the API, the blueprint or the agent
  | "app-only" // agent client credentials for a resource
  | "agent-user-credential" // T2: agent client credentials for the exchange scope
  | "agent-user"; // user_fic

/** A recorded request with its leg and the token the fake answered with. */
export interface FakeEntraRequest extends RecordedTokenRequest {
  readonly leg: TokenLeg;
  /** The token the fake answered with (empty for a refusal). */
  readonly issued: string;
}

/** Settings of {@link FakeEntra}. */
export interface FakeEntraOptions {
  /**
   * The agent identity blueprint's client id: the only client that may ask for T1, and the only
   * one besides agents holding a T1. Unset: any client may ask for On-Behalf-Of (a plain API).
   */
  readonly blueprintId?: string;
  /** `expires_in` of user and app-only tokens, in seconds. @defaultValue 3599 */
  readonly expiresIn?: number;
  /** Whether tokens carry an `exp` claim matching `expires_in`, as Entra's do. @defaultValue false */
  readonly expClaim?: boolean;
}

/** Parses a token request body that nock hands over (string or parsed object). */
export function formOf(body: unknown): Form {
  if (typeof body === "string") return Object.fromEntries(new URLSearchParams(body));
  return body as Form;
}

/** Reads the payload of a JWT without verifying it. */
export function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}

let minted = 0;

/** A Graph access token as the fake issues it: a JWT-shaped string naming the user. */
export function fakeGraphToken(
  oid: string,
  tid: string,
  extra: Record<string, unknown> = {},
): string {
  minted++;
  const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
  const body = Buffer.from(
    JSON.stringify({ aud: "https://graph.microsoft.com", oid, tid, n: minted, ...extra }),
  ).toString("base64url");
  return `${header}.${body}.sig`;
}

/** An Entra error body in the documented shape. */
export function entraError(
  error: string,
  aadsts: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    error,
    error_description: `AADSTS${aadsts}: test failure.\r\nTrace ID: 0000\r\nCorrelation ID: 1111\r\nTimestamp: 2026-11-22 10:00:00Z`,
    error_codes: [aadsts],
    timestamp: "2026-11-22 10:00:00Z",
    trace_id: "00000000-0000-0000-0000-000000000000",
    correlation_id: "11111111-2222-3333-4444-555555555555",
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    ...extra,
  };
}

const TOKEN_PATH = /\/[^/]+\/oauth2\/v2\.0\/token/;

/** Mocks one Entra error answer (any tenant) and records the request. */
export function mockTokenError(
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
  host = "https://login.microsoftonline.com",
): RecordedTokenRequest[] {
  const recorded: RecordedTokenRequest[] = [];
  nock(host)
    .post(TOKEN_PATH)
    .query(true)
    .reply(function (uri, reqBody) {
      recorded.push({ tenant: uri.split("/")[1] ?? "", form: formOf(reqBody) });
      return [status, body, headers];
    });
  return recorded;
}

interface Credential {
  readonly kind: "T1" | "T2";
  readonly agentId: string;
  readonly tenant: string;
}

/** The fake token endpoint. See the module's description. */
export class FakeEntra {
  readonly requests: FakeEntraRequest[] = [];
  /** Lifetime of the T1 and T2 credentials issued, in seconds. */
  credentialLifetime = 3599;
  readonly #credentials = new Map<string, Credential>();
  readonly #options: FakeEntraOptions;
  #serial = 0;

  public constructor(options: FakeEntraOptions = {}) {
    this.#options = options;
  }

  /**
   * Expects exactly `times` token requests at `host`, for any tenant (a mock left unused fails
   * the test).
   *
   * @returns this, for chaining
   */
  public expect(times: number, options: { host?: string; delayMs?: number } = {}): this {
    nock(options.host ?? "https://login.microsoftonline.com")
      .post(TOKEN_PATH)
      .query(true)
      .times(times)
      .delay(options.delayMs ?? 0)
      .reply((uri, body) => this.answer(uri.split("/")[1] ?? "", formOf(body)));
    return this;
  }

  /** The recorded requests of one leg. */
  public of(leg: TokenLeg): FakeEntraRequest[] {
    return this.requests.filter((r) => r.leg === leg);
  }

  /** Every token and credential the fake issued, for "never leaks" checks. */
  public issued(): string[] {
    return this.requests.map((r) => r.issued).filter((t) => t !== "");
  }

  /** Answers one token request to `tenant`: the HTTP status and the JSON body; records it. */
  public answer(tenant: string, form: Form): [number, Record<string, unknown>] {
    const leg = classify(form);
    const refuse = (error: string, aadsts: number): [number, Record<string, unknown>] => {
      this.requests.push({ leg, tenant, form, issued: "" });
      return [
        400,
        { error, error_description: `AADSTS${aadsts}: fake refusal.`, error_codes: [aadsts] },
      ];
    };
    const clientId = form.client_id ?? "";
    const { blueprintId } = this.#options;
    if (blueprintId !== undefined) {
      if (leg === "exchange-token" && clientId !== blueprintId) {
        return refuse("unauthorized_client", 82001);
      }
      if (clientId !== blueprintId) {
        // An agent identity authenticates with T1, issued for it, in this tenant.
        const t1 = this.#credentials.get(form.client_assertion ?? "");
        if (t1?.kind !== "T1" || t1.agentId !== clientId || t1.tenant !== tenant) {
          return refuse("invalid_client", 700024);
        }
      }
    }
    const expiresIn = this.#options.expiresIn ?? 3599;
    const exp =
      this.#options.expClaim === true ? { exp: Math.floor(Date.now() / 1000) + expiresIn } : {};
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
        issued = fakeGraphToken(clientId, tenant, { azp: clientId, idtyp: "app", ...exp });
        break;
      case "obo": {
        const user = claimsOf(form.assertion ?? "");
        const oid = typeof user.oid === "string" ? user.oid : "unknown";
        const tid = typeof user.tid === "string" ? user.tid : tenant;
        issued = fakeGraphToken(oid, tid, {
          azp: clientId,
          idtyp: "user",
          scp: form.scope,
          ...exp,
        });
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
          ...exp,
        });
        extra = { client_info: clientInfo(oid, tenant) };
        break;
      }
    }
    this.#serial++;
    this.requests.push({ leg, tenant, form, issued });
    const credential = leg === "exchange-token" || leg === "agent-user-credential";
    const lifetime = credential ? this.credentialLifetime : expiresIn;
    return [
      200,
      {
        token_type: "Bearer",
        scope: form.scope,
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: issued,
        n: this.#serial,
        ...extra,
      },
    ];
  }
}

function classify(form: Form): TokenLeg {
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
