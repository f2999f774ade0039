import type { EmulatorContext } from "./context.js";
import { EMULATOR_DEFAULTS } from "./default-directory.js";
import { EmulatorError } from "./errors.js";
import { requireUser } from "./lookups.js";
import { TokenIssuer } from "./token/token-issuer.js";

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
  /**
   * Write the API's client id (default) or its app ID URI as `aud`. An app ID URI audience makes
   * the token a v1.0 token, as Entra only writes one there.
   */
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

/**
 * Mints the access token a client gets when a user signs in and asks for a token for an API.
 *
 * @param ctx - the emulator
 * @param options - user, API, scopes, lifetime
 * @internal
 */
export async function signIn(ctx: EmulatorContext, options: SignInOptions): Promise<string> {
  const { directory } = ctx;
  const user = requireUser(directory, options.user);
  if (options.tenant !== undefined && directory.findTenant(options.tenant)?.id !== user.tenantId) {
    throw new EmulatorError(
      `signIn: ${user.userPrincipalName} is not a member of tenant ${options.tenant}.`,
    );
  }
  const apiId = options.clientId ?? EMULATOR_DEFAULTS.apps.api.clientId;
  const resource = directory.findResource(apiId);
  if (resource === undefined || resource.kind === "token-exchange") {
    throw new EmulatorError(`signIn: ${apiId} is not a registered API.`);
  }
  if (
    resource.app !== undefined &&
    directory.appInTenant(resource.app.clientId, user.tenantId) === undefined
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
    (directory.findApp(EMULATOR_DEFAULTS.apps.client.clientId) === undefined
      ? resource.app?.clientId
      : EMULATOR_DEFAULTS.apps.client.clientId);
  const client = clientAppId === undefined ? undefined : directory.findApp(clientAppId);
  if (client === undefined)
    throw new EmulatorError("signIn: give clientAppId, a registered client app.");
  if (options.expiresInSeconds !== undefined && !Number.isInteger(options.expiresInSeconds)) {
    throw new EmulatorError("signIn: expiresInSeconds must be a whole number.");
  }
  const issued = await new TokenIssuer(ctx).userToken({
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
