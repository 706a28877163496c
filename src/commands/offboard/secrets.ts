import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Context } from '../../cli/context.js';
import { maskForRunner } from '../../io/runner-mask.js';
import { fileInDir } from '../../util/files.js';

export interface DeliveredSecret {
  key_id: string;
  name: string;
  secret?: string;
  file?: string;
}

/**
 * Where a new secret goes: a 0600 file in --secrets-dir, or shown once on stdout. The key is already
 * rotated when this runs, so a file that cannot be written still delivers the secret (stdout) and
 * is listed in `unwritten` for the exit code.
 */
export function secretSink(
  ctx: Context,
  secretsDir: string | undefined,
  secrets: DeliveredSecret[],
  unwritten: string[] = [],
) {
  return async (title: string, key: { id: string; name: string; value: string }): Promise<string> => {
    if (!secretsDir) maskForRunner(ctx.io, ctx.env, key.value);
    if (secretsDir) {
      const file = fileInDir(resolve(ctx.io.cwd, secretsDir), `${key.name}-${key.id}`, '.key');
      try {
        await writeFile(file, `${key.value}\n`, { mode: 0o600 });
        secrets.push({ key_id: key.id, name: key.name, file });
        return `written to ${file}`;
      } catch (e) {
        unwritten.push(`${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
        maskForRunner(ctx.io, ctx.env, key.value);
      }
    }
    secrets.push({ key_id: key.id, name: key.name, secret: key.value });
    if (!ctx.globals.json) {
      ctx.out.warn(`new secret of "${key.name}" (${title}), shown once; store it now:`);
      ctx.io.stdout.write(`${key.value}\n`);
    }
    return 'shown once';
  };
}
