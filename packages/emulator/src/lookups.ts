import type { Directory, DirectoryUser } from "./directory.js";
import { EmulatorError } from "./errors.js";

/**
 * A user by UPN or object id, or an {@link EmulatorError} naming it.
 *
 * @param directory - the directory
 * @param idOrUpn - the UPN or object id
 * @internal
 */
export function requireUser(directory: Directory, idOrUpn: string): DirectoryUser {
  const user = directory.findUser(idOrUpn);
  if (user === undefined) throw new EmulatorError(`user "${idOrUpn}" is not in the directory.`);
  return user;
}
