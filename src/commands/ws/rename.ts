import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { ConflictError } from '../../errors.js';
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
  const r = await resolverFor(ctx);
  const g = await r.group(ref);
  if (g.name === name) {
    if (ctx.globals.json) ctx.out.envelope('ws rename', [{ ...g, changed: false }]);
    else ctx.out.success(`workspace ${g.name} already has that name (unchanged)`);
    return;
  }
  const dup = (await r.groups()).find((x) => x.id !== g.id && x.name.toLowerCase() === name.toLowerCase());
  if (dup) throw new ConflictError(`a workspace named "${dup.name}" already exists (${dup.id})`);
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('ws rename', [{ ...g, new_name: name, dry_run: true }]);
    else ctx.out.info(`would rename workspace ${g.name} (${g.id}) to "${name}"; nothing changed`);
    return;
  }
  const { updateGroup } = await import('../../api/groups.js');
  const updated = await updateGroup(r.client, g.id, { name });
  if (ctx.globals.json) ctx.out.envelope('ws rename', [{ ...updated, previous_name: g.name, changed: true }]);
  else ctx.out.success(`renamed workspace ${g.name} to ${updated.name} (${updated.id})`);
}
