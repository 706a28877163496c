import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { resolverFor } from '../shared.js';

export function registerList(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list workspaces')
    .addHelpText('after', examples(['noxus ws list', 'noxus ws list --json']))
    .action(() => runWsList(ctx));
}

export async function runWsList(ctx: Context): Promise<void> {
  const r = await resolverFor(ctx);
  const groups = await r.groups();
  ctx.out.list('ws list', groups, [
    { header: 'Name', value: (g) => g.name },
    { header: 'Description', value: (g) => g.description },
    { header: 'Created', value: (g) => g.created_at ?? '', time: true },
    { header: 'ID', value: (g) => g.id },
  ]);
}
