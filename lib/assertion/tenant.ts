import { isGuid, type ResolvedAuthority } from "../options/authority.js";
import { OnBehalfOfError } from "../util/errors.js";

/**
 * The tenant a user's exchange goes to: the provider's own, or for a multi-tenant API the
 * caller's (the assertion's `tid`, never `/common`), when allowed.
 *
 * @param authority - the provider's authority
 * @param allowedTenants - the tenants a multi-tenant API serves, if restricted
 * @param claimedTenant - the assertion's `tid`
 * @throws {@link OnBehalfOfError} `ERR_OBO_USER_ASSERTION_MALFORMED` or `ERR_OBO_TENANT_NOT_ALLOWED`
 * @internal
 */
export function resolveTenant(
  authority: ResolvedAuthority,
  allowedTenants: ReadonlySet<string> | undefined,
  claimedTenant: string | undefined,
): string {
  if (!authority.multiTenant) return authority.tenant;
  if (claimedTenant === undefined || !isGuid(claimedTenant)) {
    throw new OnBehalfOfError(
      "ERR_OBO_USER_ASSERTION_MALFORMED",
      "The user assertion has no tenant id (tid claim), which a multi-tenant API needs to route the exchange.",
    );
  }
  if (allowedTenants !== undefined && !allowedTenants.has(claimedTenant)) {
    throw new OnBehalfOfError(
      "ERR_OBO_TENANT_NOT_ALLOWED",
      `The caller's tenant ${claimedTenant} is not in allowedTenants.`,
    );
  }
  return claimedTenant;
}
