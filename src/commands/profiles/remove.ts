import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';

export function registerProfilesRemove(parent: Command, ctx: Context): void {
  parent
    .command('remove')
    .alias('rm')
    .description('remove a profile and its stored key (keychain or file store)')
    .argument('<name>', 'profile name')
    .option('--force', 'also remove the profile in use (afterwards no profile is current)')
    .addHelpText(
      'after',
      `${examples(['noxus profiles remove staging --yes', 'noxus profiles remove sandbox --force --yes'])}
Asks on a terminal and needs --yes without one. The profile in use (the current one, or the one
NOXUS_PROFILE names) is refused unless --force; nothing is switched for you: pick the next one with
noxus profiles use NAME. A sandbox profile's key file belongs to the sandbox and is kept.
`,
    )
    .action((name: string, o: { force?: boolean }) => runProfilesRemove(ctx, name, o));
}

export async function runProfilesRemove(ctx: Context, name: string, o: { force?: boolean }): Promise<void> {
  const [profiles, svc] = await Promise.all([ctx.profiles(), import('../../services/auth.js')]);
  const { profile, inUse } = svc.checkRemovable(profiles, name, ctx.env, !!o.force);
  await confirmDestructive(
    ctx,
    `remove profile ${name} and its stored key`,
    `noxus profiles remove ${name}${inUse ? ' --force' : ''}`,
  );
  const removed = await svc.removeProfile(profiles, name, profile, ctx.env);
  if (ctx.globals.json) {
    ctx.out.envelope('profiles remove', [{ name, was_current: inUse, removed }]);
    return;
  }
  ctx.out.success(
    `removed profile ${name}${removed.length ? `; removed its key from ${removed.join(', ')}` : ''}`,
  );
  if (inUse) ctx.out.info('no profile is current now: pick one with noxus profiles use NAME');
}
