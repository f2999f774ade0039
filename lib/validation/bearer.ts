/**
 * Reads the token of an `Authorization: Bearer <token>` header. Returns `undefined` when the header
 * is missing, empty, or uses another scheme: per RFC 6750 §3.1 such a request carries no
 * authentication information.
 *
 * @param header - the `Authorization` header's value
 * @internal
 */
export function bearerToken(header: string | readonly string[] | undefined): string | undefined {
  const value: unknown = typeof header === "string" ? header : header?.[0];
  if (typeof value !== "string") return undefined;
  const match = /^\s*bearer(?:\s+(.*))?$/is.exec(value);
  const token = match?.[1]?.trim();
  return token === undefined || token === "" ? undefined : token;
}

/** Keeps the characters RFC 6750 §3 allows in `error_description`: %x20-21 / %x23-5B / %x5D-7E. */
function descriptionText(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, (char) =>
    char === '"' || char === "\\" ? "'" : " ",
  );
}

/** Keeps the characters RFC 6750 §3 allows in `realm` (and any quoted string): no `"` or `\`. */
function quotedText(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "");
}

/** The attributes of a `WWW-Authenticate: Bearer` challenge. @internal */
export interface BearerChallenge {
  readonly realm: string;
  readonly error?: "invalid_token" | "insufficient_scope";
  readonly description?: string;
  readonly scope?: readonly string[];
}

/**
 * Formats a `WWW-Authenticate` challenge (RFC 6750 §3); every value is reduced to the characters
 * allowed in its quoted string.
 *
 * @param challenge - the attributes
 * @internal
 */
export function bearerChallenge(challenge: BearerChallenge): string {
  const parts = [`Bearer realm="${quotedText(challenge.realm)}"`];
  if (challenge.error !== undefined) parts.push(`error="${challenge.error}"`);
  if (challenge.description !== undefined) {
    parts.push(`error_description="${descriptionText(challenge.description)}"`);
  }
  if (challenge.scope !== undefined && challenge.scope.length > 0) {
    parts.push(`scope="${quotedText(challenge.scope.join(" "))}"`);
  }
  return parts.join(", ");
}
