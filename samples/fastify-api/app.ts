/**
 * The sample web API on Fastify: the same routes and answers as `samples/express-api`, with the
 * `graph-obo-auth/fastify` plugin and hook instead of the Express middleware and error handler.
 */
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { GraphError, type Client } from "@microsoft/microsoft-graph-client";
import {
  OnBehalfOfAuthenticationProvider,
  createGraphClient,
  isOnBehalfOfError,
} from "graph-obo-auth";
import { fastifyOnBehalfOf, requireAccessTokenHook } from "graph-obo-auth/fastify";
import type { SampleApiConfig } from "../express-api/app.js";

/** The Fastify app and its providers, so callers can read their stats. */
export interface FastifySampleApi {
  readonly app: FastifyInstance;
  readonly apiProvider: OnBehalfOfAuthenticationProvider;
  readonly agentProvider: OnBehalfOfAuthenticationProvider | undefined;
}

function profile(graph: Client, path: string) {
  return async (): Promise<object> =>
    (await graph
      .api(path)
      .select(["id", "displayName", "userPrincipalName", "jobTitle"])
      .get()) as object;
}

/** Creates the Fastify sample API; `await app.ready()` (or `listen`) before use. */
export async function createFastifySampleApi(config: SampleApiConfig): Promise<FastifySampleApi> {
  const app = Fastify();
  // The app's error handler first: the plugin, registered next, answers claims challenges (MFA,
  // Conditional Access) with a 401 and passes every other error to it.
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (isOnBehalfOfError(error)) {
      return reply
        .code(502)
        .send({ error: error.code, message: error.message, correlationId: error.correlationId });
    }
    if (error instanceof GraphError) {
      return reply
        .code(error.statusCode > 0 ? error.statusCode : 502)
        .send({ error: error.code, message: error.message });
    }
    return reply.code(error.statusCode ?? 500).send({ error: "internal_error" });
  });
  await app.register(fastifyOnBehalfOf);

  const apiProvider = new OnBehalfOfAuthenticationProvider(config.api);
  const apiGraph = createGraphClient({ ...config.graph, authProvider: apiProvider });
  app.get("/healthz", () => ({ ok: true }));
  const asApi = requireAccessTokenHook(config.apiValidation);
  app.get("/me", { onRequest: asApi }, profile(apiGraph, "/me"));
  app.get("/me/manager", { onRequest: asApi }, profile(apiGraph, "/me/manager"));

  let agentProvider: OnBehalfOfAuthenticationProvider | undefined;
  const { agent, agentValidation } = config;
  if (agent !== undefined && agentValidation !== undefined) {
    const provider = new OnBehalfOfAuthenticationProvider(agent);
    agentProvider = provider;
    const agentGraph = createGraphClient({ ...config.graph, authProvider: provider });
    // An encapsulated context: its onRequest hook guards every route under /agent.
    await app.register(
      (scope, _options, done) => {
        scope.addHook("onRequest", requireAccessTokenHook(agentValidation));
        scope.get("/me", profile(agentGraph, "/me"));
        scope.get("/me/manager", profile(agentGraph, "/me/manager"));
        done();
      },
      { prefix: "/agent" },
    );
  }
  return { app, apiProvider, agentProvider };
}
