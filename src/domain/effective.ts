// The permission rules of docs/semantics.md, as pure functions shared by the sandbox (which enforces them
// on every request) and the CLI (which explains them).

import {
  expandOrgPermissions,
  expandWorkspacePermissions,
  isOrgPermission,
  isWorkspacePermission,
  sortPermissions,
  WORKSPACE_PERMISSIONS,
} from './permissions.js';
import { isAdminOrgRole, type RoleDef } from './roles.js';

export type UserStatus = 'invited' | 'active' | 'suspended' | 'removed';

type RoleLike = Pick<RoleDef, 'name' | 'scope' | 'permissions'>;

/** What the rules need to know about a user, seen from one workspace. */
export interface HolderView {
  status: UserStatus;
  orgRole: RoleLike | undefined;
  /** The user's role in the workspace in question, if any. */
  workspaceRole: RoleLike | undefined;
}

export type PermissionSource = 'org_admin' | 'workspace_role' | 'none' | 'inactive';

export interface WorkspaceGrant {
  permissions: string[];
  source: PermissionSource;
}

/** Effective permissions of a user in a workspace: all if org admin, else their role's, else none. */
export function userWorkspacePermissions(h: HolderView): WorkspaceGrant {
  if (h.status !== 'active') return { permissions: [], source: 'inactive' };
  if (isAdminOrgRole(h.orgRole)) return { permissions: [...WORKSPACE_PERMISSIONS], source: 'org_admin' };
  if (h.workspaceRole) {
    return { permissions: expandWorkspacePermissions(h.workspaceRole.permissions), source: 'workspace_role' };
  }
  return { permissions: [], source: 'none' };
}

export function userOrgPermissions(h: Pick<HolderView, 'status' | 'orgRole'>): string[] {
  if (h.status !== 'active' || !h.orgRole) return [];
  return expandOrgPermissions(h.orgRole.permissions);
}

export function intersect(a: Iterable<string>, b: Iterable<string>): string[] {
  const bs = new Set(b);
  return sortPermissions([...a].filter((p) => bs.has(p)));
}

export function difference(a: Iterable<string>, b: Iterable<string>): string[] {
  const bs = new Set(b);
  return sortPermissions([...a].filter((p) => !bs.has(p)));
}

/** What a key asks for: its restriction (expanded), or every workspace permission when unrestricted. */
export function keyRequested(restriction: readonly string[] | null): string[] {
  return restriction === null ? [...WORKSPACE_PERMISSIONS] : expandWorkspacePermissions(restriction);
}

/**
 * effective = (restricted ? restriction : all workspace perms) ∩ holder's current permissions.
 * Computed on every request, so a demotion shrinks the key and a re-promotion restores it up to
 * its restriction.
 */
export function keyWorkspacePermissions(restriction: readonly string[] | null, holder: HolderView): string[] {
  return intersect(keyRequested(restriction), userWorkspacePermissions(holder).permissions);
}

/**
 * Org-level permissions of a user-held key: only a `tenant_admin` key carries any, and only while
 * its holder is an org admin.
 */
export function keyOrgPermissions(
  tenantAdmin: boolean,
  holder: Pick<HolderView, 'status' | 'orgRole'>,
): string[] {
  if (!tenantAdmin || holder.status !== 'active' || !isAdminOrgRole(holder.orgRole)) return [];
  return userOrgPermissions(holder);
}

export interface Clip {
  permission: string;
  reason: string;
  code: 'holder_inactive' | 'no_membership' | 'role_lacks';
}

/**
 * Permissions a key was granted (its baseline: the effective set at creation) that it no longer has,
 * each with the reason. A key whose clip list is non-empty is "degraded".
 */
export function clippedPermissions(
  baseline: readonly string[],
  holder: HolderView,
  names: { holder: string; workspace: string },
): Clip[] {
  const grant = userWorkspacePermissions(holder);
  const missing = difference(baseline, grant.permissions);
  return missing.map((permission) => {
    if (grant.source === 'inactive') {
      return { permission, code: 'holder_inactive', reason: `holder ${names.holder} is ${holder.status}` };
    }
    if (grant.source === 'none') {
      return {
        permission,
        code: 'no_membership',
        reason: `holder ${names.holder} has no role in ${names.workspace}`,
      };
    }
    return {
      permission,
      code: 'role_lacks',
      reason: `holder's role in ${names.workspace} is ${holder.workspaceRole?.name ?? 'none'}, which lacks ${permission}`,
    };
  });
}

export interface RestrictionCheck {
  /** Names that are not workspace permissions at all (org permissions are reported separately). */
  unknown: string[];
  /** Org-level permission names asked for on a workspace key. */
  orgScoped: string[];
  /** Valid workspace permissions the creator (or owner) does not currently hold. */
  missing: string[];
  empty: boolean;
}

/**
 * Validates a requested restriction against the holders it must fit at creation: a key can never
 * have more permissions than its creator (nor than the service account that will own it).
 */
export function checkRestriction(
  requested: readonly string[] | null,
  ...bounds: ReadonlyArray<readonly string[]>
): RestrictionCheck {
  if (requested === null) return { unknown: [], orgScoped: [], missing: [], empty: false };
  const unknown = requested.filter((p) => !isWorkspacePermission(p) && !isOrgPermission(p));
  const orgScoped = requested.filter((p) => isOrgPermission(p));
  const valid = requested.filter((p) => isWorkspacePermission(p));
  const expanded = expandWorkspacePermissions(valid);
  const missing = new Set<string>();
  for (const bound of bounds) for (const p of difference(expanded, bound)) missing.add(p);
  return {
    unknown: [...new Set(unknown)],
    orgScoped: [...new Set(orgScoped)],
    missing: sortPermissions(missing),
    empty: requested.length === 0,
  };
}

export function restrictionIsValid(c: RestrictionCheck): boolean {
  return !c.empty && c.unknown.length === 0 && c.orgScoped.length === 0 && c.missing.length === 0;
}
