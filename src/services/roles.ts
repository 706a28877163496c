// Custom roles: every request is checked against the catalogue and the existing roles before the
// first write, and built-in roles are never changed or deleted.

import type { PermissionInfo, Role } from '../api/roles.js';
import { grantedPermissions, roleScope } from '../domain/identity.js';
import { didYouMean } from '../domain/match.js';
import { ConflictError, UsageError } from '../errors.js';
import type { Resolver } from './resolve.js';
import { checkName } from './users.js';

/** The built-in roles the docs name. The public API may not say `builtin`: a role so named is treated as one. */
const DOCUMENTED_BUILTINS = ['org admin', 'org base', 'admin', 'editor', 'reader'];

export const looksBuiltin = (r: Pick<Role, 'name'>) =>
  DOCUMENTED_BUILTINS.includes(r.name.trim().toLowerCase());

export const builtinLabel = (r: Role) =>
  r.builtin === true
    ? 'yes'
    : r.builtin === false
      ? 'no'
      : looksBuiltin(r)
        ? 'likely (documented name)'
        : 'unknown';

/** A role as the `--json` envelopes show it. */
export const roleJson = (r: Role) => ({
  ...r,
  scope: roleScope(r),
  granted: grantedPermissions(r),
  builtin: r.builtin ?? null,
  builtin_by_name: r.builtin === undefined || r.builtin === null ? looksBuiltin(r) : undefined,
});

/** `a, b,,c` → [a, b, c]. */
export const permissionList = (v?: string) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The permission catalogue, or undefined when the server has none (names then go to it as given). */
export async function permissionCatalogue(r: Resolver, has: boolean): Promise<PermissionInfo[] | undefined> {
  if (!has) return undefined;
  const { listPermissions } = await import('../api/roles.js');
  return listPermissions(r.client);
}

function checkKnown(perms: string[], catalogue: PermissionInfo[] | undefined, sep: string): void {
  if (!catalogue) return;
  const known = catalogue.map((c) => c.name);
  const unknown = perms.filter((p) => !known.includes(p) && !p.endsWith(':*'));
  if (unknown.length)
    throw new UsageError(`unknown permission${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, {
      hint: unknown.map((p) => `${p}: ${didYouMean(p, known) ?? 'see noxus permissions list'}`).join(sep),
    });
}

async function checkNameFree(r: Resolver, name: string, except?: Role): Promise<void> {
  const taken = (await r.roles()).find(
    (x) => x.name.toLowerCase() === name.toLowerCase() && x.id !== except?.id,
  );
  if (taken) throw new ConflictError(`a role named "${except ? taken.name : name}" already exists`);
}

export interface RoleCreatePlan {
  body: { name: string; description: string; permissions: Record<string, boolean> };
  scope: 'org' | 'workspace';
  permissions: string[];
}

/** Checks a new role against the catalogue (when there is one) and the existing roles; writes nothing. */
export async function planRoleCreate(
  r: Resolver,
  input: { name: string; permissions: string[]; description: string },
  catalogue: PermissionInfo[] | undefined,
): Promise<RoleCreatePlan> {
  const perms = input.permissions;
  if (perms.length === 0) throw new UsageError('--permissions must list at least one permission');
  checkKnown(perms, catalogue, '; ');
  const known = new Map((catalogue ?? []).map((c) => [c.name, c]));
  // Without a catalogue, org permissions are told by their 'org:' form.
  const scopes = new Set(
    perms.map((p) => known.get(p)?.scope ?? (catalogue || p.includes(':') ? 'org' : 'workspace')),
  );
  if (scopes.size > 1)
    throw new UsageError(
      'a role is either an organization role or a workspace role; do not mix org and workspace permissions',
    );
  await checkNameFree(r, input.name);
  return {
    body: {
      name: input.name,
      description: input.description,
      permissions: Object.fromEntries(perms.map((p) => [p, true])),
    },
    scope: [...scopes][0] as 'org' | 'workspace',
    permissions: perms,
  };
}

export async function createRole(r: Resolver, plan: RoleCreatePlan): Promise<Role> {
  const api = await import('../api/roles.js');
  return api.createRole(r.client, plan.body);
}

export interface RoleUpdateInput {
  name?: string;
  description?: string;
  grant: string[];
  revoke: string[];
}

/** Checks the flags alone: a bad combination fails before any request. */
export function checkRoleUpdate(input: RoleUpdateInput): void {
  const { grant, revoke } = input;
  if (input.name === undefined && input.description === undefined && !grant.length && !revoke.length)
    throw new UsageError('nothing to change: give --name, --description, --grant or --revoke');
  const both = grant.filter((p) => revoke.includes(p));
  if (both.length) throw new UsageError(`${both.join(', ')} is both granted and revoked`);
  if (input.name !== undefined) checkName(input.name, '--name');
}

export interface RoleUpdatePlan {
  role: Role;
  before: string[];
  after: string[];
  added: string[];
  taken: string[];
  /** What changes, in words; empty when the role already is so. */
  changes: string[];
  body: { name?: string; description?: string; permissions?: Record<string, boolean> };
}

/** What a role change would do; refuses built-in roles, unknown permissions, empty roles and taken names. */
export async function planRoleUpdate(
  r: Resolver,
  ref: string,
  input: RoleUpdateInput,
  catalogue: PermissionInfo[] | undefined,
): Promise<RoleUpdatePlan> {
  checkRoleUpdate(input);
  const { grant, revoke } = input;
  const role = await r.role(ref);
  if (role.builtin) throw new ConflictError(`"${role.name}" is a built-in role and cannot be changed`);
  checkKnown([...grant, ...revoke], catalogue, '\n');
  const before = grantedPermissions(role);
  const after = [...before.filter((p) => !revoke.includes(p)), ...grant.filter((p) => !before.includes(p))];
  if (after.length === 0)
    throw new UsageError(`role ${role.name} would grant nothing; a role must grant at least one permission`, {
      hint: `grant another one in the same command: --grant PERMISSION, or delete it: noxus roles delete "${role.name}"`,
    });
  if (input.name !== undefined && input.name.toLowerCase() !== role.name.toLowerCase())
    await checkNameFree(r, input.name, role);
  const added = after.filter((p) => !before.includes(p));
  const taken = before.filter((p) => !after.includes(p));
  const changes = [
    input.name !== undefined && input.name !== role.name && `renamed to "${input.name}"`,
    input.description !== undefined && input.description !== (role.description ?? '') && 'new description',
    added.length && `grants ${added.join(', ')}`,
    taken.length && `no longer grants ${taken.join(', ')}`,
  ].filter((x): x is string => typeof x === 'string');
  const body: RoleUpdatePlan['body'] = {};
  if (input.name !== undefined) body.name = input.name;
  if (input.description !== undefined) body.description = input.description;
  if (added.length || taken.length) body.permissions = Object.fromEntries(after.map((p) => [p, true]));
  return { role, before, after, added, taken, changes, body };
}

export async function applyRoleUpdate(r: Resolver, plan: RoleUpdatePlan): Promise<Role> {
  const { updateRole } = await import('../api/roles.js');
  return updateRole(r.client, plan.role.id, plan.body);
}

export interface RoleDeletePlan {
  role: Role;
  /** The server does not say whether it is built in, and it bears a built-in's name: --yes is not enough. */
  guarded: boolean;
}

export async function planRoleDelete(r: Resolver, ref: string): Promise<RoleDeletePlan> {
  const role = await r.role(ref);
  if (role.builtin) throw new ConflictError(`"${role.name}" is a built-in role and cannot be deleted`);
  return { role, guarded: role.builtin !== false && looksBuiltin(role) };
}

export async function deleteRole(r: Resolver, role: Role): Promise<void> {
  const api = await import('../api/roles.js');
  await api.deleteRole(r.client, role.id);
}
