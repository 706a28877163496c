import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { grantedPermissions, roleScope } from '../../domain/identity.js';
import { resolverFor } from '../shared.js';

export function registerGet(parent: Command, ctx: Context): void {
  parent
    .command('get')
    .description('show a role and its permissions')
    .argument('<role>', 'name or id')
    .action((role: string) => runRolesGet(ctx, role));
}

export async function runRolesGet(ctx: Context, ref: string): Promise<void> {
  const { builtinLabel, roleJson } = await import('../../services/roles.js');
  const r = await resolverFor(ctx);
  const role = await r.role(ref);
  ctx.out.item(
    'roles get',
    role,
    [
      { header: 'Name', value: (x) => x.name },
      { header: 'Scope', value: roleScope },
      { header: 'Built-in', value: builtinLabel },
      { header: 'Description', value: (x) => x.description ?? '' },
      { header: 'Permissions', value: (x) => grantedPermissions(x).join(', ') },
      { header: 'ID', value: (x) => x.id },
    ],
    { json: roleJson },
  );
}
