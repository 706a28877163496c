// `ws apply`: the desired members of one or more workspaces, from a file; a plan of additions,
// role changes and (with --prune) removals; applied with per-row results. Admin rights that come
// from an org role are never touched: they are derived, not memberships.

import type { ApiClient } from '../api/client.js';
import { listMembers, type Member, removeMember, setMember } from '../api/groups.js';
import { didYouMean } from '../domain/match.js';
import { normalizeEmail } from '../domain/validate.js';
import { type InputProblem, inputError, readCsv } from './bulk.js';
import { isOrgAdminRole, type Resolver } from './resolve.js';

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

export async function planWsApply(file: string, r: Resolver, prune: boolean): Promise<ApplyStep[]> {
  const { rows, header } = readCsv(file, { required: ['workspace', 'user', 'role'], optional: [] });
  const col = (n: string) => header.indexOf(n) + 1;
  const [roles, groups, users] = await Promise.all([r.roles(), r.groups(), r.users()]);
  const { roleScope } = await import('../api/roles.js');
  const adminRoles = new Set(roles.filter(isOrgAdminRole).map((x) => x.id));
  const problems: InputProblem[] = [];
  const desired: Array<{
    row: number;
    groupId: string;
    workspace: string;
    userId: string;
    user: string;
    roleId: string;
    role: string;
    viaAdmin: boolean;
  }> = [];
  const seen = new Map<string, number>();
  for (const { line, cells } of rows) {
    const bad = (c: string, m: string) => problems.push({ line, column: col(c), message: m });
    const wRef = cells.workspace ?? '';
    const g =
      groups.find((x) => x.id === wRef) ?? groups.find((x) => x.name.toLowerCase() === wRef.toLowerCase());
    if (!g)
      bad(
        'workspace',
        `unknown workspace "${wRef}"${hint(
          wRef,
          groups.map((x) => x.name),
        )}`,
      );
    const uRef = cells.user ?? '';
    const u = uRef.includes('@')
      ? users.find((x) => normalizeEmail(x.email) === normalizeEmail(uRef))
      : users.find((x) => x.id === uRef);
    if (!u)
      bad(
        'user',
        `unknown user "${uRef}"${hint(
          uRef,
          users.map((x) => x.email),
        )}`,
      );
    const rRef = cells.role ?? '';
    const role =
      roles.find((x) => x.id === rRef) ?? roles.find((x) => x.name.toLowerCase() === rRef.toLowerCase());
    if (!role)
      bad(
        'role',
        `unknown role "${rRef}"${hint(
          rRef,
          roles.filter((x) => roleScope(x) === 'workspace').map((x) => x.name),
        )}`,
      );
    else if (roleScope(role) !== 'workspace')
      bad('role', `"${role.name}" is an organization role, not a workspace role`);
    if (!g || !u || !role) continue;
    const viaAdmin = !!u.org_role && adminRoles.has(u.org_role.id);
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
  if (problems.length) throw inputError(file, problems);

  const steps: ApplyStep[] = [];
  for (const groupId of [...new Set(desired.map((d) => d.groupId))]) {
    const current: Member[] = await listMembers(r.client, groupId);
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
