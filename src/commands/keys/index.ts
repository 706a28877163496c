import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerCreate } from './create.js';
import { registerExplain } from './explain.js';
import { registerList } from './list.js';
import { registerRevoke } from './revoke.js';
import { registerRotate } from './rotate.js';
import { registerSystem } from './system/index.js';

export function registerKeys(program: Command, ctx: Context): void {
  const cmd = program
    .command('keys')
    .description('workspace API keys: restricted keys, explain, degraded keys, rotation; system keys');
  registerCreate(cmd, ctx);
  registerList(cmd, ctx);
  registerExplain(cmd, ctx);
  registerRevoke(cmd, ctx);
  registerRotate(cmd, ctx);
  registerSystem(cmd, ctx);
}
