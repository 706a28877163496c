import type { Command } from 'commander';
import type { Context } from '../../../cli/context.js';
import { registerSystemCreate } from './create.js';
import { registerSystemList } from './list.js';
import { registerSystemRevoke } from './revoke.js';
import { registerSystemRotate } from './rotate.js';

export function registerSystem(parent: Command, ctx: Context): void {
  const cmd = parent
    .command('system')
    .description('organization-level (system) keys: held by the organization, made by org admins');
  registerSystemCreate(cmd, ctx);
  registerSystemList(cmd, ctx);
  registerSystemRevoke(cmd, ctx);
  registerSystemRotate(cmd, ctx);
}
