/** Microsoft Graph's application id. */
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
/** Microsoft Graph's resource URI (the `aud` of Graph tokens). */
export const GRAPH_RESOURCE = "https://graph.microsoft.com";
/** The resource agent identity blueprints request exchange tokens (T1) for. */
export const TOKEN_EXCHANGE_RESOURCE = "api://AzureADTokenExchange";
