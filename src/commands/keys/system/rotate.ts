import type { Command } from 'commander';
import type { Context } from '../../../cli/context.js';
import { requireFeatures } from '../../shared.js';
import { checkSecretTarget, revealSecret } from '../secret.js';

export function registerSystemRotate(parent: Command, ctx: Context): void {
  parent
    .command('rotate')
    .description('replace a system key with a new secret, same permissions')
    .argument('<key>', 'key id or name')
    .option('--overlap <duration>', 'keep the old key working this long')
    .option('--secret-file <path>', 'write the new secret only to this new file (0600)')
    .action((key: string, o: { overlap?: string; secretFile?: string }) => runSystemRotate(ctx, key, o));
}

export async function runSystemRotate(
  ctx: Context,
  ref: string,
  o: { overlap?: string; secretFile?: string },
): Promise<void> {
  const [{ parseOverlap }, svc] = await Promise.all([
    import('../../../services/keys.js'),
    import('../../../services/system-keys.js'),
  ]);
  const overlap = parseOverlap(o.overlap);
  await checkSecretTarget(ctx, o.secretFile, '--secret-file');
  const caps = (await requireFeatures(ctx, 'keys system rotate')) ?? (await ctx.capabilities());
  const client = await ctx.client();
  const old = await svc.findSystemKey(client, ref);
  const { key, fallback } = await svc.rotateSystem(client, caps, old, overlap);
  await revealSecret(ctx, 'keys system rotate', key, key.value, o.secretFile);
  if (!fallback) return;
  if (fallback.revokeError !== undefined) {
    ctx.out.warn(
      `the new key was created, but revoking the old key ${old.id} failed; run: noxus keys system revoke ${old.id} --yes`,
    );
    throw fallback.revokeError;
  }
  if (!fallback.oldRevoked) {
    ctx.out.warn(
      `this server cannot revoke later by itself: the old key "${old.name}" (${old.id}) still works; after the overlap run: noxus keys system revoke ${old.id} --yes`,
    );
    return;
  }
  ctx.out.info(`revoked the old key "${old.name}" (${old.id})`);
}
