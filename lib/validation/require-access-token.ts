import { runWithUserAssertion } from "../request/request-context.js";
import { accessTokenGate, type RequireAccessTokenOptions } from "./access-token-gate.js";
import type { AccessTokenClaims } from "./claims.js";

export type { RequireAccessTokenOptions } from "./access-token-gate.js";

/**
 * The part of an incoming request the middleware reads and writes. Express's `Request` and Node's
 * `IncomingMessage` fit.
 */
export interface AccessTokenRequest {
  /** The request headers; only `authorization` is read. */
  readonly headers: {
    /** `Bearer <token>`, as the client sent it. */
    readonly authorization?: string | undefined;
  };
  /** Set to the verified claims before the rest of the request runs. */
  auth?: AccessTokenClaims | undefined;
}

/**
 * The part of a response the middleware uses to refuse a request. Express's `Response` and Node's
 * `ServerResponse` fit.
 */
export interface AccessTokenResponse {
  /** The status code to send. */
  statusCode: number;
  /** Sets a response header. */
  setHeader(name: string, value: string): unknown;
  /** Sends the body and ends the response. */
  end(body: string): unknown;
}

/**
 * A connect-style middleware, usable with Express 4 and 5 (`app.use(...)` or per route) and any
 * framework with the same `(req, res, next)` shape.
 *
 * @param req - the incoming request
 * @param res - the response
 * @param next - continues with the next handler, or with an error
 */
export type AccessTokenMiddleware = (
  req: AccessTokenRequest,
  res: AccessTokenResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * An Express middleware that lets a request through only with a valid access token for this API,
 * and runs the rest of the request with that token as the request context's user assertion, so an
 * `OnBehalfOfAuthenticationProvider` created without `getUserAssertion` uses it.
 *
 * @remarks
 * The token is read from `Authorization: Bearer <token>` only (not from the query or the body) and
 * checked as {@link createAccessTokenValidator} describes. Then:
 *
 * - no token (no header, or another scheme): `401` with `WWW-Authenticate: Bearer realm=""` and no
 *   error code (RFC 6750 §3.1);
 * - an invalid token: `401` with
 *   `WWW-Authenticate: Bearer realm="", error="invalid_token", error_description="…"`;
 * - a missing scope or role: `403` with `error="insufficient_scope"` and, for scopes,
 *   `scope="<requiredScopes>"`;
 * - a valid token: `req.auth` is set to its {@link AccessTokenClaims} and `next()` runs inside
 *   {@link runWithUserAssertion}, so {@link currentUserAssertion} returns the token for everything
 *   the request does, and concurrent requests never see each other's token.
 *
 * Refusals have a JSON body `{ error, error_description }`. When the signing keys cannot be
 * obtained (an outage on this API's side, not the caller's fault), the error goes to `next(error)`
 * and the application's error handler answers (Express: 500).
 *
 * @param options - what to accept, as for {@link createAccessTokenValidator}, and the realm
 * @returns the middleware
 * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` when an option is invalid
 *
 * @example Protecting an API that calls Microsoft Graph on behalf of its users
 * ```ts
 * const auth = requireAccessToken({
 *   clientId: process.env.API_CLIENT_ID,
 *   tenantId: process.env.TENANT_ID,
 *   requiredScopes: ["access_as_user"],
 * });
 * const graph = Client.initWithMiddleware({ authProvider: new OnBehalfOfAuthenticationProvider({ ... }) });
 *
 * app.get("/me", auth, async (req, res) => {
 *   res.json({ caller: req.auth?.oid, me: await graph.api("/me").get() });
 * });
 * ```
 */
export function requireAccessToken(options: RequireAccessTokenOptions): AccessTokenMiddleware {
  const gate = accessTokenGate(options, "graph-obo-auth: requireAccessToken");
  return (req, res, next) => {
    gate(req.headers.authorization)
      .then((outcome) => {
        if (outcome.pass) {
          req.auth = outcome.claims;
          runWithUserAssertion(outcome.token, next);
          return;
        }
        const { status, headers, body } = outcome.refusal;
        res.statusCode = status;
        for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
        res.end(JSON.stringify(body));
      }, next)
      .catch(next);
  };
}

declare global {
  // Adds `req.auth` to Express's Request type, as other token middlewares do.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified access-token claims, set by `requireAccessToken`. */
      auth?: AccessTokenClaims | undefined;
    }
  }
}
