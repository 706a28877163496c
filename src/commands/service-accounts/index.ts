import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import type { Resolver } from '../../services/resolve.js';
import { findSameKey } from '../keys/create.js';
import { checkSecretTarget, reportUnchanged, revealSecret } from '../keys/secret.js';
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
  const [users, keysSvc, saSvc] = await Promise.all([
    import('../../services/users.js'),
    import('../../services/keys.js'),
    import('../../services/service-accounts.js'),
  ]);
  const grantsIn = (o.workspace ?? []).map((w) => users.parseWorkspaceGrant(w));
  if (grantsIn.length === 0)
    throw new UsageError(
      'give the account at least one --workspace W=ROLE (least privilege: only what the integration needs)',
    );
  const email = o.email ?? `${slug(name)}@service-accounts.noxus.local`;
  const restriction = o.key ? keysSvc.parseRestrict(o.restrict) : undefined;
  if (restriction === 'pick') throw new UsageError('--restrict needs a list here');
  if (!o.key && (o.restrict || o.expiresIn || o.secretFile || o.keyWorkspace))
    throw new UsageError('--restrict, --expires-in, --key-workspace and --secret-file apply to --key');
  const expiresAt = keysSvc.parseExpiry({ expiresIn: o.expiresIn }, ctx.io.now());
  // Service accounts need membership writes as well (they are created with workspace roles).
  await requireFeatures(ctx, 'service-accounts create', [
    'members.manage',
    !!restriction && 'keys.restrict',
    expiresAt !== undefined && 'keys.expiry',
  ]);
  const r = await resolverFor(ctx);
  // A re-run finds the account (and key) it made: only reads until we know what is missing.
  const grants = await resolveGrants(r, grantsIn);
  const existing = await saSvc.findSameServiceAccount(r, { name, email, grants });
  const plan = existing
    ? undefined
    : await users.planNewUser(r, { name, email, orgRole: 'Org Base', workspaces: grantsIn, kind: 'service' });
  const keyGroup = o.key ? await r.group(o.keyWorkspace ?? grantsIn[0]?.workspace ?? '') : undefined;
  if (keyGroup && !grants.some((g) => g.groupId === keyGroup.id)) {
    throw new UsageError(`--key-workspace ${keyGroup.name} is not one of the account's workspaces`);
  }
  if (restriction) {
    const { listPermissions } = await import('../../api/roles.js');
    keysSvc.validatePermissionNames(restriction, await listPermissions(r.client));
    const role = (await r.roles()).find(
      (x) => x.id === grants.find((g) => g.groupId === keyGroup?.id)?.roleId,
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
  const existingKey =
    existing && o.key && keyGroup
      ? await findSameKey(r.client, keyGroup, o.key, {
          ownerId: existing.user.id,
          holderId: existing.user.id,
          restriction: restriction ?? null,
        })
      : undefined;
  const workspaces = grants.map((g) => ({ workspace: g.workspace, role: g.role }));
  const needKey = !!o.key && !existingKey;
  if (needKey) await checkSecretTarget(ctx, o.secretFile, '--secret-file');
  if (o.dryRun) {
    const preview = {
      name,
      email,
      kind: 'service',
      workspaces,
      exists: !!existing,
      key: o.key
        ? {
            name: o.key,
            workspace: keyGroup?.name,
            restriction: restriction ?? null,
            expires_at: expiresAt ?? null,
            exists: !!existingKey,
          }
        : null,
      dry_run: true,
    };
    if (ctx.globals.json)
      ctx.out.envelope('service-accounts create', [preview], {
        changed: !existing || needKey,
        account: preview,
        ...(preview.key ? { key: preview.key } : {}),
      });
    else if (existing && !needKey)
      ctx.out.info(`service account ${email} already exists as asked; nothing to do`);
    else
      ctx.out.info(
        `would ${existing ? 'keep' : 'create'} service account ${email} with ${workspaces.map((g) => `${g.workspace}=${g.role}`).join(', ')}${needKey ? ` and create key "${o.key}"` : ''}; nothing changed`,
      );
    return;
  }
  let account: Record<string, unknown> & { id: string; email: string };
  if (existing) {
    account = { ...existing.user, workspaces, changed: false };
    if (!ctx.globals.json)
      ctx.out.info(
        `service account ${existing.user.email} (${existing.user.id}) already exists with these roles (unchanged)`,
      );
  } else {
    const { createUser } = await import('../../api/users.js');
    const sa = await createUser(r.client, (plan as NonNullable<typeof plan>).body);
    account = { ...sa, workspaces, changed: true };
    if (!ctx.globals.json) ctx.out.success(`created service account ${sa.email} (${sa.id})`);
  }
  if (!o.key || !keyGroup) {
    if (ctx.globals.json)
      ctx.out.envelope('service-accounts create', [account], { changed: !existing, account });
    return;
  }
  const item = <K extends object>(k: K) => ({
    ...k,
    service_account: { id: account.id, email: account.email },
  });
  if (existingKey) {
    reportUnchanged(
      ctx,
      'service-accounts create',
      item(existingKey),
      `key "${existingKey.name}" of ${account.email} already exists in ${keyGroup.name} (${existingKey.id}, ${existingKey.value})`,
      { account },
    );
    return;
  }
  const { createKey } = await import('../../api/keys.js');
  const key = await createKey(r.client, keyGroup.id, {
    name: o.key,
    permissions: restriction ?? null,
    owner_id: account.id,
    expires_at: expiresAt ?? null,
  });
  await revealSecret(ctx, 'service-accounts create', item(key), key.value, o.secretFile, {
    account,
  });
}

/** `W=ROLE` flags against the server's workspaces and roles (what planNewUser checks, minus the email). */
async function resolveGrants(
  r: Resolver,
  input: Array<{ workspace: string; role: string }>,
): Promise<Array<{ groupId: string; workspace: string; roleId: string; role: string }>> {
  const out: Array<{ groupId: string; workspace: string; roleId: string; role: string }> = [];
  for (const w of input) {
    const g = await r.group(w.workspace);
    if (out.some((x) => x.groupId === g.id))
      throw new UsageError(`workspace ${g.name} is given twice; a user has one role per workspace`);
    const role = await r.role(w.role, 'workspace', `--workspace ${w.workspace}=`);
    out.push({ groupId: g.id, workspace: g.name, roleId: role.id, role: role.name });
  }
  return out;
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
