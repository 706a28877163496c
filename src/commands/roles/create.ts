import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { commandLine, fromFlagOrPrompt, missingValues } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { grantedPermissions } from '../../domain/identity.js';
import { resolverFor } from '../shared.js';

interface CreateOpts {
  name?: string;
  permissions?: string;
  description: string;
  dryRun?: boolean;
}

export function registerCreate(parent: Command, ctx: Context): void {
  parent
    .command('create')
    .description('create a custom role (its scope follows from its permissions)')
    .option('--name <name>', 'role name')
    .option('--permissions <list>', 'comma-separated permissions (see: noxus permissions list)')
    .option('--description <text>', 'description', '')
    .option('--dry-run', 'check the role, create nothing')
    .addHelpText(
      'after',
      examples([
        'noxus roles create --name "Flow Runner" --permissions flows_run,kbs_query',
        'noxus roles create',
      ]),
    )
    .action((o: CreateOpts) => runRolesCreate(ctx, o));
}

export async function runRolesCreate(ctx: Context, o: CreateOpts): Promise<void> {
  const roles = await import('../../services/roles.js');
  // Without a terminal nothing can be asked: missing flags fail before any request.
  if (!ctx.canPrompt() && (!o.name || o.permissions === undefined)) throw missing(o.name, o.permissions);
  const r = await resolverFor(ctx);
  const catalogue = await roles.permissionCatalogue(
    r,
    (await ctx.capabilities()).has('permissions.catalogue'),
  );
  const name = await fromFlagOrPrompt(ctx, o.name, (p) => p.input({ message: 'Role name' }));
  let perms = o.permissions === undefined ? undefined : roles.permissionList(o.permissions);
  if (perms === undefined && ctx.canPrompt() && catalogue) {
    const scope = await (await ctx.prompter()).select({
      message: 'Scope',
      choices: [
        { name: 'workspace', value: 'workspace' },
        { name: 'organization', value: 'org' },
      ],
    });
    perms = await (await ctx.prompter()).checkbox({
      message: 'Permissions',
      choices: catalogue
        .filter((c) => c.scope === scope)
        .map((c) => ({ name: `${c.name}  ${c.description}`, value: c.name })),
      required: true,
    });
  }
  if (!name || !perms) throw missing(name, perms);
  const plan = await roles.planRoleCreate(
    r,
    { name, permissions: perms, description: o.description },
    catalogue,
  );
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('roles create', [{ ...plan.body, dry_run: true }]);
    else
      ctx.out.info(
        `would create ${plan.scope} role "${name}" with ${plan.permissions.join(', ')}; nothing changed`,
      );
    return;
  }
  const role = await roles.createRole(r, plan);
  if (ctx.globals.json) ctx.out.envelope('roles create', [roles.roleJson(role)]);
  else ctx.out.success(`created role ${role.name} (${role.id}) with ${grantedPermissions(role).join(', ')}`);
}

const missing = (name: string | undefined, perms: unknown) =>
  missingValues(
    [!name && '--name', perms === undefined && '--permissions'].filter(Boolean) as string[],
    commandLine(
      ['roles', 'create'],
      [
        ['--name', name ?? '<name>'],
        ['--permissions', '<perm,perm>'],
      ],
    ),
  );
