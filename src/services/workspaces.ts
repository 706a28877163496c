// Workspaces and their members: each change is checked against the server (names, members, org
// admins) before its one write, so a refused command changes nothing.

import type { ApiClient } from '../api/client.js';
import {
  createGroup,
  deleteGroup,
  type Group,
  listMembers,
  type Member,
  removeMember,
  setMember,
  updateGroup,
} from '../api/groups.js';
import type { Role } from '../api/roles.js';
import type { User } from '../api/users.js';
import { findByRef, foldName, isOrgAdmin, type RefKind } from '../domain/identity.js';
import { ConflictError, NotFoundError, PermissionError, UsageError } from '../errors.js';
import type { Resolver } from './resolve.js';
import { checkName } from './users.js';

/** Refuses a name another workspace has (names compare as references do). */
async function assertFreeName(r: Resolver, name: string, exceptId?: string): Promise<void> {
  const dup = (await r.groups()).find((g) => g.id !== exceptId && foldName(g.name) === foldName(name));
  if (dup) throw new ConflictError(`a workspace named "${dup.name}" already exists (${dup.id})`);
}

/** Creates a workspace; with `dryRun`, only checks the name and returns undefined. */
export async function createWorkspace(
  r: Resolver,
  input: { name: string; description: string; dryRun?: boolean },
): Promise<Group | undefined> {
  checkName(input.name, 'workspace name');
  await assertFreeName(r, input.name);
  if (input.dryRun) return undefined;
  return createGroup(r.client, { name: input.name, description: input.description });
}

export interface RenameResult {
  group: Group;
  /** The renamed workspace; absent when unchanged or on a dry run. */
  updated?: Group;
  changed: boolean;
}

export async function renameWorkspace(
  r: Resolver,
  ref: string,
  name: string,
  o: { dryRun?: boolean } = {},
): Promise<RenameResult> {
  const group = await r.group(ref);
  if (group.name === name) return { group, changed: false };
  await assertFreeName(r, name, group.id);
  if (o.dryRun) return { group, changed: true };
  return { group, updated: await updateGroup(r.client, group.id, { name }), changed: true };
}

export async function deleteWorkspace(client: ApiClient, group: Group): Promise<void> {
  await deleteGroup(client, group.id);
}

/** Members are users: referred to by id or email, as users are. */
const MEMBER_REF: RefKind<Member> = {
  what: 'user',
  label: 'email',
  id: (m) => m.user_id,
  name: (m) => m.email,
};

const orgRoleHint = (email: string) => `noxus users update ${email} --org-role "Org Base"`;

/** A member change: the workspace, the user and their current membership (which must exist). */
export interface MemberTarget {
  group: Group;
  user: User;
  member: Member;
}

async function memberOf(r: Resolver, wRef: string, uRef: string) {
  const group = await r.group(wRef);
  const user = await r.user(uRef);
  const member = (await listMembers(r.client, group.id)).find((x) => x.user_id === user.id);
  return { group, user, member };
}

export interface SetRolePlan extends MemberTarget {
  role: Role;
  changed: boolean;
}

/** What `ws set-role` would change; an org admin's derived role and a non-member are refused. */
export async function planSetRole(
  r: Resolver,
  wRef: string,
  uRef: string,
  roleRef: string,
): Promise<SetRolePlan> {
  const group = await r.group(wRef);
  const user = await r.user(uRef);
  const role = await r.role(roleRef, 'workspace', '--role');
  const member = (await listMembers(r.client, group.id)).find((x) => x.user_id === user.id);
  if (member?.via === 'org_admin') {
    throw new ConflictError(`${user.email} is admin on ${group.name} through their org role`, {
      hint: `change their org role first: ${orgRoleHint(user.email)}`,
    });
  }
  if (!member) {
    throw new NotFoundError(`${user.email} is not a member of ${group.name}`, {
      hint: `add them with: noxus ws add-member ${group.name} ${user.email} --role ${role.name}`,
    });
  }
  return { group, user, member, role, changed: member.role.id !== role.id };
}

export async function setRole(client: ApiClient, plan: SetRolePlan): Promise<void> {
  await setMember(client, plan.group.id, plan.user.id, plan.role.id);
}

/** What `ws remove-member` would remove; an org admin's derived membership cannot be removed. */
export async function planRemoveMember(r: Resolver, wRef: string, uRef: string): Promise<MemberTarget> {
  const { group, user, member } = await memberOf(r, wRef, uRef);
  if (member?.via === 'org_admin') {
    throw new ConflictError(
      `${user.email} is admin on ${group.name} through their org role and cannot be removed from one workspace`,
      { hint: `change their org role instead: ${orgRoleHint(user.email)}` },
    );
  }
  if (!member) throw new NotFoundError(`${user.email} is not a member of ${group.name}`);
  return { group, user, member };
}

export async function removeWorkspaceMember(client: ApiClient, t: MemberTarget): Promise<void> {
  await removeMember(client, t.group.id, t.user.id);
}

/** Active users who could be added to a workspace: not yet members, not org admins. */
export async function addableUsers(r: Resolver, current: readonly Member[]): Promise<User[]> {
  const roles = await r.roles();
  return (await r.users({ status: 'active' })).filter(
    (u) => !current.some((m) => m.user_id === u.id) && !isOrgAdmin(u, roles),
  );
}

export interface NewMember {
  email: string;
  id: string;
  member?: Member;
}

/**
 * Every user `ws add-member` names, checked before the first write: org admins (admin everywhere)
 * and removed users are refused, and a member with another role than `role` is a conflict. A key
 * that may not list users (a workspace Reader's) cannot add members either, and only the server can
 * say which permission is missing: such references are checked against the member list only, and
 * the server's answer to the first write is reported as is.
 */
export async function checkNewMembers(
  r: Resolver,
  group: Group,
  refs: readonly string[],
  current: readonly Member[],
  role: { id: string; name: string } | undefined,
): Promise<NewMember[]> {
  const listable = await r.users().then(
    () => true,
    (e: unknown) => {
      if (e instanceof PermissionError) return false;
      throw e;
    },
  );
  const orgAdminError = (email: string) =>
    new UsageError(
      `${email} is an org admin and therefore admin on every workspace; a workspace role cannot be given`,
      { hint: `to change that, change their org role: ${orgRoleHint(email)}` },
    );
  const alreadyMember = (email: string, m: Member, wanted: string) =>
    new ConflictError(`${email} is already a member of ${group.name} as ${m.role.name}`, {
      hint: `to change the role: noxus ws set-role ${group.name} ${email} --role ${shellQuote(wanted)}`,
    });
  const roles = await r.roles();
  const found: NewMember[] = [];
  for (const ref of refs) {
    if (!listable) {
      const m = findByRef(current, ref, MEMBER_REF);
      if (m?.via === 'org_admin') throw orgAdminError(m.email);
      if (m && role && m.role.id !== role.id) throw alreadyMember(m.email, m, role.name);
      found.push({ email: m?.email ?? ref, id: m?.user_id ?? ref, member: m });
      continue;
    }
    const u = await r.user(ref);
    if (isOrgAdmin(u, roles)) throw orgAdminError(u.email);
    if (u.status === 'removed') throw new ConflictError(`${u.email} was removed from the organization`);
    const m = current.find((x) => x.user_id === u.id);
    if (m && role && m.role.id !== role.id) throw alreadyMember(u.email, m, role.name);
    found.push({ email: u.email, id: u.id, member: m });
  }
  return found;
}

export interface AddRow {
  email: string;
  user_id: string;
  workspace: string;
  role: string;
  action: string;
}

export type AddResult = AddRow & { outcome: string; message?: string };

/**
 * Adds the rows planned as `add`, one write each. A single user's failure is thrown as is; with
 * several, failures are recorded per row and the first one is returned for the exit code.
 */
export async function addMembers(
  client: ApiClient,
  group: Group,
  rows: readonly AddRow[],
  roleIds: ReadonlyMap<string, string>,
): Promise<{ results: AddResult[]; failures: unknown[] }> {
  const results: AddResult[] = [];
  const failures: unknown[] = [];
  for (const row of rows) {
    if (row.action === 'unchanged') {
      results.push({ ...row, outcome: 'unchanged' });
      continue;
    }
    try {
      const change = await setMember(client, group.id, row.user_id, roleIds.get(row.user_id) as string);
      results.push({ ...row, user_id: change?.user_id ?? row.user_id, outcome: 'added' });
    } catch (e) {
      if (rows.length === 1) throw e;
      failures.push(e);
      results.push({ ...row, outcome: 'failed', message: (e as Error).message });
    }
  }
  return { results, failures };
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
