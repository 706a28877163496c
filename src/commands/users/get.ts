import type { Command } from 'commander';
import type { User } from '../../api/users.js';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { resolverFor, userStatus } from '../shared.js';

export function registerGet(parent: Command, ctx: Context): void {
  parent
    .command('get')
    .description('show one user (a removed one too, with when they were removed)')
    .argument('<user>', 'user id or email')
    .addHelpText(
      'after',
      examples(['noxus users get ada@example.com', 'noxus users get ada@example.com --json']),
    )
    .action((user: string) => runGet(ctx, user));
}

export async function runGet(ctx: Context, ref: string): Promise<void> {
  const { findIncludingRemoved } = await import('../../services/users.js');
  const canGetOne = async () => (await ctx.capabilities()).has('users.get');
  const u = await findIncludingRemoved(await resolverFor(ctx), ref, canGetOne);
  if (u.status === 'removed' && !ctx.globals.json)
    ctx.out.warn(
      `${u.email} was removed from the organization${u.removed_at ? ` on ${u.removed_at}` : ''}; their resources and activity are kept`,
    );
  ctx.out.item('users get', u, [
    { header: 'Email', value: (x) => x.email },
    { header: 'Name', value: (x) => x.name ?? '' },
    { header: 'Display name', value: (x) => x.display_name },
    { header: 'Kind', value: (x) => x.kind ?? 'human' },
    { header: 'Status', value: userStatus },
    ...(u.suspended_at
      ? [{ header: 'Suspended', value: (x: User) => x.suspended_at ?? '', time: true }]
      : []),
    ...(u.removed_at ? [{ header: 'Removed', value: (x: User) => x.removed_at ?? '', time: true }] : []),
    { header: 'Org role', value: (x) => x.org_role?.name ?? '' },
    { header: 'Tenant admin', value: (x) => (x.tenant_admin ? 'yes' : 'no') },
    { header: 'Created', value: (x) => x.created_at ?? '', time: true },
    { header: 'Last active', value: (x) => x.last_active_at ?? '', time: true },
    { header: 'ID', value: (x) => x.id },
  ]);
}
