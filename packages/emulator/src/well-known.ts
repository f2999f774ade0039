/** Microsoft Graph's application id. */
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
/** Microsoft Graph's resource URI (the `aud` of Graph tokens). */
export const GRAPH_RESOURCE = "https://graph.microsoft.com";
/** The resource agent identity blueprints request exchange tokens (T1) for. */
export const TOKEN_EXCHANGE_RESOURCE = "api://AzureADTokenExchange";
/**
 * The exchange audiences of the other clouds. The emulator is a public-cloud Entra: it issues
 * tokens for them, but refuses them as federated credentials with AADSTS70022204, as a public-cloud
 * tenant does (AzureAD/microsoft-authentication-library-for-dotnet
 * docs/fic-token-exchange-auto-resolution-design.md).
 *
 * @internal
 */
export const OTHER_CLOUD_EXCHANGE_RESOURCES: readonly string[] = [
  "api://AzureADTokenExchangeUSGov",
  "api://AzureADTokenExchangeChina",
  "api://AzureADTokenExchangeFrance",
  "api://AzureADTokenExchangeGermany",
];

/**
 * Whether an audience is the emulator's (the public cloud's) exchange audience; casing varies
 * between Microsoft SDKs (`AzureADTokenExchange`, `AzureAdTokenExchange`).
 *
 * @param aud - an audience
 * @internal
 */
export function isExchangeAudience(aud: string): boolean {
  return aud.toLowerCase() === TOKEN_EXCHANGE_RESOURCE.toLowerCase();
}

/**
 * Whether an audience is another cloud's exchange audience.
 *
 * @param aud - an audience
 * @internal
 */
export function isOtherCloudExchangeAudience(aud: string): boolean {
  return OTHER_CLOUD_EXCHANGE_RESOURCES.some((r) => r.toLowerCase() === aud.toLowerCase());
}
