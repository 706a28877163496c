// Adding and changing people: every input is checked against the server's roles, workspaces and
// users before the first write, so a refused command changes nothing.

import type { CreateUserBody, User } from '../api/users.js';
import { isOrgAdminRole } from '../domain/identity.js';
import { emailProblem, nameProblem, normalizeEmail } from '../domain/validate.js';
import { ConflictError, UsageError } from '../errors.js';
import type { Resolver } from './resolve.js';

export interface WorkspaceGrantInput {
  workspace: string;
  role: string;
}

/** `W=ROLE` (ROLE may contain '=' only if quoted by the shell; the last '=' splits). */
export function parseWorkspaceGrant(text: string, flag = '--workspace'): WorkspaceGrantInput {
  const i = text.lastIndexOf('=');
  if (i <= 0 || i === text.length - 1) {
    throw new UsageError(`${flag} takes WORKSPACE=ROLE, got "${text}"`, {
      hint: `e.g. ${flag} Marketing=Editor`,
    });
  }
  return { workspace: text.slice(0, i).trim(), role: text.slice(i + 1).trim() };
}

export interface NewUserInput {
  name: string;
  displayName?: string;
  email: string;
  orgRole: string;
  workspaces: WorkspaceGrantInput[];
  kind?: 'human' | 'service';
}

export interface NewUserPlan {
  body: CreateUserBody;
  orgRole: { id: string; name: string; admin: boolean };
  grants: Array<{ groupId: string; workspace: string; roleId: string; role: string }>;
}

export function checkEmail(email: string, flag = '--email'): void {
  const p = emailProblem(email);
  if (p) throw new UsageError(`${flag}: ${p}`);
}

export function checkName(name: string, flag: string): void {
  const p = nameProblem(name);
  if (p) throw new UsageError(`${flag} ${p}`);
}

/** Validates the whole request against the server's catalogue; nothing is written. */
export async function planNewUser(r: Resolver, input: NewUserInput): Promise<NewUserPlan> {
  checkName(input.name, '--name');
  if (input.displayName !== undefined) checkName(input.displayName, '--display-name');
  checkEmail(input.email);
  const orgRole = await r.role(input.orgRole, 'org', '--org-role');
  const admin = isOrgAdminRole(orgRole);
  if (admin && input.workspaces.length) {
    throw new UsageError(
      `${orgRole.name} is an org admin role: org admins are admins on every workspace, so --workspace roles cannot be given`,
      { hint: 'drop the --workspace flags, or choose a non-admin --org-role such as "Org Base"' },
    );
  }
  if (input.kind === 'service' && admin) throw new UsageError('a service account cannot be an org admin');
  const seen = new Map<string, string>();
  const grants: NewUserPlan['grants'] = [];
  for (const w of input.workspaces) {
    const g = await r.group(w.workspace);
    if (seen.has(g.id)) {
      throw new UsageError(
        `workspace ${g.name} is given twice (${seen.get(g.id)} and ${w.role}); a user has one role per workspace`,
      );
    }
    seen.set(g.id, w.role);
    const role = await r.role(w.role, 'workspace', `--workspace ${w.workspace}=`);
    grants.push({ groupId: g.id, workspace: g.name, roleId: role.id, role: role.name });
  }
  const existing = (await r.users()).find((u) => normalizeEmail(u.email) === normalizeEmail(input.email));
  if (existing) {
    throw new ConflictError(
      `a user with email ${existing.email} already exists (${existing.status ?? (existing.is_active ? 'active' : 'inactive')})`,
      {
        hint:
          grants.length > 0
            ? `to add an existing user to a workspace: noxus ws add-member ${grants[0]?.workspace} ${existing.email} --role ${grants[0]?.role}`
            : `see them with: noxus users get ${existing.email}`,
      },
    );
  }
  return {
    body: {
      email: input.email,
      name: input.name,
      display_name: input.displayName,
      org_role: orgRole.id,
      workspaces: grants.map((g) => ({ group_id: g.groupId, role: g.roleId })),
      kind: input.kind,
    },
    orgRole: { id: orgRole.id, name: orgRole.name, admin },
    grants,
  };
}

export function describeUser(u: User): string {
  return `${u.display_name || u.name || u.email} <${u.email}>`;
}
