import type { Command } from 'commander';
import type { Role } from '../../api/roles.js';
import type { Context } from '../../cli/context.js';
import { commandLine, confirmDestructive, confirmWrite } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { grantedPermissions, roleScope } from '../../domain/identity.js';
import { didYouMean } from '../../domain/match.js';
import { ConflictError, UsageError } from '../../errors.js';
import { checkName } from '../../services/users.js';
import { requireFeatures, resolverFor } from '../shared.js';

interface UpdateOpts {
  name?: string;
  description?: string;
  grant?: string;
  revoke?: string;
  dryRun?: boolean;
}

const list = (v?: string) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function registerRolesUpdate(parent: Command, ctx: Context): void {
  parent
    .command('update')
    .description('rename a custom role, or change its description or what it grants')
    .argument('<role>', 'name or id')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .option('--grant <list>', 'comma-separated permissions to add')
    .option('--revoke <list>', 'comma-separated permissions to take away')
    .option('--dry-run', 'show what would change')
    .addHelpText(
      'after',
      `${examples([
        'noxus roles update "Flow Runner" --grant kbs_query',
        'noxus roles update "Flow Runner" --revoke flows_run --grant agents_run --yes',
        'noxus roles update "Flow Runner" --name "Runner" --description "runs flows"',
      ])}
A change takes effect at once for everyone holding the role and for every key they hold. Taking
permissions away asks on a terminal and needs --yes without one. Built-in roles cannot be changed;
a role must keep at least one permission.
`,
    )
    .action((role: string, o: UpdateOpts) => runRolesUpdate(ctx, role, o));
}

export async function runRolesUpdate(ctx: Context, ref: string, o: UpdateOpts): Promise<void> {
  const grant = list(o.grant);
  const revoke = list(o.revoke);
  if (o.name === undefined && o.description === undefined && !grant.length && !revoke.length)
    throw new UsageError('nothing to change: give --name, --description, --grant or --revoke');
  const both = grant.filter((p) => revoke.includes(p));
  if (both.length) throw new UsageError(`${both.join(', ')} is both granted and revoked`);
  if (o.name !== undefined) checkName(o.name, '--name');
  await requireFeatures(ctx, 'roles update');
  const r = await resolverFor(ctx);
  const role = await r.role(ref);
  if (role.builtin) throw new ConflictError(`"${role.name}" is a built-in role and cannot be changed`);
  const caps = await ctx.capabilities();
  if (caps.has('permissions.catalogue') && (grant.length || revoke.length)) {
    const { listPermissions } = await import('../../api/roles.js');
    const known = (await listPermissions(r.client)).map((p) => p.name);
    const unknown = [...grant, ...revoke].filter((p) => !known.includes(p) && !p.endsWith(':*'));
    if (unknown.length)
      throw new UsageError(`unknown permission${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, {
        hint: unknown.map((p) => `${p}: ${didYouMean(p, known) ?? 'see noxus permissions list'}`).join('\n'),
      });
  }
  const before = grantedPermissions(role);
  const after = [...before.filter((p) => !revoke.includes(p)), ...grant.filter((p) => !before.includes(p))];
  if (after.length === 0)
    throw new UsageError(`role ${role.name} would grant nothing; a role must grant at least one permission`, {
      hint: `grant another one in the same command: --grant PERMISSION, or delete it: noxus roles delete "${role.name}"`,
    });
  if (o.name !== undefined && o.name.toLowerCase() !== role.name.toLowerCase()) {
    const taken = (await r.roles()).find((x) => x.name.toLowerCase() === (o.name as string).toLowerCase());
    if (taken) throw new ConflictError(`a role named "${taken.name}" already exists`);
  }
  const added = after.filter((p) => !before.includes(p));
  const taken = before.filter((p) => !after.includes(p));
  const changes = [
    o.name !== undefined && o.name !== role.name && `renamed to "${o.name}"`,
    o.description !== undefined && o.description !== (role.description ?? '') && 'new description',
    added.length && `grants ${added.join(', ')}`,
    taken.length && `no longer grants ${taken.join(', ')}`,
  ].filter((x): x is string => typeof x === 'string');
  if (!changes.length) {
    if (ctx.globals.json) ctx.out.envelope('roles update', [{ ...role, changed: [] }]);
    else ctx.out.success(`role ${role.name} already is so (unchanged)`);
    return;
  }
  const summary = `role ${role.name} (${roleScope(role)}): ${changes.join('; ')}`;
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('roles update', [
        { id: role.id, name: role.name, granted_before: before, granted_after: after, dry_run: true },
      ]);
    else ctx.out.info(`would change ${summary}; nothing changed`);
    return;
  }
  const cmdLine = commandLine(
    ['roles', 'update', role.id],
    [
      ['--name', o.name],
      ['--description', o.description],
      ['--grant', grant.length ? grant.join(',') : undefined],
      ['--revoke', revoke.join(',')],
    ],
  );
  if (taken.length)
    await confirmDestructive(ctx, `change ${summary}, for its holders and their keys at once`, cmdLine);
  else await confirmWrite(ctx, `Change ${summary}?`);
  const { updateRole } = await import('../../api/roles.js');
  const body: { name?: string; description?: string; permissions?: Record<string, boolean> } = {};
  if (o.name !== undefined) body.name = o.name;
  if (o.description !== undefined) body.description = o.description;
  if (added.length || taken.length) body.permissions = Object.fromEntries(after.map((p) => [p, true]));
  const updated: Role = await updateRole(r.client, role.id, body);
  if (ctx.globals.json) {
    ctx.out.envelope('roles update', [{ ...updated, granted: grantedPermissions(updated) }]);
    return;
  }
  ctx.out.success(`changed ${summary}; in effect now for its holders and their keys`);
}
