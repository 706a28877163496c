import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { commandLine, confirmWrite, fromFlagOrPrompt, missingValues, pickOne } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { parseDuration } from '../../domain/validate.js';
import { UsageError } from '../../errors.js';
import { requireFeatures, resolverFor } from '../shared.js';
import { checkSecretTarget, reportUnchanged, revealSecret } from './secret.js';

/**
 * The expiry offered by the interactive prompt (least privilege in time: a forgotten key stops on its
 * own). Flags and CI are unaffected: without --expires-in/--expires-at a scripted key does not expire.
 */
export const DEFAULT_KEY_EXPIRY = '90d';

export interface CreateOpts {
  workspace?: string;
  name?: string;
  restrict?: string | boolean;
  owner?: string;
  expiresIn?: string;
  expiresAt?: string;
  secretFile?: string;
  ifMissing?: boolean;
  dryRun?: boolean;
}

export function registerCreate(parent: Command, ctx: Context): void {
  parent
    .command('create')
    .description('create a workspace API key, optionally restricted to some of the workspace permissions')
    .option('--workspace <w>', 'the workspace the key belongs to (name or id)')
    .option('--name <name>', 'key name')
    .option(
      '--restrict [perms]',
      'restrict to these workspace permissions (comma-separated); without a list, pick them in a terminal',
    )
    .option('--no-restrict', 'an unrestricted key (everything its holder can do); asks nothing about it')
    .option(
      '--owner <service-account>',
      'the service account that holds the key (it survives people leaving)',
    )
    .option(
      '--expires-in <duration>',
      `expire after 30m, 12h, 90d, 2w …, or "none" (a terminal asks, offering ${DEFAULT_KEY_EXPIRY})`,
    )
    .option('--expires-at <time>', 'expire at this ISO 8601 time')
    .option(
      '--secret-file <path>',
      'write the secret only to this new file (mode 0600) instead of printing it',
    )
    .option(
      '--if-missing',
      'do nothing (exit 0, "unchanged") when the workspace already has an active key of this name for the same holder and restriction',
    )
    .option('--dry-run', 'show the key that would be made and any permission that would be refused')
    .addHelpText(
      'after',
      `${examples([
        'noxus keys create --workspace Marketing --name campaign-sync --restrict flows_edit,flows_run',
        'noxus keys create --workspace Engineering --name deploy --owner ci-bot@service.example.com --restrict flows_run --expires-in 90d --json',
        'noxus keys create --workspace Marketing --name laptop --restrict        # pick permissions in a terminal',
        'noxus keys create                                                     # asks everything, as the console does',
        'noxus keys create --workspace Engineering --name deploy --owner ci-bot@service.example.com --restrict flows_run --if-missing --secret-file deploy.key',
      ])}
In a terminal, what the flags leave open is asked as in Workspace Control → API keys: the workspace,
the name, "Restrict permissions?" (default yes: least privilege; then a checkbox of the workspace
permissions, those the holder lacks shown disabled with the reason) and an expiry (default
${DEFAULT_KEY_EXPIRY}, "none" for a key that never expires). A summary says "unrestricted" when you
chose so. A server that cannot restrict keys or set an expiry is not asked: the summary says the
key will be unrestricted or never expire, and you confirm. Without a terminal nothing is asked:
no --restrict is an unrestricted key, no --expires-in/--expires-at a key without expiry.
A key can never have more permissions than its creator (nor than its owner service account).
Its effective permissions are recomputed on every request: restriction ∩ the holder's current
permissions. If the holder loses a permission the key loses it too, and regains it with the role.
The secret is shown exactly once. With --if-missing a re-run finds the key it made and shows no
secret (an existing --secret-file is then fine); a key of that name with another holder or
restriction is a conflict (exit 7).
`,
    )
    .action((o: CreateOpts) => runCreate(ctx, o));
}

export async function runCreate(ctx: Context, o: CreateOpts): Promise<void> {
  const svc = await import('../../services/keys.js');
  const requestedFlag = svc.parseRestrict(o.restrict);
  const noExpiry = o.expiresIn?.trim().toLowerCase() === 'none';
  if (noExpiry && o.expiresAt !== undefined)
    throw new UsageError('give --expires-in or --expires-at, not both');
  let expiresAt = svc.parseExpiry(noExpiry ? { expiresAt: o.expiresAt } : o, ctx.io.now());
  // With --if-missing the file may exist from the run that made the key: checked once we know.
  if (!o.ifMissing) await checkSecretTarget(ctx, o.secretFile, '--secret-file');
  // Extension fields only when asked for, and only to a server that takes them: checked before any call.
  await requireFeatures(ctx, 'keys create', [
    requestedFlag !== undefined && 'keys.restrict',
    !!o.owner && 'keys.owner',
    expiresAt !== undefined && 'keys.expiry',
    !!o.ifMissing && 'keys.list',
  ]);
  const caps = await ctx.capabilities();
  // Restriction and expiry are asked in a terminal when no flag decided them and the server has them.
  const askRestrict = o.restrict === undefined && ctx.canPrompt() && caps.has('keys.restrict');
  const askExpiry = expiresAt === undefined && !noExpiry && ctx.canPrompt() && caps.has('keys.expiry');
  const r = await resolverFor(ctx);
  const catalogue = await svc.keyCatalogue(r.client, caps, requestedFlag, askRestrict);

  const groupRef = await fromFlagOrPrompt(ctx, o.workspace, async (p) =>
    pickOne(p, {
      message: 'Workspace',
      choices: (await r.groups()).map((g) => ({ name: g.name, value: g.id })),
    }),
  );
  const name = await fromFlagOrPrompt(ctx, o.name, (p) => p.input({ message: 'Key name' }));
  if (!groupRef || !name || (requestedFlag === 'pick' && !ctx.canPrompt())) {
    throw missingValues(
      [
        !groupRef && '--workspace',
        !name && '--name',
        requestedFlag === 'pick' && '--restrict <perms>',
      ].filter(Boolean) as string[],
      commandLine(
        ['keys', 'create'],
        [
          ['--workspace', groupRef ?? '<workspace>'],
          ['--name', name ?? '<name>'],
          ['--restrict', requestedFlag === 'pick' ? '<perm,perm>' : requestedFlag?.join(',')],
          ['--owner', o.owner],
        ],
      ),
    );
  }
  const group = await r.group(groupRef);
  const owner = await svc.keyOwner(r, o.owner);
  const me = await svc.currentIdentity(r.client);
  if (o.ifMissing) {
    const existing = await svc.findSameKey(r.client, group, name, {
      ownerId: owner?.id ?? null,
      holderId: owner?.id ?? me.holder?.id ?? null,
      restriction: Array.isArray(requestedFlag) ? requestedFlag : requestedFlag === 'pick' ? undefined : null,
    });
    if (existing) {
      reportUnchanged(
        ctx,
        'keys create',
        existing,
        `key "${existing.name}" already exists in ${group.name} (${existing.id}, ${existing.value})`,
      );
      return;
    }
    await checkSecretTarget(ctx, o.secretFile, '--secret-file');
  }
  // Without member lists the holder's permissions are unknown here: the server decides.
  const bounds = await svc.holderBounds(r, caps, me, group.id, owner);
  let requested: string[] | null = Array.isArray(requestedFlag) ? requestedFlag : null;
  const notes: string[] = [];
  let restrictMode = requestedFlag;
  if (askRestrict) {
    const p = await ctx.prompter();
    if (await p.confirm({ message: 'Restrict permissions?', default: true })) {
      if (catalogue) restrictMode = 'pick';
      else {
        const typed = await p.input({
          message: 'Permissions for the key (comma-separated)',
          validate: (v) => (v.split(',').some((x) => x.trim()) ? true : 'name at least one permission'),
        });
        requested = svc.parseRestrict(typed) as string[];
      }
    }
  } else if (o.restrict === undefined && ctx.canPrompt()) {
    notes.push(
      `this server cannot restrict keys (${caps.reason('keys.restrict') ?? 'no restricted keys'}): the key will be unrestricted, with everything its holder can do in ${group.name}`,
    );
  }
  if (restrictMode === 'pick' && catalogue) {
    const holderPerms = new Set((bounds ?? []).flatMap((b) => b.permissions));
    const lacking = (p: string) =>
      (bounds ?? []).filter((b) => !b.permissions.includes(p)).map((b) => `${b.who}: ${b.source}`);
    requested = await (await ctx.prompter()).checkbox({
      message: `Permissions for the key in ${group.name}`,
      required: true,
      choices: catalogue
        .filter((p) => p.scope === 'workspace')
        .map((p) => ({
          name: `${p.name}  ${p.description}`,
          value: p.name,
          disabled:
            !bounds || (holderPerms.has(p.name) && lacking(p.name).length === 0)
              ? false
              : `lacking (${lacking(p.name).join('; ')})`,
        })),
    });
  }
  const effective = bounds ? svc.assertWithinBounds(requested, bounds, group.name) : null;
  if (askExpiry) {
    const answer = await (await ctx.prompter()).input({
      message: 'Expires in (30d, 12h, 2w … or "none")',
      default: DEFAULT_KEY_EXPIRY,
      validate: (v) =>
        v.trim().toLowerCase() === 'none' || parseDuration(v) !== undefined
          ? true
          : 'a duration like 30d, 12h or 2w, or "none" for a key that never expires',
    });
    if (answer.trim().toLowerCase() !== 'none')
      expiresAt = svc.parseExpiry({ expiresIn: answer }, ctx.io.now());
  } else if (expiresAt === undefined && !noExpiry && ctx.canPrompt()) {
    notes.push(
      `this server cannot set an expiry (${caps.reason('keys.expiry') ?? 'no key expiry'}): the key will not expire`,
    );
  }
  const preview = {
    name,
    workspace: group.name,
    restricted: requested !== null,
    restriction: requested,
    effective_permissions: effective,
    holder: owner?.email ?? me.holder?.email ?? null,
    expires_at: expiresAt ?? null,
  };
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('keys create', [{ ...preview, dry_run: true }]);
    else {
      ctx.out.info(`Dry run: would create key "${name}" in ${group.name}, held by ${preview.holder}`);
      ctx.out.info(`  restriction: ${requested ? requested.join(', ') : UNRESTRICTED}`);
      ctx.out.info(
        `  effective now: ${effective ? effective.join(', ') : 'decided by the server (this server has no member lists to compute it)'}`,
      );
      if (expiresAt) ctx.out.info(`  expires: ${expiresAt}`);
      ctx.out.info('Nothing was changed.');
    }
    return;
  }
  for (const n of notes) ctx.out.warn(n);
  if (ctx.canPrompt() && !ctx.globals.yes) {
    ctx.out.info(`About to create key "${name}" in ${group.name}, held by ${preview.holder ?? 'you'}:`);
    ctx.out.info(`  permissions: ${requested ? requested.join(', ') : UNRESTRICTED}`);
    if (effective) ctx.out.info(`  effective now: ${effective.join(', ')}`);
    ctx.out.info(`  expires: ${expiresAt ?? 'never'}`);
  }
  await confirmWrite(ctx, `Create key "${name}" in ${group.name}?`);
  const key = await svc.createWorkspaceKey(r.client, group.id, {
    name,
    restriction: requested,
    owner,
    expiresAt,
  });
  await revealSecret(ctx, 'keys create', key, key.value, o.secretFile);
}

const UNRESTRICTED = 'unrestricted (everything its holder can do in the workspace, now and later)';
