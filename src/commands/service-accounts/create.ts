import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
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

export function registerCreate(parent: Command, ctx: Context): void {
  parent
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
}

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
  const email = o.email ?? saSvc.defaultServiceEmail(name);
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
  const { grants, existing, create, keyGroup } = await saSvc.planServiceAccount(r, {
    name,
    email,
    workspaces: grantsIn,
    key: o.key ? { name: o.key, workspace: o.keyWorkspace, restriction } : undefined,
  });
  const existingKey =
    existing && o.key && keyGroup
      ? await (await import('../../services/keys.js')).findSameKey(r.client, keyGroup, o.key, {
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
    const sa = await saSvc.createServiceAccount(r, create as NonNullable<typeof create>);
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
  const key = await saSvc.createAccountKey(r, keyGroup, {
    name: o.key,
    restriction: restriction ?? null,
    ownerId: account.id,
    expiresAt: expiresAt ?? null,
  });
  await revealSecret(ctx, 'service-accounts create', item(key), key.value, o.secretFile, {
    account,
  });
}
