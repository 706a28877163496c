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
import { isOrgAdminRole, roleScope } from '../../domain/identity.js';
import { emailProblem, nameProblem } from '../../domain/validate.js';
import { UsageError } from '../../errors.js';
import type { Resolver } from '../../services/resolve.js';
import { consoleStepsNeeded, parseManualSteps, printManualSteps, walkSteps } from '../guided-steps.js';
import { collect, resolverFor } from '../shared.js';

export interface AddOpts {
  name?: string;
  displayName?: string;
  email?: string;
  orgRole?: string;
  workspace?: string[];
  reason?: string;
  expires?: string;
  dryRun?: boolean;
  fromCsv?: string;
  results?: string;
  resume?: boolean;
  concurrency?: string;
  manualSteps?: string;
}

export function registerAdd(parent: Command, ctx: Context): void {
  parent
    .command('add')
    .description('add a new user and send the invitation email (walks the documented steps in a terminal)')
    .option('--name <name>', 'full name')
    .option('--display-name <name>', 'display name (default: the first word of --name)')
    .option('--email <email>', 'email address (their login)')
    .option('--org-role <role>', 'organization role (default without a terminal: Org Base)')
    .option('--workspace <w=role>', 'add to workspace W with ROLE (repeatable)', collect)
    .option('--reason <text>', 'with --workspace: why they get that access (kept with each grant)')
    .option(
      '--expires <when>',
      'with --workspace: the grants lapse after 30d, 12h …, on YYYY-MM-DD or at an ISO time',
    )
    .option('--dry-run', 'check everything with the server and show the invitation that would be sent')
    .option(
      '--from-csv <file>',
      'add many users: columns email,name,display_name,org_role,workspaces (W=ROLE;W=ROLE)',
    )
    .option(
      '--results <file>',
      'with --from-csv: write per-row results (row,email,action,outcome,message) as .csv or .json',
    )
    .option(
      '--resume',
      'with --from-csv: finish an interrupted run of the same file (no one is invited twice)',
    )
    .option('--concurrency <n>', 'with --from-csv: parallel requests (1-32, default 4; halves on 429)')
    .option(
      '--manual-steps <format>',
      'print the web console steps that add this user (md or json checklist); change nothing',
    )
    .addHelpText(
      'after',
      `${examples([
        'noxus users add',
        'noxus users add --name "Nina Newhire" --email nina@example.com --org-role "Org Base" --workspace Marketing=Editor --workspace Support=Reader',
        'noxus users add --name "Ada Admin" --email ada2@example.com --org-role "Org Admin" --dry-run',
        'noxus users add --from-csv cohort.csv --dry-run',
        'noxus users add --from-csv cohort.csv --results results.csv --concurrency 8',
      ])}
Steps (as in Settings → Users → Add user): name, display name, email and organization role;
then the workspaces; then a role for each workspace (org admins are admins on all workspaces);
then a summary to confirm; then the invitation email is sent.
On a server without the user-management API (the public Noxus API), a terminal walks you through
the same steps in the web console with the values to enter, waits for each, then verifies that the
user appears in GET /v1/admin/users. Without a terminal: exit 8 and the steps; --manual-steps md|json
prints them as a checklist.
`,
    )
    .action((o: AddOpts) => runAdd(ctx, o));
}

const validEmail = (v: string) => emailProblem(v) ?? true;
const validName = (v: string) => nameProblem(v) ?? true;

export async function runAdd(ctx: Context, o: AddOpts): Promise<void> {
  if (o.fromCsv) {
    const single = [o.name, o.displayName, o.email, o.orgRole, o.workspace].some((v) => v !== undefined);
    if (single)
      throw new UsageError(
        '--from-csv cannot be combined with --name, --display-name, --email, --org-role or --workspace',
      );
    if (o.reason !== undefined || o.expires !== undefined)
      throw new UsageError('--reason and --expires apply to --workspace grants, not to --from-csv');
    const { runAddCsv } = await import('./add-csv.js');
    return runAddCsv(ctx, { ...o, fromCsv: o.fromCsv });
  }
  const manual = parseManualSteps(o.manualSteps);
  if (o.results || o.resume || o.concurrency)
    throw new UsageError('--results, --resume and --concurrency go with --from-csv');
  const { planNewUser, parseWorkspaceGrant, inviteUser } = await import('../../services/users.js');
  // Syntax first: a typo in a flag fails before any request.
  const grants = (o.workspace ?? []).map((w) => parseWorkspaceGrant(w));
  const withTerms = o.reason !== undefined || o.expires !== undefined;
  const { parseGrantTerms, termsText } = await import('../../services/workspaces.js');
  const { terms } = parseGrantTerms(o, ctx.io.now());
  if (withTerms && !grants.length)
    throw new UsageError('--reason and --expires apply to --workspace grants: give at least one --workspace');
  if (o.email !== undefined && emailProblem(o.email))
    throw new UsageError(`--email: ${emailProblem(o.email)}`);
  // An empty --name "" is a bad value, not a missing one.
  if (o.name !== undefined && nameProblem(o.name)) throw new UsageError(`--name ${nameProblem(o.name)}`);
  if (o.displayName !== undefined && nameProblem(o.displayName))
    throw new UsageError(`--display-name ${nameProblem(o.displayName)}`);

  if (withTerms) (await ctx.capabilities()).require('members.terms');
  const r = await resolverFor(ctx);
  const name = await fromFlagOrPrompt(ctx, o.name, (p) => p.input({ message: 'Name', validate: validName }));
  const displayName = await fromFlagOrPrompt(ctx, o.displayName, (p) =>
    p.input({ message: 'Display name', default: name?.split(/\s+/)[0] ?? '', validate: validName }),
  );
  const email = await fromFlagOrPrompt(ctx, o.email, (p) =>
    p.input({ message: 'Email address', validate: validEmail }),
  );
  const missing = [!name && '--name', !email && '--email'].filter(Boolean) as string[];
  if (missing.length) {
    throw missingValues(
      missing,
      commandLine(
        ['users', 'add'],
        [
          ['--name', name ?? '<name>'],
          ['--email', email ?? '<email>'],
          ['--org-role', o.orgRole ?? 'Org Base'],
          ['--workspace', o.workspace?.length ? o.workspace : ['<workspace>=<role>']],
        ],
      ),
    );
  }
  const orgRoleRef = (await fromFlagOrPrompt(ctx, o.orgRole, (p) => pickOrgRole(p, r))) ?? 'Org Base';
  const orgRole = await r.role(orgRoleRef, 'org', '--org-role');
  if (o.workspace === undefined && ctx.canPrompt() && !isOrgAdminRole(orgRole)) {
    grants.push(...(await pickWorkspaces(ctx, r)));
  } else if (o.workspace === undefined && isOrgAdminRole(orgRole)) {
    ctx.out.info(`${orgRole.name} is admin on every workspace; no workspace roles to choose.`);
  }

  const plan = await planNewUser(r, {
    name: name as string,
    displayName: displayName ?? (name as string).split(/\s+/)[0],
    email: email as string,
    orgRole: orgRole.id,
    workspaces: grants,
    terms: terms as { reason?: string; expires_at?: string },
  });
  const summary = [
    `${plan.body.display_name} <${plan.body.email}> (${plan.body.name})`,
    `organization role: ${plan.orgRole.name}${plan.orgRole.admin ? ' (admin on every workspace)' : ''}`,
    ...(plan.grants.length
      ? plan.grants.map((g) => `workspace ${g.workspace}: ${g.role}${termsText(g)}`)
      : plan.orgRole.admin
        ? []
        : ['no workspace yet']),
  ];
  // The public API cannot add users: the web console can, with these values, and the API verifies it.
  const guided = !(await ctx.capabilities()).has('users.invite');
  if (guided || manual) {
    const { planUserAdd } = await import('../../services/guided.js');
    const steps = planUserAdd(
      {
        name: plan.body.name,
        displayName: plan.body.display_name ?? plan.body.name,
        email: plan.body.email,
        orgRole: plan.orgRole.name,
        orgAdmin: plan.orgRole.admin,
        workspaces: plan.grants.map((g) => ({ workspace: g.workspace, role: g.role })),
      },
      guided ? ['users.invite'] : [],
    );
    const rerun = commandLine(
      ['users', 'add'],
      [
        ['--name', plan.body.name],
        ['--email', plan.body.email],
        ['--org-role', plan.orgRole.name],
        ['--workspace', plan.grants.map((g) => `${g.workspace}=${g.role}`)],
      ],
    );
    if (manual) return printManualSteps(ctx, steps, manual);
    if (o.dryRun || !ctx.canPrompt()) throw consoleStepsNeeded(steps, rerun);
    ctx.out.info(`${notAvailableMessage('users.invite')}: add the user in the Noxus web console:`);
    for (const line of summary) ctx.out.info(`  ${line}`);
    const results = await walkSteps(ctx, r.client, steps, {
      api: async () => ({ detail: 'nothing to do by API' }),
    });
    r.invalidate();
    const added = (await r.users()).find((u) => u.email.toLowerCase() === plan.body.email.toLowerCase());
    if (ctx.globals.json) {
      ctx.out.envelope('users add', [
        { email: plan.body.email, id: added?.id ?? null, guided: true, steps: results },
      ]);
      return;
    }
    ctx.out.success(`added ${plan.body.email} through the web console; verified by the API`);
    return;
  }
  if (o.dryRun) {
    if (ctx.globals.json) {
      ctx.out.envelope('users add', [
        {
          action: 'invite',
          dry_run: true,
          request: plan.body,
          org_role: plan.orgRole.name,
          workspaces: plan.grants.map((g) => ({
            workspace: g.workspace,
            role: g.role,
            ...(withTerms && { reason: g.reason ?? null, expires_at: g.expires_at ?? null }),
          })),
        },
      ]);
    } else {
      ctx.out.info('Dry run: would invite');
      for (const line of summary) ctx.out.info(`  ${line}`);
      ctx.out.info('Nothing was changed.');
    }
    return;
  }
  if (ctx.canPrompt() && !ctx.globals.yes) {
    ctx.out.info('About to invite:');
    for (const line of summary) ctx.out.info(`  ${line}`);
  }
  await confirmWrite(ctx, 'Add this user and send the invitation?');
  const created = await inviteUser(r, plan);
  const termed = plan.grants.map((g) => ({
    workspace: g.workspace,
    role: g.role,
    reason: g.reason ?? null,
    expires_at: g.expires_at ?? null,
  }));
  if (ctx.globals.json) {
    ctx.out.envelope('users add', [withTerms ? { ...created, workspaces: termed } : created]);
    return;
  }
  const failedText = created.invitation?.delivered_to.startsWith('failed') ?? false;
  const state = created.invitation?.state ?? (failedText ? 'failed' : undefined);
  if (state === 'pending') {
    // Created, but the email has not left yet: the server's outbox keeps retrying.
    ctx.out.success(`added ${created.email} (${created.id}) as ${plan.orgRole.name}`);
    ctx.out.warn(
      `invitation email pending delivery (${created.invitation?.delivered_to}); check with: noxus users onboarding ${created.email}`,
    );
  } else if (state === 'failed') {
    ctx.out.success(`added ${created.email} (${created.id}) as ${plan.orgRole.name}`);
    ctx.out.warn(`the invitation email could not be sent: ${created.invitation?.delivered_to}`);
  } else {
    ctx.out.success(`invited ${created.email} (${created.id}) as ${plan.orgRole.name}`);
  }
  if (created.invitation && (state === undefined || state === 'sent')) {
    ctx.out.info(
      `invitation email: ${created.invitation.delivered_to}; expires ${created.invitation.expires_at}`,
    );
  }
  if (withTerms) for (const g of termed) ctx.out.info(`workspace ${g.workspace}: ${g.role}${termsText(g)}`);
  ctx.out.info(`follow their onboarding with: noxus users onboarding ${created.email}`);
}

async function pickOrgRole(p: import('../../io/prompter.js').Prompter, r: Resolver): Promise<string> {
  const roles = (await r.roles()).filter((x) => roleScope(x) === 'org');
  return pickOne(p, {
    message: 'Organization role',
    choices: roles.map((x) => ({ name: x.name, value: x.id, description: x.description })),
    default: roles.find((x) => x.name === 'Org Base')?.id,
  });
}

async function pickWorkspaces(ctx: Context, r: Resolver) {
  const p = await ctx.prompter();
  const groups = await r.groups();
  if (groups.length === 0) return [];
  const chosen = await pickMany(p, {
    message: 'Workspaces to add the user to',
    choices: groups.map((g) => ({ name: g.name, value: g.id })),
  });
  const roles = leastPrivilegedFirst((await r.roles()).filter((x) => roleScope(x) === 'workspace'));
  const out: Array<{ workspace: string; role: string }> = [];
  for (const id of chosen) {
    const g = groups.find((x) => x.id === id);
    const role = await pickOne(p, {
      message: `Role in ${g?.name}`,
      choices: roles.map((x) => ({ name: x.name, value: x.id, description: x.description })),
      default: roles[0]?.id,
    });
    out.push({ workspace: id, role });
  }
  return out;
}
