import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

interface SetRoleOpts {
  role: string;
  reason?: string;
  expires?: string;
  dryRun?: boolean;
}

export function registerSetRole(parent: Command, ctx: Context): void {
  parent
    .command('set-role')
    .description("change a member's role in a workspace")
    .argument('<workspace>', 'name or id')
    .argument('<user>', 'user id or email')
    .requiredOption('--role <role>', 'the new workspace role')
    .option('--reason <text>', 'why they have this access (kept with the grant, shown in reviews)')
    .option(
      '--expires <when>',
      'the grant lapses after 30d, 12h, 2w …, on a date (YYYY-MM-DD) or at an ISO time',
    )
    .option('--dry-run', 'show what would change')
    .addHelpText(
      'after',
      examples([
        'noxus ws set-role Marketing margaret@example.com --role Editor',
        'noxus ws set-role Marketing margaret@example.com --role Admin --reason "migration" --expires 7d',
      ]),
    )
    .action((w: string, u: string, o: SetRoleOpts) => runSetRole(ctx, w, u, o));
}

export async function runSetRole(ctx: Context, wRef: string, uRef: string, o: SetRoleOpts): Promise<void> {
  const { planSetRole, setRole, parseGrantTerms, termsText } = await import('../../services/workspaces.js');
  // Bad terms fail before any request; without the flags, the grant keeps its terms.
  const terms = parseGrantTerms(o, ctx.io.now());
  const withTerms = o.reason !== undefined || o.expires !== undefined;
  await requireFeatures(ctx, 'ws set-role', [withTerms && 'members.terms']);
  const r = await resolverFor(ctx);
  const plan = await planSetRole(r, wRef, uRef, o.role, terms);
  const { group: g, user: u, role } = plan;
  const m = plan.member;
  const row = {
    email: u.email,
    user_id: u.id,
    workspace: g.name,
    before: m.role.name,
    after: role.name,
    ...(withTerms && {
      reason: plan.terms.reason !== undefined ? plan.terms.reason : (m.reason ?? null),
      expires_at: plan.terms.expires_at !== undefined ? plan.terms.expires_at : (m.expires_at ?? null),
    }),
    changed: plan.changed,
  };
  if (o.dryRun || !row.changed) {
    if (ctx.globals.json) ctx.out.envelope('ws set-role', [{ ...row, dry_run: !!o.dryRun }]);
    else
      ctx.out.info(
        row.changed
          ? `would change ${u.email} in ${g.name}: ${row.before} → ${row.after}${termsText(row)}`
          : `${u.email} is already ${role.name} in ${g.name}${termsText(row)} (unchanged)`,
      );
    return;
  }
  const change = await setRole(r.client, plan);
  if (withTerms && change)
    Object.assign(row, { reason: change.reason ?? null, expires_at: change.expires_at ?? null });
  if (ctx.globals.json) ctx.out.envelope('ws set-role', [row]);
  else ctx.out.success(`${u.email} in ${g.name}: ${row.before} → ${row.after}${termsText(row)}`);
}
