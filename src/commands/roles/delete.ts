import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { CancelledError, UsageError } from '../../errors.js';
import { resolverFor } from '../shared.js';

export function registerDelete(parent: Command, ctx: Context): void {
  parent
    .command('delete')
    .alias('rm')
    .description('delete a custom role (refused while anyone holds it)')
    .argument('<role>', 'name or id')
    .option('--dry-run', 'show what would be deleted')
    .option(
      '--confirm-builtin <name>',
      'needed (with --yes off a terminal) to delete a role named like a built-in one (Org Admin, Org Base, Admin, Editor, Reader) when the server does not say it is custom',
    )
    .addHelpText(
      'after',
      examples([
        'noxus roles delete "Flow Runner" --yes',
        'noxus roles delete Reader --confirm-builtin Reader --yes',
      ]),
    )
    .action((role: string, o: { dryRun?: boolean; confirmBuiltin?: string }) => runRolesDelete(ctx, role, o));
}

export async function runRolesDelete(
  ctx: Context,
  ref: string,
  o: { dryRun?: boolean; confirmBuiltin?: string },
): Promise<void> {
  const roles = await import('../../services/roles.js');
  const r = await resolverFor(ctx);
  const { role, guarded } = await roles.planRoleDelete(r, ref);
  const confirmLine = `noxus roles delete ${role.id} --confirm-builtin "${role.name}" --yes`;
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('roles delete', [
        { ...roles.roleJson(role), dry_run: true, needs_confirm_builtin: guarded },
      ]);
    else
      ctx.out.info(
        `would delete role ${role.name}${guarded ? ` (named like a built-in role; the real run needs: ${confirmLine})` : ''}; nothing changed`,
      );
    return;
  }
  if (guarded && o.confirmBuiltin !== role.name) {
    if (o.confirmBuiltin !== undefined)
      throw new UsageError(
        `--confirm-builtin "${o.confirmBuiltin}" does not match the role's name "${role.name}"`,
      );
    if (!ctx.canPrompt())
      throw new UsageError(
        `"${role.name}" has the name of a built-in Noxus role and the server does not say whether it is one; deleting it needs its name confirmed`,
        { hint: `if you are sure: ${confirmLine}` },
      );
    const typed = await (await ctx.prompter()).input({
      message: `"${role.name}" may be a built-in role. Type its name to delete it`,
    });
    if (typed !== role.name) throw new CancelledError('the name did not match; nothing was deleted');
  }
  await confirmDestructive(ctx, `delete role ${role.name}`, `noxus roles delete ${role.id}`);
  await roles.deleteRole(r, role);
  if (ctx.globals.json) ctx.out.envelope('roles delete', [{ ...roles.roleJson(role), deleted: true }]);
  else ctx.out.success(`deleted role ${role.name}`);
}
