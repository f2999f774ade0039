import type { KeyObject } from "node:crypto";
import { buildApp, names } from "./app-registration.js";
import type { AppKind, AppRegistration, TenantInput, UserInput } from "./directory-types.js";
import { EmulatorError } from "./errors.js";
import { isGuid, stableGuid } from "./ids.js";

import {
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  OTHER_CLOUD_EXCHANGE_RESOURCES,
  TOKEN_EXCHANGE_RESOURCE,
} from "./well-known.js";

export { GRAPH_APP_ID, GRAPH_RESOURCE, TOKEN_EXCHANGE_RESOURCE };

/** A tenant. @internal */
export interface Tenant {
  readonly id: string;
  readonly displayName: string;
  readonly domains: readonly string[];
}

/** A user. @internal */
export interface DirectoryUser {
  readonly id: string;
  readonly tenantId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly mail: string;
  readonly jobTitle: string | null;
  readonly officeLocation: string | null;
  managerRef: string | undefined;
  readonly agentIdentity: string | undefined;
  /** For an agent's user account: Graph scopes granted to its agent for this user only. */
  readonly agentGraphScopes: readonly string[];
}

/** A certificate credential. @internal */
export interface RegisteredCertificate {
  readonly publicKey: KeyObject;
  readonly sha256: string | undefined;
  readonly sha1: string | undefined;
}

/** Permissions on one resource. @internal */
export interface GrantedPermissions {
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
}

/** An app registration with its credentials. @internal */
export interface App {
  readonly clientId: string;
  readonly displayName: string;
  readonly tenantId: string;
  readonly kind: AppKind;
  readonly blueprint: string | undefined;
  readonly multiTenant: boolean;
  readonly secrets: readonly string[];
  readonly certificates: readonly RegisteredCertificate[];
  readonly appIdUri: string;
  readonly exposedScopes: readonly string[];
  readonly exposedRoles: readonly string[];
  /** Keyed by the resource's id (client id; Graph's app id). */
  readonly permissions: ReadonlyMap<string, GrantedPermissions>;
}

/** A resource tokens can be issued for. @internal */
export interface Resource {
  /** Graph's app id, the API's client id, or the token-exchange URI. */
  readonly id: string;
  readonly kind: "graph" | "token-exchange" | "api";
  /** The token `aud`: Graph's URI, the API's client id, or the token-exchange URI. */
  readonly audience: string;
  /** The identifier written in scopes, e.g. `https://graph.microsoft.com`. */
  readonly scopePrefix: string;
  /** Token format the resource accepts (Graph accepts v1.0 tokens). */
  readonly tokenVersion: 1 | 2;
  /** Exposed delegated scopes; `undefined` accepts any (Graph). */
  readonly exposedScopes: readonly string[] | undefined;
  readonly app: App | undefined;
}

const GRAPH: Resource = {
  id: GRAPH_APP_ID,
  kind: "graph",
  audience: GRAPH_RESOURCE,
  scopePrefix: GRAPH_RESOURCE,
  tokenVersion: 1,
  exposedScopes: undefined,
  app: undefined,
};

const TOKEN_EXCHANGE: Resource = {
  id: TOKEN_EXCHANGE_RESOURCE,
  kind: "token-exchange",
  audience: TOKEN_EXCHANGE_RESOURCE,
  scopePrefix: TOKEN_EXCHANGE_RESOURCE,
  tokenVersion: 2,
  exposedScopes: [],
  app: undefined,
};

const GRAPH_IDENTIFIERS = new Set([
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  "graph.microsoft.com",
  "https://graph.microsoft.com/",
]);

function lower(value: string): string {
  return value.toLowerCase();
}

function trimSlash(value: string): string {
  return value.replace(/\/+$/, "");
}

function agentGraphScopes(input: UserInput, upn: string): readonly string[] {
  if (input.agentGraphScopes === undefined) return [];
  if (input.agentIdentity === undefined) {
    throw new EmulatorError(`user ${upn}: agentGraphScopes needs agentIdentity.`);
  }
  return names(input.agentGraphScopes, `user ${upn} agentGraphScopes`);
}

/**
 * The emulated directory: tenants, users with managers, and app registrations with their
 * credentials and permissions.
 *
 * @internal
 */
export class Directory {
  readonly #tenants: Tenant[] = [];
  readonly #users = new Map<string, DirectoryUser>();
  readonly #apps = new Map<string, App>();

  /** The tenants, in registration order. */
  public get tenants(): readonly Tenant[] {
    return this.#tenants;
  }

  public addTenant(input: TenantInput): Tenant {
    const domains = names(input.domains, "tenant domains").map(lower);
    if (domains.length === 0) throw new EmulatorError("a tenant needs at least one domain.");
    const id = lower(input.id ?? stableGuid("tenant", domains[0] ?? ""));
    if (!isGuid(id)) throw new EmulatorError(`tenant id "${id}" must be a GUID.`);
    for (const alias of [id, ...domains]) {
      if (this.findTenant(alias) !== undefined) {
        throw new EmulatorError(`tenant "${alias}" is already registered.`);
      }
    }
    const tenant: Tenant = { id, displayName: input.displayName ?? domains[0] ?? id, domains };
    this.#tenants.push(tenant);
    return tenant;
  }

  /** Finds a tenant by id or domain. */
  public findTenant(idOrDomain: string): Tenant | undefined {
    const key = lower(idOrDomain);
    return this.#tenants.find((t) => t.id === key || t.domains.includes(key));
  }

  public requireTenant(idOrDomain: string | undefined, context: string): Tenant {
    const tenant = idOrDomain === undefined ? this.#tenants[0] : this.findTenant(idOrDomain);
    if (tenant === undefined) {
      throw new EmulatorError(
        `${context}: tenant "${idOrDomain ?? "(default)"}" is not in the directory.`,
      );
    }
    return tenant;
  }

  public addUser(input: UserInput): DirectoryUser {
    const upn = typeof input.userPrincipalName === "string" ? input.userPrincipalName.trim() : "";
    const at = upn.lastIndexOf("@");
    if (at <= 0 || at === upn.length - 1) {
      throw new EmulatorError(`userPrincipalName "${upn}" must look like name@domain.`);
    }
    const tenant = this.requireTenant(input.tenant ?? upn.slice(at + 1), `user ${upn}`);
    const id = lower(input.id ?? stableGuid("user", tenant.id, lower(upn)));
    if (!isGuid(id)) throw new EmulatorError(`user ${upn}: id must be a GUID.`);
    if (this.#users.has(id) || this.findUser(upn) !== undefined) {
      throw new EmulatorError(`user ${upn} is already registered.`);
    }
    const local = upn.slice(0, at);
    const displayName =
      input.displayName ?? local.charAt(0).toUpperCase() + local.slice(1).replace(/[._-]/g, " ");
    const user: DirectoryUser = {
      id,
      tenantId: tenant.id,
      userPrincipalName: upn,
      displayName,
      givenName: input.givenName ?? null,
      surname: input.surname ?? null,
      mail: input.mail ?? upn,
      jobTitle: input.jobTitle ?? null,
      officeLocation: input.officeLocation ?? null,
      managerRef: input.manager,
      agentIdentity: input.agentIdentity === undefined ? undefined : lower(input.agentIdentity),
      agentGraphScopes: agentGraphScopes(input, upn),
    };
    this.#users.set(id, user);
    return user;
  }

  /** Finds a user by object id or UPN, in one tenant or in any. */
  public findUser(idOrUpn: string, tenantId?: string): DirectoryUser | undefined {
    const key = lower(idOrUpn);
    const byId = this.#users.get(key);
    if (byId !== undefined)
      return tenantId === undefined || byId.tenantId === tenantId ? byId : undefined;
    for (const user of this.#users.values()) {
      if (
        lower(user.userPrincipalName) === key &&
        (tenantId === undefined || user.tenantId === tenantId)
      ) {
        return user;
      }
    }
    return undefined;
  }

  /** The users of a tenant, in registration order. */
  public usersIn(tenantId: string): DirectoryUser[] {
    return [...this.#users.values()].filter((u) => u.tenantId === tenantId);
  }

  /** The user's manager, if they have one in the same tenant. */
  public managerOf(user: DirectoryUser): DirectoryUser | undefined {
    return user.managerRef === undefined
      ? undefined
      : this.findUser(user.managerRef, user.tenantId);
  }

  /** Sets or clears a user's manager. */
  public setManager(user: DirectoryUser, manager: DirectoryUser | undefined): void {
    if (manager !== undefined && manager.tenantId !== user.tenantId) {
      throw new EmulatorError("a manager must be in the same tenant as the user.");
    }
    user.managerRef = manager?.id;
  }

  public registerApp(input: AppRegistration): App {
    const app = buildApp(input, this);
    this.#apps.set(app.clientId, app);
    return app;
  }

  public findApp(clientId: string): App | undefined {
    return this.#apps.get(lower(clientId));
  }

  /** The app, if it can be used in the tenant (its home tenant, or any when multi-tenant). */
  public appInTenant(clientId: string, tenantId: string): App | undefined {
    const app = this.findApp(clientId);
    if (app === undefined) return undefined;
    return app.tenantId === tenantId || (app.multiTenant && app.kind !== "agent") ? app : undefined;
  }

  /** Finds a resource by Graph's names, the token-exchange URI, or an API's client id / app ID URI. */
  public findResource(identifier: string): Resource | undefined {
    const key = lower(trimSlash(identifier));
    if (GRAPH_IDENTIFIERS.has(key)) return GRAPH;
    if (key === lower(TOKEN_EXCHANGE_RESOURCE)) return TOKEN_EXCHANGE;
    const otherCloud = OTHER_CLOUD_EXCHANGE_RESOURCES.find((r) => lower(r) === key);
    if (otherCloud !== undefined) {
      return {
        ...TOKEN_EXCHANGE,
        id: otherCloud,
        audience: otherCloud,
        scopePrefix: otherCloud,
      };
    }
    for (const app of this.#apps.values()) {
      if (app.clientId === key || lower(app.appIdUri) === key) {
        return {
          id: app.clientId,
          kind: "api",
          audience: app.clientId,
          scopePrefix: app.appIdUri,
          tokenVersion: 2,
          exposedScopes: app.exposedScopes,
          app,
        };
      }
    }
    return undefined;
  }

  /**
   * What an app may do on a resource. Agent identities inherit their blueprint's delegated
   * permissions.
   */
  public permissionsOf(app: App, resourceId: string): GrantedPermissions {
    const own = app.permissions.get(resourceId) ?? { scopes: [], roles: [] };
    if (app.kind !== "agent" || app.blueprint === undefined) return own;
    const parent = this.#apps.get(app.blueprint);
    const inherited = parent?.permissions.get(resourceId)?.scopes ?? [];
    return { scopes: [...new Set([...own.scopes, ...inherited])], roles: own.roles };
  }

  /** The service principal object id of an app in a tenant. */
  public servicePrincipalId(app: App, tenantId: string): string {
    return stableGuid("service-principal", tenantId, app.clientId);
  }
}
