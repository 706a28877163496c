import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerOnboarding(parent: Command, ctx: Context): void {
  parent
    .command('onboarding')
    .description('where a user stands in the five onboarding steps')
    .argument('<user>', 'user id or email')
    .addHelpText(
      'after',
      examples([
        'noxus users onboarding newhire@example.com',
        'noxus users onboarding newhire@example.com --json',
      ]),
    )
    .action((user: string) => runOnboarding(ctx, user));
}

export async function runOnboarding(ctx: Context, ref: string): Promise<void> {
  await requireFeatures(ctx, 'users onboarding');
  const { onboardingOf } = await import('../../services/users.js');
  const { user: u, onboarding: ob } = await onboardingOf(await resolverFor(ctx), ref);
  if (ctx.globals.json) {
    ctx.out.envelope('users onboarding', ob.steps, {
      user: ob.user,
      pending: ob.pending,
      complete: ob.complete,
    });
    return;
  }
  ctx.out.list('users onboarding', ob.steps, [
    { header: 'Step', value: (s) => s.title },
    { header: 'Status', value: (s) => (s.done ? 'done' : s.optional ? 'optional' : 'pending') },
    { header: 'When', value: (s) => s.at ?? '', time: true },
    { header: 'Detail', value: (s) => s.detail ?? '' },
  ]);
  if (ctx.out.tty)
    ctx.out.info(ob.complete ? `${u.email} is fully onboarded.` : `pending: ${ob.pending.join(', ')}`);
}
