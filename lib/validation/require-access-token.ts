import { configurationError, isOnBehalfOfError } from "../errors.js";
import { createLogger, type Logger } from "../logger.js";
import { runWithUserAssertion } from "../request-context.js";
import { bearerChallenge, bearerToken, type BearerChallenge } from "./bearer.js";
import type { AccessTokenClaims } from "./claims.js";
import { resolveValidationOptions, type AccessTokenValidationOptions } from "./options.js";
import { isSigningKeyFailure } from "./token-errors.js";
import { validatorFor } from "./validate-access-token.js";

/** Options of {@link requireAccessToken}: those of the validation, and how to answer. */
export interface RequireAccessTokenOptions extends AccessTokenValidationOptions {
  /**
   * The `realm` of the `WWW-Authenticate` challenges. Must not contain `"` or `\`.
   *
   * @defaultValue `""`
   */
  readonly realm?: string | undefined;
  /**
   * Where to log refused requests (`verbose`) and failures to obtain the signing keys (`warn`).
   * Never receives a token.
   */
  readonly logger?: Logger | undefined;
}

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

interface Refusal {
  readonly status: 401 | 403;
  readonly challenge: BearerChallenge;
  readonly body: { readonly error: string; readonly error_description: string };
}

function refuse(res: AccessTokenResponse, refusal: Refusal): void {
  res.statusCode = refusal.status;
  res.setHeader("WWW-Authenticate", bearerChallenge(refusal.challenge));
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(JSON.stringify(refusal.body));
}

/** The messages along an error's cause chain, for the log. */
function reasons(error: unknown): string {
  const messages: string[] = [];
  let current = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    messages.push(current.message);
    current = current.cause;
  }
  return messages.length === 0 ? "an unknown failure" : messages.join(": ");
}

function checkRealm(realm: unknown): string {
  if (realm === undefined) return "";
  if (typeof realm !== "string" || /[^\x20\x21\x23-\x5B\x5D-\x7E]/.test(realm)) {
    throw configurationError(
      "realm",
      'must be a string of printable ASCII characters other than " and \\.',
    );
  }
  return realm;
}

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
  const resolved = resolveValidationOptions(options);
  const realm = checkRealm(options.realm);
  if (options.logger !== undefined && typeof options.logger !== "object") {
    throw configurationError(
      "logger",
      "must be an object with error, warn, info and verbose methods.",
    );
  }
  const log = createLogger(options.logger, "graph-obo-auth: requireAccessToken");
  const validate = validatorFor(resolved);
  const scope = resolved.requiredScopes;

  return (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) {
      log.verbose("request refused: no bearer token");
      refuse(res, {
        status: 401,
        challenge: { realm },
        body: {
          error: "unauthorized",
          error_description: "An access token is required: send Authorization: Bearer <token>.",
        },
      });
      return;
    }
    validate(token)
      .then(
        (claims) => {
          req.auth = claims;
          runWithUserAssertion(token, next);
        },
        (error: unknown) => {
          if (isSigningKeyFailure(error) || !isOnBehalfOfError(error)) {
            log.warn(`cannot validate access tokens: ${reasons(error)}`);
            next(error);
            return;
          }
          log.verbose(`request refused: ${error.message}`);
          const insufficient = error.code === "ERR_OBO_ACCESS_TOKEN_INSUFFICIENT_SCOPE";
          const code = insufficient ? "insufficient_scope" : "invalid_token";
          refuse(res, {
            status: insufficient ? 403 : 401,
            challenge: {
              realm,
              error: code,
              description: error.message,
              ...(insufficient ? { scope } : {}),
            },
            body: { error: code, error_description: error.message },
          });
        },
      )
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
