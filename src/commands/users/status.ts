import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import { isCurrentHolder, requireFeatures, resolverFor, userStatus } from '../shared.js';

type Verb = 'suspend' | 'reactivate' | 'resend-invite';

export function registerStatusVerbs(parent: Command, ctx: Context): void {
  parent
    .command('suspend')
    .description('suspend a user: sign-in and all their keys stop working at once (reversible)')
    .argument('<user>', 'user id or email')
    .option('--dry-run', 'show what would change')
    .option('--force', 'allow suspending yourself (the holder of the key in use)')
    .addHelpText(
      'after',
      `${examples(['noxus users suspend tim@example.com', 'noxus users suspend tim@example.com --yes --json'])}
Suspending yourself stops the key in use at once, so it is refused unless --force; the server never
suspends the last active org admin.
`,
    )
    .action((user: string, o: { dryRun?: boolean; force?: boolean }) =>
      runStatusVerb(ctx, 'suspend', user, o),
    );
  parent
    .command('reactivate')
    .description('reactivate a suspended user (their keys work again)')
    .argument('<user>', 'user id or email')
    .option('--dry-run', 'show what would change')
    .addHelpText('after', examples(['noxus users reactivate tim@example.com']))
    .action((user: string, o: { dryRun?: boolean }) => runStatusVerb(ctx, 'reactivate', user, o));
  parent
    .command('resend-invite')
    .description('send a fresh invitation (the previous link stops working)')
    .argument('<user>', 'user id or email')
    .option('--dry-run', 'show what would change')
    .addHelpText('after', examples(['noxus users resend-invite newhire@example.com']))
    .action((user: string, o: { dryRun?: boolean }) => runStatusVerb(ctx, 'resend-invite', user, o));
}

export async function runStatusVerb(
  ctx: Context,
  verb: Verb,
  ref: string,
  o: { dryRun?: boolean; force?: boolean },
): Promise<void> {
  await requireFeatures(ctx, `users ${verb}`);
  const r = await resolverFor(ctx);
  const u = await r.user(ref);
  const self = verb === 'suspend' && (await isCurrentHolder(r, u.id));
  const who = `${u.email}${self ? ' (you)' : ''}`;
  const api = await import('../../api/users.js');
  const status = userStatus(u);
  const plan =
    verb === 'suspend' ? 'suspend' : verb === 'reactivate' ? 'reactivate' : 'send a new invitation to';
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope(`users ${verb}`, [
        { user: u.id, email: u.email, self, status, action: verb, dry_run: true },
      ]);
    else {
      ctx.out.info(`would ${plan} ${who} (now ${status}); nothing changed`);
      if (self) ctx.out.warn('this suspends the holder of the key you are using; it needs --force');
    }
    return;
  }
  if (self && !o.force) {
    throw new UsageError(
      `refusing to suspend yourself: ${u.email} holds the key in use, which would stop working at once`,
      {
        hint: `if that is what you want, run: noxus users suspend ${u.email} --force --yes; nothing changed`,
      },
    );
  }
  if (verb === 'suspend')
    await confirmDestructive(
      ctx,
      `suspend ${who}`,
      `noxus users suspend ${u.email}${self ? ' --force' : ''}`,
    );
  const res =
    verb === 'suspend'
      ? await api.suspendUser(r.client, u.id)
      : verb === 'reactivate'
        ? await api.reactivateUser(r.client, u.id)
        : await api.resendInvitation(r.client, u.id);
  if (ctx.globals.json) {
    ctx.out.envelope(`users ${verb}`, [res]);
    return;
  }
  if (verb === 'resend-invite') {
    const inv = (res as { invitation?: { delivered_to: string; expires_at: string } }).invitation;
    ctx.out.success(
      `new invitation for ${u.email}: ${inv?.delivered_to ?? 'sent'}; expires ${inv?.expires_at ?? '?'}; the previous link no longer works`,
    );
    return;
  }
  const changed = (res as { changed?: boolean }).changed !== false;
  ctx.out.success(
    changed
      ? `${u.email} is now ${res.status ?? (res.is_active ? 'active' : 'suspended')}`
      : `${u.email} was already ${res.status} (unchanged)`,
  );
}
