import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { resolverFor, userStatus } from '../shared.js';

export function registerGet(parent: Command, ctx: Context): void {
  parent
    .command('get')
    .description('show one user')
    .argument('<user>', 'user id or email')
    .addHelpText(
      'after',
      examples(['noxus users get ada@example.com', 'noxus users get ada@example.com --json']),
    )
    .action((user: string) => runGet(ctx, user));
}

export async function runGet(ctx: Context, ref: string): Promise<void> {
  const r = await resolverFor(ctx);
  const u = await r.user(ref);
  ctx.out.item('users get', u, [
    { header: 'Email', value: (x) => x.email },
    { header: 'Name', value: (x) => x.name ?? '' },
    { header: 'Display name', value: (x) => x.display_name },
    { header: 'Kind', value: (x) => x.kind ?? 'human' },
    { header: 'Status', value: userStatus },
    { header: 'Org role', value: (x) => x.org_role?.name ?? '' },
    { header: 'Tenant admin', value: (x) => (x.tenant_admin ? 'yes' : 'no') },
    { header: 'Created', value: (x) => x.created_at ?? '', time: true },
    { header: 'Last active', value: (x) => x.last_active_at ?? '', time: true },
    { header: 'ID', value: (x) => x.id },
  ]);
}
