import { type Command, Option } from 'commander';
import type { Role } from '../../api/roles.js';
import type { Context } from '../../cli/context.js';
import { commandLine, confirmDestructive, fromFlagOrPrompt, missingValues } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { grantedPermissions, roleScope } from '../../domain/identity.js';
import { didYouMean } from '../../domain/match.js';
import { CancelledError, ConflictError, UsageError } from '../../errors.js';
import { resolverFor } from '../shared.js';
import { registerRolesUpdate } from './update.js';

export function registerRoles(program: Command, ctx: Context): void {
  const cmd = program.command('roles').description('organization and workspace roles');
  cmd
    .command('list')
    .alias('ls')
    .description('list roles')
    .addOption(
      new Option('--scope <scope>', 'only organization or workspace roles').choices(['org', 'workspace']),
    )
    .addHelpText('after', examples(['noxus roles list', 'noxus roles list --scope workspace --json']))
    .action((o: { scope?: 'org' | 'workspace' }) => runRolesList(ctx, o));
  cmd
    .command('get')
    .description('show a role and its permissions')
    .argument('<role>', 'name or id')
    .action((role: string) => runRolesGet(ctx, role));
  cmd
    .command('create')
    .description('create a custom role (its scope follows from its permissions)')
    .option('--name <name>', 'role name')
    .option('--permissions <list>', 'comma-separated permissions (see: noxus permissions list)')
    .option('--description <text>', 'description', '')
    .option('--dry-run', 'check the role, create nothing')
    .addHelpText(
      'after',
      examples([
        'noxus roles create --name "Flow Runner" --permissions flows_run,kbs_query',
        'noxus roles create',
      ]),
    )
    .action((o: { name?: string; permissions?: string; description: string; dryRun?: boolean }) =>
      runRolesCreate(ctx, o),
    );
  registerRolesUpdate(cmd, ctx);
  cmd
    .command('delete')
    .alias('rm')
    .description('delete a custom role (refused while anyone holds it)')
    .argument('<role>', 'name or id')
    .option('--dry-run', 'show what would be deleted')
    .option(
      '--confirm-builtin <name>',
      'needed (with --yes off a terminal) to delete a role named like a built-in one (Org Admin, Org Base, Admin, Editor, Reader) when the server does not say it is custom',
    )
    .addHelpText(
      'after',
      examples([
        'noxus roles delete "Flow Runner" --yes',
        'noxus roles delete Reader --confirm-builtin Reader --yes',
      ]),
    )
    .action((role: string, o: { dryRun?: boolean; confirmBuiltin?: string }) => runRolesDelete(ctx, role, o));
}

const roleJson = (r: Role) => ({
  ...r,
  scope: roleScope(r),
  granted: grantedPermissions(r),
  builtin: r.builtin ?? null,
  builtin_by_name: r.builtin === undefined || r.builtin === null ? looksBuiltin(r) : undefined,
});

/** The built-in roles the docs name. The public API may not say `builtin`: a role so named is treated as one. */
const DOCUMENTED_BUILTINS = ['org admin', 'org base', 'admin', 'editor', 'reader'];
const looksBuiltin = (r: Role) => DOCUMENTED_BUILTINS.includes(r.name.trim().toLowerCase());
const builtinLabel = (r: Role) =>
  r.builtin === true
    ? 'yes'
    : r.builtin === false
      ? 'no'
      : looksBuiltin(r)
        ? 'likely (documented name)'
        : 'unknown';

export async function runRolesList(ctx: Context, o: { scope?: 'org' | 'workspace' }): Promise<void> {
  const r = await resolverFor(ctx);
  const roles = (await r.roles()).filter((x) => !o.scope || roleScope(x) === o.scope);
  ctx.out.list(
    'roles list',
    roles,
    [
      { header: 'Name', value: (x) => x.name },
      { header: 'Scope', value: roleScope },
      { header: 'Built-in', value: builtinLabel },
      { header: 'Permissions', value: (x) => grantedPermissions(x).join(',') },
      { header: 'ID', value: (x) => x.id },
    ],
    { json: roleJson },
  );
}

export async function runRolesGet(ctx: Context, ref: string): Promise<void> {
  const r = await resolverFor(ctx);
  const role = await r.role(ref);
  ctx.out.item(
    'roles get',
    role,
    [
      { header: 'Name', value: (x) => x.name },
      { header: 'Scope', value: roleScope },
      { header: 'Built-in', value: builtinLabel },
      { header: 'Description', value: (x) => x.description ?? '' },
      { header: 'Permissions', value: (x) => grantedPermissions(x).join(', ') },
      { header: 'ID', value: (x) => x.id },
    ],
    { json: roleJson },
  );
}

export async function runRolesCreate(
  ctx: Context,
  o: { name?: string; permissions?: string; description: string; dryRun?: boolean },
): Promise<void> {
  const r = await resolverFor(ctx);
  const { listPermissions } = await import('../../api/roles.js');
  // The catalogue is an extension: without it, names go to the server as given (it judges them).
  const hasCatalogue = (await ctx.capabilities()).has('permissions.catalogue');
  const catalogue = hasCatalogue ? await listPermissions(r.client) : [];
  const name = await fromFlagOrPrompt(ctx, o.name, (p) => p.input({ message: 'Role name' }));
  let perms = o.permissions
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (perms === undefined && ctx.canPrompt() && hasCatalogue) {
    const scope = await (await ctx.prompter()).select({
      message: 'Scope',
      choices: [
        { name: 'workspace', value: 'workspace' },
        { name: 'organization', value: 'org' },
      ],
    });
    perms = await (await ctx.prompter()).checkbox({
      message: 'Permissions',
      choices: catalogue
        .filter((c) => c.scope === scope)
        .map((c) => ({ name: `${c.name}  ${c.description}`, value: c.name })),
      required: true,
    });
  }
  if (!name || !perms) {
    throw missingValues(
      [!name && '--name', !perms && '--permissions'].filter(Boolean) as string[],
      commandLine(
        ['roles', 'create'],
        [
          ['--name', name ?? '<name>'],
          ['--permissions', '<perm,perm>'],
        ],
      ),
    );
  }
  if (perms.length === 0) throw new UsageError('--permissions must list at least one permission');
  const known = new Map(catalogue.map((c) => [c.name, c]));
  const unknown = hasCatalogue ? perms.filter((p) => !known.has(p) && !p.endsWith(':*')) : [];
  if (unknown.length) {
    throw new UsageError(`unknown permission${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, {
      hint: unknown
        .map((p) => `${p}: ${didYouMean(p, known.keys()) ?? 'see noxus permissions list'}`)
        .join('; '),
    });
  }
  const scopes = new Set(
    perms.map((p) => known.get(p)?.scope ?? (hasCatalogue || p.includes(':') ? 'org' : 'workspace')),
  );
  if (scopes.size > 1)
    throw new UsageError(
      'a role is either an organization role or a workspace role; do not mix org and workspace permissions',
    );
  if ((await r.roles()).some((x) => x.name.toLowerCase() === name.toLowerCase()))
    throw new ConflictError(`a role named "${name}" already exists`);
  const body = {
    name,
    description: o.description,
    permissions: Object.fromEntries(perms.map((p) => [p, true])),
  };
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('roles create', [{ ...body, dry_run: true }]);
    else
      ctx.out.info(`would create ${[...scopes][0]} role "${name}" with ${perms.join(', ')}; nothing changed`);
    return;
  }
  const { createRole } = await import('../../api/roles.js');
  const role = await createRole(r.client, body);
  if (ctx.globals.json) ctx.out.envelope('roles create', [roleJson(role)]);
  else ctx.out.success(`created role ${role.name} (${role.id}) with ${grantedPermissions(role).join(', ')}`);
}

export async function runRolesDelete(
  ctx: Context,
  ref: string,
  o: { dryRun?: boolean; confirmBuiltin?: string },
): Promise<void> {
  const r = await resolverFor(ctx);
  const role = await r.role(ref);
  if (role.builtin) throw new ConflictError(`"${role.name}" is a built-in role and cannot be deleted`);
  // The server did not say whether it is built in, and it bears a built-in's name: --yes is not enough.
  const guarded = role.builtin !== false && looksBuiltin(role);
  const confirmLine = `noxus roles delete ${role.id} --confirm-builtin "${role.name}" --yes`;
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('roles delete', [
        { ...roleJson(role), dry_run: true, needs_confirm_builtin: guarded },
      ]);
    else
      ctx.out.info(
        `would delete role ${role.name}${guarded ? ` (named like a built-in role; the real run needs: ${confirmLine})` : ''}; nothing changed`,
      );
    return;
  }
  if (guarded && o.confirmBuiltin !== role.name) {
    if (o.confirmBuiltin !== undefined)
      throw new UsageError(
        `--confirm-builtin "${o.confirmBuiltin}" does not match the role's name "${role.name}"`,
      );
    if (!ctx.canPrompt())
      throw new UsageError(
        `"${role.name}" has the name of a built-in Noxus role and the server does not say whether it is one; deleting it needs its name confirmed`,
        { hint: `if you are sure: ${confirmLine}` },
      );
    const typed = await (await ctx.prompter()).input({
      message: `"${role.name}" may be a built-in role. Type its name to delete it`,
    });
    if (typed !== role.name) throw new CancelledError('the name did not match; nothing was deleted');
  }
  await confirmDestructive(ctx, `delete role ${role.name}`, `noxus roles delete ${role.id}`);
  const { deleteRole } = await import('../../api/roles.js');
  await deleteRole(r.client, role.id);
  if (ctx.globals.json) ctx.out.envelope('roles delete', [{ ...roleJson(role), deleted: true }]);
  else ctx.out.success(`deleted role ${role.name}`);
}
