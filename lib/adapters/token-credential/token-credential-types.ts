/**
 * An abort signal as Azure SDKs pass it (structurally `@azure/abort-controller`'s
 * `AbortSignalLike`; a standard `AbortSignal` is one).
 */
export interface AbortSignalLike {
  /** Whether the operation was aborted. */
  readonly aborted: boolean;
  /** Registers a listener for the `abort` event. */
  addEventListener(
    type: "abort",
    listener: (this: AbortSignalLike, event: unknown) => unknown,
    options?: { readonly once?: boolean },
  ): void;
  /** Removes a listener of the `abort` event. */
  removeEventListener(
    type: "abort",
    listener: (this: AbortSignalLike, event: unknown) => unknown,
  ): void;
}

/**
 * The options an Azure SDK passes to `TokenCredential.getToken`: structurally `@azure/core-auth`'s
 * `GetTokenOptions` (every `GetTokenOptions` is one), with what the credential does with each.
 */
export interface GetTokenOptionsLike {
  /** Cancels the acquisition; it then rejects with `ERR_OBO_ABORTED`. */
  readonly abortSignal?: AbortSignalLike | undefined;
  /**
   * The claims of a Continuous Access Evaluation challenge, as JSON text (already base64-decoded,
   * as `@azure/core-rest-pipeline` passes them): the token is acquired with them, bypassing and
   * replacing the cached one.
   */
  readonly claims?: string | undefined;
  /**
   * The tenant (id) the token must come from. App-only and agent-user tokens are requested there.
   * A user's token comes from the tenant the provider sends the exchange to (the user's tenant, or
   * a single-tenant provider's own), so a token whose `tid` differs is refused with
   * `ERR_OBO_CONFIGURATION`.
   */
  readonly tenantId?: string | undefined;
  /**
   * Ignored: whether tokens can be challenged (client capability `cp1`) is the provider's
   * `clientCapabilities` option.
   */
  readonly enableCae?: boolean | undefined;
  /** Not supported: a request for a proof-of-possession token is refused with `ERR_OBO_CONFIGURATION`. */
  readonly proofOfPossessionOptions?: object | undefined;
  /** Ignored (the provider has its own timeouts); listed for compatibility. */
  readonly requestOptions?:
    | {
        /** A timeout for the token request, in milliseconds (ignored). */
        readonly timeout?: number | undefined;
      }
    | undefined;
  /** Ignored; listed for compatibility. */
  readonly tracingOptions?: object | undefined;
}

/** A token as `TokenCredential.getToken` returns it: structurally `@azure/core-auth`'s `AccessToken`. */
export interface AccessTokenLike {
  /** The access token. */
  readonly token: string;
  /**
   * When it expires, in milliseconds since the epoch: the token's `exp` claim (read, not
   * verified), or one minute from now for a token without a readable `exp`.
   */
  readonly expiresOnTimestamp: number;
  /** Always a bearer token. */
  readonly tokenType: "Bearer";
}

/**
 * An Azure `TokenCredential` (structurally `@azure/core-auth`'s) on an
 * `OnBehalfOfAuthenticationProvider`; see {@link asTokenCredential}.
 */
export interface OnBehalfOfTokenCredential {
  /**
   * Returns a token for the scopes, on behalf of the current user (or as the bound agent
   * identity).
   *
   * @param scopes - a scope or scopes, for example `"https://graph.microsoft.com/.default"`
   * @param options - claims, tenant and abort signal, as Azure SDKs pass them
   * @throws `OnBehalfOfError` with one of the `ERR_OBO_*` codes
   */
  getToken(scopes: string | string[], options?: GetTokenOptionsLike): Promise<AccessTokenLike>;
}
