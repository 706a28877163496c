// The refusals that protect the organization (service accounts, yourself, the last org admin) and
// the transfer rule (the new owner needs the edit permission of each owned kind where it lives).

import { listMembers } from '../../api/groups.js';
import { getMe } from '../../api/me.js';
import type { Access, User } from '../../api/users.js';
import { grantedPermissions, isOrgAdmin, type RoleLike } from '../../domain/identity.js';
import { expandWorkspacePermissions } from '../../domain/permissions.js';
import { normalizeEmail } from '../../domain/validate.js';
import { ConflictError, NotFoundError, UsageError } from '../../errors.js';
import type { Resolver } from '../resolve.js';

/** Refusals that protect the organization: service accounts, yourself, the last org admin, bad targets. */
export async function checkOffboardable(r: Resolver, user: User, target: User | undefined): Promise<void> {
  if ((user.kind ?? 'human') === 'service') {
    throw new UsageError(`${user.email} is a service account; offboarding is for people`, {
      hint: `delete it with: noxus service-accounts delete ${user.email}`,
    });
  }
  if (user.status === 'removed')
    throw new ConflictError(`${user.email} was already removed from the organization`);
  await checkNotSelf(r, user);
  checkNotLastAdmin(user, await r.roles(), await r.users({ status: 'active' }));
  if (target) {
    if (target.id === user.id) throw new UsageError('--transfer-to cannot be the user being offboarded');
    if ((target.status ?? (target.is_active ? 'active' : 'inactive')) !== 'active') {
      throw new ConflictError(
        `--transfer-to ${target.email} is ${target.status ?? 'not active'}; pick an active user`,
      );
    }
  }
}

const OWN_PERMISSION: Record<string, string> = {
  workflow: 'flows_edit',
  agent: 'agents_edit',
  knowledge_base: 'kbs_edit',
};

/**
 * Why `target` cannot own the resources (one line per workspace: the edit permission of each kind
 * it lacks there), empty when it can: the server's transfer rule.
 */
type OwnCheck = (target: User) => Promise<string[]>;

async function ownCheck(r: Resolver, resources: Access['resources_owned']): Promise<OwnCheck> {
  const roles = await r.roles();
  const groups = await r.groups();
  const nameOf = (id: string) => groups.find((g) => g.id === id)?.name ?? id;
  const groupIds = [...new Set(resources.map((x) => x.group_id))].sort((a, b) =>
    nameOf(a).localeCompare(nameOf(b)),
  );
  // One member list per workspace, shared by every candidate.
  const members = new Map(
    await Promise.all(groupIds.map(async (id) => [id, await listMembers(r.client, id)] as const)),
  );
  return async (target) => {
    const problems: string[] = [];
    for (const groupId of groupIds) {
      const m = members.get(groupId)?.find((x) => x.user_id === target.id);
      const role = m ? roles.find((x) => x.id === m.role.id) : undefined;
      const perms = new Set(
        m?.via === 'org_admin'
          ? ['workspace_admin']
          : expandWorkspacePermissions(role ? grantedPermissions(role) : []),
      );
      const has = (p: string) => perms.has(p) || perms.has('workspace_admin');
      const needed = [
        ...new Set(
          resources
            .filter((x) => x.group_id === groupId)
            .map((x) => OWN_PERMISSION[x.resource_type] ?? 'flows_edit'),
        ),
      ];
      const order = Object.values(OWN_PERMISSION);
      const lacking = needed.filter((p) => !has(p)).sort((a, b) => order.indexOf(a) - order.indexOf(b));
      if (lacking.length) {
        const name = nameOf(groupId);
        problems.push(
          `${name}: needs ${lacking.join(', ')} (${m ? `role ${m.role.name}` : 'no role there'})`,
        );
      }
    }
    return problems;
  };
}

/** The transfer target must be able to own each resource where it lives (edit rights of that kind). */
export async function checkTargetCanOwn(
  r: Resolver,
  target: User,
  resources: Access['resources_owned'],
): Promise<void> {
  const problems = await (await ownCheck(r, resources))(target);
  if (problems.length) {
    throw new ConflictError(
      `--transfer-to ${target.email} cannot own all the resources: ${problems.join('; ')}`,
      {
        hint: 'give them a suitable role in those workspaces first (noxus ws add-member / ws set-role), or pick another --transfer-to',
      },
    );
  }
}

/**
 * Who may take over `user`'s resources: active people other than the user who hold the edit
 * permission of each owned kind in its workspace. The others are listed with the reason.
 */
export async function transferCandidates(
  r: Resolver,
  user: User,
  resources: Access['resources_owned'],
): Promise<{ eligible: User[]; ineligible: Array<{ user: User; reason: string }> }> {
  const check = await ownCheck(r, resources);
  const eligible: User[] = [];
  const ineligible: Array<{ user: User; reason: string }> = [];
  const people = (await r.users({ status: 'active' })).filter(
    (u) => u.id !== user.id && (u.kind ?? 'human') === 'human',
  );
  for (const u of people) {
    const problems = await check(u);
    if (problems.length) ineligible.push({ user: u, reason: problems.join('; ') });
    else eligible.push(u);
  }
  return { eligible, ineligible };
}

/** The key in use must not be held by the user: offboarding them would cut the run off midway. */
export async function checkNotSelf(r: Resolver, user: User): Promise<void> {
  const me = await getMe(r.client);
  if (me.holder?.id === user.id) {
    throw new ConflictError(`you cannot offboard yourself (the key in use is held by ${user.email})`, {
      hint: 'ask another org admin to run it, with their own key',
    });
  }
}

const isActive = (u: User) => (u.status ? u.status === 'active' : u.is_active !== false);

/** An org without an active org admin cannot be administered: the last one is refused. */
export function checkNotLastAdmin(user: User, roles: readonly RoleLike[], users: readonly User[]): void {
  if (!isOrgAdmin(user, roles)) return;
  if (!users.some((u) => u.id !== user.id && isActive(u) && isOrgAdmin(u, roles))) {
    throw new ConflictError(`${user.email} is the last active org admin`, {
      hint: 'make another user org admin first',
    });
  }
}

/**
 * The user list leaves removed users out; offboarding must still find them: to resume after the
 * remove step, to say "already removed", and to refuse a removed --transfer-to as a conflict.
 */
export async function userOrRemoved(r: Resolver, ref: string): Promise<User> {
  try {
    return await r.user(ref);
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    const removed = (await r.users({ status: 'removed' })).find((u) =>
      ref.includes('@') ? normalizeEmail(u.email) === normalizeEmail(ref) : u.id === ref,
    );
    if (removed) return removed;
    throw e;
  }
}
