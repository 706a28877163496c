import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';

export function registerProfilesList(parent: Command, ctx: Context): void {
  parent
    .command('list')
    .alias('ls')
    .description('list profiles (* marks the current one)')
    .action(() => runProfilesList(ctx));
}

export async function runProfilesList(ctx: Context): Promise<void> {
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
}
