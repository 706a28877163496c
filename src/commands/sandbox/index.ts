import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerActAs } from './act-as.js';
import { registerStart } from './start.js';
import { registerStatus } from './status.js';
import { registerStop } from './stop.js';

export function registerSandbox(program: Command, ctx: Context): void {
  const cmd = program
    .command('sandbox')
    .description('run a local Noxus-compatible server (SQLite) to try the tool and test scripts against');
  registerStart(cmd, ctx);
  registerStop(cmd, ctx);
  registerStatus(cmd, ctx);
  registerActAs(cmd, ctx);
}
