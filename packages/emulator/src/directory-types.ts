/** A tenant of the emulated directory. */
export interface TenantInput {
  /** The tenant id (a GUID). @defaultValue derived from the first domain */
  readonly id?: string;
  /** Display name, used in error messages. @defaultValue the first domain */
  readonly displayName?: string;
  /** Verified domains, e.g. `contoso.example`; the first is the default. Each works in URLs too. */
  readonly domains: readonly string[];
}

/** A user of the emulated directory. */
export interface UserInput {
  /** The user principal name, e.g. `alice@contoso.example`. Its domain picks the tenant. */
  readonly userPrincipalName: string;
  /** Display name. @defaultValue derived from the UPN */
  readonly displayName?: string;
  /** The tenant, when the UPN's domain is not one of its domains. */
  readonly tenant?: string;
  /** The object id (a GUID). @defaultValue derived from tenant and UPN, the same on every run */
  readonly id?: string;
  /** Graph's `givenName`. */
  readonly givenName?: string;
  /** Graph's `surname`. */
  readonly surname?: string;
  /** @defaultValue the UPN */
  readonly mail?: string;
  /** Graph's `jobTitle`. */
  readonly jobTitle?: string;
  /** Graph's `officeLocation`. */
  readonly officeLocation?: string;
  /** The manager: a UPN or object id of a user in the same tenant. */
  readonly manager?: string;
  /**
   * Makes this user an agent's user account (agent user): the client id of the agent identity
   * that may get tokens for it with the `user_fic` grant.
   */
  readonly agentIdentity?: string;
  /**
   * For an agent's user account: delegated Microsoft Graph permissions granted to its agent
   * identity for this user only (a per-user grant). They add to the agent's tenant-wide grants,
   * which it inherits from its blueprint.
   *
   * @defaultValue `[]`
   */
  readonly agentGraphScopes?: readonly string[];
}

/** A certificate credential registered on an app: the certificate, or a public key with thumbprints. */
export type CertificateInput =
  | {
      /** The PEM certificate; its thumbprints are computed. */
      readonly certificatePem: string;
    }
  | {
      /** The PEM public key (SPKI). */
      readonly publicKeyPem: string;
      /** Hex SHA-256 thumbprint of the certificate (matched against `x5t#S256`). */
      readonly thumbprintSha256?: string;
      /** Hex SHA-1 thumbprint of the certificate (matched against `x5t`). */
      readonly thumbprint?: string;
    };

/** What an app may do on a resource: delegated scopes (consented) and application roles (granted). */
export interface ResourcePermissions {
  /** Consented delegated permissions, e.g. `["User.Read"]`. */
  readonly scopes?: readonly string[];
  /** Granted application permissions, e.g. `["User.Read.All"]`. */
  readonly roles?: readonly string[];
}

/**
 * The kind of an app registration.
 *
 * - `app`: an ordinary application (a web API or a client);
 * - `blueprint`: an agent identity blueprint, which gets exchange tokens (T1) for its agents with
 *   `fmi_path`;
 * - `agent`: an agent identity: no credentials of its own, it authenticates with its blueprint's
 *   exchange token.
 */
export type AppKind = "app" | "blueprint" | "agent";

/** An app registration (and its service principal). */
export interface AppRegistration {
  /** The application (client) id, a GUID. @defaultValue a random GUID */
  readonly clientId?: string;
  /** Display name (`app_displayname` in v1 tokens). */
  readonly displayName?: string;
  /** The home tenant (id or domain). @defaultValue the directory's first tenant */
  readonly tenant?: string;
  /** @defaultValue `"app"` */
  readonly kind?: AppKind;
  /** For `kind: "agent"`: the client id of its blueprint. */
  readonly blueprint?: string;
  /**
   * Whether the app can be used in every tenant of the emulator (as if consented there). Agent
   * identities are always single-tenant.
   *
   * @defaultValue false
   */
  readonly multiTenant?: boolean;
  /** A client secret. Not for agents. */
  readonly clientSecret?: string;
  /** Certificate credentials. Not for agents. */
  readonly certificates?: readonly CertificateInput[];
  /** One certificate credential (shorthand for `certificates: [certificate]`). */
  readonly certificate?: CertificateInput;
  /** The application ID URI. @defaultValue `api://<clientId>` */
  readonly appIdUri?: string;
  /**
   * Delegated scopes this app exposes as an API.
   *
   * @defaultValue `["access_as_user"]`, plus `"access_agent"` for blueprints
   */
  readonly exposedScopes?: readonly string[];
  /** Application roles this app exposes as an API. @defaultValue `[]` */
  readonly exposedRoles?: readonly string[];
  /**
   * Consented delegated Microsoft Graph permissions. Agents also inherit their blueprint's.
   *
   * @defaultValue `["User.Read"]`
   */
  readonly graphScopes?: readonly string[];
  /** Granted Microsoft Graph application permissions. @defaultValue `[]` */
  readonly graphRoles?: readonly string[];
  /** Permissions on other APIs registered in the emulator, keyed by client id or app ID URI. */
  readonly apiPermissions?: Readonly<Record<string, ResourcePermissions>>;
}
