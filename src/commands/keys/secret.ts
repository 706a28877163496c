import { resolve } from 'node:path';
import type { Context } from '../../cli/context.js';
import { maskSecret } from '../../domain/keys.js';
import { NoxusError } from '../../errors.js';
import { maskForRunner } from '../../io/runner-mask.js';

/** Where a new secret will go, checked before anything is created on the server (services/keys). */
export async function checkSecretTarget(
  ctx: Context,
  target: string | undefined,
  flag: string,
): Promise<void> {
  if (!target) return;
  const { checkNewSecretFile } = await import('../../services/keys.js');
  await checkNewSecretFile(resolve(ctx.io.cwd, target), target, flag);
}

/** offboard checks its directories with the same rule. */
export async function checkWritableDir(dir: string, flag: string, mayCreate = false): Promise<void> {
  const svc = await import('../../services/keys.js');
  await svc.checkWritableDir(dir, flag, mayCreate);
}

/** A directory for new secrets: writable, and private when it exists (services/keys). */
export async function checkSecretsDir(dir: string, flag: string): Promise<void> {
  const svc = await import('../../services/keys.js');
  await svc.checkSecretsDir(dir, flag);
}

/**
 * The one place a new secret leaves the CLI: into a new 0600 file, or once to stdout (masked first
 * under GitHub Actions, on stderr). Everything else shows only the masked value. If the file cannot
 * be written the key already exists, so the secret goes to stdout instead and the exit code is 1.
 * With --json the document names the key (`key`, also `items[0]` for older scripts) next to `extra`
 * (such as the service account it belongs to).
 */
export async function revealSecret<
  K extends { id: string; name: string; value: string; effective_permissions?: string[] },
>(
  ctx: Context,
  command: string,
  key: K,
  secret: string,
  secretFile?: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const { value: _secret, ...meta } = key;
  const masked = maskSecret(secret);
  const emit = (item: Record<string, unknown>) =>
    ctx.out.envelope(command, [item], { changed: true, ...extra, key: item });
  if (secretFile) {
    const path = resolve(ctx.io.cwd, secretFile);
    try {
      await (await import('../../services/keys.js')).writeSecretFile(path, secret);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      maskForRunner(ctx.io, ctx.env, secret);
      if (ctx.globals.json) {
        emit({ ...meta, value: masked, secret, secret_file_error: `${path}: ${code}` });
      } else {
        ctx.out.warn(
          `created key "${key.name}" (${key.id}) but could not write ${path} (${code}); its secret follows on stdout, shown once: store it now`,
        );
        ctx.io.stdout.write(`${secret}\n`);
      }
      throw new NoxusError(
        `the secret of key "${key.name}" could not be written to ${path} (${code}); it was printed to stdout instead`,
        { hint: 'store it now: it is not shown again', cause: e },
      );
    }
    if (ctx.globals.json) emit({ ...meta, value: masked, secret_file: path });
    else
      ctx.out.success(`created key "${key.name}" (${key.id}, ${masked}); secret written to ${path} (0600)`);
    return;
  }
  maskForRunner(ctx.io, ctx.env, secret);
  if (ctx.globals.json) {
    emit({ ...meta, value: masked, secret });
    return;
  }
  ctx.out.success(`created key "${key.name}" (${key.id})`);
  const eff = key.effective_permissions;
  if (Array.isArray(eff)) ctx.out.info(`effective permissions: ${eff.join(', ') || '(none)'}`);
  ctx.out.warn(
    'this is the only time the secret is shown; store it now (a password manager, or your CI secret store)',
  );
  ctx.io.stdout.write(`${secret}\n`);
}

/**
 * A re-run that found what it would have made: no secret (the first run delivered it), exit 0, the
 * same named document with `changed: false`, and "unchanged" on stderr.
 */
export function reportUnchanged(
  ctx: Context,
  command: string,
  key: object,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  if (ctx.globals.json) ctx.out.envelope(command, [key], { changed: false, ...extra, key });
  else ctx.out.info(`${message} (unchanged)`);
}
