// `noxus access apply PLAN`: a saved access plan applied item by item. Everything that can be
// checked locally is checked before the first request (the plan's shape, its server, where secrets
// go, a confirmation for org-role changes and offboarding), then the server is compared with the
// plan's base (drift), then the journal runs the items.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { configDir } from '../../config/paths.js';
import type { RoleLike } from '../../domain/identity.js';
import { ConflictError, NoxusError, PartialError, UsageError } from '../../errors.js';
import { maskForRunner } from '../../io/runner-mask.js';
import type { AccessPlan, PlanItem } from '../../services/access/model.js';
import { fileInDir, writeFileAtomic } from '../../util/files.js';
import { checkSecretsDir } from '../keys/secret.js';
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
server cannot do through its API are listed with their console steps and left out; an item the
server refuses fails and the run goes on (exit 3 when any item failed or was not applied). One
apply of a plan runs at a time (exit 7 while another runs). A plan edited by hand is refused (exit 2).
`,
    )
    .action((plan: string, o: ApplyOpts) => runAccessApply(ctx, plan, o));
}

export async function runAccessApply(ctx: Context, file: string, o: ApplyOpts): Promise<void> {
  const svc = await import('../../services/access/apply.js');
  const { journalId, lockJournal } = await import('../../services/journal.js');
  if (o.resume && o.dryRun) throw new UsageError('choose one of --resume, --dry-run');
  const path = resolve(ctx.io.cwd, file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`no such file: ${file}`);
    if (code === 'EISDIR') throw new UsageError(`${file} is a directory, not a plan file`);
    throw new UsageError(`cannot read ${file}: ${code ?? e}`);
  }
  const plan = svc.parseAccessPlan(bytes.toString('utf8'), file);
  const server = (await ctx.target()).url;
  const replan = `noxus access plan -f ${plan.file || 'access.yaml'}`;
  if (trimSlash(plan.server) !== trimSlash(server))
    throw new UsageError(`${file} is a plan for ${plan.server}, not for ${server}`, {
      hint: `choose the profile of that server (--profile), or make a plan for this one: ${replan}`,
    });

  const applied = plan.items.filter((i) => i.availability === 'api');
  const secretsDir = o.secretsDir ? resolve(ctx.io.cwd, o.secretsDir) : undefined;
  if (secretsDir && applied.some(svc.makesSecrets)) await checkSecretsDir(secretsDir, '--secrets-dir');

  const journals = join(configDir(ctx.env), 'journals');
  const journalFile = fileInDir(journals, journalId('access', server, bytes), '.jsonl');
  // A dry run leaves no trace: it neither makes the directory nor takes the lock.
  let release = () => {};
  if (!o.dryRun) {
    makeJournalsDir(journals);
    const taken = lockJournal(journalFile);
    if (!taken.ok)
      throw new ConflictError(
        `an apply of ${file} is in progress (pid ${taken.holder.pid}, since ${taken.holder.started}); wait for it to end`,
        {
          hint: `if that process is stuck, stop it (the next apply takes over its lock; finish with --resume); if pid ${taken.holder.pid} is not a noxus apply (after a restart), remove ${journalFile}.lock`,
        },
      );
    if (taken.stale)
      ctx.out.warn(
        `took over the lock of an apply that is no longer running (pid ${taken.stale.pid}, started ${taken.stale.started})`,
      );
    release = taken.lock.release;
  }
  try {
    await applyLocked(ctx, svc, { file, plan, server, journals, journalFile, secretsDir, replan }, o);
  } finally {
    release();
  }
}

interface Prepared {
  file: string;
  plan: AccessPlan;
  server: string;
  journals: string;
  journalFile: string;
  secretsDir: string | undefined;
  replan: string;
}

async function applyLocked(
  ctx: Context,
  svc: typeof import('../../services/access/apply.js'),
  { file, plan, server, journals, journalFile, secretsDir, replan }: Prepared,
  o: ApplyOpts,
): Promise<void> {
  const { Journal } = await import('../../services/journal.js');
  const applied = plan.items.filter((i) => i.availability === 'api');
  const journal = Journal.open<import('../../services/access/apply.js').StepRecord>(journalFile);
  const state = svc.journalState(journal);
  const recorded = svc.recordedSecretsDir(journal);
  const keepDir = (dir: string | undefined) => (dir ? ` --secrets-dir ${shellWord(dir)}` : '');
  if (state.complete) {
    if (ctx.globals.json)
      ctx.out.envelope(COMMAND, [], {
        changed: false,
        counts: { applied: 0, failed: 0, not_applied: 0 },
        failed: [],
        not_applied: [],
      });
    // A plan runs once: what failed or was left out then needs a new plan, not a second run of this one.
    if (state.failed + state.notApplied)
      throw new PartialError(
        `${file} was applied before, with ${state.failed} item(s) failed and ${state.notApplied} not applied; nothing was changed now`,
        { hint: `make a new plan for what remains: ${replan}` },
      );
    ctx.out.success(`already applied: ${file} ran to the end before; nothing was changed`);
    return;
  }
  if (o.resume && !state.begun)
    throw new UsageError(`there is no interrupted apply of ${file} to resume`, {
      hint: `apply it: noxus access apply ${file}`,
    });
  if (!o.resume && !o.dryRun && state.begun)
    throw new ConflictError(`an apply of ${file} was interrupted; run with --resume to finish it`, {
      hint: `noxus access apply ${file} --resume${keepDir(secretsDir ?? recorded)}${ctx.globals.yes ? ' --yes' : ''}`,
    });
  const dir = secretsDir ?? (o.resume ? recorded : undefined);
  if (o.resume && !secretsDir && dir && applied.some(svc.makesSecrets))
    await checkSecretsDir(dir, 'the secrets dir of the interrupted run');

  const r = await resolverFor(ctx);
  // A dry run confirms nothing, so it does not read the roles a confirmation is judged on.
  const reasons = o.dryRun ? new Map<PlanItem, string>() : await confirmationReasons(ctx, svc, plan, applied);
  if (reasons.size) {
    if (!ctx.globals.json && !o.resume) printSummary(ctx, plan, reasons, svc.describeValues);
    await confirmDestructive(
      ctx,
      `apply ${applied.length} change(s), ${reasons.size} of them to org roles, admins, roles or offboarding`,
      `noxus access apply ${file}${o.resume ? ' --resume' : ''}${keepDir(o.secretsDir)}`,
    );
  }

  if (!o.resume) {
    const caps = await ctx.capabilities();
    const now = await svc.serverAccessNow(r, (id) => caps.has(id));
    svc.checkDrift(plan, now.doc, now.sha256, file);
  }

  if (o.dryRun) return showDryRun(ctx, plan);

  if (!o.resume) svc.beginApply(journal, plan, secretsDir);
  if (o.resume && !secretsDir && dir && !ctx.globals.json)
    ctx.out.info(`new secrets go to ${dir}, as in the interrupted run`);
  if (dir && applied.some(svc.makesSecrets)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (o.resume)
      for (const f of svc.removeLeftoverSecretWrites(dir, plan))
        ctx.out.info(`removed the temporary file of an interrupted secret write: ${f}`);
  }

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
      hint: `nothing is lost: fix the cause and finish with: noxus access apply ${file} --resume${keepDir(dir)}${reasons.size ? ' --yes' : ''}`,
      requestId: err.requestId,
      status: err.status,
      cause: e,
    });
  }

  const rows = outcome.items.map((i) => ({
    ...i,
    ...(ctx.globals.json && shown.has(i.id) ? { secret: shown.get(i.id) } : {}),
  }));
  const n = (x: string) => outcome.items.filter((i) => i.outcome === x).length;
  const counts = { applied: n('applied'), failed: n('failed'), not_applied: n('not applied') };
  if (ctx.globals.json)
    ctx.out.envelope(COMMAND, rows, {
      changed: counts.applied > 0,
      counts,
      failed: outcome.items
        .filter((i) => i.outcome === 'failed')
        .map((i) => ({ id: i.id, subject: i.subject, message: i.message })),
      not_applied: outcome.notApplied.map((i) => ({ id: i.id, subject: i.subject, note: i.message })),
    });
  else {
    ctx.out.list(COMMAND, outcome.items, [
      { header: 'Item', value: (i) => `${i.op} ${i.kind} ${i.subject}` },
      { header: 'Outcome', value: (i) => i.outcome },
      { header: 'Message', value: (i) => i.message ?? '' },
    ]);
  }
  if (counts.failed || counts.not_applied) {
    if (!ctx.globals.json)
      for (const i of outcome.notApplied) ctx.out.warn(`not applied: ${i.subject}: ${i.message}`);
    // Failures first: they are what went wrong; items not applied were known to need the console.
    throw new PartialError(
      `${counts.failed} failed, ${counts.not_applied} not applied, ${counts.applied} applied`,
      {
        hint: counts.not_applied
          ? `the items not applied need the web console (steps above); failed items need a new plan: ${replan}`
          : `fix the causes and make a new plan: ${replan}`,
      },
    );
  }
  if (!ctx.globals.json) ctx.out.success(`${counts.applied} applied, 0 failed, 0 not applied`);
}

/**
 * Why each item needs confirmation, judged on its values. Whether an org role makes an admin is
 * read from the server's roles, and only when an item's judgment depends on it.
 */
async function confirmationReasons(
  ctx: Context,
  svc: typeof import('../../services/access/apply.js'),
  plan: AccessPlan,
  applied: PlanItem[],
): Promise<Map<PlanItem, string>> {
  let roles: RoleLike[] = [];
  if (applied.some(svc.judgesOrgRoles)) {
    const { listRoles } = await import('../../api/roles.js');
    roles = await listRoles((await resolverFor(ctx)).client);
  }
  const isAdmin = svc.adminRoleJudge(plan, roles);
  const out = new Map<PlanItem, string>();
  for (const i of applied) {
    const why = svc.confirmationReason(i, isAdmin);
    if (why) out.set(i, why);
  }
  return out;
}

/** The journals directory, made 0700 now: a file in its place is the operator's to move. */
function makeJournalsDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? 'it is not a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : `it cannot be made (${code ?? e})`;
    throw new UsageError(`cannot keep the journal of this apply in ${dir}: ${why}; nothing was changed`, {
      hint: 'move the file away, or choose another config dir (NOXUS_CONFIG_DIR)',
    });
  }
}

/** A path as one shell word, for hints that are meant to be pasted. */
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

const trimSlash = (u: string) => u.replace(/\/+$/, '');

const line = (i: Pick<PlanItem, 'op' | 'kind' | 'subject'>) => `${i.op} ${i.kind} ${i.subject}`;

const mark = (st: string) => (st === 'failed' ? '✗' : st === 'skipped' ? '-' : '✓');

function printSummary(
  ctx: Context,
  plan: AccessPlan,
  reasons: Map<PlanItem, string>,
  describe: (i: PlanItem) => string[],
): void {
  // From the items' values, which are what apply writes (their `changes` text is not read here).
  ctx.out.info(`Plan from ${plan.file} for ${plan.server}:`);
  for (const i of plan.items) {
    ctx.out.info(`  ${line(i)}${i.availability === 'api' ? '' : ` (${i.availability})`}`);
    for (const c of describe(i)) ctx.out.info(`      ${c}`);
    const why = reasons.get(i);
    if (why) ctx.out.info(`      needs confirmation: ${why}`);
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
