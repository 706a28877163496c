// A new plan from the server (the access review, then who takes over the resources), and how a
// plan is shown or written without changing anything (--plan-out, --dry-run).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { User } from '../../api/users.js';
import type { Context } from '../../cli/context.js';
import { ConflictError, UsageError } from '../../errors.js';
import {
  buildPlan,
  checkTransferTarget,
  inventoryOf,
  type Plan,
  reviewUser,
  userOrRemoved,
} from '../../services/offboard/index.js';
import type { Resolver } from '../../services/resolve.js';
import { printInventory, printPlan } from './render.js';
import { askTransferTarget } from './transfer.js';

export async function newPlan(
  ctx: Context,
  r: Resolver,
  server: string,
  user: User,
  o: { transferTo?: string; overlap: number },
): Promise<{ plan: Plan; reviewShown: boolean }> {
  const access = await reviewUser(r, user);
  let target = o.transferTo ? await userOrRemoved(r, o.transferTo) : undefined;
  const owned = access.resources_owned;
  // On a terminal the access review comes first, so that the operator picks a successor
  // knowing what they take over; a --transfer-to that cannot take it is asked again.
  const ask = ctx.canPrompt() && !ctx.globals.json && owned.length > 0;
  if (ask) printInventory(ctx, user, inventoryOf(access));
  if (target) {
    try {
      await checkTransferTarget(r, user, target, owned);
    } catch (e) {
      if (!ask || !(e instanceof ConflictError || e instanceof UsageError)) throw e;
      ctx.out.warn(e.message);
      target = undefined;
    }
  }
  if (!target && ask) target = await askTransferTarget(ctx, r, user, owned);
  return { plan: buildPlan(server, user, target, access, { overlapSeconds: o.overlap }), reviewShown: ask };
}

/** --plan-out writes the plan (0600); both it and --dry-run show it and change nothing. */
export function showPlan(ctx: Context, plan: Plan, planOut: string | undefined, reviewShown: boolean): void {
  if (planOut)
    writeFileSync(resolve(ctx.io.cwd, planOut), `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
  if (ctx.globals.json) {
    ctx.out.document({
      command: 'offboard',
      plan,
      written_to: planOut ? resolve(ctx.io.cwd, planOut) : null,
      dry_run: true,
    });
    return;
  }
  printPlan(ctx, plan, reviewShown);
  ctx.out.info(
    planOut
      ? `plan written to ${planOut}; nothing was changed. Apply it with: noxus offboard ${plan.user.email} --apply ${planOut}`
      : 'Dry run: nothing was changed.',
  );
}
