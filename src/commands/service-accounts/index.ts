import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { UsageError } from '../../cli/errors.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { checkSecretTarget, revealSecret } from '../keys/secret.js';
import { collect, requireFeatures, resolverFor } from '../shared.js';

interface CreateOpts {
  workspace?: string[];
  email?: string;
  key?: string;
  keyWorkspace?: string;
  restrict?: string;
  expiresIn?: string;
  secretFile?: string;
  dryRun?: boolean;
}

export function registerServiceAccounts(program: Command, ctx: Context): void {
  const cmd = program
    .command('service-accounts')
    .alias('sa')
    .description('accounts for integrations: no invitation, no sign-in; their keys survive people leaving');
  cmd
    .command('create')
    .description('create a service account with workspace roles, and optionally a key it owns')
    .argument('<name>', 'a name such as "CI deploy"')
    .option('--workspace <w=role>', 'workspace role (repeatable)', collect)
    .option('--email <email>', 'identifier email (default: <slug>@service-accounts.noxus.local)')
    .option('--key <name>', 'also create a key owned by the account, with this name')
    .option('--key-workspace <w>', 'workspace of that key (default: the first --workspace)')
    .option('--restrict <perms>', 'restrict that key to these workspace permissions')
    .option('--expires-in <duration>', 'that key expires after 30m, 12h, 90d …')
    .option('--secret-file <path>', "write that key's secret only to this new file (0600)")
    .option('--dry-run', 'show what would be created')
    .addHelpText(
      'after',
      examples([
        'noxus service-accounts create "CI deploy" --workspace Engineering=Editor --key deploy --restrict flows_run,flows_edit --expires-in 90d --json',
        'noxus service-accounts list',
      ]),
    )
    .action((name: string, o: CreateOpts) => runSaCreate(ctx, name, o));
  cmd
    .command('list')
    .alias('ls')
    .description('list service accounts and how many active keys each owns')
    .action(() => runSaList(ctx));
  cmd
    .command('delete')
    .alias('rm')
    .description('delete a service account: its keys are revoked at once')
    .argument('<account>', 'id or email')
    .option('--dry-run', 'show what would be deleted')
    .action((ref: string, o: { dryRun?: boolean }) => runSaDelete(ctx, ref, o));
}

const slug = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .slice(0, 60) || 'service';

export async function runSaCreate(ctx: Context, name: string, o: CreateOpts): Promise<void> {
  const [users, keysSvc] = await Promise.all([
    import('../../services/users.js'),
    import('../../services/keys.js'),
  ]);
  const grants = (o.workspace ?? []).map((w) => users.parseWorkspaceGrant(w));
  if (grants.length === 0)
    throw new UsageError(
      'give the account at least one --workspace W=ROLE (least privilege: only what the integration needs)',
    );
  const email = o.email ?? `${slug(name)}@service-accounts.noxus.local`;
  const restriction = o.key ? keysSvc.parseRestrict(o.restrict) : undefined;
  if (restriction === 'pick') throw new UsageError('--restrict needs a list here');
  if (!o.key && (o.restrict || o.expiresIn || o.secretFile || o.keyWorkspace))
    throw new UsageError('--restrict, --expires-in, --key-workspace and --secret-file apply to --key');
  const expiresAt = keysSvc.parseExpiry({ expiresIn: o.expiresIn }, ctx.io.now());
  await checkSecretTarget(ctx, o.secretFile, '--secret-file');
  // Service accounts need membership writes as well (they are created with workspace roles).
  await requireFeatures(ctx, 'service-accounts create', [
    'members.manage',
    !!restriction && 'keys.restrict',
    expiresAt !== undefined && 'keys.expiry',
  ]);
  const r = await resolverFor(ctx);
  const plan = await users.planNewUser(r, {
    name,
    email,
    orgRole: 'Org Base',
    workspaces: grants,
    kind: 'service',
  });
  const keyGroup = o.key ? await r.group(o.keyWorkspace ?? grants[0]?.workspace ?? '') : undefined;
  if (keyGroup && !plan.grants.some((g) => g.groupId === keyGroup.id)) {
    throw new UsageError(`--key-workspace ${keyGroup.name} is not one of the account's workspaces`);
  }
  if (restriction) {
    const { listPermissions } = await import('../../api/roles.js');
    keysSvc.validatePermissionNames(restriction, await listPermissions(r.client));
    const role = (await r.roles()).find(
      (x) => x.id === plan.grants.find((g) => g.groupId === keyGroup?.id)?.roleId,
    );
    const { grantedPermissions } = await import('../../api/roles.js');
    const { expandWorkspacePermissions } = await import('../../domain/permissions.js');
    keysSvc.assertWithinBounds(
      restriction,
      [
        {
          who: `service account ${email}`,
          permissions: expandWorkspacePermissions(role ? grantedPermissions(role) : []),
          source: `role ${role?.name}`,
        },
      ],
      keyGroup?.name ?? '',
    );
  }
  if (o.dryRun) {
    const preview = {
      name,
      email,
      kind: 'service',
      workspaces: plan.grants.map((g) => ({ workspace: g.workspace, role: g.role })),
      key: o.key
        ? {
            name: o.key,
            workspace: keyGroup?.name,
            restriction: restriction ?? null,
            expires_at: expiresAt ?? null,
          }
        : null,
      dry_run: true,
    };
    if (ctx.globals.json) ctx.out.envelope('service-accounts create', [preview]);
    else
      ctx.out.info(
        `would create service account ${email} with ${plan.grants.map((g) => `${g.workspace}=${g.role}`).join(', ')}${o.key ? ` and key "${o.key}"` : ''}; nothing changed`,
      );
    return;
  }
  const { createUser } = await import('../../api/users.js');
  const sa = await createUser(r.client, plan.body);
  if (!o.key || !keyGroup) {
    if (ctx.globals.json) ctx.out.envelope('service-accounts create', [sa]);
    else ctx.out.success(`created service account ${sa.email} (${sa.id})`);
    return;
  }
  if (!ctx.globals.json) ctx.out.success(`created service account ${sa.email} (${sa.id})`);
  const { createKey } = await import('../../api/keys.js');
  const key = await createKey(r.client, keyGroup.id, {
    name: o.key,
    permissions: restriction ?? null,
    owner_id: sa.id,
    expires_at: expiresAt ?? null,
  });
  await revealSecret(
    ctx,
    'service-accounts create',
    { ...key, service_account: { id: sa.id, email: sa.email } },
    key.value,
    o.secretFile,
  );
}

export async function runSaList(ctx: Context): Promise<void> {
  await requireFeatures(ctx, 'service-accounts list');
  const r = await resolverFor(ctx);
  const { listKeys } = await import('../../api/keys.js');
  const [accounts, keys] = await Promise.all([
    r.users({ kind: 'service' }),
    listKeys(r.client, { status: 'active' }),
  ]);
  const rows = accounts.map((a) => ({ ...a, active_keys: keys.filter((k) => k.owner_id === a.id).length }));
  ctx.out.list('service-accounts list', rows, [
    { header: 'Email', value: (a) => a.email },
    { header: 'Name', value: (a) => a.name ?? a.display_name },
    { header: 'Status', value: (a) => a.status ?? '' },
    { header: 'Active keys', value: (a) => a.active_keys },
    { header: 'Created', value: (a) => a.created_at ?? '', time: true },
    { header: 'ID', value: (a) => a.id },
  ]);
}

export async function runSaDelete(ctx: Context, ref: string, o: { dryRun?: boolean }): Promise<void> {
  await requireFeatures(ctx, 'service-accounts delete');
  const r = await resolverFor(ctx);
  const sa = await r.user(ref);
  if ((sa.kind ?? 'human') !== 'service') {
    throw new UsageError(`${sa.email} is a person, not a service account`, {
      hint: `people leave through the offboarding checklist: noxus offboard ${sa.email}`,
    });
  }
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('service-accounts delete', [{ id: sa.id, email: sa.email, dry_run: true }]);
    else ctx.out.info(`would delete service account ${sa.email} and revoke its keys; nothing changed`);
    return;
  }
  await confirmDestructive(
    ctx,
    `delete service account ${sa.email} and revoke its keys`,
    `noxus service-accounts delete ${sa.email}`,
  );
  const { removeUser } = await import('../../api/users.js');
  const res = await removeUser(r.client, sa.id);
  if (ctx.globals.json) ctx.out.envelope('service-accounts delete', [res]);
  else
    ctx.out.success(`deleted service account ${sa.email}; revoked ${res.revoked_keys?.length ?? 0} key(s)`);
}
