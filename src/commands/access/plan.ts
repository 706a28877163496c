import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { ConflictError, ExitCode, NoxusError, UsageError } from '../../errors.js';
import type { Policy } from '../../services/review/policy.js';
import { requireFeatures, resolverFor } from '../shared.js';

interface PlanOpts {
  file: string;
  out?: string;
  prune?: boolean;
  policy?: string;
  format: 'text' | 'md';
  detailedExitcode?: boolean;
}

export function registerPlan(parent: Command, ctx: Context): void {
  parent
    .command('plan')
    .description(
      'compare an access file with the organization: what applying it would add, change and remove, judged by the policy',
    )
    .requiredOption('-f, --file <file>', 'the access file (YAML; noxus access export writes one)')
    .option('-o, --out <plan.json>', 'save the plan for noxus access apply (written atomically, mode 0600)')
    .option(
      '--prune',
      'also remove what the file leaves out: grants, account keys, service accounts, custom roles, and offboard people (never workspaces)',
    )
    .option(
      '--policy <file>',
      'policy file (YAML or JSON, as for review check); default: the built-in policy',
    )
    .addOption(
      new Option('--format <format>', 'text, or md for a pull-request comment')
        .choices(['text', 'md'])
        .default('text'),
    )
    .option('--detailed-exitcode', 'exit 0 when there is nothing to change, 9 when changes are pending')
    .addHelpText(
      'after',
      `${examples([
        'noxus access plan -f access.yaml',
        'noxus access plan -f access.yaml -o plan.json && noxus access apply plan.json',
        'noxus access plan -f access.yaml --prune --policy review-policy.yaml --format md > plan.md',
        'noxus access plan -f access.yaml --detailed-exitcode; [ $? -eq 9 ] && echo "changes pending"',
      ])}
Exit codes: 0 plan made; 1 the policy fails on what the plan adds or changes (no plan file is
written); 2 the file has problems (each shown as file:line:column); 7 the plan would demote or
offboard the identity of the key in use, or offboard someone whose work offboarding.transfer_to
could not own. With --detailed-exitcode: 0 no changes, 9 changes pending.
`,
    )
    .action((o: PlanOpts) => runPlan(ctx, o));
}

/** Where -o writes must be a file in an existing directory: said before the plan is made. */
function checkOut(ctx: Context, out: string): void {
  const path = resolve(ctx.io.cwd, out);
  const kind = (p: string) => {
    try {
      return statSync(p).isDirectory() ? 'directory' : 'file';
    } catch {
      return undefined;
    }
  };
  if (kind(path) === 'directory')
    throw new UsageError(`cannot write the plan to ${out}: it is a directory`, {
      hint: `name a file, e.g. -o ${join(out, 'plan.json')}`,
    });
  const dir = kind(dirname(path));
  if (dir !== 'directory')
    throw new UsageError(
      `cannot write the plan to ${out}: ${dir === 'file' ? `${dirname(out)} is not a directory` : `the directory ${dirname(out)} does not exist`}`,
    );
}

function readPolicyText(ctx: Context, file: string): string {
  try {
    return readFileSync(resolve(ctx.io.cwd, file), 'utf8');
  } catch {
    throw new UsageError(`cannot read policy file ${file}`);
  }
}

async function loadPolicy(ctx: Context, file: string | undefined): Promise<Policy> {
  const { DEFAULT_POLICY, parsePolicy } = await import('../../services/review/policy.js');
  if (!file) return DEFAULT_POLICY;
  const text = readPolicyText(ctx, file);
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : (await import('../../io/yaml.js')).parseYaml(text);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  return parsePolicy(raw, file);
}

export async function runPlan(ctx: Context, o: PlanOpts): Promise<void> {
  const [fileSvc, readSvc, planSvc, render, { inputError }] = await Promise.all([
    import('../../services/access/file.js'),
    import('../../services/access/read.js'),
    import('../../services/access/plan.js'),
    import('../../services/access/render.js'),
    import('../../services/bulk.js'),
  ]);
  // Local input first: a bad file, policy or -o path is exit 2 before any request.
  const desired = fileSvc.readAccessFile(resolve(ctx.io.cwd, o.file));
  if (o.out) checkOut(ctx, o.out);
  const policy = await loadPolicy(ctx, o.policy);
  await requireFeatures(ctx, 'access plan');
  const caps = await ctx.capabilities();
  const has = caps.has.bind(caps);
  const r = await resolverFor(ctx);
  const now = ctx.io.now();
  const { listPermissions } = await import('../../api/roles.js');
  const [roles, permissions, current] = await Promise.all([
    r.roles(),
    has('permissions.catalogue') ? listPermissions(r.client) : Promise.resolve(undefined),
    readSvc.readServerAccess(r, has),
  ]);
  const held = readSvc.heldAccountKey(current);
  const problems = fileSvc.checkAccessFile(desired, { roles, permissions, held }, now);
  if (problems.length) throw inputError(desired.file, problems);

  const result = planSvc.planAccess(desired, current, { prune: !!o.prune, has, roles, now });
  // Offboarding someone whose work the transfer target could not own would fail half-way through
  // apply: refused now, on the desired state (needs the per-user access report; without it apply's
  // offboarding checks the target).
  const leaving = result.items.filter((i) => i.kind === 'offboard' && i.availability === 'api');
  if (leaving.length && has('users.access')) {
    const owned = await readSvc.readOwnedWork(
      r,
      current,
      leaving.map((i) => i.subject),
    );
    const problems = planSvc.transferProblems(desired.doc, roles, owned, current);
    if (problems.length)
      throw new ConflictError(`the plan cannot offboard as the file says: ${problems.join('; ')}`, {
        hint: 'give offboarding.transfer_to a role that can own that work in the file, or name someone who can',
      });
  }
  const findings = planSvc.policyOnDesired(desired, current, result.items, policy, now, roles);
  const server = (await ctx.target()).url;
  const plan = render.buildAccessPlan({
    file: o.file,
    server,
    toolVersion: ctx.version,
    now,
    desired,
    current,
    prune: !!o.prune,
    result,
    findings: [...findings.failing, ...findings.existing],
  });
  const failing = findings.failing.length > 0;
  if (o.out && !failing) {
    const { writeFileAtomic } = await import('../../util/files.js');
    try {
      await writeFileAtomic(resolve(ctx.io.cwd, o.out), `${JSON.stringify(plan, null, 2)}\n`);
    } catch (e) {
      throw new UsageError(
        `cannot write the plan to ${o.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }

  const counts = render.countItems(result.items);
  const input = { ...result, file: o.file, server, policy: findings };
  if (ctx.globals.json) {
    ctx.out.envelope('access plan', result.items, {
      summary: { ...counts, changes: result.items.length > 0 },
      policy: {
        passed: !failing,
        fail_on: policy.fail_on,
        failing: findings.failing,
        existing: findings.existing,
        not_judged: findings.notJudged,
      },
      written: o.out && !failing ? o.out : null,
      plan,
    });
  } else if (o.format === 'md') ctx.out.print(render.renderPlanMarkdown(input));
  else ctx.out.print(render.renderPlanText(input));

  if (failing) {
    const names = findings.failing.map((f) => `${f.rule} (${f.subject})`).join(', ');
    throw new NoxusError(
      `the policy fails on what this plan adds or changes: ${names}${o.out ? `; ${o.out} was not written` : ''}`,
      {
        hint: 'change the file so the plan passes, or adjust the policy (--policy)',
        data: { failing: findings.failing },
      },
    );
  }
  if (!ctx.globals.json) {
    ctx.out.info(render.summaryLine(result.items, o.file));
    if (o.out) ctx.out.info(`Plan written to ${o.out}; apply it with: noxus access apply ${o.out}`);
  }
  if (o.detailedExitcode && result.items.length > 0) ctx.exitCode = ExitCode.CHANGES_PENDING;
}
