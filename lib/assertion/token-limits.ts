/**
 * The default bound on the length of an incoming access token, in bytes (characters: a JWT is
 * ASCII). Entra's access tokens are 1–4 KB; a user in a few hundred groups gets a groups overage
 * claim instead of the list, so real tokens stay far below this. A larger one is refused before it
 * is hashed, decoded or sent anywhere.
 */
export const DEFAULT_MAX_TOKEN_BYTES: number = 16 * 1024;
