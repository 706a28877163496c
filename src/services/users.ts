// Adding and changing people: every input is checked against the server's roles, workspaces and
// users before the first write, so a refused command changes nothing. Each verb has a plan (reads
// and rules, no write; what --dry-run shows and the command confirms) and a write. Whether someone
// is an org admin is asked of domain/identity.

import type { CreateUserBody, Onboarding, User } from '../api/users.js';
import { isOrgAdmin, isOrgAdminRole } from '../domain/identity.js';
import { emailProblem, nameProblem, normalizeEmail } from '../domain/validate.js';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
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
  /** Reason and expiry for every workspace grant (extension `members.terms`). */
  terms?: { reason?: string; expires_at?: string };
}

export interface NewUserPlan {
  body: CreateUserBody;
  orgRole: { id: string; name: string; admin: boolean };
  grants: Array<{
    groupId: string;
    workspace: string;
    roleId: string;
    role: string;
    reason?: string;
    expires_at?: string;
  }>;
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
    grants.push({ groupId: g.id, workspace: g.name, roleId: role.id, role: role.name, ...input.terms });
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
      workspaces: grants.map((g) => ({
        group_id: g.groupId,
        role: g.roleId,
        ...(g.reason !== undefined && { reason: g.reason }),
        ...(g.expires_at !== undefined && { expires_at: g.expires_at }),
      })),
      kind: input.kind,
    },
    orgRole: { id: orgRole.id, name: orgRole.name, admin },
    grants,
  };
}

export const userStatus = (u: User) => u.status ?? (u.is_active ? 'active' : 'inactive');

/** Whether `userId` holds the key in use: demoting, suspending or removing them locks this caller out. */
export async function holdsKeyInUse(r: Resolver, userId: string): Promise<boolean> {
  const { getMe } = await import('../api/me.js');
  return (await getMe(r.client)).holder?.id === userId;
}

/** Sends the invitation a plan describes (the user is created as invited). */
export async function inviteUser(r: Resolver, plan: NewUserPlan) {
  const { createUser } = await import('../api/users.js');
  const created = await createUser(r.client, plan.body);
  r.invalidate();
  return created;
}

export interface ProfileInput {
  name?: string;
  displayName?: string;
  avatarUrl?: string;
  orgRole?: string;
}

export interface UserUpdatePlan {
  user: User;
  body: { name?: string; display_name?: string; avatar_url?: string | null; org_role?: string };
  changes: Array<{ field: string; before: unknown; after: unknown }>;
  /** Set when the org role changes: a privilege change, confirmed by the caller. */
  roleChange?: { from: string; to: string; demotesAdmin: boolean };
  /** The user holds the key in use (asked only for a role change). */
  self: boolean;
}

/** Checks the flags, reads the user and the roles, and works out what would change; writes nothing. */
export async function planUserUpdate(r: Resolver, ref: string, input: ProfileInput): Promise<UserUpdatePlan> {
  if (input.name !== undefined) checkName(input.name, '--name');
  if (input.displayName !== undefined) checkName(input.displayName, '--display-name');
  if ([input.name, input.displayName, input.avatarUrl, input.orgRole].every((v) => v === undefined)) {
    throw new UsageError('nothing to change', {
      hint: 'give at least one of --name, --display-name, --avatar-url, --org-role',
    });
  }
  const u = await r.user(ref);
  const body: UserUpdatePlan['body'] = {};
  const changes: UserUpdatePlan['changes'] = [];
  let roleChange: UserUpdatePlan['roleChange'];
  if (input.name !== undefined && input.name !== u.name) {
    body.name = input.name;
    changes.push({ field: 'name', before: u.name, after: input.name });
  }
  if (input.displayName !== undefined && input.displayName !== u.display_name) {
    body.display_name = input.displayName;
    changes.push({ field: 'display name', before: u.display_name, after: input.displayName });
  }
  if (input.avatarUrl !== undefined && (input.avatarUrl || null) !== (u.avatar_url ?? null)) {
    body.avatar_url = input.avatarUrl || null;
    changes.push({ field: 'avatar', before: u.avatar_url ?? '', after: input.avatarUrl });
  }
  if (input.orgRole !== undefined) {
    const role = await r.role(input.orgRole, 'org', '--org-role');
    if (role.id !== u.org_role?.id) {
      body.org_role = role.id;
      const from = u.org_role?.name ?? '';
      changes.push({ field: 'org role', before: from, after: role.name });
      const demotesAdmin = isOrgAdmin(u, await r.roles()) && !isOrgAdminRole(role);
      roleChange = { from: u.org_role?.name ?? '(none)', to: role.name, demotesAdmin };
    }
  }
  // Whose key this is matters only for a role change: demoting yourself can lock you out.
  const self = roleChange ? await holdsKeyInUse(r, u.id) : false;
  return { user: u, body, changes, roleChange, self };
}

export async function applyUserUpdate(r: Resolver, plan: UserUpdatePlan): Promise<void> {
  const { updateUser } = await import('../api/users.js');
  await updateUser(r.client, plan.user.id, plan.body);
  r.invalidate();
}

export type StatusVerb = 'suspend' | 'reactivate' | 'resend-invite';

export interface StatusPlan {
  user: User;
  status: string;
  /** Suspending the holder of the key in use (only asked for suspend). */
  self: boolean;
}

export async function planStatusChange(r: Resolver, verb: StatusVerb, ref: string): Promise<StatusPlan> {
  const user = await r.user(ref);
  const self = verb === 'suspend' && (await holdsKeyInUse(r, user.id));
  return { user, status: userStatus(user), self };
}

export async function suspend(r: Resolver, user: User) {
  const { suspendUser } = await import('../api/users.js');
  const res = await suspendUser(r.client, user.id);
  r.invalidate();
  return res;
}

export async function reactivate(r: Resolver, user: User) {
  const { reactivateUser } = await import('../api/users.js');
  const res = await reactivateUser(r.client, user.id);
  r.invalidate();
  return res;
}

/** A fresh invitation; the server withdraws the previous link. */
export async function resendInvite(r: Resolver, user: User) {
  const { resendInvitation } = await import('../api/users.js');
  return resendInvitation(r.client, user.id);
}

/**
 * The live list holds no removed users; the server still keeps them (GET /v1/admin/users/{id or
 * email} finds the most recently removed one), so a miss is asked there when the server can answer.
 */
export async function findIncludingRemoved(
  r: Resolver,
  ref: string,
  canGetOne: () => Promise<boolean>,
): Promise<User> {
  try {
    return await r.user(ref);
  } catch (e) {
    // Asked only on a miss: discovering what the server has costs requests.
    if (!(e instanceof NotFoundError) || !(await canGetOne())) throw e;
    const { getUser } = await import('../api/users.js');
    try {
      return await getUser(r.client, ref);
    } catch (again) {
      if (again instanceof NotFoundError) throw e;
      throw again;
    }
  }
}

export interface RemovalPlan {
  user: User;
  /** Already removed: a second run changes nothing. */
  done: boolean;
  self: boolean;
}

export async function planRemoval(
  r: Resolver,
  ref: string,
  canGetOne: () => Promise<boolean>,
): Promise<RemovalPlan> {
  const user = await findIncludingRemoved(r, ref, canGetOne);
  if (user.status === 'removed') return { user, done: true, self: false };
  return { user, done: false, self: await holdsKeyInUse(r, user.id) };
}

export async function removeFromOrganization(r: Resolver, user: User) {
  const { removeUser } = await import('../api/users.js');
  const res = await removeUser(r.client, user.id);
  r.invalidate();
  return res;
}

export async function onboardingOf(
  r: Resolver,
  ref: string,
): Promise<{ user: User; onboarding: Onboarding }> {
  const user = await r.user(ref);
  const { getOnboarding } = await import('../api/users.js');
  return { user, onboarding: await getOnboarding(r.client, user.id) };
}
