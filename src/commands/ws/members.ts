import type { Command } from 'commander';
import type { Member } from '../../api/groups.js';
import type { Context } from '../../cli/context.js';
import {
  commandLine,
  confirmDestructive,
  confirmWrite,
  fromFlagOrPrompt,
  leastPrivilegedFirst,
  missingValues,
  pickMany,
  pickOne,
  shellQuote,
} from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { notAvailableMessage } from '../../domain/features.js';
import { normalizeEmail } from '../../domain/validate.js';
import { ConflictError, NotFoundError, PartialError, PermissionError, UsageError } from '../../errors.js';
import { consoleStepsNeeded, parseManualSteps, printManualSteps, walkSteps } from '../guided-steps.js';
import { requireFeatures, resolverFor } from '../shared.js';

export function registerMembers(parent: Command, ctx: Context): void {
  parent
    .command('members')
    .description('list the members of a workspace, org admins included (marked "via org admin")')
    .argument('<workspace>', 'name or id')
    .addHelpText('after', examples(['noxus ws members Marketing', 'noxus ws members Marketing --json']))
    .action((w: string) => runMembers(ctx, w));
  parent
    .command('add-member')
    .description('add existing users to a workspace with a role (no invitation needed)')
    .argument('[workspace]', 'name or id (asked in a terminal when omitted)')
    .argument('[users...]', 'user ids or emails (picked in a terminal when omitted)')
    .option(
      '--role <role>',
      'workspace role for every user named: Reader, Editor, Admin or a custom one (without it, a terminal asks one per user)',
    )
    .option('--dry-run', 'show what would change')
    .option(
      '--manual-steps <format>',
      'print the web console steps that add them (md or json checklist); change nothing',
    )
    .addHelpText(
      'after',
      `${examples([
        'noxus ws add-member',
        'noxus ws add-member Marketing alan@example.com ken@example.com --role Reader',
        'noxus ws add-member Marketing alan@example.com --role Reader --manual-steps md',
      ])}
In a terminal, a role is asked for each user (least privileged first, the cursor on it); a list
of more than 15 users is searched by typing: each Enter adds one, "done (N chosen)" finishes.
On a server without the membership API (the public Noxus API), a terminal walks you through
Workspace settings → Users → Add users in the web console, with each user and their role.
Without a terminal: exit 8 and the steps; --manual-steps md|json prints them as a checklist.
`,
    )
    .action(
      (
        w: string | undefined,
        users: string[],
        o: { role?: string; dryRun?: boolean; manualSteps?: string },
      ) => runAddMember(ctx, w, users, o),
    );
  parent
    .command('set-role')
    .description("change a member's role in a workspace")
    .argument('<workspace>', 'name or id')
    .argument('<user>', 'user id or email')
    .requiredOption('--role <role>', 'the new workspace role')
    .option('--dry-run', 'show what would change')
    .addHelpText('after', examples(['noxus ws set-role Marketing margaret@example.com --role Editor']))
    .action((w: string, u: string, o: { role: string; dryRun?: boolean }) => runSetRole(ctx, w, u, o));
  parent
    .command('remove-member')
    .description('remove a user from a workspace (their keys there lose access; their work stays)')
    .argument('<workspace>', 'name or id')
    .argument('<user>', 'user id or email')
    .option('--dry-run', 'show what would change')
    .addHelpText('after', examples(['noxus ws remove-member Marketing alan@example.com --yes']))
    .action((w: string, u: string, o: { dryRun?: boolean }) => runRemoveMember(ctx, w, u, o));
}

async function members(ctx: Context, groupId: string): Promise<Member[]> {
  const [{ listMembers }, r] = await Promise.all([import('../../api/groups.js'), resolverFor(ctx)]);
  return listMembers(r.client, groupId);
}

export async function runMembers(ctx: Context, ref: string): Promise<void> {
  await requireFeatures(ctx, 'ws members');
  const r = await resolverFor(ctx);
  const g = await r.group(ref);
  const rows = await members(ctx, g.id);
  ctx.out.list(
    'ws members',
    rows,
    [
      { header: 'Email', value: (m) => m.email },
      { header: 'Role', value: (m) => m.role.name },
      { header: 'Via', value: (m) => (m.via === 'org_admin' ? 'via org admin' : 'membership') },
      { header: 'Status', value: (m) => m.status ?? '' },
      { header: 'Since', value: (m) => m.since ?? '', time: true },
      { header: 'User ID', value: (m) => m.user_id },
    ],
    { extra: { workspace: { id: g.id, name: g.name } } },
  );
}

export async function runAddMember(
  ctx: Context,
  wRef: string | undefined,
  userRefs: string[],
  o: { role?: string; dryRun?: boolean; manualSteps?: string },
): Promise<void> {
  const manual = parseManualSteps(o.manualSteps);
  const r = await resolverFor(ctx);
  const caps = await ctx.capabilities();
  const { isOrgAdminRole } = await import('../../services/resolve.js');
  const { roleScope } = await import('../../api/roles.js');
  const groupRef = await fromFlagOrPrompt(ctx, wRef, async (p) =>
    pickOne(p, {
      message: 'Workspace',
      choices: (await r.groups()).map((g) => ({ name: g.name, value: g.id })),
    }),
  );
  if (!groupRef)
    throw missingValues(
      ['WORKSPACE', 'USER'],
      commandLine(['ws', 'add-member', '<workspace>', '<user>'], [['--role', o.role ?? '<role>']]),
    );
  const g = await r.group(groupRef);
  // Without member lists, who is already in the workspace is unknown: the console shows it.
  const current = caps.has('members.list') ? await members(ctx, g.id) : [];
  let refs = userRefs;
  if (refs.length === 0) {
    if (!ctx.canPrompt())
      throw missingValues(
        ['USER'],
        commandLine(['ws', 'add-member', g.name, '<user>'], [['--role', o.role ?? '<role>']]),
      );
    const roles = await r.roles();
    const adminRoleIds = new Set(roles.filter(isOrgAdminRole).map((x) => x.id));
    const candidates = (await r.users({ status: 'active' })).filter(
      (u) => !current.some((m) => m.user_id === u.id) && !(u.org_role && adminRoleIds.has(u.org_role.id)),
    );
    if (candidates.length === 0) throw new NotFoundError(`every active user is already in ${g.name}`);
    refs = await pickMany(await ctx.prompter(), {
      message: `Users to add to ${g.name}`,
      choices: candidates.map((u) => ({ name: `${u.email} (${u.name ?? u.display_name})`, value: u.id })),
      required: true,
    });
  }
  // One --role applies to everyone; in a terminal without it, a role is asked for each user.
  const flagRole = o.role === undefined ? undefined : await r.role(o.role, 'workspace', '--role');
  if (!flagRole && !ctx.canPrompt())
    throw missingValues(
      ['--role'],
      commandLine(['ws', 'add-member', g.name, ...refs], [['--role', '<role>']]),
    );

  // Validate every user before the first write. A key that may not list users (a workspace Reader's)
  // cannot add members either, and only the server can say which permission is missing and whether
  // the role or the key's restriction denies it: its users are checked against the member list only,
  // and the server's answer to the first write is reported as is.
  const listable = await r.users().then(
    () => true,
    (e: unknown) => {
      if (e instanceof PermissionError) return false;
      throw e;
    },
  );
  const orgAdminError = (email: string) =>
    new UsageError(
      `${email} is an org admin and therefore admin on every workspace; a workspace role cannot be given`,
      {
        hint: `to change that, change their org role: noxus users update ${email} --org-role "Org Base"`,
      },
    );
  const alreadyMember = (email: string, m: Member, role: string) =>
    new ConflictError(`${email} is already a member of ${g.name} as ${m.role.name}`, {
      hint: `to change the role: noxus ws set-role ${g.name} ${email} --role ${shellQuote(role)}`,
    });
  const found: Array<{ email: string; id: string; member?: Member }> = [];
  const roles = await r.roles();
  for (const ref of refs) {
    if (!listable) {
      const m = current.find((x) => x.user_id === ref || normalizeEmail(x.email) === normalizeEmail(ref));
      if (m?.via === 'org_admin') throw orgAdminError(m.email);
      if (m && flagRole && m.role.id !== flagRole.id) throw alreadyMember(m.email, m, flagRole.name);
      found.push({ email: m?.email ?? ref, id: m?.user_id ?? ref, member: m });
      continue;
    }
    const u = await r.user(ref);
    const orgRole = roles.find((x) => x.id === u.org_role?.id);
    if ((orgRole && isOrgAdminRole(orgRole)) || (!u.org_role && u.tenant_admin)) throw orgAdminError(u.email);
    if (u.status === 'removed') throw new ConflictError(`${u.email} was removed from the organization`);
    const m = current.find((x) => x.user_id === u.id);
    if (m && flagRole && m.role.id !== flagRole.id) throw alreadyMember(u.email, m, flagRole.name);
    found.push({ email: u.email, id: u.id, member: m });
  }
  // The docs: "Select the appropriate role for each user", least privileged first and preselected.
  const wsRoles = leastPrivilegedFirst(roles.filter((x) => roleScope(x) === 'workspace'));
  const roleIds = new Map<string, string>();
  const rows: Array<{ email: string; user_id: string; workspace: string; role: string; action: string }> = [];
  for (const { email, id, member } of found) {
    let role = flagRole ? { id: flagRole.id, name: flagRole.name } : member?.role;
    if (!role) {
      const picked = await pickOne(await ctx.prompter(), {
        message: `Role for ${email} in ${g.name}`,
        choices: wsRoles.map((x) => ({ name: x.name, value: x.id, description: x.description })),
        default: wsRoles[0]?.id,
      });
      role = wsRoles.find((x) => x.id === picked) ?? (await r.role(picked, 'workspace', '--role'));
    }
    roleIds.set(id, role.id);
    rows.push({
      email,
      user_id: id,
      workspace: g.name,
      role: role.name,
      action: member ? 'unchanged' : 'add',
    });
  }
  const guided = !caps.has('members.manage');
  if (guided || manual) {
    const { planAddMembers } = await import('../../services/guided.js');
    const steps = planAddMembers(
      g.name,
      rows.filter((x) => x.action === 'add').map((x) => ({ email: x.email, role: x.role })),
      guided ? ['members.manage'] : [],
    );
    if (manual) return printManualSteps(ctx, steps, manual);
    // One command per role: --role applies to every user it names.
    const rerun = [...new Set(rows.map((x) => x.role))]
      .map((name) =>
        commandLine(
          ['ws', 'add-member', g.name, ...rows.filter((x) => x.role === name).map((x) => x.email)],
          [['--role', name]],
        ),
      )
      .join(' && ');
    if (o.dryRun || !ctx.canPrompt()) throw consoleStepsNeeded(steps, rerun);
    ctx.out.info(`${notAvailableMessage('members.manage')}: add them in the Noxus web console:`);
    const results = await walkSteps(ctx, r.client, steps, {
      api: async () => ({ detail: 'nothing to do by API' }),
    });
    if (ctx.globals.json)
      ctx.out.envelope(
        'ws add-member',
        rows.map((x) => ({ ...x, outcome: 'confirmed by the operator', guided: true })),
        { steps: results },
      );
    else
      ctx.out.success(
        `added ${rows.map((x) => `${x.email} as ${x.role}`).join(', ')} to ${g.name} in the web console (confirmed by the operator; the public API cannot read workspace members)`,
      );
    return;
  }
  if (o.dryRun) {
    if (ctx.globals.json) ctx.out.envelope('ws add-member', rows, { dry_run: true });
    else
      for (const x of rows)
        ctx.out.info(
          x.action === 'unchanged'
            ? `${x.email} is already ${x.role} in ${x.workspace}`
            : `would add ${x.email} to ${x.workspace} as ${x.role}`,
        );
    return;
  }
  if (ctx.canPrompt() && !ctx.globals.yes && rows.some((x) => x.action === 'add')) {
    ctx.out.info(
      `About to add to ${g.name}: ${rows
        .filter((x) => x.action === 'add')
        .map((x) => `${x.email} as ${x.role}`)
        .join(', ')}`,
    );
  }
  await confirmWrite(ctx, 'Add them?');
  const { setMember } = await import('../../api/groups.js');
  const results: Array<(typeof rows)[number] & { outcome: string; message?: string }> = [];
  const failures: unknown[] = [];
  for (const row of rows) {
    if (row.action === 'unchanged') {
      results.push({ ...row, outcome: 'unchanged' });
      continue;
    }
    try {
      const change = await setMember(r.client, g.id, row.user_id, roleIds.get(row.user_id) as string);
      results.push({ ...row, user_id: change?.user_id ?? row.user_id, outcome: 'added' });
    } catch (e) {
      if (rows.length === 1) throw e;
      failures.push(e);
      results.push({ ...row, outcome: 'failed', message: (e as Error).message });
    }
  }
  if (ctx.globals.json) ctx.out.envelope('ws add-member', results);
  else
    for (const x of results) {
      if (x.outcome === 'added') ctx.out.success(`added ${x.email} to ${x.workspace} as ${x.role}`);
      else if (x.outcome === 'unchanged')
        ctx.out.info(`${x.email} is already ${x.role} in ${x.workspace} (unchanged)`);
      else ctx.out.warn(`${x.email}: ${x.message}`);
    }
  const failed = results.filter((x) => x.outcome === 'failed');
  // Nothing succeeded: not a partial success, so the first failure decides the exit code.
  if (failed.length === results.length && failures.length) throw failures[0];
  if (failed.length) throw new PartialError(`${failed.length} of ${results.length} users could not be added`);
}

export async function runSetRole(
  ctx: Context,
  wRef: string,
  uRef: string,
  o: { role: string; dryRun?: boolean },
): Promise<void> {
  await requireFeatures(ctx, 'ws set-role');
  const r = await resolverFor(ctx);
  const g = await r.group(wRef);
  const u = await r.user(uRef);
  const role = await r.role(o.role, 'workspace', '--role');
  const m = (await members(ctx, g.id)).find((x) => x.user_id === u.id);
  if (m?.via === 'org_admin') {
    throw new ConflictError(`${u.email} is admin on ${g.name} through their org role`, {
      hint: `change their org role first: noxus users update ${u.email} --org-role "Org Base"`,
    });
  }
  if (!m) {
    throw new NotFoundError(`${u.email} is not a member of ${g.name}`, {
      hint: `add them with: noxus ws add-member ${g.name} ${u.email} --role ${role.name}`,
    });
  }
  const row = {
    email: u.email,
    user_id: u.id,
    workspace: g.name,
    before: m.role.name,
    after: role.name,
    changed: m.role.id !== role.id,
  };
  if (o.dryRun || !row.changed) {
    if (ctx.globals.json) ctx.out.envelope('ws set-role', [{ ...row, dry_run: !!o.dryRun }]);
    else
      ctx.out.info(
        row.changed
          ? `would change ${u.email} in ${g.name}: ${row.before} → ${row.after}`
          : `${u.email} is already ${role.name} in ${g.name} (unchanged)`,
      );
    return;
  }
  const { setMember } = await import('../../api/groups.js');
  await setMember(r.client, g.id, u.id, role.id);
  if (ctx.globals.json) ctx.out.envelope('ws set-role', [row]);
  else ctx.out.success(`${u.email} in ${g.name}: ${row.before} → ${row.after}`);
}

export async function runRemoveMember(
  ctx: Context,
  wRef: string,
  uRef: string,
  o: { dryRun?: boolean },
): Promise<void> {
  await requireFeatures(ctx, 'ws remove-member');
  const r = await resolverFor(ctx);
  const g = await r.group(wRef);
  const u = await r.user(uRef);
  const m = (await members(ctx, g.id)).find((x) => x.user_id === u.id);
  if (m?.via === 'org_admin') {
    throw new ConflictError(
      `${u.email} is admin on ${g.name} through their org role and cannot be removed from one workspace`,
      {
        hint: `change their org role instead: noxus users update ${u.email} --org-role "Org Base"`,
      },
    );
  }
  if (!m) throw new NotFoundError(`${u.email} is not a member of ${g.name}`);
  if (o.dryRun) {
    if (ctx.globals.json)
      ctx.out.envelope('ws remove-member', [
        { email: u.email, workspace: g.name, role: m.role.name, dry_run: true },
      ]);
    else ctx.out.info(`would remove ${u.email} (${m.role.name}) from ${g.name}; nothing changed`);
    return;
  }
  await confirmDestructive(
    ctx,
    `remove ${u.email} from ${g.name}`,
    `noxus ws remove-member ${g.name} ${u.email}`,
  );
  const { removeMember } = await import('../../api/groups.js');
  await removeMember(r.client, g.id, u.id);
  if (ctx.globals.json)
    ctx.out.envelope('ws remove-member', [
      { email: u.email, workspace: g.name, role: m.role.name, removed: true },
    ]);
  else
    ctx.out.success(
      `removed ${u.email} from ${g.name} (was ${m.role.name}); their resources stay in the workspace`,
    );
}
