import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerAdd } from './add.js';
import { registerGet } from './get.js';
import { registerList } from './list.js';
import { registerOnboarding } from './onboarding.js';
import { registerReactivate } from './reactivate.js';
import { registerRemove } from './remove.js';
import { registerResendInvite } from './resend-invite.js';
import { registerSuspend } from './suspend.js';
import { registerUpdate } from './update.js';

export function registerUsers(program: Command, ctx: Context): void {
  const cmd = program.command('users').description('people and service accounts of the organization');
  registerList(cmd, ctx);
  registerGet(cmd, ctx);
  registerAdd(cmd, ctx);
  registerUpdate(cmd, ctx);
  registerSuspend(cmd, ctx);
  registerReactivate(cmd, ctx);
  registerResendInvite(cmd, ctx);
  registerRemove(cmd, ctx);
  registerOnboarding(cmd, ctx);
}
