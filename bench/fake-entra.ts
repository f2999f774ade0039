/**
 * An in-process fake of Entra's token endpoint for the bench: every approach talks to the same
 * one, msal-node through `system.networkClient` and `@azure/identity` through its `httpClient`
 * option (an `@azure/core-rest-pipeline` HttpClient). No socket is opened and no internet is used.
 *
 * An On-Behalf-Of answer looks like Entra's: a unique ~1.6 KB access token, a ~1 KB refresh
 * token, a ~0.9 KB ID token, `client_info` (base64url `{"uid","utid"}`) and `expires_in` 3599.
 * The body travels as JSON text and is parsed again on the client side, as with a real HTTP
 * client, so no approach keeps strings the fake built. GET requests (instance discovery, OpenID
 * metadata) are counted and refused: none should happen for `login.microsoftonline.com`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import { API_CLIENT_ID, TENANT } from "./assertions.js";

/** The scope every approach asks for. */
export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
/** The client secret every approach is configured with. */
export const CLIENT_SECRET = "bench-secret-not-a-real-one";
/** The authority every approach is configured with (a tenant GUID: no discovery needed). */
export const AUTHORITY = `https://login.microsoftonline.com/${TENANT}`;

/** What the fake has answered so far. */
export interface FakeEntraCounters {
  /** POSTs to `/oauth2/v2.0/token` (each one a token request). */
  tokenRequests: number;
  /** Of those, On-Behalf-Of grants. */
  oboRequests: number;
  /** GETs (instance discovery, OpenID metadata): expected 0. */
  getRequests: number;
  /** Anything else (unexpected). */
  otherRequests: number;
}

export interface FakeEntraOptions {
  /** Delay before each token answer, in milliseconds (0: answer at once). */
  delayMs?: number;
}

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/**
 * The form body of a raw On-Behalf-Of token POST: the exchange msal-node sends, its OpenID Connect
 * scopes (msal-common `OIDC_DEFAULT_SCOPES`) and `client_info` included, so that Entra answers it as
 * it answers msal-node (ID token, refresh token, `client_info`); not msal-node's telemetry
 * parameters, which are its own work.
 */
export function rawOboForm(exchange: {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly assertion: string;
  readonly scope: string;
}): string {
  return new URLSearchParams({
    client_id: exchange.clientId,
    client_secret: exchange.clientSecret,
    grant_type: JWT_BEARER,
    requested_token_use: "on_behalf_of",
    assertion: exchange.assertion,
    scope: `${exchange.scope} openid profile offline_access`,
    client_info: "1",
  }).toString();
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Random base64url characters, `length` of them. */
function noise(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4))
    .toString("base64url")
    .slice(0, length);
}

function payloadOf(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1] ?? "";
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The fake token endpoint, with counters. */
export class FakeEntra {
  public readonly counters: FakeEntraCounters = {
    tokenRequests: 0,
    oboRequests: 0,
    getRequests: 0,
    otherRequests: 0,
  };
  public delayMs: number;
  #issued = 0;

  public constructor(options: FakeEntraOptions = {}) {
    this.delayMs = options.delayMs ?? 0;
  }

  /** A copy of the counters. */
  public snapshot(): FakeEntraCounters {
    return { ...this.counters };
  }

  /**
   * Answers one POST: status and JSON text. Shared by every transport, so every approach pays
   * the same for the fake.
   */
  public async post(url: string, body: string): Promise<{ status: number; text: string }> {
    if (!/\/oauth2\/v2\.0\/token(\?|$)/.test(url)) {
      this.counters.otherRequests++;
      return { status: 404, text: JSON.stringify({ error: "not_found" }) };
    }
    this.counters.tokenRequests++;
    if (this.delayMs > 0) await sleep(this.delayMs);
    const form = new URLSearchParams(body);
    if (
      form.get("grant_type") !== JWT_BEARER ||
      form.get("requested_token_use") !== "on_behalf_of"
    ) {
      this.counters.otherRequests++;
      return {
        status: 400,
        text: JSON.stringify({
          error: "unsupported_grant_type",
          error_description: "AADSTS70003: the bench's fake only answers On-Behalf-Of.",
          error_codes: [70003],
        }),
      };
    }
    this.counters.oboRequests++;
    const user = payloadOf(form.get("assertion") ?? "");
    const oid = typeof user.oid === "string" ? user.oid : randomUUID();
    const tid = typeof user.tid === "string" ? user.tid : TENANT;
    const clientId = form.get("client_id") ?? API_CLIENT_ID;
    const scope = form.get("scope") ?? GRAPH_SCOPE;
    return { status: 200, text: JSON.stringify(this.#oboAnswer(oid, tid, clientId, scope)) };
  }

  /** Counts a GET and refuses it: the bench must not need discovery. */
  public get(url: string): { status: number; text: string } {
    this.counters.getRequests++;
    return {
      status: 500,
      text: JSON.stringify({ error: "bench_no_discovery", error_description: `GET ${url}` }),
    };
  }

  #oboAnswer(oid: string, tid: string, clientId: string, scope: string): Record<string, unknown> {
    this.#issued++;
    const now = Math.floor(Date.now() / 1000);
    const exp = now + 3599;
    const header = b64url({
      typ: "JWT",
      nonce: noise(43),
      alg: "RS256",
      x5t: noise(27),
      kid: noise(27),
    });
    const access = b64url({
      aud: "00000003-0000-0000-c000-000000000000",
      iss: `https://sts.windows.net/${tid}/`,
      iat: now,
      nbf: now,
      exp,
      acct: 0,
      acr: "1",
      aio: noise(36),
      amr: ["pwd", "mfa"],
      appid: clientId,
      appidacr: "1",
      idtyp: "user",
      ipaddr: "203.0.113.7",
      name: `Bench User ${oid.slice(0, 8)}`,
      oid,
      platf: "3",
      rh: `1.${noise(44)}.`,
      scp: "openid profile User.Read email",
      sid: randomUUID(),
      sub: noise(43),
      tid,
      upn: `user-${oid.slice(0, 8)}@contoso.example`,
      uti: `${noise(22)}${String(this.#issued)}`,
      ver: "1.0",
      xms_idrel: "1 8",
      xms_tcdt: 1_600_000_000,
    });
    const idToken = [
      b64url({ typ: "JWT", alg: "RS256", kid: noise(27) }),
      b64url({
        aud: clientId,
        iss: `https://login.microsoftonline.com/${tid}/v2.0`,
        iat: now,
        nbf: now,
        exp,
        name: `Bench User ${oid.slice(0, 8)}`,
        oid,
        preferred_username: `user-${oid.slice(0, 8)}@contoso.example`,
        sub: noise(43),
        tid,
        uti: noise(22),
        ver: "2.0",
      }),
      noise(342),
    ].join(".");
    return {
      token_type: "Bearer",
      scope: scope
        .split(" ")
        .filter((s) => s !== "openid" && s !== "profile" && s !== "offline_access")
        .join(" "),
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: `${header}.${access}.${noise(342)}`,
      refresh_token: `1.${noise(1020)}`,
      id_token: idToken,
      client_info: b64url({ uid: oid, utid: tid }),
    };
  }

  /** An msal-node network client answered by this fake (msal-node 7 and 5 share the shape). */
  public msalNetworkClient(): INetworkModule {
    const respond = <T>(answer: { status: number; text: string }): NetworkResponse<T> => ({
      status: answer.status,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "x-ms-request-id": randomUUID(),
      },
      body: JSON.parse(answer.text) as T,
    });
    return {
      sendGetRequestAsync: <T>(url: string): Promise<NetworkResponse<T>> =>
        Promise.resolve(respond<T>(this.get(url))),
      sendPostRequestAsync: async <T>(
        url: string,
        options?: NetworkRequestOptions,
      ): Promise<NetworkResponse<T>> => respond<T>(await this.post(url, options?.body ?? "")),
    };
  }

  /** An Azure SDK HttpClient answered by this fake, for `@azure/identity`'s `httpClient` option. */
  public azureHttpClient(): HttpClient {
    return {
      sendRequest: async (request: PipelineRequest): Promise<PipelineResponse> => {
        const answer =
          request.method === "GET"
            ? this.get(request.url)
            : await this.post(request.url, typeof request.body === "string" ? request.body : "");
        return {
          request,
          status: answer.status,
          headers: createHttpHeaders({
            "content-type": "application/json; charset=utf-8",
            "x-ms-request-id": randomUUID(),
          }),
          bodyAsText: answer.text,
        };
      },
    };
  }

  /**
   * A raw token POST of the exchange msal-node sends, as a hand-written client would send it: form
   * body in (the protocol fields, without msal-node's telemetry), parsed JSON out. The lower-bound
   * reference uses it on a miss.
   */
  public async rawObo(
    assertion: string,
    scope: string,
  ): Promise<{ accessToken: string; expiresIn: number }> {
    const body = rawOboForm({
      clientId: API_CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      assertion,
      scope,
    });
    const answer = await this.post(`${AUTHORITY}/oauth2/v2.0/token`, body);
    const parsed = JSON.parse(answer.text) as { access_token?: string; expires_in?: number };
    if (answer.status !== 200 || typeof parsed.access_token !== "string") {
      throw new Error(`fake Entra answered ${String(answer.status)}`);
    }
    return { accessToken: parsed.access_token, expiresIn: parsed.expires_in ?? 3599 };
  }
}
