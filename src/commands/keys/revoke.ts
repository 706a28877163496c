import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { parseDuration } from '../../domain/validate.js';
import { UsageError } from '../../errors.js';
import { requireFeatures } from '../shared.js';
import { checkSecretTarget, reportUnchanged, revealSecret } from './secret.js';

export function registerRevokeRotate(parent: Command, ctx: Context): void {
  parent
    .command('revoke')
    .description('revoke a key: it stops working at once')
    .argument('<key>', 'key id or name')
    .option('--dry-run', 'show the key that would be revoked')
    .addHelpText('after', examples(['noxus keys revoke campaign-sync --yes']))
    .action((key: string, o: { dryRun?: boolean }) => runRevoke(ctx, key, o));
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

export interface RotateOpts {
  overlap?: string;
  expiresIn?: string;
  expiresAt?: string;
  secretFile?: string;
  force?: boolean;
  dryRun?: boolean;
}

export async function runRevoke(ctx: Context, ref: string, o: { dryRun?: boolean }): Promise<void> {
  await requireFeatures(ctx, 'keys revoke');
  const [{ resolveKey }, { revokeKey }, client] = await Promise.all([
    import('../../services/keys.js'),
    import('../../api/keys.js'),
    ctx.client(),
  ]);
  const key = await resolveKey(client, ref, 'active');
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
  const res = await revokeKey(client, key.id);
  if (ctx.globals.json)
    ctx.out.envelope('keys revoke', [
      { id: res.id, name: res.name, status: res.status, revoked_at: res.revoked_at, changed: res.changed },
    ]);
  else ctx.out.success(`revoked key "${key.name}" (${key.id}); it no longer works`);
}

export function parseOverlap(v: string | undefined): number {
  if (v === undefined) return 0;
  const ms = parseDuration(v);
  if (ms === undefined) throw new UsageError(`--overlap must be a duration like 30s, 10m or 1h, got "${v}"`);
  if (ms > 30 * 86_400_000) throw new UsageError('--overlap can be at most 30d');
  return Math.ceil(ms / 1000);
}

export async function runRotate(ctx: Context, ref: string, o: RotateOpts): Promise<void> {
  await requireFeatures(ctx, 'keys rotate', [
    (o.expiresIn !== undefined || o.expiresAt !== undefined) && 'keys.expiry',
  ]);
  const overlap = parseOverlap(o.overlap);
  const [svc, { rotateKey }, client] = await Promise.all([
    import('../../services/keys.js'),
    import('../../api/keys.js'),
    ctx.client(),
  ]);
  svc.parseExpiry(o, ctx.io.now()); // refuses a bad --expires-in/--expires-at before any call
  const key = await svc.resolveKey(client, ref, 'active');
  if (key.status !== 'active')
    throw new UsageError(`key "${key.name}" is ${key.status}; only active keys can be rotated`);
  const outgoing = o.force ? undefined : await svc.outgoingInOverlap(client, key);
  if (outgoing) {
    // The rotation this command would start is already under way: a re-run changes nothing.
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
  const expiresAt = svc.rotatedExpiry(o, key, ctx.io.now());
  if (o.dryRun) {
    const plan = {
      id: key.id,
      name: key.name,
      workspace: key.group_name,
      restriction: key.permissions,
      holder: key.holder_email,
      overlap_seconds: overlap,
      expires_at: expiresAt,
      dry_run: true,
    };
    if (ctx.globals.json) ctx.out.envelope('keys rotate', [plan], { key: plan });
    else
      ctx.out.info(
        `would replace key "${key.name}" (${key.id}) with a new one (same workspace, restriction and holder, expiring ${expiresAt ?? 'never'}); the old key would stop ${overlap ? `after ${o.overlap}` : 'at once'}; nothing changed`,
      );
    return;
  }
  await checkSecretTarget(ctx, o.secretFile, '--secret-file');
  const res = await rotateKey(client, key.id, overlap, undefined, expiresAt);
  if (!ctx.globals.json) {
    ctx.out.info(
      overlap
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
