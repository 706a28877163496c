import { constants, existsSync, statSync } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Context } from '../../cli/context.js';
import { maskSecret } from '../../domain/keys.js';
import { NoxusError, UsageError } from '../../errors.js';
import { maskForRunner } from '../../io/runner-mask.js';

/**
 * Checks where a new secret will go before anything is created on the server: a new file in an
 * existing, writable directory. Once the server made the key, a failed write would lose the secret.
 */
export async function checkSecretTarget(
  ctx: Context,
  target: string | undefined,
  flag: string,
): Promise<void> {
  if (!target) return;
  const path = resolve(ctx.io.cwd, target);
  if (existsSync(path))
    throw new UsageError(`${flag} ${target} already exists; the secret is only written to a new file`, {
      hint: 'nothing was changed; name a new file',
    });
  await checkWritableDir(dirname(path), flag);
}

/** A directory that exists (or, with `mayCreate`, whose parent does) and that this user can write to. */
export async function checkWritableDir(dir: string, flag: string, mayCreate = false): Promise<void> {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch {
    if (mayCreate) return checkWritableDir(dirname(dir), flag);
    throw new UsageError(`${flag}: directory ${dir} does not exist`, { hint: 'nothing was changed' });
  }
  if (!st.isDirectory())
    throw new UsageError(`${flag}: ${dir} is not a directory`, { hint: 'nothing was changed' });
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag}: directory ${dir} is not writable`, { hint: 'nothing was changed' });
  }
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
      await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
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
