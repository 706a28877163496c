import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { checkName } from '../../services/users.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerRename(parent: Command, ctx: Context): void {
  parent
    .command('rename')
    .description('rename a workspace (its id, members, keys and resources stay)')
    .argument('<workspace>', 'name or id')
    .argument('<new-name>', 'the new name')
    .option('--dry-run', 'show what would change')
    .addHelpText('after', examples(['noxus ws rename Research "Applied Research"']))
    .action((w: string, name: string, o: { dryRun?: boolean }) => runWsRename(ctx, w, name, o));
}

export async function runWsRename(
  ctx: Context,
  ref: string,
  name: string,
  o: { dryRun?: boolean },
): Promise<void> {
  checkName(name, 'workspace name');
  await requireFeatures(ctx, 'ws rename');
  const { renameWorkspace } = await import('../../services/workspaces.js');
  const { group: g, updated, changed } = await renameWorkspace(await resolverFor(ctx), ref, name, o);
  if (!changed) {
    if (ctx.globals.json) ctx.out.envelope('ws rename', [{ ...g, changed: false }]);
    else ctx.out.success(`workspace ${g.name} already has that name (unchanged)`);
    return;
  }
  if (!updated) {
    if (ctx.globals.json) ctx.out.envelope('ws rename', [{ ...g, new_name: name, dry_run: true }]);
    else ctx.out.info(`would rename workspace ${g.name} (${g.id}) to "${name}"; nothing changed`);
    return;
  }
  if (ctx.globals.json) ctx.out.envelope('ws rename', [{ ...updated, previous_name: g.name, changed: true }]);
  else ctx.out.success(`renamed workspace ${g.name} to ${updated.name} (${updated.id})`);
}
