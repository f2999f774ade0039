import type { EmulatorContext } from "../../context.js";
import type { Tenant } from "../../directory.js";
import type { ClaimsRequest } from "../claims-request.js";
import type { AuthenticatedClient } from "../client-authentication.js";
import type { TokenIssuer } from "../token-issuer.js";

/** What every grant handler gets. @internal */
export interface GrantContext {
  readonly ctx: EmulatorContext;
  readonly issuer: TokenIssuer;
  readonly form: URLSearchParams;
  readonly tenant: Tenant;
  readonly client: AuthenticatedClient;
  readonly claims: ClaimsRequest;
}

/** A successful token response body. @internal */
export type TokenResponse = Record<string, unknown>;
