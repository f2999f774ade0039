import type { NodeSystemOptions } from "@azure/msal-node";
import { Agent } from "undici";
import {
  msalAuthorityOptionsFor,
  type EmulatorGraphClientOptions,
  type EmulatorMsalAuthorityOptions,
  type EmulatorProviderOptions,
} from "./client/client-options.js";
import { EmulatorNetworkClient } from "./client/msal-network-client.js";
import type { EmulatorContext } from "./context.js";
import { EMULATOR_DEFAULTS } from "./default-directory.js";
import type { App, Directory, DirectoryUser } from "./directory.js";
import type { AppKind, AppRegistration, TenantInput, UserInput } from "./directory-types.js";
import { EmulatorError } from "./errors.js";
import { resolveInjection, type InjectOptions, type Injection } from "./faults.js";
import { requireUser } from "./lookups.js";
import type { EmulatorCounters, RecordedRequest, RequestFilter } from "./request-log.js";
import type { RunningServer } from "./server.js";
import { signIn, type SignInOptions } from "./sign-in.js";
import { GRAPH_RESOURCE, TOKEN_EXCHANGE_RESOURCE } from "./well-known.js";

/** A user of the emulated directory, as the emulator's API returns it. */
export interface EmulatorUser {
  /** The object id (`oid` in tokens). */
  readonly id: string;
  /** The tenant id (`tid` in tokens). */
  readonly tenantId: string;
  /** The UPN, e.g. `alice@contoso.example`. */
  readonly userPrincipalName: string;
  /** The display name (`name` in tokens). */
  readonly displayName: string;
}

/** A registered app, as the emulator's API returns it. */
export interface EmulatorApp {
  /** The application (client) id. */
  readonly clientId: string;
  /** The home tenant id. */
  readonly tenantId: string;
  /** App, agent identity blueprint, or agent identity. */
  readonly kind: AppKind;
  /** The application ID URI, e.g. `api://<clientId>`. */
  readonly appIdUri: string;
  /** For agent identities: the blueprint's client id. */
  readonly blueprint: string | undefined;
}

/** A tenant, as the emulator's API returns it. */
export interface EmulatorTenant {
  /** The tenant id (a GUID). */
  readonly id: string;
  /** The display name. */
  readonly displayName: string;
  /** The verified domains, lower-case; each also works in URLs in place of the id. */
  readonly domains: readonly string[];
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
  public msalAuthorityOptions(tenant?: string): EmulatorMsalAuthorityOptions {
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
      cloud: {
        graphEndpoint: GRAPH_RESOURCE,
        tokenExchangeScope: `${TOKEN_EXCHANGE_RESOURCE}/.default`,
      },
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
  public signIn(options: SignInOptions): Promise<string> {
    return signIn(this.#ctx, options);
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
    return this.#ctx.faults.add(resolveInjection(options, this.#directory));
  }

  /** Removes every injection. */
  public clearInjections(): void {
    this.#ctx.faults.reset();
  }

  /**
   * Revokes a user's sessions, as `revokeSignInSessions` does: every refresh token issued to the
   * user so far is refused from now on (`invalid_grant` AADSTS50173), and Graph answers `401` with
   * an `insufficient_claims` challenge (continuous access evaluation) until a token requested with
   * the challenge's claims is used. Other users are not affected.
   *
   * @param user - UPN or object id
   * @param options - whether only `cp1` clients are challenged
   */
  public revokeSessions(user: string, options: RevokeSessionsOptions = {}): void {
    const subject = this.#requireUser(user);
    // Revoking sign-in sessions invalidates the user's refresh tokens
    // (https://learn.microsoft.com/graph/api/user-revokesigninsessions;
    // https://learn.microsoft.com/entra/identity-platform/refresh-tokens, "Token revocation").
    this.#ctx.refreshTokens.revoke(subject.tenantId, subject.id);
    this.#ctx.cae.revoke(
      subject.tenantId,
      subject.id,
      this.#ctx.now(),
      options.requireClientCapability ?? false,
    );
  }

  /**
   * Moves the emulator's clock forward: tokens it issued expire, refresh tokens run out
   * (AADSTS700082), and everything it judges by time (assertions, Graph tokens) sees the new time.
   * Clients keep their own clocks: msal-node still serves access tokens from its cache until they
   * expire by the machine's time, and client assertions it signs carry the machine's time (the
   * emulator refuses one whose `exp` is behind its clock). `reset()` sets the clock back.
   *
   * @param ms - how far, in milliseconds (a non-negative finite number)
   * @throws {@link EmulatorError} for a negative or non-finite value
   */
  public advanceClock(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new EmulatorError("advanceClock takes a non-negative, finite number of milliseconds.");
    }
    this.#ctx.clock.advance(ms);
  }

  /** The emulator's time, in milliseconds since the epoch (the clock plus any advance). */
  public now(): number {
    return this.#ctx.now();
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

  /**
   * Resets runtime state: counters, injections, revoked sessions (CAE and refresh tokens) and the
   * clock's advance. The directory and the issued refresh tokens stay.
   */
  public reset(): void {
    this.#ctx.log.reset();
    this.#ctx.faults.reset();
    this.#ctx.cae.reset();
    this.#ctx.refreshTokens.reset();
    this.#ctx.clock.reset();
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
    return requireUser(this.#directory, idOrUpn);
  }
}
