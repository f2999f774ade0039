/**
 * The sample web API (`samples/express-api`) in a process of its own, for the `api` section: the
 * bench reads this process's CPU (`process.cpuUsage()`) around each load run, so the emulator and
 * the load generator, which run in the parent, are never counted.
 *
 * Started by `bench/jobs-api.ts` with `fork()`; talks over IPC (`ApiServerMessage`,
 * `ApiServerReply`). Tokens travel over IPC only, never in argv or the environment.
 */
import type { AddressInfo } from "node:net";
import type { AuthenticationProvider } from "@microsoft/microsoft-graph-client";
import { Agent } from "undici";
import { createServer, type RequestListener } from "node:http";
import { runWithUserAssertion, type OnBehalfOfAuthenticationProvider } from "graph-obo-auth";
import { EmulatorNetworkClient, type EmulatorProviderOptions } from "graph-obo-auth/emulator";
import { createSampleApi, type SampleApiVariant } from "../samples/express-api/app.js";
import { emulatorConfig, type EmulatorWiring } from "../samples/express-api/emulator-config.js";

/**
 * How the API authenticates:
 * - `obo`: the sample as it ships (token validation, On-Behalf-Of provider, Graph client);
 * - `memo`: the same with `rememberVerifiedTokens` (a token sent again skips the signature check);
 * - `constant`: token validation, and a provider returning one constant Graph token;
 * - `context`: no validation, the constant token, but every request runs in `runWithUserAssertion`
 *   (what the request context, an `AsyncLocalStorage`, costs on its own);
 * - `bare`: no validation, the constant token (what the API costs without authentication).
 */
export type ApiMode = "obo" | "memo" | "constant" | "context" | "bare";

/** The emulator's wiring without its network clients (those cannot cross a process boundary). */
export type PortableProviderOptions = Omit<EmulatorProviderOptions, "msalSystemOptions">;

/** Parent → server. */
export type ApiServerMessage =
  | {
      readonly type: "start";
      readonly mode: ApiMode;
      readonly origin: string;
      readonly caPem: string;
      /** `emulator.providerOptions({ tenant })` by tenant, without `msalSystemOptions`. */
      readonly providerOptions: Readonly<Record<string, PortableProviderOptions>>;
      /** The Graph token the `constant` and `bare` modes send (unused by `obo`). */
      readonly constantToken: string;
      /** Distinct users (the memo's bound). */
      readonly users: number;
    }
  | { readonly type: "cpu" }
  | { readonly type: "stop" };

/** Server → parent. */
export type ApiServerReply =
  | { readonly type: "ready"; readonly url: string }
  | {
      readonly type: "cpu";
      /** `process.cpuUsage()`: user and system µs since the process started. */
      readonly userUs: number;
      readonly systemUs: number;
      readonly heapUsed: number;
      readonly rss: number;
      /** The On-Behalf-Of provider's token requests and cache hits so far. */
      readonly tokenRequests: number;
      readonly hits: number;
    }
  | { readonly type: "error"; readonly message: string };

let provider: OnBehalfOfAuthenticationProvider | undefined;

function reply(message: ApiServerReply): void {
  process.send?.(message);
}

/** The emulator as `emulatorConfig` reads it, rebuilt from what the parent sent. */
function wiring(start: Extract<ApiServerMessage, { type: "start" }>): EmulatorWiring {
  const networkClient = new EmulatorNetworkClient(start.origin, start.caPem);
  const dispatcher = new Agent({ connect: { ca: start.caPem }, keepAliveTimeout: 2_000 });
  return {
    origin: start.origin,
    caPem: start.caPem,
    providerOptions: (options) => {
      const portable = start.providerOptions[options?.tenant ?? ""];
      if (portable === undefined)
        throw new Error(`no provider options for ${String(options?.tenant)}`);
      return { ...portable, msalSystemOptions: { networkClient } };
    },
    graphClientOptions: () => ({
      baseUrl: start.origin,
      customHosts: new Set(["localhost"]),
      fetchOptions: { dispatcher },
    }),
  };
}

function listen(start: Extract<ApiServerMessage, { type: "start" }>): void {
  const constant: AuthenticationProvider = {
    getAccessToken: () => Promise.resolve(start.constantToken),
  };
  const variant: SampleApiVariant =
    start.mode === "obo" || start.mode === "memo"
      ? {}
      : { graphAuthProvider: constant, validate: start.mode === "constant" };
  const config = emulatorConfig(wiring(start));
  const apiValidation =
    start.mode === "memo"
      ? { ...config.apiValidation, rememberVerifiedTokens: start.users }
      : config.apiValidation;
  const sample = createSampleApi({ ...config, apiValidation }, variant);
  provider = sample.apiProvider;
  const { app } = sample;
  // `context`: what requireAccessToken does around the request once the token is verified, and
  // nothing else (no extra router or middleware).
  const handler: RequestListener =
    start.mode === "context"
      ? (req, res) => {
          runWithUserAssertion(req.headers.authorization?.slice(7) ?? "", () => {
            app(req, res);
          });
        }
      : app;
  const server = createServer(handler);
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo;
    reply({ type: "ready", url: `http://127.0.0.1:${String(port)}` });
  });
  server.keepAliveTimeout = 60_000;
}

process.on("message", (message: ApiServerMessage) => {
  try {
    switch (message.type) {
      case "start":
        listen(message);
        break;
      case "cpu": {
        const { user, system } = process.cpuUsage();
        const { heapUsed, rss } = process.memoryUsage();
        const stats = provider?.stats();
        reply({
          type: "cpu",
          userUs: user,
          systemUs: system,
          heapUsed,
          rss,
          tokenRequests: stats?.tokenRequests ?? 0,
          hits: stats?.hits ?? 0,
        });
        break;
      }
      case "stop":
        process.exit(0);
    }
  } catch (error) {
    reply({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
});
