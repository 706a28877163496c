import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import { requireFeatures, resolverFor } from '../shared.js';

interface UpdateOpts {
  name?: string;
  displayName?: string;
  avatarUrl?: string;
  orgRole?: string;
  dryRun?: boolean;
  force?: boolean;
}

export function registerUpdate(parent: Command, ctx: Context): void {
  parent
    .command('update')
    .description("change a user's profile or organization role")
    .argument('<user>', 'user id or email')
    .option('--name <name>', 'full name')
    .option('--display-name <name>', 'display name')
    .option('--avatar-url <url>', 'profile picture URL ("" to clear)')
    .option('--org-role <role>', 'organization role')
    .option('--dry-run', 'show the change, make none')
    .option('--force', 'allow taking org admin away from yourself')
    .addHelpText(
      'after',
      `${examples([
        'noxus users update ada@example.com --display-name "Ada L."',
        'noxus users update ken@example.com --org-role "Org Admin" --dry-run',
        'noxus users update ken@example.com --org-role "Org Base" --yes',
      ])}
Changing an org role asks for confirmation on a terminal and needs --yes without one. Taking org
admin away from yourself (the holder of the key in use) is refused unless --force; the server never
lets the last active org admin go.
`,
    )
    .action((user: string, o: UpdateOpts) => runUpdate(ctx, user, o));
}

export async function runUpdate(ctx: Context, ref: string, o: UpdateOpts): Promise<void> {
  await requireFeatures(ctx, 'users update');
  const users = await import('../../services/users.js');
  const r = await resolverFor(ctx);
  const plan = await users.planUserUpdate(r, ref, o);
  const { user: u, self, roleChange } = plan;
  const who = `${u.email}${self ? ' (you)' : ''}`;
  if (o.dryRun || plan.changes.length === 0) {
    if (ctx.globals.json)
      ctx.out.envelope('users update', plan.changes, {
        user: u.id,
        self,
        dry_run: !!o.dryRun,
        changed: false,
      });
    else if (plan.changes.length === 0) ctx.out.info(`${u.email}: nothing to change (unchanged)`);
    else {
      for (const c of plan.changes)
        ctx.out.info(`would change ${c.field} of ${who}: ${String(c.before)} → ${String(c.after)}`);
      if (self && roleChange?.demotesAdmin)
        ctx.out.warn('this takes org admin away from the key you are using; it needs --force');
    }
    return;
  }
  if (roleChange) {
    const force = self && roleChange.demotesAdmin;
    const command = `noxus users update ${u.email} --org-role "${roleChange.to}"${force ? ' --force' : ''}`;
    if (force && !o.force) {
      throw new UsageError(
        `refusing to take org admin away from yourself: ${u.email} holds the key in use, which would lose org admin`,
        { hint: `if that is what you want, run: ${command} --yes; nothing changed` },
      );
    }
    await confirmDestructive(
      ctx,
      `change the org role of ${who} from ${roleChange.from} to ${roleChange.to}`,
      command,
    );
  }
  await users.applyUserUpdate(r, plan);
  if (ctx.globals.json) ctx.out.envelope('users update', plan.changes, { user: u.id, changed: true });
  else
    for (const c of plan.changes)
      ctx.out.success(`${u.email}: ${c.field} ${String(c.before)} → ${String(c.after)}`);
}
