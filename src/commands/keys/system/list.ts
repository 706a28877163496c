import type { Command } from 'commander';
import type { Context } from '../../../cli/context.js';

export function registerSystemList(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list system keys')
    .action(() => runSystemList(ctx));
}

export async function runSystemList(ctx: Context): Promise<void> {
  const [{ listSystemKeys }, client] = await Promise.all([import('../../../api/keys.js'), ctx.client()]);
  const keys = await listSystemKeys(client);
  ctx.out.list('keys system list', keys, [
    { header: 'Name', value: (k) => k.name },
    { header: 'Permissions', value: (k) => (k.tenant_admin ? 'tenant admin' : k.permissions.join(',')) },
    { header: 'Created by', value: (k) => k.created_by_email ?? k.created_by ?? '' },
    { header: 'Created', value: (k) => k.created_at, time: true },
    { header: 'Last used', value: (k) => k.last_used_at ?? 'never', time: true },
    { header: 'Status', value: (k) => k.status ?? (k.revoked_at ? 'revoked' : 'active') },
    { header: 'ID', value: (k) => k.id },
  ]);
}
