import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import { isCurrentHolder, requireFeatures, resolverFor } from '../shared.js';

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
  const { checkName } = await import('../../services/users.js');
  if (o.name !== undefined) checkName(o.name, '--name');
  if (o.displayName !== undefined) checkName(o.displayName, '--display-name');
  if ([o.name, o.displayName, o.avatarUrl, o.orgRole].every((v) => v === undefined)) {
    throw new UsageError('nothing to change', {
      hint: 'give at least one of --name, --display-name, --avatar-url, --org-role',
    });
  }
  const r = await resolverFor(ctx);
  const u = await r.user(ref);
  const body: { name?: string; display_name?: string; avatar_url?: string | null; org_role?: string } = {};
  const changes: Array<[string, unknown, unknown]> = [];
  let roleChange: { to: string; demotesAdmin: boolean } | undefined;
  if (o.name !== undefined && o.name !== u.name) {
    body.name = o.name;
    changes.push(['name', u.name, o.name]);
  }
  if (o.displayName !== undefined && o.displayName !== u.display_name) {
    body.display_name = o.displayName;
    changes.push(['display name', u.display_name, o.displayName]);
  }
  if (o.avatarUrl !== undefined && (o.avatarUrl || null) !== (u.avatar_url ?? null)) {
    body.avatar_url = o.avatarUrl || null;
    changes.push(['avatar', u.avatar_url ?? '', o.avatarUrl]);
  }
  if (o.orgRole !== undefined) {
    const role = await r.role(o.orgRole, 'org', '--org-role');
    if (role.id !== u.org_role?.id) {
      body.org_role = role.id;
      changes.push(['org role', u.org_role?.name ?? '', role.name]);
      const { isOrgAdminRole } = await import('../../domain/identity.js');
      roleChange = { to: role.name, demotesAdmin: !!u.tenant_admin && !isOrgAdminRole(role) };
    }
  }
  // Whose key this is matters only for a role change: demoting yourself can lock you out.
  const self = roleChange ? await isCurrentHolder(r, u.id) : false;
  const who = `${u.email}${self ? ' (you)' : ''}`;
  const rows = changes.map(([field, before, after]) => ({ field, before, after }));
  if (o.dryRun || changes.length === 0) {
    if (ctx.globals.json)
      ctx.out.envelope('users update', rows, { user: u.id, self, dry_run: !!o.dryRun, changed: false });
    else if (changes.length === 0) ctx.out.info(`${u.email}: nothing to change (unchanged)`);
    else {
      for (const c of rows)
        ctx.out.info(`would change ${c.field} of ${who}: ${String(c.before)} → ${String(c.after)}`);
      if (self && roleChange?.demotesAdmin)
        ctx.out.warn('this takes org admin away from the key you are using; it needs --force');
    }
    return;
  }
  if (roleChange) {
    const command = `noxus users update ${u.email} --org-role "${roleChange.to}"${self && roleChange.demotesAdmin ? ' --force' : ''}`;
    if (self && roleChange.demotesAdmin && !o.force) {
      throw new UsageError(
        `refusing to take org admin away from yourself: ${u.email} holds the key in use, which would lose org admin`,
        { hint: `if that is what you want, run: ${command} --yes; nothing changed` },
      );
    }
    await confirmDestructive(
      ctx,
      `change the org role of ${who} from ${u.org_role?.name ?? '(none)'} to ${roleChange.to}`,
      command,
    );
  }
  const { updateUser } = await import('../../api/users.js');
  await updateUser(r.client, u.id, body);
  if (ctx.globals.json) ctx.out.envelope('users update', rows, { user: u.id, changed: true });
  else
    for (const c of rows) ctx.out.success(`${u.email}: ${c.field} ${String(c.before)} → ${String(c.after)}`);
}
