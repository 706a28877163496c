import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerProfilesList } from './list.js';
import { registerProfilesRemove } from './remove.js';
import { registerProfilesUse } from './use.js';

export function registerProfiles(program: Command, ctx: Context): void {
  const cmd = program.command('profiles').description('named servers and credentials');
  registerProfilesList(cmd, ctx);
  registerProfilesUse(cmd, ctx);
  registerProfilesRemove(cmd, ctx);
}
