import type { Command } from 'commander';
import type { Context } from '../../../cli/context.js';
import { commandLine, fromFlagOrPrompt, missingValues } from '../../../cli/interact.js';
import { examples } from '../../../cli/options.js';
import { requireFeatures } from '../../shared.js';
import { checkSecretTarget, revealSecret } from '../secret.js';

interface CreateOpts {
  name?: string;
  permissions?: string;
  tenantAdmin?: boolean;
  expiresIn?: string;
  expiresAt?: string;
  secretFile?: string;
  dryRun?: boolean;
}

export function registerSystemCreate(parent: Command, ctx: Context): void {
  parent
    .command('create')
    .description('create a system key with organization permissions')
    .option('--name <name>', 'key name')
    .option('--permissions <list>', 'comma-separated org permissions (area:* wildcards allowed)')
    .option('--tenant-admin', 'all organization permissions')
    .option('--expires-in <duration>', 'expire after 30m, 12h, 90d …')
    .option('--expires-at <time>', 'expire at this ISO 8601 time')
    .option('--secret-file <path>', 'write the secret only to this new file (0600)')
    .option('--dry-run', 'show the key that would be made')
    .addHelpText(
      'after',
      examples(['noxus keys system create --name billing-export --permissions org:read,settings:read']),
    )
    .action((o: CreateOpts) => runSystemCreate(ctx, o));
}

export async function runSystemCreate(ctx: Context, o: CreateOpts): Promise<void> {
  const [{ parseExpiry }, svc, client] = await Promise.all([
    import('../../../services/keys.js'),
    import('../../../services/system-keys.js'),
    ctx.client(),
  ]);
  const expiresAt = parseExpiry(o, ctx.io.now());
  await checkSecretTarget(ctx, o.secretFile, '--secret-file');
  const name = await fromFlagOrPrompt(ctx, o.name, (p) => p.input({ message: 'Key name' }));
  const perms =
    o.permissions
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  if (!name || (perms.length === 0 && !o.tenantAdmin)) {
    throw missingValues(
      [!name && '--name', perms.length === 0 && !o.tenantAdmin && '--permissions'].filter(
        Boolean,
      ) as string[],
      commandLine(
        ['keys', 'system', 'create'],
        [
          ['--name', name ?? '<name>'],
          ['--permissions', '<perm,perm>'],
        ],
      ),
    );
  }
  await requireFeatures(ctx, 'keys system create', [expiresAt !== undefined && 'system-keys.expiry']);
  const body = await svc.systemKeyBody(client, await ctx.capabilities(), {
    name,
    permissions: perms,
    tenantAdmin: !!o.tenantAdmin,
    expiresAt,
  });
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('keys system create', [{ ...body, dry_run: true }]);
    else
      ctx.out.info(
        `would create system key "${name}" with ${o.tenantAdmin ? 'every org permission' : perms.join(', ')}; nothing changed`,
      );
    return;
  }
  const key = await svc.createSystem(client, body);
  await revealSecret(ctx, 'keys system create', key, key.value, o.secretFile);
}
