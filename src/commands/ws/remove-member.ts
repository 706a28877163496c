import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerRemoveMember(parent: Command, ctx: Context): void {
  parent
    .command('remove-member')
    .description('remove a user from a workspace (their keys there lose access; their work stays)')
    .argument('<workspace>', 'name or id')
    .argument('<user>', 'user id or email')
    .option('--dry-run', 'show what would change')
    .addHelpText('after', examples(['noxus ws remove-member Marketing alan@example.com --yes']))
    .action((w: string, u: string, o: { dryRun?: boolean }) => runRemoveMember(ctx, w, u, o));
}

export async function runRemoveMember(
  ctx: Context,
  wRef: string,
  uRef: string,
  o: { dryRun?: boolean },
): Promise<void> {
  await requireFeatures(ctx, 'ws remove-member');
  const { planRemoveMember, removeWorkspaceMember } = await import('../../services/workspaces.js');
  const r = await resolverFor(ctx);
  const target = await planRemoveMember(r, wRef, uRef);
  const { group: g, user: u, member: m } = target;
  const item = { email: u.email, workspace: g.name, role: m.role.name };
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('ws remove-member', [{ ...item, dry_run: true }]);
    else ctx.out.info(`would remove ${u.email} (${m.role.name}) from ${g.name}; nothing changed`);
    return;
  }
  await confirmDestructive(
    ctx,
    `remove ${u.email} from ${g.name}`,
    `noxus ws remove-member ${g.name} ${u.email}`,
  );
  await removeWorkspaceMember(r.client, target);
  if (ctx.globals.json) ctx.out.envelope('ws remove-member', [{ ...item, removed: true }]);
  else
    ctx.out.success(
      `removed ${u.email} from ${g.name} (was ${m.role.name}); their resources stay in the workspace`,
    );
}
