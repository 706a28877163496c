import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerCancel(parent: Command, ctx: Context): void {
  parent
    .command('cancel')
    .description(
      'withdraw an invitation: its link stops working at once (the user stays invited, without a link)',
    )
    .argument('<user|invitation>', "the invited user's email or id, or the invitation id")
    .option('--dry-run', 'show what would change')
    .addHelpText(
      'after',
      `${examples(['noxus invitations cancel newhire@example.com --yes', 'noxus invitations cancel 0b6c… --dry-run'])}
Asks on a terminal and needs --yes without one. To invite them again later:
noxus users resend-invite USER; to remove the account: noxus users remove USER.
`,
    )
    .action((ref: string, o: { dryRun?: boolean }) => runInvitationsCancel(ctx, ref, o));
}

export async function runInvitationsCancel(
  ctx: Context,
  ref: string,
  o: { dryRun?: boolean },
): Promise<void> {
  await requireFeatures(ctx, 'invitations cancel');
  const invitations = await import('../../services/invitations.js');
  const r = await resolverFor(ctx);
  const { invitation: found, done } = await invitations.planCancel(r, ref);
  if (done) {
    if (ctx.globals.json) ctx.out.envelope('invitations cancel', [{ ...found, changed: false }]);
    else ctx.out.success(`the invitation of ${found.email} was already cancelled (unchanged)`);
    return;
  }
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('invitations cancel', [{ ...found, dry_run: true }]);
    else
      ctx.out.info(
        `would cancel the ${found.status} invitation of ${found.email} (${found.id}); nothing changed`,
      );
    return;
  }
  await confirmDestructive(
    ctx,
    `cancel the invitation of ${found.email} (its link stops working)`,
    `noxus invitations cancel ${found.id}`,
  );
  const res = await invitations.cancel(r, found);
  if (ctx.globals.json) ctx.out.envelope('invitations cancel', [res]);
  else
    ctx.out.success(
      `cancelled the invitation of ${found.email}; its link no longer works (send a new one with: noxus users resend-invite ${found.email})`,
    );
}
