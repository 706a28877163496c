import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerResendInvite(parent: Command, ctx: Context): void {
  parent
    .command('resend-invite')
    .description('send a fresh invitation (the previous link stops working)')
    .argument('<user>', 'user id or email')
    .option('--dry-run', 'show what would change')
    .addHelpText('after', examples(['noxus users resend-invite newhire@example.com']))
    .action((user: string, o: { dryRun?: boolean }) => runResendInvite(ctx, user, o));
}

export async function runResendInvite(ctx: Context, ref: string, o: { dryRun?: boolean }): Promise<void> {
  await requireFeatures(ctx, 'users resend-invite');
  const users = await import('../../services/users.js');
  const r = await resolverFor(ctx);
  const { user: u, status } = await users.planStatusChange(r, 'resend-invite', ref);
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('users resend-invite', [
        { user: u.id, email: u.email, self: false, status, action: 'resend-invite', dry_run: true },
      ]);
    else ctx.out.info(`would send a new invitation to ${u.email} (now ${status}); nothing changed`);
    return;
  }
  const res = await users.resendInvite(r, u);
  if (ctx.globals.json) {
    ctx.out.envelope('users resend-invite', [res]);
    return;
  }
  const inv = res.invitation as typeof res.invitation | undefined;
  ctx.out.success(
    `new invitation for ${u.email}: ${inv?.delivered_to ?? 'sent'}; expires ${inv?.expires_at ?? '?'}; the previous link no longer works`,
  );
}
