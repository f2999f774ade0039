import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type AuthenticationProvider,
  type ClientOptions,
  type Middleware,
} from "@microsoft/microsoft-graph-client";
import { ContinuousAccessEvaluationHandler } from "./continuous-access-evaluation-handler.js";

/** Options of {@link createGraphClient}: the Graph client's own, with the provider required. */
export type CreateGraphClientOptions = Omit<ClientOptions, "authProvider" | "middleware"> & {
  /** The provider, usually an `OnBehalfOfAuthenticationProvider`. */
  readonly authProvider: AuthenticationProvider;
};

/**
 * The Graph client's default middleware chain with {@link ContinuousAccessEvaluationHandler} in
 * front: CAE → authentication → retry → redirect → telemetry → HTTP.
 *
 * @param authProvider - the provider the authentication handler calls
 */
export function createGraphMiddleware(authProvider: AuthenticationProvider): Middleware[] {
  return [
    new ContinuousAccessEvaluationHandler(),
    new AuthenticationHandler(authProvider),
    new RetryHandler(new RetryHandlerOptions()),
    new RedirectHandler(new RedirectHandlerOptions()),
    new TelemetryHandler(),
    new HTTPMessageHandler(),
  ];
}

/**
 * Builds a Graph v3 `Client` that handles Continuous Access Evaluation claims challenges (see
 * {@link ContinuousAccessEvaluationHandler}). It is `Client.initWithMiddleware` with
 * {@link createGraphMiddleware}; the plain `Client.initWithMiddleware({ authProvider })` keeps
 * working, without CAE retries.
 *
 * @param options - the provider and the Graph client's options (`baseUrl`, `customHosts`, `fetchOptions`, …)
 *
 * @example
 * ```ts
 * const authProvider = new OnBehalfOfAuthenticationProvider({ ..., clientCapabilities: ["cp1"] });
 * const graph = createGraphClient({ authProvider });
 * await graph.api("/me").get();
 * ```
 */
export function createGraphClient(options: CreateGraphClientOptions): Client {
  const { authProvider, ...clientOptions } = options;
  return Client.initWithMiddleware({
    ...clientOptions,
    middleware: createGraphMiddleware(authProvider),
  });
}
