import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { didYouMean } from '../../domain/match.js';
import { NotFoundError, UsageError } from '../../errors.js';

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
  const profiles = await ctx.profiles();
  const profile = profiles.get(name);
  if (!profile) {
    const known = profiles.list().map((p) => p.name);
    throw new NotFoundError(`no profile ${name}`, {
      hint:
        didYouMean(name, known) ??
        (known.length ? `known profiles: ${known.join(', ')}` : 'there are no profiles'),
    });
  }
  const inUse = profiles.current() === name || ctx.env.NOXUS_PROFILE === name;
  if (inUse && !o.force) {
    throw new UsageError(`refusing to remove profile ${name}: it is the profile in use`, {
      hint: `switch first (noxus profiles use OTHER), or run: noxus profiles remove ${name} --force --yes`,
    });
  }
  await confirmDestructive(
    ctx,
    `remove profile ${name} and its stored key`,
    `noxus profiles remove ${name}${inUse ? ' --force' : ''}`,
  );
  let removed: Array<{ location: string }> = [];
  if (profile.credential_store !== 'sandbox-file') {
    const { deleteCredential } = await import('../../config/credentials.js');
    removed = await deleteCredential(name, profile, ctx.env);
  }
  profiles.remove(name);
  if (ctx.globals.json) {
    ctx.out.envelope('profiles remove', [
      { name, was_current: inUse, removed: removed.map((r) => r.location) },
    ]);
    return;
  }
  ctx.out.success(
    `removed profile ${name}${removed.length ? `; removed its key from ${removed.map((r) => r.location).join(', ')}` : ''}`,
  );
  if (inUse) ctx.out.info('no profile is current now: pick one with noxus profiles use NAME');
}
