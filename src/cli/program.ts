import type { Command } from 'commander';
import type { Context } from './context.js';
import { createRoot, registerAll } from './root.js';

/**
 * The whole command tree, from root.ts's registry: for in-process tests and completion. bin/noxus
 * goes through buildFor() instead, which loads only the command a line names.
 */
export function buildProgram(ctx: Context): Promise<Command> {
  return registerAll(createRoot(ctx), ctx);
}
