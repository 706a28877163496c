import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerCreate } from './create.js';
import { registerDelete } from './delete.js';
import { registerList } from './list.js';

export function registerServiceAccounts(program: Command, ctx: Context): void {
  const cmd = program
    .command('service-accounts')
    .alias('sa')
    .description('accounts for integrations: no invitation, no sign-in; their keys survive people leaving');
  registerCreate(cmd, ctx);
  registerList(cmd, ctx);
  registerDelete(cmd, ctx);
}
