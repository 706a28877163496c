// Service accounts as a CI pipeline provisions them: a re-run with the same inputs finds the account
// it made and changes nothing; an account of that email that differs is a conflict, never silently
// changed (its roles are what every key it holds can do).

import { getAccess, type User } from '../api/users.js';
import { normalizeEmail } from '../domain/validate.js';
import { ConflictError } from '../errors.js';
import type { Resolver } from './resolve.js';
import type { NewUserPlan } from './users.js';

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
