import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { resolverFor } from '../shared.js';

export function registerGet(parent: Command, ctx: Context): void {
  parent
    .command('get')
    .description('show one workspace')
    .argument('<workspace>', 'name or id')
    .action((w: string) => runWsGet(ctx, w));
}

export async function runWsGet(ctx: Context, ref: string): Promise<void> {
  const r = await resolverFor(ctx);
  const g = await r.group(ref);
  ctx.out.item('ws get', g, [
    { header: 'Name', value: (x) => x.name },
    { header: 'Description', value: (x) => x.description },
    { header: 'Created', value: (x) => x.created_at ?? '', time: true },
    { header: 'ID', value: (x) => x.id },
  ]);
}
