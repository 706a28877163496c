import type { Command } from 'commander';
import { registerActivity } from '../commands/activity.js';
import { registerAuth } from '../commands/auth/index.js';
import { registerCompletion } from '../commands/completion.js';
import { registerDoctor } from '../commands/doctor.js';
import { registerInvitations } from '../commands/invitations/index.js';
import { registerKeys } from '../commands/keys/index.js';
import { registerMe } from '../commands/me.js';
import { registerOffboard } from '../commands/offboard/index.js';
import { registerPermissions } from '../commands/permissions/index.js';
import { registerProfiles } from '../commands/profiles/index.js';
import { registerReview } from '../commands/review/index.js';
import { registerRoles } from '../commands/roles/index.js';
import { registerSandbox } from '../commands/sandbox/index.js';
import { registerServiceAccounts } from '../commands/service-accounts/index.js';
import { registerUsers } from '../commands/users/index.js';
import { registerWs } from '../commands/ws/index.js';
import type { Context } from './context.js';
import { createRoot } from './root.js';

/**
 * The whole command tree, built synchronously: for in-process tests. bin/noxus goes through
 * root.ts's registry instead, which loads only the command a line names.
 */
export function buildProgram(ctx: Context): Command {
  const program = createRoot(ctx);
  registerAuth(program, ctx);
  registerProfiles(program, ctx);
  registerMe(program, ctx);
  registerDoctor(program, ctx);
  registerUsers(program, ctx);
  registerInvitations(program, ctx);
  registerWs(program, ctx);
  registerRoles(program, ctx);
  registerPermissions(program, ctx);
  registerKeys(program, ctx);
  registerServiceAccounts(program, ctx);
  registerOffboard(program, ctx);
  registerReview(program, ctx);
  registerActivity(program, ctx);
  registerCompletion(program, ctx);
  registerSandbox(program, ctx);
  return program;
}
