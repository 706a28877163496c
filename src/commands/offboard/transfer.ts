import type { Access, User } from '../../api/users.js';
import type { Context } from '../../cli/context.js';
import { ConflictError, UsageError } from '../../errors.js';
import { checkTransferTarget, transferCandidates } from '../../services/offboard/index.js';
import type { Resolver } from '../../services/resolve.js';

/**
 * Who takes over the resources, asked after the access review: the people who can own all of
 * them first (the first one is the default), then nobody. Nobody needs a second yes; a choice the
 * server would refuse (the state changed meanwhile) is explained and asked again.
 */
export async function askTransferTarget(
  ctx: Context,
  r: Resolver,
  user: User,
  owned: Access['resources_owned'],
): Promise<User | undefined> {
  const prompter = await ctx.prompter();
  for (let round = 0; ; round++) {
    const { eligible, ineligible } = await transferCandidates(r, user, owned);
    if (ineligible.length && round === 0)
      ctx.out.info(
        `not offered (cannot own all the resources): ${ineligible.map((x) => `${x.user.email} (${x.reason})`).join('; ')}`,
      );
    if (!eligible.length && round === 0)
      ctx.out.warn(
        'nobody can take over all the resources; give someone an editing role in those workspaces first, or leave them with nobody',
      );
    const picked = await prompter.select<string>({
      message: `${user.email} owns ${owned.length} resource(s). Who takes them over?`,
      choices: [
        ...eligible.map((u) => ({ name: `${u.email} (${u.name ?? u.display_name})`, value: u.id })),
        { name: 'nobody (they stay owned by a removed user)', value: '' },
      ],
      default: eligible[0]?.id ?? '',
    });
    if (!picked) {
      ctx.out.warn(
        `${owned.length} resource(s) stay owned by a removed user (they keep working, but nobody owns them)`,
      );
      if (await prompter.confirm({ message: 'Leave them with nobody?', default: false })) return undefined;
      continue;
    }
    const target = eligible.find((u) => u.id === picked) as User;
    try {
      await checkTransferTarget(r, user, target, owned);
      return target;
    } catch (e) {
      if (!(e instanceof ConflictError || e instanceof UsageError)) throw e;
      ctx.out.warn(`${e.message}; pick again`);
    }
  }
}
