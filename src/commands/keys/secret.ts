import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Context } from '../../cli/context.js';
import { maskSecret } from '../../domain/keys.js';

/**
 * The one place a new secret leaves the CLI: into a new 0600 file, or once to stdout (masked first
 * under GitHub Actions). Everything else shows only the masked value.
 */
export async function revealSecret<
  K extends { id: string; name: string; value: string; effective_permissions?: string[] },
>(ctx: Context, command: string, key: K, secret: string, secretFile?: string): Promise<void> {
  const { value: _secret, ...meta } = key;
  const masked = maskSecret(secret);
  if (secretFile) {
    const path = resolve(ctx.io.cwd, secretFile);
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    if (ctx.globals.json) ctx.out.envelope(command, [{ ...meta, value: masked, secret_file: path }]);
    else
      ctx.out.success(`created key "${key.name}" (${key.id}, ${masked}); secret written to ${path} (0600)`);
    return;
  }
  if (ctx.env.GITHUB_ACTIONS === 'true') ctx.io.stdout.write(`::add-mask::${secret}\n`);
  if (ctx.globals.json) {
    ctx.out.envelope(command, [{ ...meta, value: masked, secret }]);
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
