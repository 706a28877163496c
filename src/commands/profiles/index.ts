import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { registerProfilesRemove } from './remove.js';

export function registerProfiles(program: Command, ctx: Context): void {
  const cmd = program.command('profiles').description('named servers and credentials');
  cmd
    .command('list')
    .alias('ls')
    .description('list profiles (* marks the current one)')
    .action(async () => {
      const profiles = await ctx.profiles();
      ctx.out.list(
        'profiles list',
        profiles.list(),
        [
          { header: 'Current', value: (p) => (p.current ? '*' : '') },
          { header: 'Name', value: (p) => p.name },
          { header: 'URL', value: (p) => p.profile.url },
          { header: 'Key stored in', value: (p) => p.profile.credential_store },
          { header: 'Key', value: (p) => p.profile.key_name ?? '' },
        ],
        {
          json: (p) => ({ name: p.name, current: p.current, ...p.profile }),
          empty: 'No profiles yet: run noxus auth login, or noxus sandbox start --detach.',
        },
      );
    });
  cmd
    .command('use')
    .description('make a profile the current one')
    .argument('<name>', 'profile name')
    .addHelpText('after', examples(['noxus profiles use sandbox']))
    .action(async (name: string) => {
      const profiles = await ctx.profiles();
      profiles.use(name);
      if (ctx.globals.json) ctx.out.envelope('profiles use', [{ name, current: true }]);
      else ctx.out.success(`current profile is now ${name}`);
    });
  registerProfilesRemove(cmd, ctx);
}
