import type { NodeSystemOptions } from "@azure/msal-node";
import { Agent } from "undici";
import type { MsalAuthorityOptions } from "../options.js";
import { CaeRegistry } from "./cae.js";
import { createCertificateAuthority, issueServerCertificate } from "./certificates.js";
import {
  msalAuthorityOptionsFor,
  type EmulatorGraphClientOptions,
  type EmulatorProviderOptions,
} from "./client/client-options.js";
import { EmulatorNetworkClient } from "./client/msal-network-client.js";
import type { EmulatorContext } from "./context.js";
import {
  DEFAULT_APPS,
  DEFAULT_TENANTS,
  DEFAULT_USERS,
  EMULATOR_DEFAULTS,
} from "./default-directory.js";
import { Directory, type App, type DirectoryUser } from "./directory.js";
import type { AppKind, AppRegistration, TenantInput, UserInput } from "./directory-types.js";
import { EmulatorError } from "./errors.js";
import { FaultInjector, type InjectOptions, type Injection } from "./faults.js";
import {
  RequestLog,
  type EmulatorCounters,
  type RecordedRequest,
  type RequestFilter,
} from "./request-log.js";
import { startHttpsServer, type RunningServer } from "./server.js";
import { SigningKey } from "./signing-key.js";
import { TokenIssuer } from "./token/token-issuer.js";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /**
   * Start from the default directory (two tenants, users with managers, a web API, a client, an
   * agent blueprint and an agent identity: see {@link EMULATOR_DEFAULTS}) or from an empty one.
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
  /** The port on 127.0.0.1. @defaultValue 0, a free port */
  readonly port?: number;
  /** The clock, in milliseconds since the epoch. @defaultValue `Date.now` */
  readonly now?: () => number;
}

/** A user of the emulated directory, as the emulator's API returns it. */
export interface EmulatorUser {
  readonly id: string;
  readonly tenantId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
}

/** A registered app, as the emulator's API returns it. */
export interface EmulatorApp {
  readonly clientId: string;
  readonly tenantId: string;
  readonly kind: AppKind;
  readonly appIdUri: string;
  /** For agent identities: the blueprint's client id. */
  readonly blueprint: string | undefined;
}

/** A tenant, as the emulator's API returns it. */
export interface EmulatorTenant {
  readonly id: string;
  readonly displayName: string;
  readonly domains: readonly string[];
}

/** Options of {@link Emulator.signIn}: a user signs in to a client that asks for a token for an API. */
export interface SignInOptions {
  /** The user: UPN or object id. */
  readonly user: string;
  /**
   * The API the token is for (its `aud`): a client id or app ID URI of a registered app, or
   * Microsoft Graph.
   *
   * @defaultValue the default directory's web API
   */
  readonly clientId?: string;
  /**
   * Scope names exposed by that API (no prefix), e.g. `["access_as_user"]`.
   *
   * @defaultValue `["access_as_user"]` if the API exposes it, else all it exposes
   */
  readonly scopes?: readonly string[];
  /** The tenant; must be the user's. @defaultValue the user's tenant */
  readonly tenant?: string;
  /**
   * Token lifetime in seconds; negative mints an already-expired token.
   *
   * @defaultValue the emulator's `tokenLifetimeSeconds`
   */
  readonly expiresInSeconds?: number;
  /** Write the API's client id (default) or its app ID URI as `aud`. */
  readonly audience?: "clientId" | "appIdUri";
  /**
   * The client app the user signed in to (`azp`).
   *
   * @defaultValue the default directory's client, else the API itself
   */
  readonly clientAppId?: string;
  /** Marks the token as issued to a client declaring the `cp1` capability (`xms_cc`). */
  readonly clientCapabilities?: boolean;
}

/** Options of {@link Emulator.revokeSessions}. */
export interface RevokeSessionsOptions {
  /**
   * Challenge only tokens whose client declared the `cp1` capability, as Graph does; by default
   * every token of the user is challenged.
   *
   * @defaultValue false
   */
  readonly requireClientCapability?: boolean;
}

function userView(user: DirectoryUser): EmulatorUser {
  return {
    id: user.id,
    tenantId: user.tenantId,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
  };
}

function appView(app: App): EmulatorApp {
  return {
    clientId: app.clientId,
    tenantId: app.tenantId,
    kind: app.kind,
    appIdUri: app.appIdUri,
    blueprint: app.blueprint,
  };
}

function positiveSeconds(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new EmulatorError(`${name} must be a positive whole number of seconds.`);
  }
  return value;
}

/**
 * A running offline Entra + Microsoft Graph emulator on `https://localhost:<port>`. Create it with
 * {@link startEmulator}; close it when done.
 */
export class Emulator {
  /** `https://localhost:<port>`. */
  public readonly origin: string;
  /** The port on 127.0.0.1. */
  public readonly port: number;
  /**
   * The throwaway CA that issued the server certificate (PEM). Trust it explicitly (`ca`), or
   * start child processes with `NODE_EXTRA_CA_CERTS` pointing at a file holding it.
   */
  public readonly caPem: string;
  /** The ids and secrets of the default directory. */
  public readonly defaults: typeof EMULATOR_DEFAULTS = EMULATOR_DEFAULTS;

  readonly #ctx: EmulatorContext;
  readonly #directory: Directory;
  readonly #server: RunningServer;
  readonly #closing: AbortController;
  readonly #networkClient: EmulatorNetworkClient;
  #dispatcher: Agent | undefined;
  #closed = false;

  /** @internal */
  public constructor(
    ctx: EmulatorContext,
    directory: Directory,
    server: RunningServer,
    closing: AbortController,
    caPem: string,
  ) {
    this.#ctx = ctx;
    this.#directory = directory;
    this.#server = server;
    this.#closing = closing;
    this.origin = ctx.origin;
    this.port = server.port;
    this.caPem = caPem;
    this.#networkClient = new EmulatorNetworkClient(ctx.origin, caPem);
  }

  // ---- client wiring -------------------------------------------------------------------------

  /**
   * The authority URL of a tenant: `https://localhost:<port>/<tenant id>`.
   *
   * @param tenant - a tenant id or domain, or `organizations`/`common`; default the first tenant
   */
  public authority(tenant?: string): string {
    return `${this.origin}/${this.#segment(tenant)}`;
  }

  /**
   * MSAL authority options for the emulator (`knownAuthorities`, `authorityMetadata`,
   * `cloudDiscoveryMetadata`), so MSAL makes no discovery request for the configured tenant.
   *
   * @param tenant - a tenant id or domain, or `organizations`/`common`; default the first tenant
   */
  public msalAuthorityOptions(tenant?: string): MsalAuthorityOptions {
    const segment = this.#segment(tenant);
    const tenantId = this.#directory.findTenant(segment)?.id;
    return msalAuthorityOptionsFor(this.origin, segment, tenantId);
  }

  /**
   * MSAL `system` options with a network client that trusts the emulator's CA (and reaches
   * nothing else). Spread into an msal-node configuration's `system`, or pass as the provider's
   * `msalSystemOptions`.
   */
  public msalSystemOptions(): NodeSystemOptions {
    return { networkClient: this.#networkClient };
  }

  /**
   * Everything `OnBehalfOfAuthenticationProvider` needs to reach the emulator.
   *
   * @param options - the tenant (id, domain, or `organizations` for a multi-tenant API)
   * @example
   * ```ts
   * const provider = new OnBehalfOfAuthenticationProvider({
   *   clientId: emulator.defaults.apps.api.clientId,
   *   clientSecret: emulator.defaults.apps.api.clientSecret,
   *   ...emulator.providerOptions(),
   * });
   * ```
   */
  public providerOptions(options: { readonly tenant?: string } = {}): EmulatorProviderOptions {
    return {
      authority: this.authority(options.tenant),
      msalAuthorityOptions: this.msalAuthorityOptions(options.tenant),
      msalSystemOptions: this.msalSystemOptions(),
    };
  }

  /**
   * Options for the Graph v3 client: `baseUrl` = the emulator, `customHosts` = `localhost` (so
   * the token is attached), and `fetchOptions.dispatcher` = an undici agent trusting the CA.
   *
   * @example
   * ```ts
   * const graph = Client.initWithMiddleware({ authProvider, ...emulator.graphClientOptions() });
   * ```
   */
  public graphClientOptions(): EmulatorGraphClientOptions {
    return {
      baseUrl: this.origin,
      customHosts: new Set(["localhost"]),
      fetchOptions: { dispatcher: this.dispatcher },
    };
  }

  /** An undici dispatcher (connection pool) that trusts the emulator's CA, for `fetch`. */
  public get dispatcher(): Agent {
    if (this.#closed) throw new EmulatorError("the emulator is closed.");
    this.#dispatcher ??= new Agent({ connect: { ca: this.caPem }, keepAliveTimeout: 2_000 });
    return this.#dispatcher;
  }

  /**
   * `fetch` with the emulator's dispatcher, for requests of a test's own.
   *
   * @param input - a URL; a path is resolved against the emulator's origin
   * @param init - the request options
   */
  public fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url =
      typeof input === "string" && input.startsWith("/") ? `${this.origin}${input}` : input;
    return fetch(url, { ...init, dispatcher: this.dispatcher } as RequestInit);
  }

  // ---- directory ------------------------------------------------------------------------------

  /** The tenants. */
  public get tenants(): readonly EmulatorTenant[] {
    return this.#directory.tenants.map((t) => ({
      id: t.id,
      displayName: t.displayName,
      domains: t.domains,
    }));
  }

  /**
   * Adds a tenant.
   *
   * @param tenant - its domains, and optionally id and name
   */
  public addTenant(tenant: TenantInput): EmulatorTenant {
    const added = this.#directory.addTenant(tenant);
    return { id: added.id, displayName: added.displayName, domains: added.domains };
  }

  /**
   * Adds a user.
   *
   * @param user - UPN, names, manager, …
   */
  public addUser(user: UserInput): EmulatorUser {
    return userView(this.#directory.addUser(user));
  }

  /**
   * Finds a user by UPN or object id.
   *
   * @param idOrUpn - the UPN or object id
   */
  public user(idOrUpn: string): EmulatorUser | undefined {
    const user = this.#directory.findUser(idOrUpn);
    return user === undefined ? undefined : userView(user);
  }

  /**
   * Sets or removes (`null`) a user's manager.
   *
   * @param user - UPN or object id
   * @param manager - UPN or object id in the same tenant, or `null`
   */
  public setManager(user: string, manager: string | null): void {
    const subject = this.#requireUser(user);
    this.#directory.setManager(subject, manager === null ? undefined : this.#requireUser(manager));
  }

  /**
   * Registers an app: an ordinary app, an agent identity blueprint, or an agent identity.
   *
   * @param registration - client id, tenant, credentials, permissions
   * @example
   * ```ts
   * emulator.registerApp({ clientId: apiId, tenant: "contoso.example", clientSecret: "s3cret", graphScopes: ["User.Read"] });
   * ```
   */
  public registerApp(registration: AppRegistration): EmulatorApp {
    return appView(this.#directory.registerApp(registration));
  }

  /**
   * Finds an app registration.
   *
   * @param clientId - the client id
   */
  public app(clientId: string): EmulatorApp | undefined {
    const app = this.#directory.findApp(clientId);
    return app === undefined ? undefined : appView(app);
  }

  // ---- tokens ---------------------------------------------------------------------------------

  /**
   * Mints the access token a client would get when a user signs in and asks for a token for an
   * API (the step before On-Behalf-Of), signed by the emulator.
   *
   * @param options - user, API, scopes, lifetime
   * @returns the access token
   * @throws {@link EmulatorError} for an unknown user or API, or a scope the API does not expose
   * @example
   * ```ts
   * const token = await emulator.signIn({ user: "alice@contoso.example" });
   * ```
   */
  public async signIn(options: SignInOptions): Promise<string> {
    const user = this.#requireUser(options.user);
    if (
      options.tenant !== undefined &&
      this.#directory.findTenant(options.tenant)?.id !== user.tenantId
    ) {
      throw new EmulatorError(
        `signIn: ${user.userPrincipalName} is not a member of tenant ${options.tenant}.`,
      );
    }
    const apiId = options.clientId ?? EMULATOR_DEFAULTS.apps.api.clientId;
    const resource = this.#directory.findResource(apiId);
    if (resource === undefined || resource.kind === "token-exchange") {
      throw new EmulatorError(`signIn: ${apiId} is not a registered API.`);
    }
    if (
      resource.app !== undefined &&
      this.#directory.appInTenant(resource.app.clientId, user.tenantId) === undefined
    ) {
      throw new EmulatorError(
        `signIn: API ${apiId} is not available in the user's tenant (register it as multiTenant).`,
      );
    }
    const exposed = resource.exposedScopes;
    const scopes =
      options.scopes ??
      (exposed === undefined
        ? ["User.Read"]
        : exposed.includes("access_as_user")
          ? ["access_as_user"]
          : [...exposed]);
    if (scopes.length === 0) throw new EmulatorError("signIn: give at least one scope.");
    for (const scope of scopes) {
      if (exposed !== undefined && !exposed.some((e) => e.toLowerCase() === scope.toLowerCase())) {
        throw new EmulatorError(`signIn: API ${apiId} does not expose the scope "${scope}".`);
      }
    }
    const clientAppId =
      options.clientAppId ??
      (this.#directory.findApp(EMULATOR_DEFAULTS.apps.client.clientId) === undefined
        ? resource.app?.clientId
        : EMULATOR_DEFAULTS.apps.client.clientId);
    const client = clientAppId === undefined ? undefined : this.#directory.findApp(clientAppId);
    if (client === undefined)
      throw new EmulatorError("signIn: give clientAppId, a registered client app.");
    if (options.expiresInSeconds !== undefined && !Number.isInteger(options.expiresInSeconds)) {
      throw new EmulatorError("signIn: expiresInSeconds must be a whole number.");
    }
    const issued = await new TokenIssuer(this.#ctx).userToken({
      user,
      tenantId: user.tenantId,
      client,
      clientAuth: "0",
      resource,
      ...(options.audience === "appIdUri" && resource.app !== undefined
        ? { audience: resource.app.appIdUri }
        : {}),
      scopes,
      clientCapabilities: options.clientCapabilities ?? false,
      ...(options.expiresInSeconds === undefined
        ? {}
        : { lifetimeSeconds: options.expiresInSeconds }),
    });
    return issued.token;
  }

  // ---- faults, CAE, counters -------------------------------------------------------------------

  /**
   * Injects a fault into matching requests: MFA/Conditional Access or consent challenges on the
   * token endpoint; throttling, server errors, delays or connection resets on either endpoint.
   *
   * @param options - endpoint, fault, filters (user, client, tenant, flow, path) and `times`
   * @returns a handle to watch or remove the injection
   * @example
   * ```ts
   * emulator.inject({ endpoint: "token", user: "alice@contoso.example", fault: { kind: "interaction_required" } });
   * emulator.inject({ endpoint: "graph", times: 2, fault: { kind: "throttled", retryAfterSeconds: 0 } });
   * ```
   */
  public inject(options: InjectOptions): Injection {
    const { endpoint, fault } = options;
    const endpointName: string = endpoint;
    if (endpointName !== "token" && endpointName !== "graph") {
      throw new EmulatorError('inject: endpoint must be "token" or "graph".');
    }
    const kinds = [
      "interaction_required",
      "consent_required",
      "throttled",
      "server_error",
      "delay",
      "connection_reset",
    ];
    if (!kinds.includes(fault.kind))
      throw new EmulatorError(`inject: unknown fault kind "${fault.kind}".`);
    const faultKind: string = fault.kind;
    if (
      endpoint === "graph" &&
      (faultKind === "interaction_required" || faultKind === "consent_required")
    ) {
      throw new EmulatorError(
        `inject: "${faultKind}" is a token endpoint fault; Graph's challenge is revokeSessions().`,
      );
    }
    if (fault.kind === "delay" && (!Number.isFinite(fault.ms) || fault.ms < 0)) {
      throw new EmulatorError("inject: a delay needs ms >= 0.");
    }
    const times = options.times ?? 1;
    if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
      throw new EmulatorError("inject: times must be a positive whole number or Infinity.");
    }
    return this.#ctx.faults.add({
      endpoint,
      fault,
      userId: options.user === undefined ? undefined : this.#requireUser(options.user).id,
      clientId: options.clientId?.toLowerCase(),
      tenantId: options.tenant === undefined ? undefined : this.#requireTenant(options.tenant),
      flow: options.endpoint === "token" ? options.flow : undefined,
      path: options.endpoint === "graph" ? options.path : undefined,
      times,
    });
  }

  /** Removes every injection. */
  public clearInjections(): void {
    this.#ctx.faults.reset();
  }

  /**
   * Revokes a user's sessions (continuous access evaluation): Graph answers `401` with an
   * `insufficient_claims` challenge until a token requested with the challenge's claims is used.
   *
   * @param user - UPN or object id
   * @param options - whether only `cp1` clients are challenged
   */
  public revokeSessions(user: string, options: RevokeSessionsOptions = {}): void {
    const subject = this.#requireUser(user);
    this.#ctx.cae.revoke(
      subject.tenantId,
      subject.id,
      this.#ctx.now(),
      options.requireClientCapability ?? false,
    );
  }

  /** Counts of the requests received since start or the last reset. */
  public get counters(): EmulatorCounters {
    return this.#ctx.log.counters();
  }

  /**
   * The requests received (newest last), optionally filtered. Never includes tokens or secrets.
   *
   * @param filter - which requests
   */
  public requests(filter?: RequestFilter): RecordedRequest[] {
    return this.#ctx.log.list(filter);
  }

  /**
   * How many received requests match a filter.
   *
   * @param filter - which requests, e.g. `{ endpoint: "token", flow: "obo", user: "alice@contoso.example" }`
   */
  public count(filter?: RequestFilter): number {
    return this.#ctx.log.count(filter);
  }

  /** Forgets the received requests (counters restart at zero). */
  public resetCounters(): void {
    this.#ctx.log.reset();
  }

  /** Resets runtime state: counters, injections and revoked sessions. The directory stays. */
  public reset(): void {
    this.#ctx.log.reset();
    this.#ctx.faults.reset();
    this.#ctx.cae.reset();
  }

  /** Stops the server and closes the client connection pools. Safe to call twice. */
  public async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    this.#networkClient.destroy();
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    await Promise.all([this.#server.close(), dispatcher?.destroy()]);
  }

  #segment(tenant: string | undefined): string {
    if (
      tenant !== undefined &&
      (tenant.toLowerCase() === "organizations" || tenant.toLowerCase() === "common")
    ) {
      return tenant.toLowerCase();
    }
    return this.#requireTenant(tenant);
  }

  #requireTenant(tenant: string | undefined): string {
    return this.#directory.requireTenant(tenant, "emulator").id;
  }

  #requireUser(idOrUpn: string): DirectoryUser {
    const user = this.#directory.findUser(idOrUpn);
    if (user === undefined) throw new EmulatorError(`user "${idOrUpn}" is not in the directory.`);
    return user;
  }
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
 * client credentials with `fmi_path`, agent identities, `user_fic`), and Graph `/me`, `/users`
 * and managers.
 *
 * @param options - directory, token lifetime, port, clock
 * @returns the running emulator; `close()` it when done
 * @example
 * ```ts
 * import { startEmulator } from "graph-obo-auth/emulator";
 *
 * const emulator = await startEmulator();
 * const token = await emulator.signIn({ user: "alice@contoso.example" });
 * // ... exercise the API with `token`, then:
 * await emulator.close();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const directory = buildDirectory(options);
  const tokenLifetimeSeconds = positiveSeconds(
    options.tokenLifetimeSeconds,
    "tokenLifetimeSeconds",
    3600,
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
  const ctx: EmulatorContext = {
    origin: `https://localhost:${server.port}`,
    directory,
    key,
    now: options.now ?? Date.now,
    tokenLifetimeSeconds,
    cae: new CaeRegistry(),
    faults: new FaultInjector(),
    log: new RequestLog(),
    closing: closing.signal,
  };
  started.ctx = ctx;
  return new Emulator(ctx, directory, server, closing, ca.certificatePem);
}
