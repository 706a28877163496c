// Runs a plan: confirmation, the journal, step progress, new secrets delivered as they come, a
// removal deferred while old secrets still work, and the report at the end.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { NoxusError } from '../../errors.js';
import type { Journal } from '../../services/journal.js';
import {
  beginRun,
  deferRemoval,
  finishRun,
  overlapText,
  type Plan,
  type PlanStep,
  type RunOutcome,
  runPlan,
  runState,
  type StepResult,
} from '../../services/offboard/index.js';
import type { Resolver } from '../../services/resolve.js';
import { printPlan, stepProgress } from './render.js';
import { writeReport } from './report.js';
import type { OffboardOpts } from './run.js';
import { type DeliveredSecret, secretSink } from './secrets.js';

export async function executePlan(
  ctx: Context,
  r: Resolver,
  plan: Plan,
  journal: Journal<StepResult>,
  o: Pick<OffboardOpts, 'secretsDir' | 'reportDir'>,
  how: { resume: boolean; reviewShown?: boolean },
): Promise<void> {
  if (!how.resume) {
    if (!ctx.globals.json) printPlan(ctx, plan, how.reviewShown);
    await confirmDestructive(
      ctx,
      `offboard ${plan.user.email} (suspend, remove, rotate ${plan.steps.filter((s) => s.id.startsWith('rotate')).length} key(s))`,
      `noxus offboard ${plan.user.email}${plan.transfer_to ? ` --transfer-to ${plan.transfer_to.email}` : ''}${plan.overlap_seconds ? ` --overlap ${overlapText(plan.overlap_seconds)}` : ''}`,
    );
    beginRun(journal, plan, o.secretsDir ? resolve(ctx.io.cwd, o.secretsDir) : undefined);
  }

  const secrets: DeliveredSecret[] = [];
  const unwritten: string[] = [];
  let secretsDir = o.secretsDir;
  const recorded = runState(journal).secretsDir;
  if (how.resume && !secretsDir && recorded) {
    secretsDir = recorded;
    if (!ctx.globals.json) ctx.out.info(`new secrets go to ${secretsDir}, as in the interrupted run`);
  }
  if (secretsDir) mkdirSync(resolve(ctx.io.cwd, secretsDir), { recursive: true, mode: 0o700 });
  const progress = stepProgress(ctx);
  const sink = secretSink(ctx, secretsDir, secrets, unwritten);
  let outcome: RunOutcome;
  try {
    outcome = await runPlan(r.client, plan, journal, {
      onStep: progress.step,
      onSecret: (step: PlanStep, key) => {
        progress.interrupt();
        return sink(step.title, key);
      },
    });
  } catch (e) {
    progress.end();
    const err = e instanceof NoxusError ? e : new NoxusError(String((e as Error)?.message ?? e));
    throw new NoxusError(`offboarding of ${plan.user.email} stopped: ${err.message}`, {
      hint: `nothing is lost: fix the cause and finish with: noxus offboard ${plan.user.email} --resume --yes`,
      requestId: err.requestId,
      status: err.status,
      cause: e,
    });
  }
  const { results, deferred } = outcome;
  const doc = (extra: Record<string, unknown>) => ({
    command: 'offboard',
    user: plan.user,
    transfer_to: plan.transfer_to,
    steps: results,
    secrets,
    ...extra,
  });
  if (deferred) {
    // The rotated secrets are out and the user is suspended; the old secrets still work, and the
    // removal would revoke them (every key the user saw), so it waits for them to stop.
    deferRemoval(journal, deferred.due_at);
    const message = `removal of ${plan.user.email} is due after ${deferred.due_at}; run noxus offboard ${plan.user.email} --resume${ctx.canPrompt() ? '' : ' --yes'} then`;
    if (ctx.globals.json)
      ctx.out.document(doc({ status: 'removal_pending', removal_due_at: deferred.due_at, report: null }));
    if (unwritten.length)
      throw new NoxusError(
        `${unwritten.length} secret file(s) could not be written: ${unwritten.join(', ')}; those secrets were printed to stdout instead`,
        { hint: `store them now: they are not shown again; ${message}` },
      );
    // Also under --json: stdout has the document, and this is what to do next.
    ctx.out.info(message);
    return;
  }
  finishRun(journal);
  const report = writeReport(ctx, plan, results, o.reportDir);
  if (ctx.globals.json) ctx.out.document(doc({ status: 'complete', report }));
  if (unwritten.length) {
    throw new NoxusError(
      `offboarded ${plan.user.email}, but ${unwritten.length} secret file(s) could not be written: ${unwritten.join(', ')}; those secrets were printed to stdout instead`,
      { hint: `store them now: they are not shown again; report: ${report.markdown}` },
    );
  }
  if (!ctx.globals.json) ctx.out.success(`offboarded ${plan.user.email}; report: ${report.markdown}`);
}
