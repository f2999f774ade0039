/**
 * The validated token of each request, kept off the request object (where a log serializer or a
 * reply could pick it up) and dropped with the request.
 *
 * @internal
 */
import type { FastifyRequest } from "fastify";

const tokens = new WeakMap<FastifyRequest, string>();

/** Remembers the validated token of `request`. @internal */
export function setRequestToken(request: FastifyRequest, token: string): void {
  tokens.set(request, token);
}

/** The validated token of `request`, if the hook let it through. @internal */
export function requestToken(request: FastifyRequest): string | undefined {
  return tokens.get(request);
}

/** Marks an instance (and, through Fastify's prototype chain, its children) as set up. @internal */
export const PLUGIN_MARKER: unique symbol = Symbol.for("graph-obo-auth.fastify");
