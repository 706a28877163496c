import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { maskForRunner } from '../../io/runner-mask.js';
import { requireFeatures } from '../shared.js';

interface ActAsOpts {
  workspace: string;
  name?: string;
  restrict?: string;
  tenantAdmin?: boolean;
}

export function registerActAs(parent: Command, ctx: Context): void {
  parent
    .command('act-as')
    .description(
      'mint a personal key held by USER in a workspace (sandbox only; recorded in the activity log)',
    )
    .argument('<user>', 'user id or email')
    .requiredOption('--workspace <w>', 'workspace name or id')
    .option('--name <name>', 'key name (default: "act-as <email>")')
    .option('--restrict <perms>', 'restrict the key to these workspace permissions (comma-separated)')
    .option('--tenant-admin', "let the key use the user's org-level permissions (only for org admins)")
    .addHelpText(
      'after',
      examples([
        'noxus sandbox act-as margaret@example.com --workspace Marketing',
        'KEY=$(noxus sandbox act-as ken@example.com --workspace Engineering --json | jq -r .items[0].secret)',
      ]),
    )
    .action((user: string, o: ActAsOpts) => runActAs(ctx, user, o));
}

export async function runActAs(ctx: Context, user: string, o: ActAsOpts): Promise<void> {
  await requireFeatures(ctx, 'sandbox act-as');
  const client = await ctx.client();
  const permissions =
    o.restrict === undefined
      ? undefined
      : o.restrict
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const { actAs } = await import('../../api/sandbox.js');
  const key = await actAs(client, {
    user_id: user,
    group_id: o.workspace,
    name: o.name,
    permissions,
    tenant_admin: o.tenantAdmin,
  });
  maskForRunner(ctx.io, ctx.env, key.value);
  if (ctx.globals.json) {
    const { value, ...rest } = key;
    ctx.out.envelope('sandbox act-as', [{ ...rest, secret: value }]);
    return;
  }
  ctx.out.success(`key "${key.name}" (${key.id}) held by ${key.holder_email} in ${key.group_name}`);
  ctx.out.info(`permissions: ${key.effective_permissions.join(', ') || '(none)'}`);
  ctx.out.warn('the secret below is shown once; store it now (e.g. export NOXUS_API_KEY=...)');
  ctx.io.stdout.write(`${key.value}\n`);
}
