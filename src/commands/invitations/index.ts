import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerCancel } from './cancel.js';
import { registerList } from './list.js';

export function registerInvitations(program: Command, ctx: Context): void {
  const cmd = program
    .command('invitations')
    .description('email invitations of users who have not joined yet');
  registerList(cmd, ctx);
  registerCancel(cmd, ctx);
}
