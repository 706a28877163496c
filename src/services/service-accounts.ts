// Service accounts as a CI pipeline provisions them: a re-run with the same inputs finds the account
// it made and changes nothing; an account of that email that differs is a conflict, never silently
// changed (its roles are what every key it holds can do).

import type { Group } from '../api/groups.js';
import { type ApiKey, createKey, listKeys } from '../api/keys.js';
import { listPermissions } from '../api/roles.js';
import { createUser, getAccess, removeUser, type User } from '../api/users.js';
import { holderBound } from '../domain/identity.js';
import { normalizeEmail } from '../domain/validate.js';
import { ConflictError, UsageError } from '../errors.js';
import { assertWithinBounds, validatePermissionNames } from './keys.js';
import type { Resolver } from './resolve.js';
import { type NewUserPlan, planNewUser, type WorkspaceGrantInput } from './users.js';

export type Grant = NewUserPlan['grants'][number];

/** The identifier email of an account named `name` when none is given. */
export function defaultServiceEmail(name: string): string {
  const slug =
    name
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, '')
      .trim()
      .toLowerCase()
      .replace(/[\s_]+/g, '-')
      .slice(0, 60) || 'service';
  return `${slug}@service-accounts.noxus.local`;
}

export interface ServiceAccountInput {
  name: string;
  email: string;
  workspaces: WorkspaceGrantInput[];
  /** The key the account should own: its name, workspace (default: the first) and restriction. */
  key?: { name: string; workspace?: string; restriction?: string[] };
}

export interface ServiceAccountPlan {
  grants: Grant[];
  /** The account made by an earlier run with the same inputs. */
  existing?: ExistingAccount;
  /** The account to create, when there is none yet. */
  create?: NewUserPlan;
  /** The workspace of the key, when one is asked for. */
  keyGroup?: Group;
}

/**
 * Everything `service-accounts create` checks before writing: the workspace roles, an account of
 * that email made by an earlier run, the key's workspace, and that the key's restriction fits what
 * the account's role there allows. Only reads.
 */
export async function planServiceAccount(
  r: Resolver,
  input: ServiceAccountInput,
): Promise<ServiceAccountPlan> {
  const grants = await resolveGrants(r, input.workspaces);
  const existing = await findSameServiceAccount(r, { name: input.name, email: input.email, grants });
  const create = existing
    ? undefined
    : await planNewUser(r, {
        name: input.name,
        email: input.email,
        orgRole: 'Org Base',
        workspaces: input.workspaces,
        kind: 'service',
      });
  const key = input.key;
  const keyGroup = key ? await r.group(key.workspace ?? input.workspaces[0]?.workspace ?? '') : undefined;
  if (keyGroup && !grants.some((g) => g.groupId === keyGroup.id)) {
    throw new UsageError(`--key-workspace ${keyGroup.name} is not one of the account's workspaces`);
  }
  if (key?.restriction && keyGroup) {
    validatePermissionNames(key.restriction, await listPermissions(r.client));
    const grant = grants.find((g) => g.groupId === keyGroup.id);
    // An account is created with Org Base: its bound in the key's workspace is that workspace's role.
    const bound = holderBound(
      { orgAdmin: false, workspaceRole: grant ? { id: grant.roleId, name: grant.role } : null },
      await r.roles(),
    );
    assertWithinBounds(key.restriction, [{ who: `service account ${input.email}`, ...bound }], keyGroup.name);
  }
  return { grants, existing, create, keyGroup };
}

/** `W=ROLE` flags against the server's workspaces and roles (what planNewUser checks, minus the email). */
export async function resolveGrants(r: Resolver, input: readonly WorkspaceGrantInput[]): Promise<Grant[]> {
  const out: Grant[] = [];
  for (const w of input) {
    const g = await r.group(w.workspace);
    if (out.some((x) => x.groupId === g.id))
      throw new UsageError(`workspace ${g.name} is given twice; a user has one role per workspace`);
    const role = await r.role(w.role, 'workspace', `--workspace ${w.workspace}=`);
    out.push({ groupId: g.id, workspace: g.name, roleId: role.id, role: role.name });
  }
  return out;
}

export async function createServiceAccount(r: Resolver, plan: NewUserPlan): Promise<User> {
  return createUser(r.client, plan.body);
}

export async function createAccountKey(
  r: Resolver,
  group: Group,
  key: { name: string; restriction: string[] | null; ownerId: string; expiresAt: string | null },
): Promise<ApiKey> {
  return createKey(r.client, group.id, {
    name: key.name,
    permissions: key.restriction,
    owner_id: key.ownerId,
    expires_at: key.expiresAt,
  });
}

export interface ExistingAccount {
  user: User;
  workspaces: Array<{ workspace: string; role: string }>;
}

/**
 * The service account with this email, when it has exactly the asked name and workspace roles
 * (undefined when there is none). Anything else with that email is a ConflictError (exit 7) that
 * says what differs and how to change it by hand.
 */
export async function findSameServiceAccount(
  r: Resolver,
  want: { name: string; email: string; grants: NewUserPlan['grants'] },
): Promise<ExistingAccount | undefined> {
  const found = (await r.users()).find(
    (u) => normalizeEmail(u.email) === normalizeEmail(want.email) && u.status !== 'removed',
  );
  if (!found) return undefined;
  if ((found.kind ?? 'human') !== 'service') {
    throw new ConflictError(`${found.email} is a person, not a service account`, {
      hint: 'nothing was changed; give the service account another --email',
    });
  }
  const access = await getAccess(r.client, found.id);
  const has = new Map(
    access.workspaces.filter((w) => w.via !== 'org_admin').map((w) => [w.group_id, w] as const),
  );
  const problems: string[] = [];
  const fixes: string[] = [];
  if ((found.name ?? found.display_name) !== want.name)
    problems.push(`is named "${found.name ?? found.display_name}" (asked "${want.name}")`);
  if (found.status && found.status !== 'active') problems.push(`is ${found.status}`);
  for (const g of want.grants) {
    const cur = has.get(g.groupId);
    if (!cur) {
      problems.push(`has no role in ${g.workspace} (asked ${g.role})`);
      fixes.push(`noxus ws add-member ${q(g.workspace)} ${found.email} --role ${q(g.role)}`);
    } else if (cur.role !== g.role) {
      problems.push(`is ${cur.role} in ${g.workspace} (asked ${g.role})`);
      fixes.push(`noxus ws set-role ${q(g.workspace)} ${found.email} --role ${q(g.role)}`);
    }
  }
  for (const [groupId, w] of has) {
    if (!want.grants.some((g) => g.groupId === groupId)) {
      problems.push(`is also ${w.role} in ${w.group_name}`);
      fixes.push(`noxus ws remove-member ${q(w.group_name)} ${found.email}`);
    }
  }
  if (problems.length) {
    throw new ConflictError(`service account ${found.email} already exists and ${problems.join('; ')}`, {
      hint: `nothing was changed. ${fixes.length ? `To make it match: ${fixes.join(' && ')}` : 'Give the account another --email, or delete it first'}`,
    });
  }
  return {
    user: found,
    workspaces: [...has.values()].map((w) => ({ workspace: w.group_name, role: w.role })),
  };
}

const q = (s: string) => (/^[\w@.+-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`);

/** The service account a reference means; a person is refused (people leave through offboarding). */
export async function findServiceAccount(r: Resolver, ref: string): Promise<User> {
  const sa = await r.user(ref);
  if ((sa.kind ?? 'human') !== 'service') {
    throw new UsageError(`${sa.email} is a person, not a service account`, {
      hint: `people leave through the offboarding checklist: noxus offboard ${sa.email}`,
    });
  }
  return sa;
}

/** Deletes the account; the server revokes its keys at once. */
export async function deleteServiceAccount(r: Resolver, sa: User) {
  return removeUser(r.client, sa.id);
}

/** Service accounts, each with how many active keys it owns. */
export async function listServiceAccounts(r: Resolver): Promise<Array<User & { active_keys: number }>> {
  const [accounts, keys] = await Promise.all([
    r.users({ kind: 'service' }),
    listKeys(r.client, { status: 'active' }),
  ]);
  return accounts.map((a) => ({ ...a, active_keys: keys.filter((k) => k.owner_id === a.id).length }));
}
