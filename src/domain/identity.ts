// Who someone is in the organization, decided in one place: a role's scope and grants, and whether a
// user is an org admin. Every layer (commands, services, reviews, offboarding) asks here.

import { isAdminOrgRole } from './roles.js';

/** A role as servers send it: permissions as a list or as a map of permission → granted. */
export interface RoleLike {
  id: string;
  name: string;
  permissions?: Record<string, boolean> | string[] | null;
  scope?: 'org' | 'workspace' | null;
}

/** The permissions a role grants, whichever of the two wire forms it uses. */
export function grantedPermissions(r: Pick<RoleLike, 'permissions'>): string[] {
  const p = r.permissions ?? {};
  return Array.isArray(p) ? p : Object.keys(p).filter((k) => p[k] === true);
}

/** A role's scope; servers that do not say are inferred from the permission names (org ones contain ':'). */
export function roleScope(r: Pick<RoleLike, 'permissions' | 'scope'>): 'org' | 'workspace' {
  if (r.scope) return r.scope;
  const granted = grantedPermissions(r);
  return granted.length > 0 && granted.every((p) => p.includes(':')) ? 'org' : 'workspace';
}

/** True when a role makes its holder an org admin (admin on every workspace). */
export function isOrgAdminRole(r: Pick<RoleLike, 'permissions' | 'scope'>): boolean {
  return isAdminOrgRole({ scope: roleScope(r), permissions: grantedPermissions(r) });
}

export interface UserLike {
  tenant_admin?: boolean | null;
  org_role?: { id: string; name?: string } | null;
}

/**
 * True when a user is an org admin. When the server names the user's org role and the role is known,
 * the role decides (a custom org role granting `org:admin` counts; a demoted user whose flag lags
 * does not). Otherwise the wire's `tenant_admin` flag decides: the confirmed API has only that.
 */
export function isOrgAdmin(user: UserLike, roles: readonly RoleLike[]): boolean {
  const ref = user.org_role;
  if (ref) {
    const role = roles.find((r) => r.id === ref.id);
    if (role) return isOrgAdminRole(role);
  }
  return !!user.tenant_admin;
}
