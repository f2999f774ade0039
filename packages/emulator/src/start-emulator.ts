import { setMaxListeners } from "node:events";
import { CaeRegistry } from "./cae.js";
import { EmulatorClock } from "./clock.js";
import { createCertificateAuthority, issueServerCertificate } from "./certificates.js";
import type { EmulatorContext } from "./context.js";
import { DEFAULT_APPS, DEFAULT_TENANTS, DEFAULT_USERS } from "./default-directory.js";
import { Directory } from "./directory.js";
import type { AppRegistration, TenantInput, UserInput } from "./directory-types.js";
import { Emulator } from "./emulator.js";
import { resolveEntraBehaviour, type EntraBehaviour } from "./entra-behaviour.js";
import { EmulatorError } from "./errors.js";
import { FaultInjector } from "./faults.js";
import { RequestLog } from "./request-log.js";
import { startHttpsServer } from "./server.js";
import { SigningKey } from "./signing-key.js";
import {
  DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS,
  RefreshTokenStore,
} from "./token/refresh-tokens.js";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /**
   * Start from the default directory (two tenants, users with managers, a web API, a client, an
   * agent blueprint and an agent identity: see `EMULATOR_DEFAULTS`) or from an empty one.
   *
   * @defaultValue `"default"`
   */
  readonly directory?: "default" | "empty";
  /** More tenants, added after the defaults. */
  readonly tenants?: readonly TenantInput[];
  /** More users. */
  readonly users?: readonly UserInput[];
  /** More app registrations. */
  readonly apps?: readonly AppRegistration[];
  /**
   * Lifetime of issued tokens (`expires_in`), in seconds. Keep it above 300: msal-node treats
   * tokens within 5 minutes of expiry as expired.
   *
   * @defaultValue 3600
   */
  readonly tokenLifetimeSeconds?: number;
  /**
   * Lifetime of issued refresh tokens, in seconds: each token is valid this long from its issue,
   * and the token that replaces it on use starts a new lifetime. Entra's default outside
   * single-page apps is 90 days (https://learn.microsoft.com/entra/identity-platform/refresh-tokens).
   *
   * @defaultValue 7776000 (90 days)
   */
  readonly refreshTokenLifetimeSeconds?: number;
  /** The port on 127.0.0.1. @defaultValue 0, a free port */
  readonly port?: number;
  /**
   * The clock, in milliseconds since the epoch; `Emulator.advanceClock` moves the emulator's time
   * forward from it. @defaultValue `Date.now`
   */
  readonly now?: () => number;
  /** Switches for Entra behaviour the sources leave open; each default is what Entra does. */
  readonly entra?: EntraBehaviour;
}

function positiveSeconds(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new EmulatorError(`${name} must be a positive whole number of seconds.`);
  }
  return value;
}

function buildDirectory(options: EmulatorOptions): Directory {
  const directory = new Directory();
  const useDefaults = (options.directory ?? "default") === "default";
  for (const tenant of [...(useDefaults ? DEFAULT_TENANTS : []), ...(options.tenants ?? [])]) {
    directory.addTenant(tenant);
  }
  if (directory.tenants.length === 0) {
    throw new EmulatorError(
      'the directory needs at least one tenant: pass "tenants" with directory "empty".',
    );
  }
  for (const user of [...(useDefaults ? DEFAULT_USERS : []), ...(options.users ?? [])]) {
    directory.addUser(user);
  }
  for (const app of [...(useDefaults ? DEFAULT_APPS : []), ...(options.apps ?? [])]) {
    directory.registerApp(app);
  }
  return directory;
}

/**
 * Starts an offline Entra ID + Microsoft Graph emulator: a real HTTPS server on 127.0.0.1 with a
 * throwaway CA, serving OpenID discovery, JWKS and the token endpoint per tenant (On-Behalf-Of,
 * client credentials with `fmi_path`, agent identities, `user_fic`, refresh tokens), and Graph `/me`, `/users`
 * and managers and `/me/messages`. The Entra rules it enforces are listed, with their sources, in
 * the package's `CONFORMANCE.md`; `entra` switches what the sources leave open.
 *
 * @param options - directory, token and refresh token lifetimes, port, clock
 * @returns the running emulator; `close()` it when done
 * @example
 * ```ts
 * import { startEmulator } from "graph-obo-auth-emulator";
 *
 * const emulator = await startEmulator();
 * const token = await emulator.signIn({ user: "alice@contoso.example" });
 * // ... exercise the API with `token`, then:
 * await emulator.close();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const directory = buildDirectory(options);
  const entra = resolveEntraBehaviour(options.entra);
  const tokenLifetimeSeconds = positiveSeconds(
    options.tokenLifetimeSeconds,
    "tokenLifetimeSeconds",
    3600,
  );
  const refreshTokenLifetimeSeconds = positiveSeconds(
    options.refreshTokenLifetimeSeconds,
    "refreshTokenLifetimeSeconds",
    DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS,
  );
  if (
    options.port !== undefined &&
    (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
  ) {
    throw new EmulatorError("port must be 0 (a free port) or a port number.");
  }
  const [ca, key] = await Promise.all([createCertificateAuthority(), SigningKey.generate()]);
  const serverCertificate = await issueServerCertificate(ca);
  const closing = new AbortController();
  // Every delayed answer (the `delay` fault) waits on this signal: many at once are expected, not a
  // listener leak.
  setMaxListeners(0, closing.signal);
  const started: { ctx?: EmulatorContext } = {};
  const server = await startHttpsServer(
    {
      certificatePem: serverCertificate.certificatePem,
      privateKeyPem: serverCertificate.privateKeyPem,
      caPem: ca.certificatePem,
    },
    options.port ?? 0,
    () => {
      if (started.ctx === undefined) throw new EmulatorError("the emulator is still starting.");
      return started.ctx;
    },
  );
  const clock = new EmulatorClock(options.now ?? Date.now);
  const ctx: EmulatorContext = {
    origin: `https://localhost:${server.port}`,
    directory,
    key,
    now: () => clock.now(),
    clock,
    tokenLifetimeSeconds,
    refreshTokenLifetimeSeconds,
    refreshTokens: new RefreshTokenStore(),
    entra,
    usedUserFicCredentials: new Set(),
    cae: new CaeRegistry(),
    faults: new FaultInjector(),
    log: new RequestLog(),
    closing: closing.signal,
  };
  started.ctx = ctx;
  return new Emulator(ctx, directory, server, closing, ca.certificatePem);
}
