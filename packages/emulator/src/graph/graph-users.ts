import type { DirectoryUser } from "../directory.js";

const USER_FIELDS = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
] as const;

/**
 * A user as Microsoft Graph v1.0 returns it, with `$select` applied.
 *
 * @param user - the directory user
 * @param context - the `@odata.context` to write
 * @param select - the `$select` fields, if any
 * @param asDirectoryObject - adds `@odata.type` (for `/manager`)
 * @internal
 */
export function graphUser(
  user: DirectoryUser,
  context: string,
  select: readonly string[] | undefined,
  asDirectoryObject: boolean,
): Record<string, unknown> {
  const all: Record<(typeof USER_FIELDS)[number], unknown> = {
    businessPhones: [],
    displayName: user.displayName,
    givenName: user.givenName,
    jobTitle: user.jobTitle,
    mail: user.mail,
    mobilePhone: null,
    officeLocation: user.officeLocation,
    preferredLanguage: "en-US",
    surname: user.surname,
    userPrincipalName: user.userPrincipalName,
    id: user.id,
  };
  const body: Record<string, unknown> = { "@odata.context": context };
  if (asDirectoryObject) body["@odata.type"] = "#microsoft.graph.user";
  const wanted =
    select === undefined
      ? USER_FIELDS
      : USER_FIELDS.filter((f) => select.some((s) => s.toLowerCase() === f.toLowerCase()));
  for (const field of wanted) body[field] = all[field];
  if (select !== undefined && !wanted.includes("id")) body.id = user.id;
  return body;
}
