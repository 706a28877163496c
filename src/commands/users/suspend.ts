import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerSuspend(parent: Command, ctx: Context): void {
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
    .action((user: string, o: { dryRun?: boolean; force?: boolean }) => runSuspend(ctx, user, o));
}

export async function runSuspend(
  ctx: Context,
  ref: string,
  o: { dryRun?: boolean; force?: boolean },
): Promise<void> {
  await requireFeatures(ctx, 'users suspend');
  const users = await import('../../services/users.js');
  const r = await resolverFor(ctx);
  const { user: u, status, self } = await users.planStatusChange(r, 'suspend', ref);
  const who = `${u.email}${self ? ' (you)' : ''}`;
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('users suspend', [
        { user: u.id, email: u.email, self, status, action: 'suspend', dry_run: true },
      ]);
    else {
      ctx.out.info(`would suspend ${who} (now ${status}); nothing changed`);
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
  await confirmDestructive(ctx, `suspend ${who}`, `noxus users suspend ${u.email}${self ? ' --force' : ''}`);
  const res = await users.suspend(r, u);
  if (ctx.globals.json) ctx.out.envelope('users suspend', [res]);
  else ctx.out.success(statusLine(u.email, res));
}

/** The success line of suspend and reactivate: the new status, or that it already was so. */
export function statusLine(
  email: string,
  res: { changed?: boolean; status?: string; is_active: boolean },
): string {
  return res.changed !== false
    ? `${email} is now ${res.status ?? (res.is_active ? 'active' : 'suspended')}`
    : `${email} was already ${res.status} (unchanged)`;
}
