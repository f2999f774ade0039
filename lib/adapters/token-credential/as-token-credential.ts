import type { AgentTokenKind, AgentUser } from "../../request/agent-selection.js";
import { OnBehalfOfError, configurationError } from "../../util/errors.js";
import type {
  OnBehalfOfAuthenticationProvider,
  OnBehalfOfTokenOptions,
} from "../graph/on-behalf-of-authentication-provider.js";
import { followAbortSignal } from "./abort-signal.js";
import { readIssuedTokenClaims } from "./issued-token-claims.js";
import type {
  AccessTokenLike,
  GetTokenOptionsLike,
  OnBehalfOfTokenCredential,
} from "./token-credential-types.js";

/**
 * What a credential from {@link asTokenCredential} is bound to: the provider's per-request options
 * that every `getToken` call uses. Scopes, claims and tenant come with each call.
 */
export interface AsTokenCredentialOptions {
  /**
   * The user assertion (the incoming access token) for every call, instead of the provider's
   * accessor (by default the request context of {@link runWithUserAssertion}).
   */
  readonly userAssertion?: string | undefined;
  /**
   * The agent identity (its client id) the tokens are for, instead of the provider's
   * `agentIdentity`; `null` opts out of the provider's default.
   */
  readonly agentIdentity?: string | null | undefined;
  /**
   * Which token of the agent identity to get.
   *
   * @defaultValue `"agent-user"` when `agentUser` is given, otherwise `"obo"`
   */
  readonly tokenKind?: AgentTokenKind | undefined;
  /** For `agent-user` tokens: the agent's user account. */
  readonly agentUser?: AgentUser | undefined;
  /**
   * For `app-only` and `agent-user` tokens: the agent identity's tenant id, when no `tenantId`
   * comes with the call. A call naming another tenant is refused.
   */
  readonly tenantId?: string | undefined;
  /**
   * A long-running session's key (`startSession`): every call gets the session's token, with no
   * incoming request. Not with `userAssertion`, `agentIdentity`, `tokenKind`, `agentUser` or
   * `tenantId`. A credential bound to a session may be shared by a job's clients: the session is
   * one user's.
   */
  readonly session?: string | undefined;
}

/**
 * Tokens whose expiry cannot be read are reported as expiring this soon: a consumer asks again
 * shortly, and the provider answers from its cache. It is within the provider's default
 * `expirySkewMs` (two minutes), the least lifetime left on any token it serves.
 */
const UNKNOWN_EXPIRY_MS = 60_000;

function sameTenant(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function tenantMismatch(requested: string, actual: string | undefined): OnBehalfOfError {
  return configurationError(
    "tenantId",
    actual === undefined
      ? `asks for a token from tenant ${requested}, but the token's tenant cannot be read.`
      : `asks for a token from tenant ${requested}, but the user's token comes from tenant ${actual}.`,
  );
}

/**
 * An Azure `TokenCredential` on an `OnBehalfOfAuthenticationProvider`: every `getToken` call is an
 * On-Behalf-Of exchange for the current request's user (or, when bound to them, an agent
 * identity's token), through the provider's engine and cache. Any Azure SDK client, the Graph v3
 * `TokenCredentialAuthenticationProvider` or Kiota's `AzureIdentityAuthenticationProvider` can
 * then call APIs on behalf of the user.
 *
 * @remarks
 * - `getToken(scopes, { claims, tenantId, abortSignal })`: claims (JSON text) are passed to the
 *   provider, which then bypasses and replaces its cached token; `tenantId` selects the tenant of
 *   app-only and agent-user tokens, and is checked against the `tid` of a user's token;
 *   `abortSignal` cancels the acquisition.
 * - The expiry is read from the token's `exp` claim (not verified).
 * - **Azure SDK clients cache the token they get, per client and not per user**
 *   (`bearerTokenAuthenticationPolicy`). Never share such a client between users: create it per
 *   request, with a credential bound to that request's user (`{ userAssertion }`), or at least
 *   inside that request's {@link runWithUserAssertion}. The Graph v3 and Kiota adapters ask the
 *   credential on every request, so one of those clients can serve every user.
 *
 * @param provider - the provider whose engine and cache serve the tokens
 * @param options - what to bind every call to: user assertion, agent identity, token kind
 * @returns a `TokenCredential`
 * @throws `OnBehalfOfError` `ERR_OBO_CONFIGURATION` when `provider` is not a provider
 *
 * @example Graph v3 with its stock TokenCredentialAuthenticationProvider
 * ```ts
 * import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
 * const credential = asTokenCredential(provider);
 * const graph = Client.initWithMiddleware({
 *   authProvider: new TokenCredentialAuthenticationProvider(credential, {
 *     scopes: ["https://graph.microsoft.com/.default"],
 *   }),
 * });
 * ```
 *
 * @example An Azure SDK client per request, as an agent identity
 * ```ts
 * app.get("/files", async (req, res) => {
 *   const credential = asTokenCredential(provider, {
 *     userAssertion: req.headers.authorization,
 *     agentIdentity: AGENT_ID,
 *   });
 *   const blobs = new BlobServiceClient(ACCOUNT_URL, credential);
 *   // ...
 * });
 * ```
 */
export function asTokenCredential(
  provider: Pick<OnBehalfOfAuthenticationProvider, "getAccessToken">,
  options: AsTokenCredentialOptions = {},
): OnBehalfOfTokenCredential {
  if (typeof (provider as Partial<typeof provider> | undefined)?.getAccessToken !== "function") {
    throw new OnBehalfOfError(
      "ERR_OBO_CONFIGURATION",
      "asTokenCredential needs an OnBehalfOfAuthenticationProvider.",
      { option: "provider" },
    );
  }
  const bound: OnBehalfOfTokenOptions = Object.freeze(
    Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  );
  const onBehalfOfUser =
    (options.tokenKind ?? (options.agentUser === undefined ? "obo" : "agent-user")) === "obo";

  async function getToken(
    scopes: string | string[],
    getTokenOptions: GetTokenOptionsLike = {},
  ): Promise<AccessTokenLike> {
    if (getTokenOptions.proofOfPossessionOptions !== undefined) {
      throw configurationError(
        "proofOfPossessionOptions",
        "asks for a proof-of-possession token; only bearer tokens are available On-Behalf-Of.",
      );
    }
    const tenantId = nonEmpty(getTokenOptions.tenantId);
    if (
      tenantId !== undefined &&
      !onBehalfOfUser &&
      bound.tenantId !== undefined &&
      !sameTenant(bound.tenantId, tenantId)
    ) {
      throw configurationError(
        "tenantId",
        `asks for a token from tenant ${tenantId}, but the credential is bound to tenant ${bound.tenantId}.`,
      );
    }
    const claims = nonEmpty(getTokenOptions.claims);
    const abort = followAbortSignal(getTokenOptions.abortSignal);
    const tokenOptions: OnBehalfOfTokenOptions = {
      ...bound,
      scopes: typeof scopes === "string" ? [scopes] : scopes,
      ...(tenantId === undefined || onBehalfOfUser ? {} : { tenantId }),
      ...(claims === undefined ? {} : { claims }),
      ...(abort.signal === undefined ? {} : { abortSignal: abort.signal }),
    };

    let token: string;
    try {
      token = await provider.getAccessToken(tokenOptions);
    } finally {
      abort.release();
    }
    const read = readIssuedTokenClaims(token);
    if (tenantId !== undefined && onBehalfOfUser && read.tenantId !== tenantId.toLowerCase()) {
      throw tenantMismatch(tenantId, read.tenantId);
    }
    return {
      token,
      expiresOnTimestamp: read.expiresAtMs ?? Date.now() + UNKNOWN_EXPIRY_MS,
      tokenType: "Bearer",
    };
  }

  return Object.freeze({ getToken });
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}
