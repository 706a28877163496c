import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerLogin } from './login.js';
import { registerLogout } from './logout.js';
import { registerStatus } from './status.js';
import { registerToken } from './token.js';

export function registerAuth(program: Command, ctx: Context): void {
  const cmd = program.command('auth').description('log in with an API key, see where it is stored, log out');
  registerLogin(cmd, ctx);
  registerStatus(cmd, ctx);
  registerLogout(cmd, ctx);
  registerToken(cmd, ctx);
}
