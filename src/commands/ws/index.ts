import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerAddMember } from './add-member.js';
import { registerApply } from './apply.js';
import { registerCreate } from './create.js';
import { registerDelete } from './delete.js';
import { registerGet } from './get.js';
import { registerList } from './list.js';
import { registerMembers } from './members.js';
import { registerRemoveMember } from './remove-member.js';
import { registerRename } from './rename.js';
import { registerSetRole } from './set-role.js';

export function registerWs(program: Command, ctx: Context): void {
  const cmd = program
    .command('ws')
    .alias('workspaces')
    .description('workspaces ("groups" on the wire) and their members');
  registerList(cmd, ctx);
  registerGet(cmd, ctx);
  registerCreate(cmd, ctx);
  registerDelete(cmd, ctx);
  registerRename(cmd, ctx);
  registerMembers(cmd, ctx);
  registerAddMember(cmd, ctx);
  registerSetRole(cmd, ctx);
  registerRemoveMember(cmd, ctx);
  registerApply(cmd, ctx);
}
