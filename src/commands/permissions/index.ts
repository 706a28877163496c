import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerPermissionsList } from './list.js';

export function registerPermissions(program: Command, ctx: Context): void {
  const cmd = program.command('permissions').description('the permission catalogue of the server');
  registerPermissionsList(cmd, ctx);
}
