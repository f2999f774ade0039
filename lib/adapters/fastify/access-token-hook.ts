import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { OnBehalfOfError } from "../../util/errors.js";
import {
  accessTokenGate,
  type RequireAccessTokenOptions,
} from "../../validation/access-token-gate.js";
import { PLUGIN_MARKER, setRequestToken } from "./request-tokens.js";

/**
 * A Fastify `onRequest` (or `preHandler`) hook that lets a request through only with a valid
 * access token; see {@link requireAccessTokenHook}.
 *
 * @param this - the Fastify instance the route belongs to
 * @param request - the incoming request
 * @param reply - the reply, used to refuse
 * @returns the reply when the request was refused (Fastify then stops), otherwise nothing
 */
export type AccessTokenHook = (
  this: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<FastifyReply | undefined>;

/**
 * A Fastify hook that lets a request through only with a valid access token for this API: the
 * Fastify counterpart of `requireAccessToken`, with the same options and the same answers.
 *
 * @remarks
 * Use it as an `onRequest` hook, so a refused request's body is never read: per route
 * (`{ onRequest: auth }`) or for every route of an encapsulated context
 * (`api.addHook("onRequest", auth)`). The {@link fastifyOnBehalfOf} plugin must be registered
 * first (otherwise the hook fails with `ERR_OBO_CONFIGURATION`); it gives the route handler the
 * request context that `OnBehalfOfAuthenticationProvider` reads.
 *
 * - no token: `401` with `WWW-Authenticate: Bearer realm=""`;
 * - an invalid token: `401` with `error="invalid_token"`;
 * - a missing scope or role: `403` with `error="insufficient_scope"`;
 * - a valid token: `request.auth` is set to its claims and the request goes on;
 * - the signing keys cannot be obtained: the error goes to Fastify's error handler (`500`).
 *
 * @param options - what to accept, as for `createAccessTokenValidator`, and the realm
 * @returns the hook
 * @throws `OnBehalfOfError` `ERR_OBO_CONFIGURATION` when an option is invalid
 *
 * @example
 * ```ts
 * await app.register(fastifyOnBehalfOf);
 * const auth = requireAccessTokenHook({ clientId, tenantId, requiredScopes: ["access_as_user"] });
 * app.get("/me", { onRequest: auth }, async (request) => ({
 *   caller: request.auth?.oid,
 *   me: await graph.api("/me").get(),
 * }));
 * ```
 */
export function requireAccessTokenHook(options: RequireAccessTokenOptions): AccessTokenHook {
  const gate = accessTokenGate(options, "graph-obo-auth: fastify");
  return async function accessTokenHook(this: FastifyInstance, request, reply) {
    if (!this.hasDecorator(PLUGIN_MARKER)) {
      throw new OnBehalfOfError(
        "ERR_OBO_CONFIGURATION",
        "graph-obo-auth/fastify: register the fastifyOnBehalfOf plugin before the routes that use requireAccessTokenHook.",
      );
    }
    const outcome = await gate(request.headers.authorization);
    if (outcome.pass) {
      request.auth = outcome.claims;
      setRequestToken(request, outcome.token);
      return undefined;
    }
    const { status, headers, body } = outcome.refusal;
    return reply.code(status).headers(headers).send(body);
  };
}
