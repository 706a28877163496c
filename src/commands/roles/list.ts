import { type Command, Option } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { grantedPermissions, roleScope } from '../../domain/identity.js';
import { resolverFor } from '../shared.js';

export function registerList(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list roles')
    .addOption(
      new Option('--scope <scope>', 'only organization or workspace roles').choices(['org', 'workspace']),
    )
    .addHelpText('after', examples(['noxus roles list', 'noxus roles list --scope workspace --json']))
    .action((o: { scope?: 'org' | 'workspace' }) => runRolesList(ctx, o));
}

export async function runRolesList(ctx: Context, o: { scope?: 'org' | 'workspace' }): Promise<void> {
  const { builtinLabel, roleJson } = await import('../../services/roles.js');
  const r = await resolverFor(ctx);
  const roles = (await r.roles()).filter((x) => !o.scope || roleScope(x) === o.scope);
  ctx.out.list(
    'roles list',
    roles,
    [
      { header: 'Name', value: (x) => x.name },
      { header: 'Scope', value: roleScope },
      { header: 'Built-in', value: builtinLabel },
      { header: 'Permissions', value: (x) => grantedPermissions(x).join(',') },
      { header: 'ID', value: (x) => x.id },
    ],
    { json: roleJson },
  );
}
