import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerCheck } from './check.js';
import { registerDiff } from './diff.js';
import { registerExport } from './export.js';
import { registerVerify } from './verify.js';

export function registerReview(program: Command, ctx: Context): void {
  const cmd = program
    .command('review')
    .description(
      'quarterly access reviews: deterministic snapshots, diffs between them, policy checks, hash verification',
    );
  registerExport(cmd, ctx);
  registerDiff(cmd, ctx);
  registerCheck(cmd, ctx);
  registerVerify(cmd, ctx);
}
