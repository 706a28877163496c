import type { Command } from 'commander';
import type { ApiKey } from '../../api/keys.js';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import type { Column } from '../../io/output.js';
import { requireFeatures, resolverFor } from '../shared.js';

interface ListOpts {
  workspace?: string;
  createdBy?: string;
  owner?: string;
  degraded?: boolean;
  expired?: boolean;
  revoked?: boolean;
  all?: boolean;
  unusedDays?: string;
}

export const keyColumns: Column<ApiKey>[] = [
  { header: 'Name', value: (k) => k.name },
  { header: 'Workspace', value: (k) => k.group_name ?? k.group_id },
  {
    header: 'Holder',
    value: (k) => `${k.holder_email ?? ''}${k.holder_kind === 'service' ? ' (service)' : ''}`,
  },
  { header: 'Restriction', value: (k) => (k.restricted ? (k.permissions ?? []).join(',') : 'unrestricted') },
  { header: 'Effective', value: (k) => k.effective_permissions.join(',') },
  {
    header: 'Degraded',
    value: (k) => (k.degraded ? `yes (-${k.clipped.map((c) => c.permission).join(',')})` : 'no'),
  },
  // On a narrow terminal these go first (Created first); --wide shows them.
  { header: 'Created', value: (k) => k.created_at, time: true, priority: 3 },
  { header: 'Last used', value: (k) => k.last_used_at ?? 'never', time: true, priority: 1 },
  { header: 'Expires', value: (k) => k.expires_at ?? '', time: true, priority: 2 },
  { header: 'Status', value: (k) => k.status },
  { header: 'ID', value: (k) => k.id },
];

export function registerList(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list workspace keys with their restriction, effective permissions, holder and use')
    .option('--workspace <w>', 'only keys of this workspace')
    .option('--created-by <user>', 'only keys this user created')
    .option('--owner <service-account>', 'only keys owned by this service account')
    .option('--degraded', 'only keys whose holder lost permissions the key was granted')
    .option('--expired', 'only expired keys')
    .option('--revoked', 'only revoked keys')
    .option('--all', 'active, expired and revoked keys')
    .option(
      '--unused-days <n>',
      'only keys not used for at least n days (never-used keys count from creation)',
    )
    .addHelpText(
      'after',
      examples([
        'noxus keys list --degraded',
        'noxus keys list --workspace Marketing --json',
        'noxus keys list --unused-days 90',
      ]),
    )
    .action((o: ListOpts) => runList(ctx, o));
}

export async function runList(ctx: Context, o: ListOpts): Promise<void> {
  await requireFeatures(ctx, 'keys list');
  const flags = [o.expired, o.revoked, o.all].filter(Boolean).length;
  if (flags > 1) throw new UsageError('choose one of --expired, --revoked, --all');
  let unusedMs: number | undefined;
  if (o.unusedDays !== undefined) {
    const n = Number(o.unusedDays);
    if (!Number.isInteger(n) || n < 0)
      throw new UsageError(`--unused-days must be a whole number of days, got "${o.unusedDays}"`);
    unusedMs = n * 86_400_000;
  }
  const [r, { findKeys }] = await Promise.all([resolverFor(ctx), import('../../services/keys.js')]);
  const keys = await findKeys(
    r,
    {
      workspace: o.workspace,
      createdBy: o.createdBy,
      owner: o.owner,
      status: o.expired ? 'expired' : o.revoked ? 'revoked' : o.all ? 'all' : 'active',
      degraded: o.degraded,
      unusedMs,
    },
    ctx.io.now(),
  );
  ctx.out.list('keys list', keys, keyColumns, { empty: o.degraded ? 'No degraded keys.' : 'No keys match.' });
}
