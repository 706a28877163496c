import type { Command } from 'commander';
import type { Invitation } from '../../api/invitations.js';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { didYouMean } from '../../domain/match.js';
import { normalizeEmail } from '../../domain/validate.js';
import { ConflictError, NotFoundError } from '../../errors.js';
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

const matches = (i: Invitation, ref: string) =>
  i.id === ref || i.user_id === ref || (ref.includes('@') && normalizeEmail(i.email) === normalizeEmail(ref));

export async function runInvitationsCancel(
  ctx: Context,
  ref: string,
  o: { dryRun?: boolean },
): Promise<void> {
  await requireFeatures(ctx, 'invitations cancel');
  const r = await resolverFor(ctx);
  const { cancelInvitation, listInvitations } = await import('../../api/invitations.js');
  const all = await listInvitations(r.client, 'all');
  // Newest first: a user's pending invitation before the ones it replaced.
  const found =
    all.find((i) => matches(i, ref) && i.status === 'pending') ?? all.find((i) => matches(i, ref));
  if (!found) {
    const pending = all.filter((i) => i.status === 'pending').map((i) => i.email);
    throw new NotFoundError(`no invitation for ${ref}`, {
      hint: didYouMean(ref, pending) ?? 'list pending invitations with: noxus invitations list',
    });
  }
  if (found.status === 'accepted')
    throw new ConflictError(`${found.email} already accepted their invitation on ${found.accepted_at}`, {
      hint: `to take their access away: noxus users remove ${found.email}`,
    });
  if (found.status === 'cancelled') {
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
  const res = await cancelInvitation(r.client, found.id);
  if (ctx.globals.json) ctx.out.envelope('invitations cancel', [res]);
  else
    ctx.out.success(
      `cancelled the invitation of ${found.email}; its link no longer works (send a new one with: noxus users resend-invite ${found.email})`,
    );
}
