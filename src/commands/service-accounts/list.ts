import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerList(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list service accounts and how many active keys each owns')
    .action(() => runSaList(ctx));
}

export async function runSaList(ctx: Context): Promise<void> {
  await requireFeatures(ctx, 'service-accounts list');
  const { listServiceAccounts } = await import('../../services/service-accounts.js');
  const rows = await listServiceAccounts(await resolverFor(ctx));
  ctx.out.list('service-accounts list', rows, [
    { header: 'Email', value: (a) => a.email },
    { header: 'Name', value: (a) => a.name ?? a.display_name },
    { header: 'Status', value: (a) => a.status ?? '' },
    { header: 'Active keys', value: (a) => a.active_keys },
    { header: 'Created', value: (a) => a.created_at ?? '', time: true },
    { header: 'ID', value: (a) => a.id },
  ]);
}
