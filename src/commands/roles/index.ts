import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerCreate } from './create.js';
import { registerDelete } from './delete.js';
import { registerGet } from './get.js';
import { registerList } from './list.js';
import { registerUpdate } from './update.js';

export function registerRoles(program: Command, ctx: Context): void {
  const cmd = program.command('roles').description('organization and workspace roles');
  registerList(cmd, ctx);
  registerGet(cmd, ctx);
  registerCreate(cmd, ctx);
  registerUpdate(cmd, ctx);
  registerDelete(cmd, ctx);
}
