import { decodeClaims } from "../../util/claims-challenge.js";

/**
 * Decodes the claims of a Continuous Access Evaluation challenge as the Kiota request adapter hands
 * them over (`additionalAuthenticationContext.claims`: the raw base64 of the `WWW-Authenticate`
 * header) into the JSON text the provider's `claims` option takes. JSON text is accepted as is.
 * Anything that is not a JSON object yields `undefined`.
 *
 * @param value - `additionalAuthenticationContext.claims`
 * @internal
 */
export function decodeChallengeClaims(value: unknown): string | undefined {
  return typeof value === "string" ? decodeClaims(value) : undefined;
}
