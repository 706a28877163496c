import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

interface SetRoleOpts {
  role: string;
  dryRun?: boolean;
}

export function registerSetRole(parent: Command, ctx: Context): void {
  parent
    .command('set-role')
    .description("change a member's role in a workspace")
    .argument('<workspace>', 'name or id')
    .argument('<user>', 'user id or email')
    .requiredOption('--role <role>', 'the new workspace role')
    .option('--dry-run', 'show what would change')
    .addHelpText('after', examples(['noxus ws set-role Marketing margaret@example.com --role Editor']))
    .action((w: string, u: string, o: SetRoleOpts) => runSetRole(ctx, w, u, o));
}

export async function runSetRole(ctx: Context, wRef: string, uRef: string, o: SetRoleOpts): Promise<void> {
  await requireFeatures(ctx, 'ws set-role');
  const { planSetRole, setRole } = await import('../../services/workspaces.js');
  const r = await resolverFor(ctx);
  const plan = await planSetRole(r, wRef, uRef, o.role);
  const { group: g, user: u, role } = plan;
  const row = {
    email: u.email,
    user_id: u.id,
    workspace: g.name,
    before: plan.member.role.name,
    after: role.name,
    changed: plan.changed,
  };
  if (o.dryRun || !row.changed) {
    if (ctx.globals.json) ctx.out.envelope('ws set-role', [{ ...row, dry_run: !!o.dryRun }]);
    else
      ctx.out.info(
        row.changed
          ? `would change ${u.email} in ${g.name}: ${row.before} → ${row.after}`
          : `${u.email} is already ${role.name} in ${g.name} (unchanged)`,
      );
    return;
  }
  await setRole(r.client, plan);
  if (ctx.globals.json) ctx.out.envelope('ws set-role', [row]);
  else ctx.out.success(`${u.email} in ${g.name}: ${row.before} → ${row.after}`);
}
