// Authorization: one named check per action, implementing the rules of docs/authorization.md (D1–D8;
// D9 and D10 are input rules and live in the model). Routes call these and nothing else to decide who
// may do what; auth.ts only establishes who is calling and its org permissions (D1, computed once per
// request in authenticate). Every check either returns or throws the HttpError the caller receives.

import {
  expandWorkspacePermissions,
  ORG_PERMISSIONS,
  sortPermissions,
  WORKSPACE_PERMISSIONS,
} from '../domain/permissions.js';
import { isAdminOrgRole } from '../domain/roles.js';
import {
  type Principal,
  requireOrg,
  requireOrgOrWorkspace,
  requireWorkspace,
  workspaceDenied,
} from './auth.js';
import { HttpError } from './errors.js';
import type { Model } from './model.js';
import type { GroupRow, KeyRow, RoleRow, UserRow } from './store.js';

export { type Principal, requireOrg, requireOrgOrWorkspace, requireWorkspace, workspaceDenied };

const NONE: ReadonlySet<string> = new Set();
const ALL_WORKSPACE: ReadonlySet<string> = new Set(WORKSPACE_PERMISSIONS);

/** D2: an org admin is admin in every workspace; otherwise only a key of W has permissions in W. */
export function workspacePermissionsIn(p: Principal, groupId: string | null): ReadonlySet<string> {
  if (p.orgPerms.has('org:admin')) return ALL_WORKSPACE;
  if (groupId !== null && p.key.group_id === groupId) return p.wsPerms;
  return NONE;
}

/** A person's own tenant-admin key whose holder is an active org admin (D4, D5). */
function isOrgAdminPersonKey(p: Principal): boolean {
  return (
    p.key.kind === 'workspace' &&
    p.key.tenant_admin &&
    p.holder?.kind === 'human' &&
    p.holder.status === 'active' &&
    p.orgPerms.has('org:admin')
  );
}

function forbidden(detail: string, missing: string[], deniedBy?: string): HttpError {
  return new HttpError(403, detail, deniedBy ? { missing, denied_by: deniedBy } : { missing });
}

// ---- workspace keys (D3) -------------------------------------------------------------------------

/** D3 (a): org users:write, workspace_admin in K's workspace through a key of it, or K's creator/holder. */
export function mayManageKey(p: Principal, k: KeyRow): boolean {
  return (
    p.orgPerms.has('users:write') ||
    (k.group_id !== null && p.key.group_id === k.group_id && p.wsPerms.has('workspace_admin')) ||
    (p.holder !== undefined && (k.created_by === p.holder.id || k.owner_id === p.holder.id))
  );
}

export function maySeeKey(p: Principal, k: KeyRow): boolean {
  return p.orgPerms.has('users:read') || mayManageKey(p, k);
}

/** D3 (b): what the caller lacks of everything K holds (workspace restriction, and org powers if tenant admin). */
function lacksForKey(p: Principal, k: KeyRow): { missing: string[]; byRole: boolean } {
  const ws = workspacePermissionsIn(p, k.group_id);
  const wanted = k.restriction ?? WORKSPACE_PERMISSIONS;
  const missingWs = wanted.filter((x) => !ws.has(x));
  const missingOrg = k.tenant_admin ? ORG_PERMISSIONS.filter((x) => !p.orgPerms.has(x)) : [];
  const byRole = missingOrg.length > 0 || missingWs.some((x) => !p.holderWsPerms.has(x));
  return { missing: sortPermissions([...missingOrg, ...missingWs]), byRole };
}

function checkKeyChange(p: Principal, k: KeyRow, verb: 'rotate' | 'revoke'): void {
  if (!mayManageKey(p, k)) {
    throw forbidden(`missing permission users:write to ${verb} this key`, ['users:write']);
  }
  const { missing, byRole } = lacksForKey(p, k);
  if (missing.length) {
    throw forbidden(
      `missing permission ${missing.join(', ')}: the calling key cannot ${verb} a key that holds more than it does`,
      missing,
      byRole ? 'role' : 'restriction',
    );
  }
}

export function canRevokeKey(p: Principal, k: KeyRow): void {
  checkKeyChange(p, k, 'revoke');
}

/** D3: rotation hands out a new secret with K's powers, so the caller must already hold all of them. */
export function canRotateKey(p: Principal, k: KeyRow): void {
  checkKeyChange(p, k, 'rotate');
  if (p.key.restriction !== null && k.restriction === null) {
    throw forbidden(
      'a restricted key cannot rotate an unrestricted key; use an unrestricted key',
      [],
      'restriction',
    );
  }
}

/** Minting a workspace key in W: the model bounds its permissions; here, who may mint at all. */
export function canCreateWorkspaceKey(
  p: Principal,
  g: GroupRow,
  body: { tenant_admin?: boolean; owner_id?: string | null },
): void {
  const sameGroup = p.key.group_id === g.id;
  if (!p.holder || !sameGroup) requireOrg(p, 'users:write');
  // A key without org powers must not mint one that has them.
  if (body.tenant_admin) requireOrg(p, 'org:admin');
  if (body.owner_id && !p.orgPerms.has('users:write') && !(sameGroup && p.wsPerms.has('users_edit'))) {
    throw workspaceDenied(p, 'users_edit');
  }
}

// ---- system keys and act-as (D4, D5) ---------------------------------------------------------------

/** D4: list, create, rotate, revoke system keys only with an org admin's own tenant-admin key. */
export function canManageSystemKeys(p: Principal): void {
  if (p.key.kind === 'system') {
    throw forbidden(
      "system keys are managed with an org admin's own tenant-admin key, not with a system key",
      ['org:admin'],
      'key',
    );
  }
  requireOrg(p, 'org:admin');
  if (!isOrgAdminPersonKey(p)) {
    throw forbidden("system keys are managed with an org admin's own tenant-admin key", ['org:admin'], 'key');
  }
}

/** D4: rotating or revoking system key K also needs every org permission K carries. */
export function canChangeSystemKey(p: Principal, k: KeyRow): void {
  canManageSystemKeys(p);
  const carried = k.tenant_admin ? [...ORG_PERMISSIONS] : (k.permissions ?? []);
  const missing = sortPermissions(carried.filter((x) => !p.orgPerms.has(x)));
  if (missing.length) {
    throw forbidden(
      `missing permission ${missing.join(', ')}: the calling key cannot change a system key that holds more than it does`,
      missing,
      'role',
    );
  }
}

/** D5: act-as mints a key held by a person; only an org admin's own tenant-admin key may. */
export function canActAs(p: Principal): void {
  if (p.key.kind === 'system') {
    throw forbidden(
      "act-as needs an org admin's own tenant-admin key; a system key cannot act as a person",
      ['org:admin'],
      'key',
    );
  }
  if (p.holder?.kind === 'service') {
    throw forbidden(
      "act-as needs an org admin's own tenant-admin key; a service account's key cannot act as a person",
      ['org:admin'],
      'key',
    );
  }
  requireOrg(p, 'org:admin');
  if (!isOrgAdminPersonKey(p)) {
    throw forbidden("act-as needs an org admin's own tenant-admin key", ['org:admin'], 'key');
  }
}

// ---- reading ---------------------------------------------------------------------------------------

/** Users are read with `users:read`, or a key of a workspace where it may add members (users_edit). */
export function canListUsers(p: Principal): void {
  if (!p.orgPerms.has('users:read') && !(p.key.group_id && p.wsPerms.has('users_edit'))) {
    requireOrg(p, 'users:read');
  }
}

/** Yourself, or the org permission. Checked before any lookup, so a 404 never tells who exists. */
export function canActOnUser(p: Principal, target: UserRow | undefined, perm: string): void {
  if (!target || p.holder?.id !== target.id) requireOrg(p, perm);
}

/** A workspace key sees its own workspace only while its holder has some permission there. */
export function seesOwnWorkspace(p: Principal, groupId: string): boolean {
  return p.key.group_id === groupId && p.wsPerms.size > 0;
}

export function canSeeWorkspace(p: Principal, groupId: string): void {
  if (!seesOwnWorkspace(p, groupId)) requireOrg(p, 'workspace:read');
}

// ---- users and members (D6) -------------------------------------------------------------------------

/** D6: disabling an org admin is org administration, as changing their role already was. */
export function canSuspendUser(p: Principal, target: UserRow | undefined, model: Model): void {
  requireOrg(p, 'users:write');
  if (target && model.isOrgAdmin(target)) requireOrg(p, 'org:admin');
}

export function canReactivateUser(p: Principal): void {
  requireOrg(p, 'users:write');
}

export function canRemoveUser(p: Principal, target: UserRow | undefined, model: Model): void {
  requireOrg(p, 'users:delete');
  if (target && model.isOrgAdmin(target)) requireOrg(p, 'org:admin');
}

/** Creating a user, or changing an org role: making or unmaking an org admin needs org:admin. */
export function canSetOrgRole(
  p: Principal,
  target: UserRow | undefined,
  role: RoleRow | undefined,
  model: Model,
): void {
  requireOrg(p, 'users:write');
  if (isAdminOrgRole(role) || (target && model.isOrgAdmin(target))) requireOrg(p, 'org:admin');
}

/** D6: touching a member's workspace role needs every permission of the role they have now. */
function checkCurrentRole(p: Principal, g: GroupRow, target: UserRow | undefined, model: Model): void {
  if (!target) return;
  const m = model.store.membership(target.id, g.id);
  const current = m ? model.store.role(m.role_id) : undefined;
  if (!current) return;
  const ws = workspacePermissionsIn(p, g.id);
  const missing = sortPermissions(expandWorkspacePermissions(current.permissions).filter((x) => !ws.has(x)));
  if (missing.length) {
    throw forbidden(
      `${target.email} has role ${current.name} in ${g.name}, which grants ${missing.join(', ')}; the calling key does not have that there`,
      missing,
      'role',
    );
  }
}

export function canManageMember(
  p: Principal,
  g: GroupRow,
  target: UserRow | undefined,
  role: RoleRow,
  model: Model,
): void {
  requireOrgOrWorkspace(p, 'users:write', g.id, 'users_edit');
  if (!p.orgPerms.has('users:write')) {
    // Granting through a workspace permission: never more than the granter has there.
    const beyond = expandWorkspacePermissions(role.permissions).filter((x) => !p.wsPerms.has(x));
    if (beyond.length) {
      throw forbidden(
        `role ${role.name} grants ${beyond.join(', ')}, which the calling key does not have in ${g.name}`,
        beyond,
        'role',
      );
    }
  }
  checkCurrentRole(p, g, target, model);
}

export function canRemoveMember(p: Principal, g: GroupRow, target: UserRow | undefined, model: Model): void {
  requireOrgOrWorkspace(p, 'users:write', g.id, 'users_delete');
  checkCurrentRole(p, g, target, model);
}
