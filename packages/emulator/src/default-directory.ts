import type { AppRegistration, TenantInput, UserInput } from "./directory-types.js";

/**
 * The ids and secrets of the emulator's default directory, so tests and demos can refer to them.
 * The secrets are test values, valid only against the emulator.
 */
export const EMULATOR_DEFAULTS = {
  /** The tenants. */
  tenants: {
    /** Contoso: home of the web API, the blueprint and the agent. */
    contoso: {
      /** Tenant id. */
      id: "c0c0c0c0-0000-4000-8000-000000000001",
      /** Verified domain. */
      domain: "contoso.example",
    },
    /** Fabrikam: a second tenant whose users call the multi-tenant web API. */
    fabrikam: {
      /** Tenant id. */
      id: "fabfab00-0000-4000-8000-000000000002",
      /** Verified domain. */
      domain: "fabrikam.example",
    },
  },
  /** The app registrations. */
  apps: {
    /**
     * The web API (middle tier): multi-tenant, exposes `access_as_user`, may call Graph with
     * `User.Read` and `User.ReadBasic.All`.
     */
    api: {
      /** Application (client) id. */
      clientId: "a9100000-0000-4000-8000-000000000001",
      /** Client secret (valid only against the emulator). */
      clientSecret: "emulator-api-secret",
    },
    /** A downstream API the web API may call on behalf of users (`api://…/Orders.Read`). */
    downstreamApi: {
      /** Application (client) id. */
      clientId: "a9200000-0000-4000-8000-000000000002",
    },
    /** The client (a SPA) users sign in to; the `azp` of tokens minted by `signIn`. */
    client: {
      /** Application (client) id. */
      clientId: "c1100000-0000-4000-8000-000000000003",
    },
    /** An agent identity blueprint (client secret credential). */
    blueprint: {
      /** Application (client) id. */
      clientId: "b1000000-0000-4000-8000-000000000004",
      /** Client secret (valid only against the emulator). */
      clientSecret: "emulator-blueprint-secret",
    },
    /** An agent identity of the blueprint, with Graph `User.Read.All` as an application permission. */
    agent: {
      /** The agent identity's client id. */
      clientId: "a6e00000-0000-4000-8000-000000000005",
    },
  },
  /** User principal names of the default users. */
  users: {
    /** Contoso engineer; manager carol. */
    alice: "alice@contoso.example",
    /** Contoso product manager; manager carol. */
    bob: "bob@contoso.example",
    /** Contoso director; manager dan. */
    carol: "carol@contoso.example",
    /** Contoso vice president; no manager. */
    dan: "dan@contoso.example",
    /** Fabrikam analyst; manager frank. */
    erin: "erin@fabrikam.example",
    /** Fabrikam chief executive; no manager. */
    frank: "frank@fabrikam.example",
    /** The agent's user account (agent user). */
    agentUser: "helper-agent@contoso.example",
  },
} as const;

/** The default directory's tenants. @internal */
export const DEFAULT_TENANTS: readonly TenantInput[] = [
  {
    id: EMULATOR_DEFAULTS.tenants.contoso.id,
    displayName: "Contoso",
    domains: [EMULATOR_DEFAULTS.tenants.contoso.domain],
  },
  {
    id: EMULATOR_DEFAULTS.tenants.fabrikam.id,
    displayName: "Fabrikam",
    domains: [EMULATOR_DEFAULTS.tenants.fabrikam.domain],
  },
];

const u = EMULATOR_DEFAULTS.users;

/** The default directory's users; each tenant has a manager chain ending at someone with none. @internal */
export const DEFAULT_USERS: readonly UserInput[] = [
  {
    userPrincipalName: u.alice,
    displayName: "Alice Adams",
    givenName: "Alice",
    surname: "Adams",
    jobTitle: "Software Engineer",
    officeLocation: "Building 1",
    manager: u.carol,
  },
  {
    userPrincipalName: u.bob,
    displayName: "Bob Brown",
    givenName: "Bob",
    surname: "Brown",
    jobTitle: "Product Manager",
    officeLocation: "Building 1",
    manager: u.carol,
  },
  {
    userPrincipalName: u.carol,
    displayName: "Carol Clark",
    givenName: "Carol",
    surname: "Clark",
    jobTitle: "Engineering Director",
    officeLocation: "Building 2",
    manager: u.dan,
  },
  {
    userPrincipalName: u.dan,
    displayName: "Dan Davis",
    givenName: "Dan",
    surname: "Davis",
    jobTitle: "Chief Technology Officer",
    officeLocation: "Building 2",
  },
  {
    userPrincipalName: u.erin,
    displayName: "Erin Evans",
    givenName: "Erin",
    surname: "Evans",
    jobTitle: "Analyst",
    officeLocation: "Fabrikam HQ",
    manager: u.frank,
  },
  {
    userPrincipalName: u.frank,
    displayName: "Frank Foster",
    givenName: "Frank",
    surname: "Foster",
    jobTitle: "Chief Executive Officer",
    officeLocation: "Fabrikam HQ",
  },
  {
    userPrincipalName: u.agentUser,
    displayName: "Helper Agent",
    jobTitle: "Digital Worker",
    manager: u.carol,
    agentIdentity: EMULATOR_DEFAULTS.apps.agent.clientId,
  },
];

const a = EMULATOR_DEFAULTS.apps;

/** The default directory's app registrations, in dependency order. @internal */
export const DEFAULT_APPS: readonly AppRegistration[] = [
  {
    clientId: a.downstreamApi.clientId,
    displayName: "Contoso Orders API",
    exposedScopes: ["Orders.Read"],
    exposedRoles: ["Orders.Read.All"],
    multiTenant: true,
  },
  {
    clientId: a.api.clientId,
    displayName: "Contoso Web API",
    clientSecret: a.api.clientSecret,
    multiTenant: true,
    graphScopes: ["User.Read", "User.ReadBasic.All"],
    apiPermissions: { [a.downstreamApi.clientId]: { scopes: ["Orders.Read"] } },
  },
  {
    clientId: a.client.clientId,
    displayName: "Contoso SPA",
    multiTenant: true,
    apiPermissions: { [a.api.clientId]: { scopes: ["access_as_user"] } },
  },
  {
    clientId: a.blueprint.clientId,
    displayName: "Contoso Agent Blueprint",
    kind: "blueprint",
    clientSecret: a.blueprint.clientSecret,
    graphScopes: ["User.Read", "User.ReadBasic.All"],
  },
  {
    clientId: a.agent.clientId,
    displayName: "Contoso Helper Agent",
    kind: "agent",
    blueprint: a.blueprint.clientId,
    graphRoles: ["User.Read.All"],
  },
];
