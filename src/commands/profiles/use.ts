import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';

export function registerProfilesUse(parent: Command, ctx: Context): void {
  parent
    .command('use')
    .description('make a profile the current one')
    .argument('<name>', 'profile name')
    .addHelpText('after', examples(['noxus profiles use sandbox']))
    .action((name: string) => runProfilesUse(ctx, name));
}

export async function runProfilesUse(ctx: Context, name: string): Promise<void> {
  const [profiles, { useProfile }] = await Promise.all([ctx.profiles(), import('../../services/auth.js')]);
  useProfile(profiles, name);
  if (ctx.globals.json) ctx.out.envelope('profiles use', [{ name, current: true }]);
  else ctx.out.success(`current profile is now ${name}`);
}
