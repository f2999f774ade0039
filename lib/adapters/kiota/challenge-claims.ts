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
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  const json = text.startsWith("{") ? text : Buffer.from(text, "base64").toString("utf8");
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? json
      : undefined;
  } catch {
    return undefined;
  }
}
