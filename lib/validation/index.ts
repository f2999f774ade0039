// Inbound access-token validation for web APIs protected by Microsoft Entra ID, and an Express
// middleware that also sets the request context for the On-Behalf-Of provider.
export type { AccessTokenClaims } from "./claims.js";
export { describeCaller, type CallerDescription, type CallerKind } from "./caller.js";
export type {
  AccessTokenValidationOptions,
  AccessTokenKeySource,
  CertificateAuthorities,
} from "./options.js";
export {
  validateAccessToken,
  createAccessTokenValidator,
  type AccessTokenValidator,
} from "./validate-access-token.js";
export {
  requireAccessToken,
  type RequireAccessTokenOptions,
  type AccessTokenMiddleware,
  type AccessTokenRequest,
  type AccessTokenResponse,
} from "./require-access-token.js";
