import type { ConfidentialClientApplication, Configuration } from "@azure/msal-node";
import type { MsalCredential } from "./credentials/client-credential.js";
import { IsolatedConfidentialClient } from "./msal/isolated-client.js";
import type { ObservingNetworkClient } from "./msal/network-client.js";
import { authorityUrl } from "../options/authority.js";
import type { ResolvedOptions } from "../options/resolve-options.js";
import { configurationError } from "../util/errors.js";
import { msalLoggerOptions, type InternalLogger } from "../util/logger.js";

/** What the factory is built with. @internal */
export interface MsalClientFactoryOptions {
  /** The provider's resolved options (authority, MSAL settings, client capabilities). */
  readonly options: Pick<
    ResolvedOptions,
    "authority" | "msalSystemOptions" | "msalAuthorityOptions" | "clientCapabilities"
  >;
  /** The one network client every MSAL client of the provider shares. */
  readonly network: ObservingNetworkClient;
  readonly log: InternalLogger;
}

/**
 * Builds the provider's MSAL clients, all alike: an {@link IsolatedConfidentialClient} (no throttle
 * entry shared between users), the provider's network client and logger, its authority settings,
 * and its client capabilities when asked for.
 *
 * @internal
 */
export class MsalClientFactory {
  readonly #settings: MsalClientFactoryOptions;

  public constructor(settings: MsalClientFactoryOptions) {
    this.#settings = settings;
  }

  /** Whether the provider declares client capabilities (then credential legs need their own client). */
  public get hasCapabilities(): boolean {
    return this.#settings.options.clientCapabilities !== undefined;
  }

  /**
   * An MSAL client for `clientId` in `tenant` with `credential`; with the provider's client
   * capabilities when `withCapabilities` (legs whose token reaches a resource), without them
   * otherwise (credential legs, whose tokens only Entra reads).
   *
   * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` when MSAL refuses the authority
   */
  public create(
    clientId: string,
    tenant: string,
    credential: MsalCredential,
    withCapabilities: boolean,
  ): ConfidentialClientApplication {
    const { options, network, log } = this.#settings;
    const { authority, msalSystemOptions, msalAuthorityOptions, clientCapabilities } = options;
    const configuration: Configuration = {
      auth: {
        clientId,
        authority: authorityUrl(authority, tenant),
        ...credential,
        ...(msalAuthorityOptions ?? {}),
        ...(withCapabilities && clientCapabilities !== undefined
          ? { clientCapabilities: [...clientCapabilities] }
          : {}),
      },
      system: {
        ...(msalSystemOptions ?? {}),
        networkClient: network,
        loggerOptions: msalLoggerOptions(log),
      },
    };
    try {
      return new IsolatedConfidentialClient(configuration);
    } catch (cause) {
      throw configurationError("authority", "was refused by MSAL.", cause);
    }
  }
}
