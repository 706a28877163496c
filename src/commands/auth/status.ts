import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { AuthError } from '../../errors.js';

export function registerStatus(parent: Command, ctx: Context): void {
  parent
    .command('status')
    .description('which profile, server and key are in use, and where the key lives')
    .action(() => runAuthStatus(ctx));
}

export async function runAuthStatus(ctx: Context): Promise<void> {
  const t = await ctx.target();
  if (!t.credential) {
    throw new AuthError(`not logged in (profile ${t.profileName}, ${t.url})`, {
      hint: `run: noxus auth login --profile ${t.profileName}`,
    });
  }
  const { getMe } = await import('../../api/me.js');
  const me = await getMe(await ctx.client());
  if (t.credential.overridesStored)
    ctx.out.warn(`NOXUS_API_KEY overrides the key stored for profile ${t.profileName}`);
  const row = {
    profile: t.profileName,
    url: t.url,
    key_name: me.name,
    key_id: me.id,
    value: me.value,
    tenant_admin: me.tenant_admin,
    holder: me.holder?.email ?? null,
    source: t.credential.source,
    location: t.credential.location,
    overridden_by_env: !!t.credential.overridesStored,
  };
  ctx.out.item('auth status', row, [
    { header: 'Profile', value: (x) => x.profile },
    { header: 'Server', value: (x) => x.url },
    { header: 'Key', value: (x) => `${x.key_name} (${x.key_id})` },
    { header: 'Value', value: (x) => x.value },
    { header: 'Holder', value: (x) => x.holder ?? '' },
    { header: 'Tenant admin', value: (x) => (x.tenant_admin ? 'yes' : 'no') },
    { header: 'Key from', value: (x) => x.location },
  ]);
}
