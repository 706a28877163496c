import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

interface CreateOpts {
  description: string;
  dryRun?: boolean;
}

export function registerCreate(parent: Command, ctx: Context): void {
  parent
    .command('create')
    .description('create a workspace')
    .argument('<name>', 'workspace name (unique)')
    .option('--description <text>', 'description', '')
    .option('--dry-run', 'check the name, create nothing')
    .addHelpText('after', examples(['noxus ws create Research --description "R&D team"']))
    .action((name: string, o: CreateOpts) => runWsCreate(ctx, name, o));
}

export async function runWsCreate(ctx: Context, name: string, o: CreateOpts): Promise<void> {
  await requireFeatures(ctx, 'ws create');
  const { createWorkspace } = await import('../../services/workspaces.js');
  const r = await resolverFor(ctx);
  const g = await createWorkspace(r, { name, description: o.description, dryRun: o.dryRun });
  if (!g) {
    if (ctx.globals.json)
      ctx.out.envelope('ws create', [{ name, description: o.description, dry_run: true }]);
    else ctx.out.info(`would create workspace "${name}"; nothing changed`);
    return;
  }
  if (ctx.globals.json) ctx.out.envelope('ws create', [g]);
  else ctx.out.success(`created workspace ${g.name} (${g.id})`);
}
