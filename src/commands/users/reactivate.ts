import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';
import { statusLine } from './suspend.js';

export function registerReactivate(parent: Command, ctx: Context): void {
  parent
    .command('reactivate')
    .description('reactivate a suspended user (their keys work again)')
    .argument('<user>', 'user id or email')
    .option('--dry-run', 'show what would change')
    .addHelpText('after', examples(['noxus users reactivate tim@example.com']))
    .action((user: string, o: { dryRun?: boolean }) => runReactivate(ctx, user, o));
}

export async function runReactivate(ctx: Context, ref: string, o: { dryRun?: boolean }): Promise<void> {
  await requireFeatures(ctx, 'users reactivate');
  const users = await import('../../services/users.js');
  const r = await resolverFor(ctx);
  const { user: u, status } = await users.planStatusChange(r, 'reactivate', ref);
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('users reactivate', [
        { user: u.id, email: u.email, self: false, status, action: 'reactivate', dry_run: true },
      ]);
    else ctx.out.info(`would reactivate ${u.email} (now ${status}); nothing changed`);
    return;
  }
  const res = await users.reactivate(r, u);
  if (ctx.globals.json) ctx.out.envelope('users reactivate', [res]);
  else ctx.out.success(statusLine(u.email, res));
}
