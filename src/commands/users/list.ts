import { type Command, Option } from 'commander';
import type { UserStatus } from '../../api/users.js';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { relativeTime } from '../../io/text.js';
import { requireFeatures, resolverFor, userColumns } from '../shared.js';

interface ListOpts {
  status?: UserStatus | 'inactive';
  workspace?: string;
  kind?: 'human' | 'service';
}

export function registerList(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list users (removed users only with --status removed)')
    .addOption(
      new Option(
        '--status <status>',
        'only users with this status (inactive: anyone not active; the public Noxus API knows only active and inactive)',
      ).choices(['invited', 'active', 'inactive', 'suspended', 'removed']),
    )
    .option('--workspace <w>', 'only members of this workspace (name or id), org admins included')
    .addOption(new Option('--kind <kind>', 'people or service accounts').choices(['human', 'service']))
    .addHelpText(
      'after',
      examples([
        'noxus users list',
        'noxus users list --status invited',
        'noxus users list --workspace Marketing --json',
      ]),
    )
    .action((o: ListOpts) => runList(ctx, o));
}

export async function runList(ctx: Context, o: ListOpts): Promise<void> {
  // A server without member lists ignores group_id: no silent "everyone" for --workspace.
  await requireFeatures(ctx, 'users list', [!!o.workspace && 'members.list']);
  const r = await resolverFor(ctx);
  const groupId = o.workspace ? (await r.group(o.workspace)).id : undefined;
  const users = await r.users({ status: o.status, kind: o.kind, group_id: groupId, strict: true });
  const now = ctx.io.now();
  const columns = [...userColumns];
  if (o.status === 'invited') {
    columns.splice(4, 0, {
      header: 'Invited',
      value: (u) =>
        u.invitation
          ? ctx.out.tty
            ? relativeTime(u.invitation.created_at, now)
            : u.invitation.created_at
          : '',
    });
  }
  ctx.out.list('users list', users, columns, { empty: 'No users match.' });
}
