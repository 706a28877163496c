import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { commandLine, confirmDestructive, fromFlagOrPrompt, missingValues } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { didYouMean } from '../../domain/match.js';
import { NotFoundError, UsageError } from '../../errors.js';
import { requireFeatures } from '../shared.js';
import { parseOverlap } from './revoke.js';
import { checkSecretTarget, revealSecret } from './secret.js';

interface CreateOpts {
  name?: string;
  permissions?: string;
  tenantAdmin?: boolean;
  expiresIn?: string;
  expiresAt?: string;
  secretFile?: string;
  dryRun?: boolean;
}

export function registerSystem(parent: Command, ctx: Context): void {
  const cmd = parent
    .command('system')
    .description('organization-level (system) keys: held by the organization, made by org admins');
  cmd
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
  cmd
    .command('list')
    .alias('ls')
    .description('list system keys')
    .action(() => runSystemList(ctx));
  cmd
    .command('revoke')
    .description('revoke a system key')
    .argument('<key>', 'key id or name')
    .option('--dry-run', 'show the key that would be revoked')
    .action((key: string, o: { dryRun?: boolean }) => runSystemRevoke(ctx, key, o));
  cmd
    .command('rotate')
    .description('replace a system key with a new secret, same permissions')
    .argument('<key>', 'key id or name')
    .option('--overlap <duration>', 'keep the old key working this long')
    .option('--secret-file <path>', 'write the new secret only to this new file (0600)')
    .action((key: string, o: { overlap?: string; secretFile?: string }) => runSystemRotate(ctx, key, o));
}

async function findSystemKey(ctx: Context, ref: string) {
  const [{ listSystemKeys }, client] = await Promise.all([import('../../api/keys.js'), ctx.client()]);
  const all = await listSystemKeys(client);
  const hits = all.filter((k) => k.id === ref || k.name.toLowerCase() === ref.toLowerCase());
  const active = hits.filter((k) => k.status === 'active');
  const pick = active.length === 1 ? active : hits;
  if (pick.length === 1) return { key: pick[0] as (typeof all)[number], client };
  if (pick.length > 1)
    throw new UsageError(`"${ref}" matches ${pick.length} system keys`, {
      hint: `use an id: ${pick.map((k) => k.id).join(', ')}`,
    });
  throw new NotFoundError(`no system key ${ref}`, {
    hint:
      didYouMean(
        ref,
        all.map((k) => k.name),
      ) ?? 'list them with: noxus keys system list',
  });
}

export async function runSystemCreate(ctx: Context, o: CreateOpts): Promise<void> {
  const [{ parseExpiry }, client] = await Promise.all([import('../../services/keys.js'), ctx.client()]);
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
  const caps = await ctx.capabilities();
  const { listPermissions } = await import('../../api/roles.js');
  // Without the catalogue the names go to the server as given: it is the judge of them.
  const org = caps.has('permissions.catalogue')
    ? (await listPermissions(client)).filter((p) => p.scope === 'org').map((p) => p.name)
    : undefined;
  const bad =
    (org ?? []).length === 0
      ? []
      : perms.filter(
          (p) =>
            !org?.includes(p) &&
            !(p.endsWith(':*') && org?.some((q) => q.startsWith(p.slice(0, -1)))) &&
            p !== '*',
        );
  if (bad.length) {
    throw new UsageError(`unknown org permission${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}`, {
      hint: bad
        .map((p) => `${p}: ${didYouMean(p, org ?? []) ?? 'see noxus permissions list --scope org'}`)
        .join('\n'),
    });
  }
  // The SDK's body; expires_at only when asked for (checked above).
  const body: Parameters<typeof import('../../api/keys.js').createSystemKey>[1] = {
    name,
    permissions: perms,
    tenant_admin: !!o.tenantAdmin,
  };
  if (expiresAt) body.expires_at = expiresAt;
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('keys system create', [{ ...body, dry_run: true }]);
    else
      ctx.out.info(
        `would create system key "${name}" with ${o.tenantAdmin ? 'every org permission' : perms.join(', ')}; nothing changed`,
      );
    return;
  }
  const { createSystemKey } = await import('../../api/keys.js');
  const key = await createSystemKey(client, body);
  await revealSecret(ctx, 'keys system create', key, key.value, o.secretFile);
}

export async function runSystemList(ctx: Context): Promise<void> {
  const [{ listSystemKeys }, client] = await Promise.all([import('../../api/keys.js'), ctx.client()]);
  const keys = await listSystemKeys(client);
  ctx.out.list('keys system list', keys, [
    { header: 'Name', value: (k) => k.name },
    { header: 'Permissions', value: (k) => (k.tenant_admin ? 'tenant admin' : k.permissions.join(',')) },
    { header: 'Created by', value: (k) => k.created_by_email ?? k.created_by ?? '' },
    { header: 'Created', value: (k) => k.created_at, time: true },
    { header: 'Last used', value: (k) => k.last_used_at ?? 'never', time: true },
    { header: 'Status', value: (k) => k.status ?? (k.revoked_at ? 'revoked' : 'active') },
    { header: 'ID', value: (k) => k.id },
  ]);
}

export async function runSystemRevoke(ctx: Context, ref: string, o: { dryRun?: boolean }): Promise<void> {
  const { key, client } = await findSystemKey(ctx, ref);
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('keys system revoke', [{ id: key.id, name: key.name, dry_run: true }]);
    else ctx.out.info(`would revoke system key "${key.name}" (${key.id}); nothing changed`);
    return;
  }
  await confirmDestructive(ctx, `revoke system key "${key.name}"`, `noxus keys system revoke ${key.id}`);
  const { revokeSystemKey } = await import('../../api/keys.js');
  await revokeSystemKey(client, key.id);
  if (ctx.globals.json)
    ctx.out.envelope('keys system revoke', [{ id: key.id, name: key.name, revoked: true }]);
  else ctx.out.success(`revoked system key "${key.name}" (${key.id})`);
}

export async function runSystemRotate(
  ctx: Context,
  ref: string,
  o: { overlap?: string; secretFile?: string },
): Promise<void> {
  const overlap = parseOverlap(o.overlap);
  await checkSecretTarget(ctx, o.secretFile, '--secret-file');
  const caps = await requireFeatures(ctx, 'keys system rotate');
  const { key, client } = await findSystemKey(ctx, ref);
  const api = await import('../../api/keys.js');
  if (caps?.has('system-keys.rotate') ?? (await ctx.capabilities()).has('system-keys.rotate')) {
    const res = await api.rotateSystemKey(client, key.id, overlap);
    await revealSecret(ctx, 'keys system rotate', res, res.value, o.secretFile);
    return;
  }
  // The public API has no rotate: a new key with the same name and permissions, then the old one revoked.
  const body: Parameters<typeof api.createSystemKey>[1] = {
    name: key.name,
    permissions: key.permissions ?? [],
    tenant_admin: key.tenant_admin,
  };
  const fresh = await api.createSystemKey(client, body);
  await revealSecret(ctx, 'keys system rotate', { ...fresh, replaces: key.id }, fresh.value, o.secretFile);
  if (overlap > 0) {
    ctx.out.warn(
      `this server cannot revoke later by itself: the old key "${key.name}" (${key.id}) still works; after the overlap run: noxus keys system revoke ${key.id} --yes`,
    );
    return;
  }
  try {
    await api.revokeSystemKey(client, key.id);
  } catch (e) {
    ctx.out.warn(
      `the new key was created, but revoking the old key ${key.id} failed; run: noxus keys system revoke ${key.id} --yes`,
    );
    throw e;
  }
  ctx.out.info(`revoked the old key "${key.name}" (${key.id})`);
}
