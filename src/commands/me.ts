import type { Command } from 'commander';
import type { Context } from '../cli/context.js';
import { examples } from '../cli/options.js';

export function registerMe(program: Command, ctx: Context): void {
  program
    .command('me')
    .description('show who the current key belongs to, whether it is tenant admin, and its permissions')
    .addHelpText(
      'after',
      examples(['noxus me', 'noxus me --json', 'NOXUS_API_KEY=... noxus me --url http://127.0.0.1:8700']),
    )
    .action(() => runMe(ctx));
}

export async function runMe(ctx: Context): Promise<void> {
  const [{ getMe }, client, target] = await Promise.all([import('../api/me.js'), ctx.client(), ctx.target()]);
  const me = await getMe(client);
  const where = target.credential?.location ?? '';
  if (target.credential?.overridesStored) {
    ctx.out.warn(`NOXUS_API_KEY overrides the key stored for profile ${target.profileName}`);
  }
  ctx.out.item(
    'me',
    me,
    [
      { header: 'Key', value: (m) => `${m.name} (${m.id})` },
      { header: 'Value', value: (m) => m.value },
      {
        header: 'Holder',
        value: (m) =>
          m.holder
            ? `${m.holder.email} (${m.holder.kind})`
            : m.kind === 'system'
              ? 'the organization (system key)'
              : '',
      },
      { header: 'Org role', value: (m) => m.holder?.org_role ?? '' },
      { header: 'Tenant admin', value: (m) => (m.tenant_admin ? 'yes' : 'no') },
      { header: 'Workspace', value: (m) => m.group_name ?? m.group_id ?? '' },
      {
        header: 'Restricted',
        value: (m) =>
          m.restricted === undefined ? '' : m.restricted ? (m.restriction ?? []).join(',') : 'no',
      },
      { header: 'Permissions', value: (m) => (m.effective_permissions ?? m.permissions ?? []).join(',') },
      { header: 'Org permissions', value: (m) => (m.org_permissions ?? []).join(',') },
      { header: 'Server', value: () => target.url },
      { header: 'Profile', value: () => target.profileName },
      { header: 'Key from', value: () => where },
    ],
    {
      extra: {
        server: target.url,
        profile: target.profileName,
        credential_source: target.credential?.source,
      },
    },
  );
}
