import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerApply } from './apply.js';
import { registerCrud } from './crud.js';
import { registerMembers } from './members.js';
import { registerRename } from './rename.js';

export function registerWs(program: Command, ctx: Context): void {
  const cmd = program
    .command('ws')
    .alias('workspaces')
    .description('workspaces ("groups" on the wire) and their members');
  registerCrud(cmd, ctx);
  registerRename(cmd, ctx);
  registerMembers(cmd, ctx);
  registerApply(cmd, ctx);
}
