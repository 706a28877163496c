import type { Command } from 'commander';
import type { Context } from '../../../cli/context.js';
import { confirmDestructive } from '../../../cli/interact.js';

export function registerSystemRevoke(parent: Command, ctx: Context): void {
  parent
    .command('revoke')
    .description('revoke a system key')
    .argument('<key>', 'key id or name')
    .option('--dry-run', 'show the key that would be revoked')
    .action((key: string, o: { dryRun?: boolean }) => runSystemRevoke(ctx, key, o));
}

export async function runSystemRevoke(ctx: Context, ref: string, o: { dryRun?: boolean }): Promise<void> {
  const [svc, client] = await Promise.all([import('../../../services/system-keys.js'), ctx.client()]);
  const key = await svc.findSystemKey(client, ref);
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('keys system revoke', [{ id: key.id, name: key.name, dry_run: true }]);
    else ctx.out.info(`would revoke system key "${key.name}" (${key.id}); nothing changed`);
    return;
  }
  await confirmDestructive(ctx, `revoke system key "${key.name}"`, `noxus keys system revoke ${key.id}`);
  await svc.revokeSystem(client, key.id);
  if (ctx.globals.json)
    ctx.out.envelope('keys system revoke', [{ id: key.id, name: key.name, revoked: true }]);
  else ctx.out.success(`revoked system key "${key.name}" (${key.id})`);
}
