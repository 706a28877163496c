import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { commandLine, confirmDestructive, confirmWrite } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { grantedPermissions, roleScope } from '../../domain/identity.js';
import { requireFeatures, resolverFor } from '../shared.js';

interface UpdateOpts {
  name?: string;
  description?: string;
  grant?: string;
  revoke?: string;
  dryRun?: boolean;
}

export function registerUpdate(parent: Command, ctx: Context): void {
  parent
    .command('update')
    .description('rename a custom role, or change its description or what it grants')
    .argument('<role>', 'name or id')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .option('--grant <list>', 'comma-separated permissions to add')
    .option('--revoke <list>', 'comma-separated permissions to take away')
    .option('--dry-run', 'show what would change')
    .addHelpText(
      'after',
      `${examples([
        'noxus roles update "Flow Runner" --grant kbs_query',
        'noxus roles update "Flow Runner" --revoke flows_run --grant agents_run --yes',
        'noxus roles update "Flow Runner" --name "Runner" --description "runs flows"',
      ])}
A change takes effect at once for everyone holding the role and for every key they hold. Taking
permissions away asks on a terminal and needs --yes without one. Built-in roles cannot be changed;
a role must keep at least one permission.
`,
    )
    .action((role: string, o: UpdateOpts) => runRolesUpdate(ctx, role, o));
}

export async function runRolesUpdate(ctx: Context, ref: string, o: UpdateOpts): Promise<void> {
  const roles = await import('../../services/roles.js');
  const input = {
    name: o.name,
    description: o.description,
    grant: roles.permissionList(o.grant),
    revoke: roles.permissionList(o.revoke),
  };
  roles.checkRoleUpdate(input);
  await requireFeatures(ctx, 'roles update');
  const r = await resolverFor(ctx);
  const caps = await ctx.capabilities();
  const catalogue = await roles.permissionCatalogue(
    r,
    caps.has('permissions.catalogue') && (input.grant.length > 0 || input.revoke.length > 0),
  );
  const plan = await roles.planRoleUpdate(r, ref, input, catalogue);
  const { role, before, after, taken } = plan;
  if (!plan.changes.length) {
    if (ctx.globals.json) ctx.out.envelope('roles update', [{ ...role, changed: [] }]);
    else ctx.out.success(`role ${role.name} already is so (unchanged)`);
    return;
  }
  const summary = `role ${role.name} (${roleScope(role)}): ${plan.changes.join('; ')}`;
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('roles update', [
        { id: role.id, name: role.name, granted_before: before, granted_after: after, dry_run: true },
      ]);
    else ctx.out.info(`would change ${summary}; nothing changed`);
    return;
  }
  const cmdLine = commandLine(
    ['roles', 'update', role.id],
    [
      ['--name', o.name],
      ['--description', o.description],
      ['--grant', input.grant.length ? input.grant.join(',') : undefined],
      ['--revoke', input.revoke.join(',')],
    ],
  );
  if (taken.length)
    await confirmDestructive(ctx, `change ${summary}, for its holders and their keys at once`, cmdLine);
  else await confirmWrite(ctx, `Change ${summary}?`);
  const updated = await roles.applyRoleUpdate(r, plan);
  if (ctx.globals.json) {
    ctx.out.envelope('roles update', [{ ...updated, granted: grantedPermissions(updated) }]);
    return;
  }
  ctx.out.success(`changed ${summary}; in effect now for its holders and their keys`);
}
