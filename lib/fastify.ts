/**
 * Fastify integration: a plugin for the request context and the claims-challenge reply, and an
 * inbound access-token hook. `fastify` 5 is an optional peer dependency.
 *
 * @packageDocumentation
 */
export {
  fastifyOnBehalfOf,
  replyWithClaimsChallenge,
  type FastifyOnBehalfOfOptions,
} from "./adapters/fastify/plugin.js";
export {
  requireAccessTokenHook,
  type AccessTokenHook,
} from "./adapters/fastify/access-token-hook.js";
export type { RequireAccessTokenOptions } from "./validation/access-token-gate.js";
export type { AccessTokenClaims } from "./validation/claims.js";
