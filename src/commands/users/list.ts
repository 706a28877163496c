import { type Command, Option } from 'commander';
import type { UserStatus } from '../../api/users.js';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { relativeTime } from '../../io/text.js';
import { resolverFor, userColumns } from '../shared.js';

interface ListOpts {
  status?: UserStatus;
  workspace?: string;
  kind?: 'human' | 'service';
}

export function registerList(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list users (removed users only with --status removed)')
    .addOption(
      new Option('--status <status>', 'only users with this status').choices([
        'invited',
        'active',
        'suspended',
        'removed',
      ]),
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
  const r = await resolverFor(ctx);
  const groupId = o.workspace ? (await r.group(o.workspace)).id : undefined;
  const users = await r.users({ status: o.status, kind: o.kind, group_id: groupId });
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
