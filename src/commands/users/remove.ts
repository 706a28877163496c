import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import { requireFeatures, resolverFor } from '../shared.js';

const OFFBOARD_TIP = (email: string) =>
  `tip: noxus offboard ${email} runs the full checklist (access review, resource transfer, rotating shared keys)`;

export function registerRemove(parent: Command, ctx: Context): void {
  parent
    .command('remove')
    .alias('rm')
    .description(
      'remove a user from the organization (memberships deleted, keys revoked; work and activity kept)',
    )
    .argument('<user>', 'user id or email')
    .option('--dry-run', 'show what would change')
    .option('--force', 'allow removing yourself (the holder of the key in use)')
    .addHelpText(
      'after',
      `${examples(['noxus users remove tim@example.com --dry-run', 'noxus users remove tim@example.com --yes'])}
Removing revokes every key the user holds and every key whose secret they saw; their resources and
activity stay under their id. It asks on a terminal and needs --yes without one. Removing yourself
stops the key in use, so it is refused unless --force; the server never removes the last active org
admin (exit 7). For the full offboarding checklist (access review, resource transfer, rotating
shared keys) use: noxus offboard USER.
`,
    )
    .action((user: string, o: { dryRun?: boolean; force?: boolean }) => runRemove(ctx, user, o));
}

export async function runRemove(
  ctx: Context,
  ref: string,
  o: { dryRun?: boolean; force?: boolean },
): Promise<void> {
  await requireFeatures(ctx, 'users remove');
  const users = await import('../../services/users.js');
  const r = await resolverFor(ctx);
  const canGetOne = async () => (await ctx.capabilities()).has('users.get');
  const { user: u, done, self } = await users.planRemoval(r, ref, canGetOne);
  if (done) {
    // A second run of the same removal changes nothing and says so.
    if (ctx.globals.json)
      ctx.out.envelope('users remove', [
        { user: u.id, email: u.email, changed: false, removed_at: u.removed_at ?? null },
      ]);
    else
      ctx.out.success(
        `${u.email} was already removed${u.removed_at ? ` on ${u.removed_at}` : ''} (unchanged)`,
      );
    return;
  }
  const who = `${u.email}${self ? ' (you)' : ''}`;
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('users remove', [
        { user: u.id, email: u.email, self, action: 'remove', dry_run: true },
      ]);
    else {
      ctx.out.info(
        `would remove ${who} from the organization: memberships deleted, their keys and every key whose secret they saw revoked, pending invitations withdrawn; resources and activity kept; nothing changed`,
      );
      if (self) ctx.out.warn('this removes the holder of the key you are using; it needs --force');
      ctx.out.info(OFFBOARD_TIP(u.email));
    }
    return;
  }
  if (self && !o.force) {
    throw new UsageError(
      `refusing to remove yourself: ${u.email} holds the key in use, which would stop working at once`,
      { hint: `if that is what you want, run: noxus users remove ${u.email} --force --yes; nothing changed` },
    );
  }
  if (!ctx.globals.json) ctx.out.info(OFFBOARD_TIP(u.email));
  await confirmDestructive(
    ctx,
    `remove ${who} from the organization, revoking their keys`,
    `noxus users remove ${u.email}${self ? ' --force' : ''}`,
  );
  const res = await users.removeFromOrganization(r, u);
  if (ctx.globals.json) {
    ctx.out.envelope('users remove', [{ ...res, self }]);
    return;
  }
  const n = res.revoked_keys?.length ?? 0;
  ctx.out.success(
    res.changed === false
      ? `${u.email} was already removed (unchanged)`
      : `removed ${u.email} from the organization; revoked ${n} key${n === 1 ? '' : 's'}`,
  );
}
