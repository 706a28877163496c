import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerDelete(parent: Command, ctx: Context): void {
  parent
    .command('delete')
    .alias('rm')
    .description('delete a service account: its keys are revoked at once')
    .argument('<account>', 'id or email')
    .option('--dry-run', 'show what would be deleted')
    .action((ref: string, o: { dryRun?: boolean }) => runSaDelete(ctx, ref, o));
}

export async function runSaDelete(ctx: Context, ref: string, o: { dryRun?: boolean }): Promise<void> {
  await requireFeatures(ctx, 'service-accounts delete');
  const { findServiceAccount, deleteServiceAccount } = await import('../../services/service-accounts.js');
  const r = await resolverFor(ctx);
  const sa = await findServiceAccount(r, ref);
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('service-accounts delete', [{ id: sa.id, email: sa.email, dry_run: true }]);
    else ctx.out.info(`would delete service account ${sa.email} and revoke its keys; nothing changed`);
    return;
  }
  await confirmDestructive(
    ctx,
    `delete service account ${sa.email} and revoke its keys`,
    `noxus service-accounts delete ${sa.email}`,
  );
  const res = await deleteServiceAccount(r, sa);
  if (ctx.globals.json) ctx.out.envelope('service-accounts delete', [res]);
  else
    ctx.out.success(`deleted service account ${sa.email}; revoked ${res.revoked_keys?.length ?? 0} key(s)`);
}
