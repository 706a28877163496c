// `ws apply`: the desired members of one or more workspaces, from a file; a plan of additions,
// role changes and (with --prune) removals; applied with per-row results. Admin rights that come
// from an org role are never touched: they are derived, not memberships.

import type { ApiClient } from '../api/client.js';
import { type Group, listMembers, type Member, removeMember, setMember } from '../api/groups.js';
import type { Role } from '../api/roles.js';
import type { User } from '../api/users.js';
import {
  ambiguityMessage,
  isOrgAdmin,
  matchRef,
  type RefKind,
  ROLE_REF,
  roleScope,
  USER_REF,
  WORKSPACE_REF,
} from '../domain/identity.js';
import { didYouMean } from '../domain/match.js';
import { type CsvRow, type InputProblem, inputError, readCsv } from './bulk.js';
import type { Resolver } from './resolve.js';

export interface ApplyStep {
  row: number;
  workspace: string;
  groupId: string;
  user: string;
  userId: string;
  action: 'add' | 'change' | 'remove' | 'none';
  role: string;
  roleId: string;
  before?: string;
  outcome?: 'added' | 'changed' | 'removed' | 'unchanged' | 'failed' | 'planned';
  message?: string;
}

export interface WsApplyLists {
  roles: readonly Role[];
  groups: readonly Group[];
  users: readonly User[];
}

export interface DesiredMember {
  row: number;
  groupId: string;
  workspace: string;
  userId: string;
  user: string;
  roleId: string;
  role: string;
  viaAdmin: boolean;
}

export async function planWsApply(file: string, r: Resolver, prune: boolean): Promise<ApplyStep[]> {
  const { rows, header } = readCsv(file, { required: ['workspace', 'user', 'role'], optional: [] });
  const [roles, groups, users] = await Promise.all([r.roles(), r.groups(), r.users()]);
  const { desired, problems } = matchWsRows(rows, header, { roles, groups, users });
  if (problems.length) throw inputError(file, problems);
  const current = new Map<string, Member[]>();
  for (const groupId of new Set(desired.map((d) => d.groupId)))
    current.set(groupId, await listMembers(r.client, groupId));
  return diffWsMembers(desired, current, prune);
}

/** Each row's workspace, user and role against the server's lists; every problem, by line and column. */
export function matchWsRows(
  rows: readonly CsvRow[],
  header: readonly string[],
  lists: WsApplyLists,
): { desired: DesiredMember[]; problems: InputProblem[] } {
  const { roles, groups, users } = lists;
  const col = (n: string) => header.indexOf(n) + 1;
  const problems: InputProblem[] = [];
  const desired: DesiredMember[] = [];
  const seen = new Map<string, number>();
  for (const { line, cells } of rows) {
    const bad = (c: string, m: string) => problems.push({ line, column: col(c), message: m });
    const find = <T>(
      c: string,
      items: readonly T[],
      ref: string,
      k: RefKind<T>,
      unknown: string,
    ): T | undefined => {
      const m = matchRef(items, ref, k);
      if (m.kind === 'one') return m.item;
      if (m.kind === 'ambiguous') {
        const a = ambiguityMessage(ref, m.items, k);
        bad(c, `${a.message}; ${a.hint}`);
      } else bad(c, unknown);
      return undefined;
    };
    const wRef = cells.workspace ?? '';
    const g = find(
      'workspace',
      groups,
      wRef,
      WORKSPACE_REF,
      `unknown workspace "${wRef}"${hint(
        wRef,
        groups.map((x) => x.name),
      )}`,
    );
    const uRef = cells.user ?? '';
    const u = find(
      'user',
      users,
      uRef,
      USER_REF,
      `unknown user "${uRef}"${hint(
        uRef,
        users.map((x) => x.email),
      )}`,
    );
    const rRef = cells.role ?? '';
    const role = find(
      'role',
      roles,
      rRef,
      ROLE_REF,
      `unknown role "${rRef}"${hint(
        rRef,
        roles.filter((x) => roleScope(x) === 'workspace').map((x) => x.name),
      )}`,
    );
    if (role && roleScope(role) !== 'workspace')
      bad('role', `"${role.name}" is an organization role, not a workspace role`);
    if (!g || !u || !role) continue;
    const viaAdmin = isOrgAdmin(u, roles);
    if (viaAdmin && role.name !== 'Admin') {
      bad(
        'role',
        `${u.email} is an org admin, so admin on every workspace; only "Admin" can be listed for them`,
      );
    }
    const key = `${g.id}:${u.id}`;
    if (seen.has(key))
      bad('user', `${u.email} in ${g.name} is also on line ${seen.get(key)}; one role per workspace`);
    seen.set(key, line);
    desired.push({
      row: line,
      groupId: g.id,
      workspace: g.name,
      userId: u.id,
      user: u.email,
      roleId: role.id,
      role: role.name,
      viaAdmin,
    });
  }
  return { desired, problems };
}

/**
 * The steps from the current members to the desired ones: adds, role changes, and with `prune` the
 * removal of direct members the file does not list. Org admins are never changed or removed.
 */
export function diffWsMembers(
  desired: readonly DesiredMember[],
  members: ReadonlyMap<string, readonly Member[]>,
  prune: boolean,
): ApplyStep[] {
  const steps: ApplyStep[] = [];
  for (const groupId of [...new Set(desired.map((d) => d.groupId))]) {
    const current = members.get(groupId) ?? [];
    const wanted = desired.filter((d) => d.groupId === groupId);
    for (const d of wanted) {
      const m = current.find((x) => x.user_id === d.userId);
      const base = {
        row: d.row,
        workspace: d.workspace,
        groupId,
        user: d.user,
        userId: d.userId,
        role: d.role,
        roleId: d.roleId,
      };
      if (d.viaAdmin || (m && m.role.id === d.roleId))
        steps.push({ ...base, action: 'none', message: d.viaAdmin ? 'admin via org role' : undefined });
      else if (m) steps.push({ ...base, action: 'change', before: m.role.name });
      else steps.push({ ...base, action: 'add' });
    }
    if (prune) {
      for (const m of current) {
        if (m.via !== 'membership' || wanted.some((d) => d.userId === m.user_id)) continue;
        steps.push({
          row: 0,
          workspace: wanted[0]?.workspace ?? groupId,
          groupId,
          user: m.email,
          userId: m.user_id,
          action: 'remove',
          role: m.role.name,
          roleId: m.role.id,
        });
      }
    }
  }
  return steps;
}

function hint(ref: string, names: string[]): string {
  const near = didYouMean(ref, names);
  return near ? ` (${near})` : '';
}

export async function applyWsSteps(client: ApiClient, steps: ApplyStep[]): Promise<ApplyStep[]> {
  const out: ApplyStep[] = [];
  for (const s of steps) {
    try {
      if (s.action === 'none') out.push({ ...s, outcome: 'unchanged' });
      else if (s.action === 'remove') {
        await removeMember(client, s.groupId, s.userId);
        out.push({ ...s, outcome: 'removed' });
      } else {
        await setMember(client, s.groupId, s.userId, s.roleId);
        out.push({ ...s, outcome: s.action === 'add' ? 'added' : 'changed' });
      }
    } catch (e) {
      if ((e as { exitCode?: number }).exitCode === 4) throw e;
      out.push({ ...s, outcome: 'failed', message: (e as Error).message });
    }
  }
  return out;
}
