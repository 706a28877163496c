import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { requireFeatures } from '../shared.js';

export function registerRevoke(parent: Command, ctx: Context): void {
  parent
    .command('revoke')
    .description('revoke a key: it stops working at once')
    .argument('<key>', 'key id or name')
    .option('--dry-run', 'show the key that would be revoked')
    .addHelpText('after', examples(['noxus keys revoke campaign-sync --yes']))
    .action((key: string, o: { dryRun?: boolean }) => runRevoke(ctx, key, o));
}

export async function runRevoke(ctx: Context, ref: string, o: { dryRun?: boolean }): Promise<void> {
  await requireFeatures(ctx, 'keys revoke');
  const [svc, client] = await Promise.all([import('../../services/keys.js'), ctx.client()]);
  const key = await svc.resolveKey(client, ref, 'active');
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('keys revoke', [{ id: key.id, name: key.name, status: key.status, dry_run: true }]);
    else
      ctx.out.info(
        `would revoke key "${key.name}" (${key.id}) of ${key.holder_email} in ${key.group_name}; nothing changed`,
      );
    return;
  }
  if (key.status === 'revoked') {
    if (ctx.globals.json)
      ctx.out.envelope('keys revoke', [{ id: key.id, name: key.name, status: key.status, changed: false }]);
    else ctx.out.info(`key "${key.name}" was already revoked (unchanged)`);
    return;
  }
  await confirmDestructive(
    ctx,
    `revoke key "${key.name}" of ${key.holder_email}`,
    `noxus keys revoke ${key.id}`,
  );
  const res = await svc.revokeWorkspaceKey(client, key.id);
  if (ctx.globals.json)
    ctx.out.envelope('keys revoke', [
      { id: res.id, name: res.name, status: res.status, revoked_at: res.revoked_at, changed: res.changed },
    ]);
  else ctx.out.success(`revoked key "${key.name}" (${key.id}); it no longer works`);
}
