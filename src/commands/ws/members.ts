import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerMembers(parent: Command, ctx: Context): void {
  parent
    .command('members')
    .description('list the members of a workspace, org admins included (marked "via org admin")')
    .argument('<workspace>', 'name or id')
    .addHelpText('after', examples(['noxus ws members Marketing', 'noxus ws members Marketing --json']))
    .action((w: string) => runMembers(ctx, w));
}

export async function runMembers(ctx: Context, ref: string): Promise<void> {
  await requireFeatures(ctx, 'ws members');
  const r = await resolverFor(ctx);
  const g = await r.group(ref);
  const { listMembers } = await import('../../api/groups.js');
  const rows = await listMembers(r.client, g.id);
  ctx.out.list(
    'ws members',
    rows,
    [
      { header: 'Email', value: (m) => m.email },
      { header: 'Role', value: (m) => m.role.name },
      { header: 'Via', value: (m) => (m.via === 'org_admin' ? 'via org admin' : 'membership') },
      { header: 'Status', value: (m) => m.status ?? '' },
      { header: 'Since', value: (m) => m.since ?? '', time: true },
      { header: 'User ID', value: (m) => m.user_id },
      // Grant terms last: scripts reading the columns before them are unaffected.
      { header: 'Expires', value: (m) => m.expires_at ?? '', time: true, priority: 2 },
      { header: 'Reason', value: (m) => m.reason ?? '', priority: 3 },
    ],
    { extra: { workspace: { id: g.id, name: g.name } } },
  );
}
