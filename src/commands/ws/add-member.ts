import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import {
  commandLine,
  confirmWrite,
  fromFlagOrPrompt,
  leastPrivilegedFirst,
  missingValues,
  pickMany,
  pickOne,
} from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { notAvailableMessage } from '../../domain/features.js';
import { roleScope } from '../../domain/identity.js';
import { NotFoundError, PartialError } from '../../errors.js';
import type { AddRow } from '../../services/workspaces.js';
import { consoleStepsNeeded, parseManualSteps, printManualSteps, walkSteps } from '../guided-steps.js';
import { resolverFor } from '../shared.js';

interface AddMemberOpts {
  role?: string;
  reason?: string;
  expires?: string;
  dryRun?: boolean;
  manualSteps?: string;
}

export function registerAddMember(parent: Command, ctx: Context): void {
  parent
    .command('add-member')
    .description('add existing users to a workspace with a role (no invitation needed)')
    .argument('[workspace]', 'name or id (asked in a terminal when omitted)')
    .argument('[users...]', 'user ids or emails (picked in a terminal when omitted)')
    .option(
      '--role <role>',
      'workspace role for every user named: Reader, Editor, Admin or a custom one (without it, a terminal asks one per user)',
    )
    .option('--reason <text>', 'why they get access (kept with the grant, shown in reviews)')
    .option(
      '--expires <when>',
      'the grant lapses after 30d, 12h, 2w …, on a date (YYYY-MM-DD) or at an ISO time',
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
        'noxus ws add-member Marketing alan@example.com --role Editor --reason "Q3 launch" --expires 30d',
      ])}
In a terminal, a role is asked for each user (least privileged first, the cursor on it); a list
of more than 15 users is searched by typing: each Enter adds one, "done (N chosen)" finishes.
On a server without the membership API (the public Noxus API), a terminal walks you through
Workspace settings → Users → Add users in the web console, with each user and their role.
Without a terminal: exit 8 and the steps; --manual-steps md|json prints them as a checklist.
--reason and --expires need a server with grant terms (the Noxus sandbox); a grant lapses (is
removed, logged as activity "lapse") at its expiry. A member who already has the role gets the new
terms; the same terms again change nothing.
`,
    )
    .action((w: string | undefined, users: string[], o: AddMemberOpts) => runAddMember(ctx, w, users, o));
}

export async function runAddMember(
  ctx: Context,
  wRef: string | undefined,
  userRefs: string[],
  o: AddMemberOpts,
): Promise<void> {
  const manual = parseManualSteps(o.manualSteps);
  const [svc, { listMembers }] = await Promise.all([
    import('../../services/workspaces.js'),
    import('../../api/groups.js'),
  ]);
  const terms = svc.parseGrantTerms(o, ctx.io.now());
  const withTerms = o.reason !== undefined || o.expires !== undefined;
  const r = await resolverFor(ctx);
  const caps = await ctx.capabilities();
  if (withTerms) caps.require('members.terms');
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
  const current = caps.has('members.list') ? await listMembers(r.client, g.id) : [];
  let refs = userRefs;
  if (refs.length === 0) {
    if (!ctx.canPrompt())
      throw missingValues(
        ['USER'],
        commandLine(['ws', 'add-member', g.name, '<user>'], [['--role', o.role ?? '<role>']]),
      );
    const candidates = await svc.addableUsers(r, current);
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

  // Every user is checked before the first write.
  const found = await svc.checkNewMembers(r, g, refs, current, flagRole);
  const roles = await r.roles();
  // The docs: "Select the appropriate role for each user", least privileged first and preselected.
  const wsRoles = leastPrivilegedFirst(roles.filter((x) => roleScope(x) === 'workspace'));
  const roleIds = new Map<string, string>();
  const rows: AddRow[] = [];
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
    const same = !member || !withTerms || svc.sameTerms(member, terms);
    rows.push({
      email,
      user_id: id,
      workspace: g.name,
      role: role.name,
      ...(withTerms && {
        reason: same && member ? (member.reason ?? null) : (terms.terms.reason ?? member?.reason ?? null),
        expires_at:
          same && member
            ? (member.expires_at ?? null)
            : (terms.terms.expires_at ?? member?.expires_at ?? null),
      }),
      action: member ? (same ? 'unchanged' : 'update') : 'add',
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
            ? `${x.email} is already ${x.role} in ${x.workspace}${svc.termsText(x)}`
            : x.action === 'update'
              ? `would set the terms of ${x.email} in ${x.workspace}${svc.termsText(x)}`
              : `would add ${x.email} to ${x.workspace} as ${x.role}${svc.termsText(x)}`,
        );
    return;
  }
  if (ctx.canPrompt() && !ctx.globals.yes && rows.some((x) => x.action !== 'unchanged')) {
    ctx.out.info(
      `About to add to ${g.name}: ${rows
        .filter((x) => x.action !== 'unchanged')
        .map((x) => `${x.email} as ${x.role}${svc.termsText(x)}`)
        .join(', ')}`,
    );
  }
  await confirmWrite(ctx, 'Add them?');
  const { results, failures } = await svc.addMembers(r.client, g, rows, roleIds, terms.terms);
  if (ctx.globals.json) ctx.out.envelope('ws add-member', results);
  else
    for (const x of results) {
      if (x.outcome === 'added')
        ctx.out.success(`added ${x.email} to ${x.workspace} as ${x.role}${svc.termsText(x)}`);
      else if (x.outcome === 'updated')
        ctx.out.success(`updated ${x.email} in ${x.workspace} as ${x.role}${svc.termsText(x)}`);
      else if (x.outcome === 'unchanged')
        ctx.out.info(`${x.email} is already ${x.role} in ${x.workspace}${svc.termsText(x)} (unchanged)`);
      else ctx.out.warn(`${x.email}: ${x.message}`);
    }
  const failed = results.filter((x) => x.outcome === 'failed');
  // Nothing succeeded: not a partial success, so the first failure decides the exit code.
  if (failed.length === results.length && failures.length) throw failures[0];
  if (failed.length) throw new PartialError(`${failed.length} of ${results.length} users could not be added`);
}
