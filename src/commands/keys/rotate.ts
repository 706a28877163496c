import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures } from '../shared.js';
import { checkSecretTarget, reportUnchanged, revealSecret } from './secret.js';

export interface RotateOpts {
  overlap?: string;
  expiresIn?: string;
  expiresAt?: string;
  secretFile?: string;
  force?: boolean;
  dryRun?: boolean;
}

export function registerRotate(parent: Command, ctx: Context): void {
  parent
    .command('rotate')
    .description(
      'replace a key with a new secret (same workspace, restriction and holder); the old one stops now or after --overlap',
    )
    .argument('<key>', 'key id or name')
    .option(
      '--overlap <duration>',
      'keep the old key working this long (e.g. 10m, 1h) so deployments can switch',
    )
    .option(
      '--expires-in <duration>',
      "the new key expires after 30m, 12h, 90d … (default: the old key's lifetime)",
    )
    .option('--expires-at <time>', 'the new key expires at this ISO 8601 time')
    .option('--secret-file <path>', 'write the new secret only to this new file (0600)')
    .option('--force', 'rotate again although the previous rotation of this key is still in its overlap')
    .option('--dry-run', 'show what would happen')
    .addHelpText(
      'after',
      `${examples([
        'noxus keys rotate deploy --overlap 1h --json',
        'noxus keys rotate deploy --secret-file ./deploy.key --expires-in 90d',
      ])}
The new key keeps the workspace, restriction and holder. Its expiry is --expires-in/--expires-at,
else the old key's lifetime (expires_at − created_at) counted from now, else none if the old key
never expired. During an --overlap the outgoing key is renamed "NAME (rotated <time>)" by the
sandbox, so NAME means the new key. Running the same rotation again while that overlap lasts
changes nothing: exit 0, "unchanged", no new secret (a CI step can run twice); --force rotates again.
`,
    )
    .action((key: string, o: RotateOpts) => runRotate(ctx, key, o));
}

export async function runRotate(ctx: Context, ref: string, o: RotateOpts): Promise<void> {
  await requireFeatures(ctx, 'keys rotate', [
    (o.expiresIn !== undefined || o.expiresAt !== undefined) && 'keys.expiry',
  ]);
  const [svc, client] = await Promise.all([import('../../services/keys.js'), ctx.client()]);
  const plan = await svc.planRotation(client, ref, o, ctx.io.now());
  const key = plan.key;
  if (plan.kind === 'unchanged') {
    // The rotation this command would start is already under way: a re-run changes nothing.
    const { outgoing } = plan;
    const replaces = { id: outgoing.id, name: outgoing.name, expires_at: outgoing.expires_at };
    reportUnchanged(
      ctx,
      'keys rotate',
      { ...key, replaces },
      `key "${key.name}" (${key.id}) was rotated at ${key.created_at}; the previous key ${outgoing.id} ("${outgoing.name}") keeps working until ${outgoing.expires_at}. To rotate again now: --force`,
      { replaces },
    );
    return;
  }
  if (o.dryRun) {
    const preview = {
      id: key.id,
      name: key.name,
      workspace: key.group_name,
      restriction: key.permissions,
      holder: key.holder_email,
      overlap_seconds: plan.overlapSeconds,
      expires_at: plan.expiresAt,
      dry_run: true,
    };
    if (ctx.globals.json) ctx.out.envelope('keys rotate', [preview], { key: preview });
    else
      ctx.out.info(
        `would replace key "${key.name}" (${key.id}) with a new one (same workspace, restriction and holder, expiring ${plan.expiresAt ?? 'never'}); the old key would stop ${plan.overlapSeconds ? `after ${o.overlap}` : 'at once'}; nothing changed`,
      );
    return;
  }
  await checkSecretTarget(ctx, o.secretFile, '--secret-file');
  const res = await svc.rotateWorkspaceKey(client, plan);
  if (!ctx.globals.json) {
    ctx.out.info(
      plan.overlapSeconds
        ? `old key ${key.id} keeps working until ${res.replaces.expires_at}${res.replaces.name !== key.name ? `, now named "${res.replaces.name}"` : ''}`
        : `old key ${key.id} is revoked`,
    );
  }
  const replaces = {
    id: res.replaces.id,
    name: res.replaces.name,
    expires_at: res.replaces.expires_at,
    revoked_at: res.replaces.revoked_at,
  };
  await revealSecret(ctx, 'keys rotate', { ...res, replaces }, res.value, o.secretFile, { replaces });
}
