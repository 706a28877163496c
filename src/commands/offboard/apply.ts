// --apply: a plan written by --plan-out, checked against the server before anything changes.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { User } from '../../api/users.js';
import type { Context } from '../../cli/context.js';
import { UsageError } from '../../errors.js';
import { checkPlan, overlapText, type Plan, parsePlan } from '../../services/offboard/index.js';
import type { Resolver } from '../../services/resolve.js';

export async function planFromFile(
  ctx: Context,
  r: Resolver,
  server: string,
  user: User,
  file: string,
  o: { force: boolean; overlap: number; flag?: string },
): Promise<Plan> {
  const plan = parsePlan(readFileSync(resolve(ctx.io.cwd, file), 'utf8'), file);
  if (plan.user.id !== user.id)
    throw new UsageError(`${file} is the plan for ${plan.user.email}, not ${user.email}`);
  // The overlap is part of the reviewed plan: the command line may repeat it, not change it.
  if (o.flag && o.overlap !== (plan.overlap_seconds ?? 0))
    throw new UsageError(
      `${file} was planned ${plan.overlap_seconds ? `with --overlap ${overlapText(plan.overlap_seconds)}` : 'without --overlap'}; --overlap ${o.flag} would change it`,
      { hint: `write a new plan: noxus offboard ${user.email} --overlap ${o.flag} --plan-out ${file}` },
    );
  const checked = await checkPlan(r, server, plan, user, { force: o.force, file });
  if (checked.differences.length)
    ctx.out.warn(`applying a stale plan (--force): ${checked.differences.join('; ')}`);
  return checked.plan;
}
