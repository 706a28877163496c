// What happens before a run changes anything: the review of a user about to be offboarded, the
// checks on a transfer target, and a written plan checked against the server.

import { type Access, getAccess, type User } from '../../api/users.js';
import { ConflictError } from '../../errors.js';
import type { Resolver } from '../resolve.js';
import { checkOffboardable, checkTargetCanOwn, userOrRemoved } from './checks.js';
import { drift } from './drift.js';
import { buildPlan, inventoryOf, type Plan } from './plan.js';

/** The access report of a user who may be offboarded (the refusals checked). */
export async function reviewUser(r: Resolver, user: User): Promise<Access> {
  const access = await getAccess(r.client, user.id);
  await checkOffboardable(r, user, undefined);
  return access;
}

/** A transfer target must be someone else, active, and able to own every resource. */
export async function checkTransferTarget(
  r: Resolver,
  user: User,
  target: User,
  owned: Access['resources_owned'],
): Promise<void> {
  await checkOffboardable(r, user, target);
  await checkTargetCanOwn(r, target, owned);
}

export interface CheckedPlan {
  plan: Plan;
  /** What changed since the plan was written; non-empty only with `force`. */
  differences: string[];
}

/**
 * A written plan against the server as it is now: the refusals and the target are checked again,
 * and a plan the server drifted from is refused (a ConflictError listing the differences) unless
 * forced, when it is rebuilt from the current state, keeping its creation time.
 */
export async function checkPlan(
  r: Resolver,
  server: string,
  plan: Plan,
  user: User,
  opts: { force?: boolean; file: string },
): Promise<CheckedPlan> {
  const target = plan.transfer_to ? await userOrRemoved(r, plan.transfer_to.id) : undefined;
  await checkOffboardable(r, user, target);
  const access = await getAccess(r.client, user.id);
  if (target) await checkTargetCanOwn(r, target, access.resources_owned);
  const differences = drift(plan.inventory, inventoryOf(access));
  if (!differences.length) return { plan, differences };
  if (!opts.force) {
    const n = differences.length;
    throw new ConflictError(
      `the plan is stale: the server changed since it was written (${n} difference${n > 1 ? 's' : ''})\n${differences.map((d) => `  - ${d}`).join('\n')}`,
      {
        hint: `write a new plan: noxus offboard ${user.email}${plan.transfer_to ? ` --transfer-to ${plan.transfer_to.email}` : ''} --plan-out ${opts.file}  (or apply anyway with --force)`,
        data: { differences },
      },
    );
  }
  const fresh = buildPlan(server, user, target, access, { overlapSeconds: plan.overlap_seconds });
  return { plan: { ...fresh, created_at: plan.created_at }, differences };
}
