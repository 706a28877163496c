import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerDelete(parent: Command, ctx: Context): void {
  parent
    .command('delete')
    .alias('rm')
    .description('delete a workspace: its keys are revoked and its resources deleted (activity is kept)')
    .argument('<workspace>', 'name or id')
    .option('--dry-run', 'show what would be deleted')
    .addHelpText('after', examples(['noxus ws delete Research --dry-run', 'noxus ws delete Research --yes']))
    .action((w: string, o: { dryRun?: boolean }) => runWsDelete(ctx, w, o));
}

export async function runWsDelete(ctx: Context, ref: string, o: { dryRun?: boolean }): Promise<void> {
  await requireFeatures(ctx, 'ws delete');
  const r = await resolverFor(ctx);
  const g = await r.group(ref);
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('ws delete', [{ ...g, dry_run: true }]);
    else
      ctx.out.info(
        `would delete workspace ${g.name} (${g.id}), revoking its keys and deleting its resources; nothing changed`,
      );
    return;
  }
  await confirmDestructive(
    ctx,
    `delete workspace ${g.name} with its keys and resources`,
    `noxus ws delete ${g.id}`,
  );
  const { deleteWorkspace } = await import('../../services/workspaces.js');
  await deleteWorkspace(r.client, g);
  if (ctx.globals.json) ctx.out.envelope('ws delete', [{ ...g, deleted: true }]);
  else ctx.out.success(`deleted workspace ${g.name}`);
}
