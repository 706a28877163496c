// Who someone is in the organization, decided in one place: a role's scope and grants, and whether a
// user is an org admin, what a key a holder creates may at most carry, and which user, workspace or
// role a reference means. Every layer (commands, services, reviews, offboarding) asks here.

import { UsageError } from '../errors.js';
import { expandWorkspacePermissions } from './permissions.js';
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

/** What a key created by a holder in one workspace may at most carry, and why. */
export interface HolderBound {
  permissions: string[];
  source: string;
}

/**
 * A holder's bound in a workspace: an org admin has every workspace permission; anyone else has
 * what their workspace role grants (expanded, as the server expands it), or nothing without a role.
 */
export function holderBound(
  holder: { orgAdmin: boolean; workspaceRole?: { id: string; name: string } | null },
  roles: readonly RoleLike[],
): HolderBound {
  if (holder.orgAdmin)
    return { permissions: expandWorkspacePermissions(['workspace_admin']), source: 'org admin' };
  const ref = holder.workspaceRole;
  if (!ref) return { permissions: [], source: 'no role in this workspace' };
  const role = roles.find((r) => r.id === ref.id);
  return {
    permissions: expandWorkspacePermissions(role ? grantedPermissions(role) : []),
    source: `role ${ref.name}`,
  };
}

/** Names and emails compare after Unicode normalisation (NFC) and case folding. */
export function foldName(s: string): string {
  return s.normalize('NFC').toLowerCase().normalize('NFC');
}

/** How references to one kind of thing are matched: an exact id first, else a folded name or email. */
export interface RefKind<T> {
  /** "user", "workspace", "role": used in messages. */
  what: string;
  /** What the name is called in messages: "name" or "email". */
  label: string;
  id: (t: T) => string;
  name: (t: T) => string;
}

export type RefMatch<T> = { kind: 'one'; item: T } | { kind: 'none' } | { kind: 'ambiguous'; items: T[] };

export const USER_REF: RefKind<{ id: string; email: string }> = {
  what: 'user',
  label: 'email',
  id: (u) => u.id,
  name: (u) => u.email,
};
export const WORKSPACE_REF: RefKind<{ id: string; name: string }> = {
  what: 'workspace',
  label: 'name',
  id: (g) => g.id,
  name: (g) => g.name,
};
export const ROLE_REF: RefKind<{ id: string; name: string }> = {
  what: 'role',
  label: 'name',
  id: (r) => r.id,
  name: (r) => r.name,
};

/** The one matcher for USER, WORKSPACE and ROLE references: an exact id wins, then folded names. */
export function matchRef<T>(items: readonly T[], ref: string, k: RefKind<T>): RefMatch<T> {
  const byId = items.find((t) => k.id(t) === ref);
  if (byId !== undefined) return { kind: 'one', item: byId };
  const want = foldName(ref);
  const byName = items.filter((t) => foldName(k.name(t)) === want);
  if (byName.length === 1) return { kind: 'one', item: byName[0] as T };
  if (byName.length > 1) return { kind: 'ambiguous', items: byName };
  return { kind: 'none' };
}

/** The refusal of an ambiguous reference: it lists every match, by id, and never takes the first. */
export function ambiguityMessage<T>(
  ref: string,
  items: readonly T[],
  k: RefKind<T>,
): { message: string; hint: string } {
  return {
    message: `${k.what} ${k.label} "${ref}" matches ${items.length} ${k.what}s`,
    hint: `use an id: ${items.map((t) => `${k.id(t)} (${k.name(t)})`).join(', ')}`,
  };
}

/** The item a reference means, undefined when none; several matches are a UsageError listing them. */
export function findByRef<T>(items: readonly T[], ref: string, k: RefKind<T>): T | undefined {
  const m = matchRef(items, ref, k);
  if (m.kind === 'one') return m.item;
  if (m.kind === 'none') return undefined;
  const { message, hint } = ambiguityMessage(ref, m.items, k);
  throw new UsageError(message, { hint, data: { matches: m.items.map(k.id) } });
}
