import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { AuthError } from '../../errors.js';

export function registerToken(parent: Command, ctx: Context): void {
  parent
    .command('token')
    .description('print the key in use to stdout (for scripts: export NOXUS_API_KEY=$(noxus auth token))')
    .action(() => runToken(ctx));
}

export async function runToken(ctx: Context): Promise<void> {
  const t = await ctx.target();
  if (!t.credential)
    throw new AuthError(`not logged in (profile ${t.profileName})`, {
      hint: `run: noxus auth login --profile ${t.profileName}`,
    });
  ctx.io.stdout.write(`${t.credential.key}\n`);
}
