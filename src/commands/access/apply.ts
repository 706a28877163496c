// `noxus access apply PLAN`: a saved access plan applied item by item. Everything that can be
// checked locally is checked before the first request (the plan's shape, its server, where secrets
// go, a confirmation for org-role changes and offboarding), then the server is compared with the
// plan's base (drift), then the journal runs the items.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { configDir } from '../../config/paths.js';
import { ConflictError, NoxusError, PartialError, UsageError } from '../../errors.js';
import { maskForRunner } from '../../io/runner-mask.js';
import type { AccessPlan, PlanItem } from '../../services/access/model.js';
import { fileInDir, writeFileAtomic } from '../../util/files.js';
import { checkWritableDir } from '../keys/secret.js';
import { writeReport } from '../offboard/report.js';
import { resolverFor } from '../shared.js';

interface ApplyOpts {
  secretsDir?: string;
  resume?: boolean;
  dryRun?: boolean;
}

const COMMAND = 'access apply';

export function registerApply(parent: Command, ctx: Context): void {
  parent
    .command('apply')
    .description('apply a saved access plan (from noxus access plan -o) item by item; resumable')
    .argument('<plan>', 'the plan file (JSON) written by noxus access plan -o')
    .option(
      '--secrets-dir <dir>',
      'write the secrets of new, replaced and rotated keys here (one file each, 0600) instead of printing them once',
    )
    .option('--resume', 'finish an interrupted apply of this plan from its journal')
    .option('--dry-run', 'check the plan against the server and print what would be done; change nothing')
    .addHelpText(
      'after',
      `${examples([
        'noxus access apply plan.json --dry-run',
        'noxus access apply plan.json --secrets-dir ./secrets --yes',
        'noxus access apply plan.json --resume --yes',
      ])}
The server must not have changed since the plan was made (exit 7 names what changed). Items this
server cannot do through its API are listed with their console steps and left out (exit 3).
`,
    )
    .action((plan: string, o: ApplyOpts) => runAccessApply(ctx, plan, o));
}

export async function runAccessApply(ctx: Context, file: string, o: ApplyOpts): Promise<void> {
  const svc = await import('../../services/access/apply.js');
  const { Journal, journalId } = await import('../../services/journal.js');
  if (o.resume && o.dryRun) throw new UsageError('choose one of --resume, --dry-run');
  const path = resolve(ctx.io.cwd, file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const plan = svc.parseAccessPlan(bytes.toString('utf8'), file);
  const server = (await ctx.target()).url;
  if (trimSlash(plan.server) !== trimSlash(server))
    throw new UsageError(`${file} is a plan for ${plan.server}, not for ${server}`, {
      hint: 'choose the profile of that server (--profile), or make a plan for this one: noxus access plan',
    });

  const applied = plan.items.filter((i) => i.availability === 'api');
  const secretsDir = o.secretsDir ? resolve(ctx.io.cwd, o.secretsDir) : undefined;
  if (secretsDir && applied.some(svc.makesSecrets)) await checkWritableDir(secretsDir, '--secrets-dir', true);

  const journals = join(configDir(ctx.env), 'journals');
  // Only read here: the directory is made when a run begins (a dry run leaves no trace).
  const journal = Journal.open<import('../../services/access/apply.js').StepRecord>(
    fileInDir(journals, journalId('access', server, bytes), '.jsonl'),
  );
  const state = svc.journalState(journal);
  if (state.complete) {
    if (ctx.globals.json) ctx.out.envelope(COMMAND, [], { changed: false, not_applied: [] });
    ctx.out.success(`already applied: ${file} ran to the end before; nothing was changed`);
    return;
  }
  if (o.resume && !state.begun)
    throw new UsageError(`there is no interrupted apply of ${file} to resume`, {
      hint: `apply it: noxus access apply ${file}`,
    });
  if (!o.resume && !o.dryRun && state.begun)
    throw new ConflictError(`an apply of ${file} was interrupted; run with --resume to finish it`, {
      hint: `noxus access apply ${file} --resume${ctx.globals.yes ? ' --yes' : ''}`,
    });

  const weighty = applied.filter(svc.needsConfirmation);
  if (weighty.length && !o.dryRun) {
    if (!ctx.globals.json && !o.resume) printSummary(ctx, plan);
    await confirmDestructive(
      ctx,
      `apply ${applied.length} change(s), ${weighty.length} of them to org roles or offboarding`,
      `noxus access apply ${file}${o.resume ? ' --resume' : ''}${o.secretsDir ? ` --secrets-dir ${o.secretsDir}` : ''}`,
    );
  }

  const r = await resolverFor(ctx);
  if (!o.resume) {
    const caps = await ctx.capabilities();
    const now = await svc.serverAccessNow(r, (id) => caps.has(id));
    svc.checkDrift(plan, now.doc, now.sha256, file);
  }

  if (o.dryRun) return showDryRun(ctx, plan);

  if (!o.resume) {
    mkdirSync(journals, { recursive: true, mode: 0o700 });
    svc.beginApply(journal, plan, secretsDir);
  }
  const dir = secretsDir ?? (o.resume ? svc.recordedSecretsDir(journal) : undefined);
  if (o.resume && !secretsDir && dir && !ctx.globals.json)
    ctx.out.info(`new secrets go to ${dir}, as in the interrupted run`);
  if (dir && applied.some(svc.makesSecrets)) mkdirSync(dir, { recursive: true, mode: 0o700 });

  const shown = new Map<string, string>();
  const running = svc.applyAccessPlan(r.client, plan, {
    journal,
    journalsDir: journals,
    server,
    hooks: {
      onItem: (item, st, detail) => {
        if (ctx.globals.json || st === 'running') return;
        ctx.out.info(`${mark(st)} ${line(item)}${detail ? `: ${detail}` : ''}`);
      },
      onSecret: async ({ item, label, key }) => {
        if (dir) {
          const f = fileInDir(dir, label, '.key');
          await writeFileAtomic(f, `${key.value}\n`);
          return f;
        }
        maskForRunner(ctx.io, ctx.env, key.value);
        shown.set(item.id, key.value);
        if (!ctx.globals.json) {
          ctx.out.warn(`new secret of key "${key.name}" (${item.subject}), shown once; store it now:`);
          ctx.io.stdout.write(`${key.value}\n`);
        }
        return undefined;
      },
      onOffboarded: (offPlan, results) => writeReport(ctx, offPlan, results).markdown,
    },
  });
  let outcome: Awaited<typeof running>;
  try {
    outcome = await running;
  } catch (e) {
    // A secret made before the stop is delivered now: with --json it was held for the envelope.
    if (ctx.globals.json && shown.size)
      ctx.out.envelope(
        COMMAND,
        [...shown].map(([id, secret]) => ({ id, outcome: 'applied', secret })),
        { changed: true, interrupted: true, not_applied: [] },
      );
    const err = e instanceof NoxusError ? e : new NoxusError(String((e as Error)?.message ?? e));
    if (err.exitCode !== 1) throw e;
    throw new NoxusError(`applying ${file} stopped: ${err.message}`, {
      hint: `nothing is lost: fix the cause and finish with: noxus access apply ${file} --resume${weighty.length ? ' --yes' : ''}`,
      requestId: err.requestId,
      status: err.status,
      cause: e,
    });
  }

  const rows = outcome.items.map((i) => ({
    ...i,
    ...(ctx.globals.json && shown.has(i.id) ? { secret: shown.get(i.id) } : {}),
  }));
  const changed = outcome.items.some((i) => i.outcome === 'applied');
  if (ctx.globals.json)
    ctx.out.envelope(COMMAND, rows, {
      changed,
      not_applied: outcome.notApplied.map((i) => ({ id: i.id, subject: i.subject, note: i.message })),
    });
  else {
    ctx.out.list(COMMAND, outcome.items, [
      { header: 'Item', value: (i) => `${i.op} ${i.kind} ${i.subject}` },
      { header: 'Outcome', value: (i) => i.outcome },
      { header: 'Message', value: (i) => i.message ?? '' },
    ]);
  }
  const n = (x: string) => outcome.items.filter((i) => i.outcome === x).length;
  const summary = `${n('applied')} applied, ${n('failed')} failed, ${n('not applied')} not applied`;
  if (outcome.failed || outcome.notApplied.length) {
    if (!ctx.globals.json)
      for (const i of outcome.notApplied) ctx.out.warn(`not applied: ${i.subject}: ${i.message}`);
    throw new PartialError(`${summary}`, {
      hint: outcome.notApplied.length
        ? 'the items not applied need the web console (steps above); failed items need a new plan: noxus access plan'
        : 'fix the causes and make a new plan: noxus access plan',
    });
  }
  if (!ctx.globals.json) ctx.out.success(summary);
}

const trimSlash = (u: string) => u.replace(/\/+$/, '');

const line = (i: Pick<PlanItem, 'op' | 'kind' | 'subject'>) => `${i.op} ${i.kind} ${i.subject}`;

const mark = (st: string) => (st === 'failed' ? '✗' : st === 'skipped' ? '-' : '✓');

function printSummary(ctx: Context, plan: AccessPlan): void {
  ctx.out.info(`Plan from ${plan.file} for ${plan.server}:`);
  for (const i of plan.items) {
    ctx.out.info(`  ${line(i)}${i.availability === 'api' ? '' : ` (${i.availability})`}`);
    for (const c of i.changes) ctx.out.info(`      ${c}`);
    for (const e of i.effects) ctx.out.info(`      ${e}`);
  }
}

function showDryRun(ctx: Context, plan: AccessPlan): void {
  const rows = plan.items.map((i) => ({
    id: i.id,
    op: i.op,
    kind: i.kind,
    subject: i.subject,
    outcome: i.availability === 'api' ? 'planned' : 'not applied',
    ...(i.availability === 'api' ? {} : { message: i.note ?? i.availability }),
  }));
  if (ctx.globals.json) {
    ctx.out.envelope(COMMAND, rows, {
      changed: false,
      dry_run: true,
      not_applied: rows
        .filter((x) => x.outcome === 'not applied')
        .map((x) => ({ id: x.id, subject: x.subject, note: x.message })),
    });
    return;
  }
  ctx.out.info(`Dry run: the server matches the plan's base; ${plan.items.length} item(s) would be applied:`);
  for (const i of plan.items)
    ctx.out.info(
      `  ${line(i)}${i.availability === 'api' ? '' : ` — not applied: ${i.note ?? i.availability}`}`,
    );
  ctx.out.info('Nothing was changed.');
}
