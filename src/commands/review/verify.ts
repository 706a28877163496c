import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import type { Verification } from '../../services/review/verify.js';

export function registerVerify(cmd: Command, ctx: Context): void {
  cmd
    .command('verify')
    .description(
      'recompute the sha256 of an export (JSON, CSV or Markdown): exit 0 when it matches, 1 when the file was modified, 2 when it is no export',
    )
    .argument('<file>', 'an export written by noxus review export')
    .addHelpText(
      'after',
      `${examples(['noxus review verify 2026-Q4.json', 'noxus review verify 2026-Q4.md --json'])}
Local: it reads only the file, never the server. The README ("Verifying an export") gives the
recipe to recompute the same hash with jq or node and sha256sum.
`,
    )
    .action((file: string) => runVerify(ctx, file));
}

export async function runVerify(ctx: Context, file: string): Promise<void> {
  const { verifyExport } = await import('../../services/review/verify.js');
  let text: string;
  try {
    text = readFileSync(resolve(ctx.io.cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const v = verifyExport(text, file);
  ctx.out.item('review verify', v, [
    { header: 'File', value: (x: Verification) => x.file },
    { header: 'Format', value: (x: Verification) => x.format },
    { header: 'Sha256', value: (x: Verification) => x.sha256 },
    { header: 'Covers', value: (x: Verification) => x.covers },
  ]);
  if (!ctx.globals.json) ctx.out.success(`${file}: sha256 matches (${v.format} export, unmodified)`);
}
