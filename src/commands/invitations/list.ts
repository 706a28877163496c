import { type Command, Option } from 'commander';
import type { Invitation, InvitationStatus } from '../../api/invitations.js';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

export const INVITATION_STATUSES = ['pending', 'accepted', 'expired', 'cancelled', 'all'] as const;

export function registerList(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list invitations, newest first (pending ones unless --status says otherwise)')
    .addOption(
      new Option('--status <status>', 'which invitations')
        .choices([...INVITATION_STATUSES])
        .default('pending'),
    )
    .addHelpText(
      'after',
      examples([
        'noxus invitations list',
        'noxus invitations list --status expired',
        'noxus invitations list --status all --json',
      ]),
    )
    .action((o: { status: InvitationStatus | 'all' }) => runInvitationsList(ctx, o));
}

export async function runInvitationsList(
  ctx: Context,
  o: { status: InvitationStatus | 'all' },
): Promise<void> {
  await requireFeatures(ctx, 'invitations list');
  const r = await resolverFor(ctx);
  const { listInvitations } = await import('../../api/invitations.js');
  const rows = await listInvitations(r.client, o.status);
  ctx.out.list(
    'invitations list',
    rows,
    [
      { header: 'Email', value: (i: Invitation) => i.email },
      { header: 'Status', value: (i) => i.status },
      { header: 'Delivery', value: (i) => i.delivery?.state ?? '', priority: 2 },
      { header: 'Created', value: (i) => i.created_at, time: true, priority: 1 },
      { header: 'Expires', value: (i) => i.expires_at, time: true },
      { header: 'ID', value: (i) => i.id, priority: 3 },
    ],
    { empty: o.status === 'all' ? 'No invitations.' : `No ${o.status} invitations.` },
  );
}
