import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';

export function registerLogout(parent: Command, ctx: Context): void {
  parent
    .command('logout')
    .description('forget the stored key and the profile')
    .action(() => runLogout(ctx));
}

export async function runLogout(ctx: Context): Promise<void> {
  const [profiles, svc] = await Promise.all([ctx.profiles(), import('../../services/auth.js')]);
  const name = profiles.resolveName(ctx.globals.profile, ctx.env);
  const removed = await svc.logout(profiles, name, ctx.env);
  if (ctx.globals.json) {
    ctx.out.envelope('auth logout', [{ profile: name, removed }]);
    return;
  }
  ctx.out.success(
    `logged out of profile ${name}${removed.length ? `; removed the key from ${removed.join(', ')}` : ''}`,
  );
  if (ctx.env.NOXUS_API_KEY) ctx.out.warn('NOXUS_API_KEY is still set in this environment');
}
