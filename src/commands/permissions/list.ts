import { type Command, Option } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures } from '../shared.js';

export function registerPermissionsList(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list every permission with its scope and meaning')
    .addOption(
      new Option('--scope <scope>', 'only org or workspace permissions').choices(['org', 'workspace']),
    )
    .addHelpText('after', examples(['noxus permissions list --scope workspace']))
    .action((o: { scope?: 'org' | 'workspace' }) => runPermissionsList(ctx, o));
}

export async function runPermissionsList(ctx: Context, o: { scope?: 'org' | 'workspace' }): Promise<void> {
  await requireFeatures(ctx, 'permissions list');
  const [{ listPermissions }, client] = await Promise.all([import('../../api/roles.js'), ctx.client()]);
  const rows = (await listPermissions(client)).filter((p) => !o.scope || p.scope === o.scope);
  ctx.out.list('permissions list', rows, [
    { header: 'Permission', value: (p) => p.name },
    { header: 'Scope', value: (p) => p.scope },
    { header: 'Description', value: (p) => p.description },
  ]);
}
