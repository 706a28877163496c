import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerCrud(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list workspaces')
    .addHelpText('after', examples(['noxus ws list', 'noxus ws list --json']))
    .action(() => runWsList(ctx));
  parent
    .command('get')
    .description('show one workspace')
    .argument('<workspace>', 'name or id')
    .action((w: string) => runWsGet(ctx, w));
  parent
    .command('create')
    .description('create a workspace')
    .argument('<name>', 'workspace name (unique)')
    .option('--description <text>', 'description', '')
    .option('--dry-run', 'check the name, create nothing')
    .addHelpText('after', examples(['noxus ws create Research --description "R&D team"']))
    .action((name: string, o: { description: string; dryRun?: boolean }) => runWsCreate(ctx, name, o));
  parent
    .command('delete')
    .alias('rm')
    .description('delete a workspace: its keys are revoked and its resources deleted (activity is kept)')
    .argument('<workspace>', 'name or id')
    .option('--dry-run', 'show what would be deleted')
    .addHelpText('after', examples(['noxus ws delete Research --dry-run', 'noxus ws delete Research --yes']))
    .action((w: string, o: { dryRun?: boolean }) => runWsDelete(ctx, w, o));
}

export async function runWsList(ctx: Context): Promise<void> {
  const r = await resolverFor(ctx);
  const groups = await r.groups();
  ctx.out.list('ws list', groups, [
    { header: 'Name', value: (g) => g.name },
    { header: 'Description', value: (g) => g.description },
    { header: 'Created', value: (g) => g.created_at ?? '', time: true },
    { header: 'ID', value: (g) => g.id },
  ]);
}

export async function runWsGet(ctx: Context, ref: string): Promise<void> {
  const r = await resolverFor(ctx);
  const g = await r.group(ref);
  ctx.out.item('ws get', g, [
    { header: 'Name', value: (x) => x.name },
    { header: 'Description', value: (x) => x.description },
    { header: 'Created', value: (x) => x.created_at ?? '', time: true },
    { header: 'ID', value: (x) => x.id },
  ]);
}

export async function runWsCreate(
  ctx: Context,
  name: string,
  o: { description: string; dryRun?: boolean },
): Promise<void> {
  await requireFeatures(ctx, 'ws create');
  const [{ checkName }, { ConflictError }] = await Promise.all([
    import('../../services/users.js'),
    import('../../errors.js'),
  ]);
  checkName(name, 'workspace name');
  const r = await resolverFor(ctx);
  const dup = (await r.groups()).find((g) => g.name.toLowerCase() === name.toLowerCase());
  if (dup) throw new ConflictError(`a workspace named "${dup.name}" already exists (${dup.id})`);
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('ws create', [{ name, description: o.description, dry_run: true }]);
    else ctx.out.info(`would create workspace "${name}"; nothing changed`);
    return;
  }
  const { createGroup } = await import('../../api/groups.js');
  const g = await createGroup(r.client, { name, description: o.description });
  if (ctx.globals.json) ctx.out.envelope('ws create', [g]);
  else ctx.out.success(`created workspace ${g.name} (${g.id})`);
}

export async function runWsDelete(ctx: Context, ref: string, o: { dryRun?: boolean }): Promise<void> {
  await requireFeatures(ctx, 'ws delete');
  const r = await resolverFor(ctx);
  const g = await r.group(ref);
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('ws delete', [{ ...g, dry_run: true }]);
    else
      ctx.out.info(
        `would delete workspace ${g.name} (${g.id}), revoking its keys and deleting its resources; nothing changed`,
      );
    return;
  }
  await confirmDestructive(
    ctx,
    `delete workspace ${g.name} with its keys and resources`,
    `noxus ws delete ${g.id}`,
  );
  const { deleteGroup } = await import('../../api/groups.js');
  await deleteGroup(r.client, g.id);
  if (ctx.globals.json) ctx.out.envelope('ws delete', [{ ...g, deleted: true }]);
  else ctx.out.success(`deleted workspace ${g.name}`);
}
