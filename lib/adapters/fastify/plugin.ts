import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  RouteHandlerMethod,
} from "fastify";
import fastifyPlugin from "fastify-plugin";
import { claimsChallengeResponse } from "../../util/claims-challenge.js";
import { isPromiseLike } from "../../util/promises.js";
import { runWithUserAssertion } from "../../request/request-context.js";
import type { AccessTokenClaims } from "../../validation/claims.js";
import { PLUGIN_MARKER, requestToken } from "./request-tokens.js";

/** Options of {@link fastifyOnBehalfOf}. */
export interface FastifyOnBehalfOfOptions {
  /**
   * Whether to answer an `ERR_OBO_INTERACTION_REQUIRED` error (MFA, Conditional Access, consent)
   * that a route handler throws with the `401` claims challenge. Every other error goes to
   * Fastify's error handler, as usual. With `false`, that error goes there too: call
   * {@link replyWithClaimsChallenge} in your error handler.
   *
   * @defaultValue `true`
   */
  readonly claimsChallenge?: boolean | undefined;
}

/**
 * Sends the `401` claims challenge of `claimsChallengeResponse` when `error` is an
 * `ERR_OBO_INTERACTION_REQUIRED` error and the reply has not been sent yet.
 *
 * @param error - the error a handler threw
 * @param reply - the reply to answer with
 * @returns whether it answered; when `false`, handle the error as usual
 *
 * @example In your own error handler
 * ```ts
 * app.setErrorHandler((error, request, reply) => {
 *   if (replyWithClaimsChallenge(error, reply)) return;
 *   reply.code(500).send({ error: "internal_error" });
 * });
 * ```
 */
export function replyWithClaimsChallenge(error: unknown, reply: FastifyReply): boolean {
  const challenge = claimsChallengeResponse(error);
  if (challenge === undefined || reply.sent) return false;
  void reply.code(challenge.status).headers(challenge.headers).send(challenge.body);
  return true;
}

function wrapHandler(handler: RouteHandlerMethod, claimsChallenge: boolean): RouteHandlerMethod {
  return function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): unknown {
    const token = requestToken(request);
    const answer = (error: unknown): FastifyReply => {
      if (claimsChallenge && replyWithClaimsChallenge(error, reply)) return reply;
      throw error;
    };
    // The handler, and everything it starts, runs with the caller's token as the request context:
    // set here rather than in the hook, because Fastify reads the body between the two, in
    // callbacks of the socket's own async context.
    const run = (): unknown => handler.call(this, request, reply);
    let result: unknown;
    try {
      result = token === undefined ? run() : runWithUserAssertion(token, run);
    } catch (error) {
      return answer(error);
    }
    return isPromiseLike(result) ? Promise.resolve(result).catch(answer) : result;
  };
}

const plugin: FastifyPluginCallback<FastifyOnBehalfOfOptions> = (fastify, options, done) => {
  const claimsChallenge = options.claimsChallenge !== false;
  fastify.decorate(PLUGIN_MARKER, true);
  fastify.decorateRequest("auth", undefined);
  fastify.addHook("onRoute", (route) => {
    route.handler = wrapHandler(route.handler, claimsChallenge);
  });
  done();
};

/**
 * The Fastify plugin of graph-obo-auth: `request.auth`, the request context of the
 * On-Behalf-Of provider, and the claims-challenge reply. It is not encapsulated
 * (`fastify-plugin`): register it once on the root instance, before the routes.
 *
 * @remarks
 * - decorates every request with `auth`, the verified claims that {@link requireAccessTokenHook}
 *   sets;
 * - runs each route handler of a request the hook let through inside `runWithUserAssertion`, so an
 *   `OnBehalfOfAuthenticationProvider` created without `getUserAssertion` gets that request's
 *   token, and concurrent requests never see each other's;
 * - answers an `ERR_OBO_INTERACTION_REQUIRED` error of a route handler with the `401` claims
 *   challenge (option `claimsChallenge`); every other error goes to Fastify's error handler. The
 *   plugin sets no error handler of its own, so yours (set before or after, in any context)
 *   stays in charge. Errors thrown by hooks (`preHandler`, …) go to the error handler: call
 *   {@link replyWithClaimsChallenge} there if hooks call Graph.
 *
 * Handlers registered before the plugin are not wrapped (Fastify's `onRoute` hook).
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { fastifyOnBehalfOf, requireAccessTokenHook } from "graph-obo-auth/fastify";
 *
 * const app = Fastify();
 * await app.register(fastifyOnBehalfOf);
 * const auth = requireAccessTokenHook({ clientId, tenantId, requiredScopes: ["access_as_user"] });
 * app.get("/me", { onRequest: auth }, async () => graph.api("/me").get());
 * ```
 */
export const fastifyOnBehalfOf: FastifyPluginCallback<FastifyOnBehalfOfOptions> = fastifyPlugin(
  plugin,
  { fastify: "5.x", name: "graph-obo-auth" },
);

declare module "fastify" {
  interface FastifyRequest {
    /** The verified access-token claims, set by graph-obo-auth's `requireAccessTokenHook`. */
    auth?: AccessTokenClaims | undefined;
  }
}
