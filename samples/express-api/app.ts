/**
 * The sample web API: `GET /me` and `GET /me/manager` on behalf of the signed-in user, as the API
 * itself and (under `/agent`) as a Microsoft Entra agent identity. Every route is protected by
 * `requireAccessToken`, which also puts the caller's token into the request context that the
 * providers read. With a job board, `POST /jobs/manager-chain` starts a long-running job on behalf
 * of the user (see manager-chain-jobs.ts).
 */
import express, { type NextFunction, type Request, type Response } from "express";
import {
  GraphError,
  type AuthenticationProvider,
  type Client,
  type ClientOptions,
} from "@microsoft/microsoft-graph-client";
import {
  OnBehalfOfAuthenticationProvider,
  claimsChallengeErrorHandler,
  createGraphClient,
  isOnBehalfOfError,
  requireAccessToken,
  type OnBehalfOfAuthenticationProviderOptions,
  type RequireAccessTokenOptions,
} from "graph-obo-auth";
import { ManagerChainWorker, managerChainRoutes, type JobBoard } from "./manager-chain-jobs.js";

/** How the sample API is wired: to the emulator, or to a real tenant. */
export interface SampleApiConfig {
  /** The web API's own provider (plain On-Behalf-Of). */
  readonly api: OnBehalfOfAuthenticationProviderOptions;
  /** Validation of tokens sent to the web API. */
  readonly apiValidation: RequireAccessTokenOptions;
  /** Optional: an agent identity blueprint's provider, with a default `agentIdentity`. */
  readonly agent?: OnBehalfOfAuthenticationProviderOptions | undefined;
  /** Validation of tokens sent to the agent routes (audience: the blueprint). */
  readonly agentValidation?: RequireAccessTokenOptions | undefined;
  /** Graph client options (base URL, custom hosts, fetch options for the emulator). */
  readonly graph?: Omit<ClientOptions, "authProvider" | "middleware"> | undefined;
  /**
   * Optional: the long-running job routes (`POST /jobs/manager-chain`, `GET /jobs/:id`) on this
   * board, shared by the instances (a queue in production).
   */
  readonly jobs?: JobBoard | undefined;
}

/** The app and its providers, so callers can read their stats. */
export interface SampleApi {
  readonly app: express.Express;
  readonly apiProvider: OnBehalfOfAuthenticationProvider;
  readonly agentProvider: OnBehalfOfAuthenticationProvider | undefined;
  /** With `jobs`: this instance's worker for queued jobs. */
  readonly jobWorker: ManagerChainWorker | undefined;
}

function profile(graph: Client, path: string) {
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const user = (await graph
        .api(path)
        .select(["id", "displayName", "userPrincipalName", "jobTitle"])
        .get()) as object;
      res.json(user);
    } catch (error) {
      next(error);
    }
  };
}

/**
 * What the bench swaps on `/me` and `/me/manager` to price authentication: a provider returning a
 * constant token instead of On-Behalf-Of, and no token validation.
 */
export interface SampleApiVariant {
  /** Replaces the API's On-Behalf-Of provider behind the Graph client. */
  readonly graphAuthProvider?: AuthenticationProvider | undefined;
  /** `false`: no `requireAccessToken` (only with `graphAuthProvider`). @defaultValue true */
  readonly validate?: boolean | undefined;
}

/** Creates the sample API. */
export function createSampleApi(
  config: SampleApiConfig,
  variant: SampleApiVariant = {},
): SampleApi {
  const app = express();
  const apiProvider = new OnBehalfOfAuthenticationProvider(config.api);
  const apiGraph = createGraphClient({
    ...config.graph,
    authProvider: variant.graphAuthProvider ?? apiProvider,
  });

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  const asApi = requireAccessToken(config.apiValidation);
  if (variant.validate === false && variant.graphAuthProvider !== undefined) {
    app.get("/me", profile(apiGraph, "/me"));
    app.get("/me/manager", profile(apiGraph, "/me/manager"));
  } else {
    app.get("/me", asApi, profile(apiGraph, "/me"));
    app.get("/me/manager", asApi, profile(apiGraph, "/me/manager"));
  }
  let jobWorker: ManagerChainWorker | undefined;
  if (config.jobs !== undefined) {
    app.use("/jobs", asApi, managerChainRoutes(apiProvider, config.jobs));
    jobWorker = new ManagerChainWorker(apiProvider, config.jobs, config.graph);
  }

  let agentProvider: OnBehalfOfAuthenticationProvider | undefined;
  if (config.agent !== undefined && config.agentValidation !== undefined) {
    agentProvider = new OnBehalfOfAuthenticationProvider(config.agent);
    const agentGraph = createGraphClient({ ...config.graph, authProvider: agentProvider });
    const asAgent = requireAccessToken(config.agentValidation);
    app.get("/agent/me", asAgent, profile(agentGraph, "/me"));
    app.get("/agent/me/manager", asAgent, profile(agentGraph, "/me/manager"));
  }

  // MFA, Conditional Access, consent: pass the claims challenge on to the client.
  app.use(claimsChallengeErrorHandler(config.api)); // authorization_uri in the API's cloud and tenant
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (isOnBehalfOfError(error)) {
      res
        .status(502)
        .json({ error: error.code, message: error.message, correlationId: error.correlationId });
    } else if (error instanceof GraphError) {
      res
        .status(error.statusCode > 0 ? error.statusCode : 502)
        .json({ error: error.code, message: error.message });
    } else {
      res.status(500).json({ error: "internal_error" });
    }
  });
  return { app, apiProvider, agentProvider, jobWorker };
}
