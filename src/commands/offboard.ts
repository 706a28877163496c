import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { User } from '../api/users.js';
import type { Context } from '../cli/context.js';
import { confirmDestructive } from '../cli/interact.js';
import { examples } from '../cli/options.js';
import { type FeatureId, notAvailableMessage } from '../domain/features.js';
import { normalizeEmail } from '../domain/validate.js';
import { ConflictError, NotAvailableError, NotFoundError, NoxusError, UsageError } from '../errors.js';
import { maskForRunner } from '../io/runner-mask.js';
import { escapeControl } from '../io/text.js';
import type { GuidedStep, Outcome } from '../services/guided.js';
import type { JournalIO, Plan, PlanStep, StepResult } from '../services/offboard.js';
import type { Resolver } from '../services/resolve.js';
import { fileInDir } from '../util/files.js';
import {
  consoleStepsNeeded,
  type GuidedResult,
  type ManualStepsFormat,
  parseManualSteps,
  printManualSteps,
  walkSteps,
} from './guided-steps.js';
import { resolverFor } from './shared.js';

/** Without these the full offboarding cannot run; the guided one walks the web console instead. */
const GUIDED_WHEN_MISSING: FeatureId[] = ['users.access', 'users.suspend', 'users.remove'];

interface OffboardOpts {
  transferTo?: string;
  planOut?: string;
  apply?: string;
  resume?: boolean;
  force?: boolean;
  secretsDir?: string;
  reportDir?: string;
  dryRun?: boolean;
  manualSteps?: string;
  replaceSystemKeys?: boolean;
  overlap?: string;
}

export function registerOffboard(program: Command, ctx: Context): void {
  program
    .command('offboard')
    .description(
      'the offboarding checklist: review access, reassign work, suspend, remove, rotate keys, verify',
    )
    .argument('<user>', 'user id or email')
    .option('--transfer-to <user>', 'who takes over the resources the user owns')
    .option('--plan-out <file>', 'write the reviewable plan (inventory and steps) to a file; change nothing')
    .option('--apply <file>', 'apply a plan written by --plan-out (refused if the server drifted from it)')
    .option('--resume', 'finish an interrupted offboarding of this user from its journal')
    .option('--force', 'with --apply: run even if the server no longer matches the plan')
    .option(
      '--secrets-dir <dir>',
      'write the new secrets of rotated keys here (files 0600) instead of printing them once',
    )
    .option(
      '--overlap <duration>',
      'rotate the shared keys (service-account and system keys they created or saw) so that the old secrets keep working this long (30m, 1h, 2d; at most 30d); the user is suspended at once and removed by --resume afterwards',
    )
    .option(
      '--report-dir <dir>',
      'where to write the report (Markdown and JSON) when the offboarding finishes; default: the current directory',
    )
    .option('--dry-run', 'print the plan, change nothing')
    .option(
      '--manual-steps <format>',
      'on a server without the user-management API: print the guided steps (md or json checklist); change nothing',
    )
    .option(
      '--replace-system-keys',
      'guided offboarding: create a replacement for each system key the user created before revoking it',
    )
    .addHelpText(
      'after',
      `${examples([
        'noxus offboard margaret@example.com --transfer-to dennis@example.com --plan-out margaret.plan.json',
        'noxus offboard margaret@example.com --apply margaret.plan.json --secrets-dir ./rotated --yes',
        'noxus offboard margaret@example.com --resume --yes',
        'noxus offboard margaret@example.com --transfer-to dennis@example.com --overlap 1h --secrets-dir ./rotated --yes',
      ])}
Steps, in order: review access; reassign owned resources (--transfer-to) and read them back;
suspend (reversible); remove from the organization (memberships deleted, personal keys revoked;
resources and activity kept); rotate the system and service-account keys the user created;
verify that work and activity are intact; write a report (to --report-dir, default the current
directory). Each step is journaled before and after under the config dir, so a crash is finished
with --resume and nothing is done twice.
With --overlap: the new secrets are delivered (--secrets-dir or stdout) while the old ones still
work for the overlap; the user is suspended at once; the removal, which revokes every key whose
secret they saw, waits until the old secrets stopped: the run exits 0 with "removal of <user> is
due after <time>", and noxus offboard <user> --resume after that time removes them and verifies.
On a terminal the access review is shown first, then you pick who takes over the resources (only
users who can own them all are offered; nobody asks again).
Refused: the last org admin, yourself, service accounts (use service-accounts delete), and a
--transfer-to that is suspended, removed or the user themself (on a terminal: asked again).
On a server without the user-management API (the public Noxus API) a terminal walks the documented
offboarding instead: review access through what the public API can read, remove the user from the
organization in the web console (verified: they leave GET /v1/admin/users or become inactive), revoke
the system keys they created by API (verified absent; --replace-system-keys makes replacements
first), and rotate their workspace keys in the console. The report marks each step automated,
confirmed by the operator, or verified by the API. Without a terminal: exit 8 and the steps;
--manual-steps md|json prints them as a checklist.
`,
    )
    .action((user: string, o: OffboardOpts) => runOffboard(ctx, user, o));
}

class FileJournal implements JournalIO {
  private readonly doneMap = new Map<string, StepResult>();
  private readonly idem = new Map<string, string>();
  plan?: Plan;
  complete = false;
  /** Set while the removal waits for the old secrets of an overlapping rotation to stop. */
  removalDueAt?: string;

  constructor(readonly path: string) {
    if (!existsSync(path)) return;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let e: {
        type: string;
        plan?: Plan;
        step?: string;
        idempotency_key?: string;
        result?: StepResult;
        secrets_dir?: string | null;
        due_at?: string;
      };
      try {
        e = JSON.parse(line);
      } catch {
        continue; // torn by a kill: that event never happened
      }
      if (e.type === 'plan') {
        this.plan = e.plan;
        this.secretsDir = e.secrets_dir ?? undefined;
      } else if (e.type === 'started' && e.step && e.idempotency_key)
        this.idem.set(e.step, e.idempotency_key);
      else if (e.type === 'refused' && e.step) this.idem.delete(e.step);
      else if (e.type === 'done' && e.result) this.doneMap.set(e.result.id, e.result);
      else if (e.type === 'deferred') this.removalDueAt = e.due_at;
      else if (e.type === 'complete') this.complete = true;
    }
  }

  private append(e: object): void {
    appendFileSync(this.path, `${JSON.stringify({ ...e, at: new Date().toISOString() })}\n`, { mode: 0o600 });
  }
  /** Where rotated secrets go is part of the run: a resume writes them to the same place. */
  secretsDir?: string;

  begin(plan: Plan, secretsDir?: string): void {
    writeFileSync(this.path, '', { mode: 0o600 });
    this.plan = plan;
    this.secretsDir = secretsDir;
    this.append({ type: 'plan', plan, secrets_dir: secretsDir ?? null });
  }
  done(step: string) {
    return this.doneMap.get(step);
  }
  idempotencyKey(step: string) {
    return this.idem.get(step);
  }
  started(step: string, key: string) {
    this.idem.set(step, key);
    this.append({ type: 'started', step, idempotency_key: key });
  }
  refused(step: string) {
    this.idem.delete(step);
    this.append({ type: 'refused', step });
  }
  finished(result: StepResult) {
    this.doneMap.set(result.id, result);
    this.append({ type: 'done', result });
  }
  defer(dueAt: string) {
    this.removalDueAt = dueAt;
    this.append({ type: 'deferred', step: 'remove', due_at: dueAt });
  }
  finish() {
    this.complete = true;
    this.append({ type: 'complete' });
  }
}

/**
 * The user list leaves removed users out; offboarding must still find them: to resume after the
 * remove step, to say "already removed", and to refuse a removed --transfer-to as a conflict.
 */
async function userOrRemoved(r: Resolver, ref: string): Promise<User> {
  try {
    return await r.user(ref);
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    const removed = (await r.users({ status: 'removed' })).find((u) =>
      ref.includes('@') ? normalizeEmail(u.email) === normalizeEmail(ref) : u.id === ref,
    );
    if (removed) return removed;
    throw e;
  }
}

export async function runOffboard(ctx: Context, ref: string, o: OffboardOpts): Promise<void> {
  const modes = [o.planOut, o.apply, o.resume, o.dryRun].filter(Boolean).length;
  if (modes > 1) throw new UsageError('choose one of --plan-out, --apply, --resume, --dry-run');
  if (o.force && !o.apply) throw new UsageError('--force goes with --apply');
  if (o.resume && o.transferTo)
    throw new UsageError('--resume continues the recorded plan; --transfer-to cannot change it');
  if (o.resume && o.overlap)
    throw new UsageError('--resume continues the recorded plan; --overlap cannot change it');
  const { parseOverlap } = await import('../services/keys.js');
  const overlap = parseOverlap(o.overlap);
  // Where secrets and the report go is checked before the first write to the server.
  const { checkWritableDir } = await import('./keys/secret.js');
  if (o.secretsDir) await checkWritableDir(resolve(ctx.io.cwd, o.secretsDir), '--secrets-dir', true);
  if (o.reportDir) await checkWritableDir(resolve(ctx.io.cwd, o.reportDir), '--report-dir', true);
  const manual = parseManualSteps(o.manualSteps);
  const caps = await ctx.capabilities();
  // Suspension is no step of the guided walk: the features named are those the console stands in for.
  const named = caps.missing(['users.access', 'users.remove']);
  const missing =
    caps.missing(GUIDED_WHEN_MISSING).length && !named.length ? ['users.suspend' as const] : named;
  if (missing.length || manual) {
    if (o.overlap)
      throw new UsageError(
        '--overlap needs the full user-management API: the removal waits for the old secrets, and removing is done in the web console here',
        { hint: `rotate the keys yourself first: noxus keys system rotate <key> --overlap ${o.overlap}` },
      );
    if (o.planOut || o.apply || o.resume || o.transferTo) {
      const id = missing[0] ?? 'users.access';
      throw new NotAvailableError(
        `${notAvailableMessage(id)}: offboarding plans, --apply, --resume and --transfer-to need it`,
        {
          hint: `run it in a terminal to be guided through the web console: noxus offboard ${ref}\nor print the steps: noxus offboard ${ref} --manual-steps md`,
          data: { feature: id },
        },
      );
    }
    return runGuidedOffboard(ctx, ref, o, missing, manual);
  }
  if (o.replaceSystemKeys)
    throw new UsageError('--replace-system-keys goes with a guided offboarding (the full API rotates them)');
  const svc = await import('../services/offboard.js');
  const { configDir } = await import('../config/paths.js');
  const r = await resolverFor(ctx);
  const t = await ctx.target();
  const dir = join(configDir(ctx.env), 'journals');
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  let plan: Plan;
  let journal: FileJournal;
  /** Whether the access review was already shown (before the transfer question). */
  let reviewShown = false;
  if (o.resume) {
    const user = await userOrRemoved(r, ref).catch((e) => {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
    const candidates = user ? [user.id] : [];
    journal = new FileJournal(fileInDir(dir, `offboard-${candidates[0] ?? ref}`, '.jsonl'));
    if (!journal.plan)
      throw new UsageError(`no interrupted offboarding of ${ref} to resume`, {
        hint: `start one with: noxus offboard ${ref} --transfer-to <user>`,
      });
    if (journal.complete) {
      ctx.out.info(`the offboarding of ${journal.plan.user.email} already finished; nothing to resume`);
      return;
    }
    plan = journal.plan;
  } else {
    const user = await userOrRemoved(r, ref);
    journal = new FileJournal(fileInDir(dir, `offboard-${user.id}`, '.jsonl'));
    if (journal.plan && !journal.complete && !o.planOut && !o.dryRun) {
      if (journal.removalDueAt)
        throw new ConflictError(
          `an offboarding of ${user.email} is under way: their removal is due after ${journal.removalDueAt}`,
          { hint: `run then: noxus offboard ${user.email} --resume` },
        );
      throw new ConflictError(`an offboarding of ${user.email} was interrupted`, {
        hint: `finish it with: noxus offboard ${user.email} --resume`,
      });
    }
    if (o.apply) {
      plan = svc.parsePlan(readFileSync(resolve(ctx.io.cwd, o.apply), 'utf8'), o.apply);
      if (plan.user.id !== user.id)
        throw new UsageError(`${o.apply} is the plan for ${plan.user.email}, not ${user.email}`);
      // The overlap is part of the reviewed plan: the command line may repeat it, not change it.
      if (o.overlap && overlap !== (plan.overlap_seconds ?? 0))
        throw new UsageError(
          `${o.apply} was planned ${plan.overlap_seconds ? `with --overlap ${svc.overlapText(plan.overlap_seconds)}` : 'without --overlap'}; --overlap ${o.overlap} would change it`,
          {
            hint: `write a new plan: noxus offboard ${user.email} --overlap ${o.overlap} --plan-out ${o.apply}`,
          },
        );
      const target = plan.transfer_to ? await userOrRemoved(r, plan.transfer_to.id) : undefined;
      await svc.checkOffboardable(r, user, target);
      const { getAccess } = await import('../api/users.js');
      if (target)
        await svc.checkTargetCanOwn(r, target, (await getAccess(r.client, user.id)).resources_owned);
      const now = svc.inventoryOf(await getAccess(r.client, user.id));
      const diff = svc.drift(plan.inventory, now);
      if (diff.length && !o.force) {
        throw new ConflictError(
          `the plan is stale: the server changed since it was written (${diff.length} difference${diff.length > 1 ? 's' : ''})\n${diff.map((d) => `  - ${d}`).join('\n')}`,
          {
            hint: `write a new plan: noxus offboard ${user.email}${plan.transfer_to ? ` --transfer-to ${plan.transfer_to.email}` : ''} --plan-out ${o.apply}  (or apply anyway with --force)`,
            data: { differences: diff },
          },
        );
      }
      if (diff.length) {
        ctx.out.warn(`applying a stale plan (--force): ${diff.join('; ')}`);
        const fresh = svc.buildPlan(t.url, user, target, await getAccess(r.client, user.id), {
          overlapSeconds: plan.overlap_seconds,
        });
        plan = { ...fresh, created_at: plan.created_at };
      }
    } else {
      const { getAccess } = await import('../api/users.js');
      const access = await getAccess(r.client, user.id);
      await svc.checkOffboardable(r, user, undefined);
      let target = o.transferTo ? await userOrRemoved(r, o.transferTo) : undefined;
      const owned = access.resources_owned;
      // On a terminal the access review comes first, so that the operator picks a successor
      // knowing what they take over; a --transfer-to that cannot take it is asked again.
      const ask = ctx.canPrompt() && !ctx.globals.json && owned.length > 0;
      if (ask) {
        printInventory(ctx, user, svc.inventoryOf(access));
        reviewShown = true;
      }
      if (target) {
        try {
          await svc.checkOffboardable(r, user, target);
          await svc.checkTargetCanOwn(r, target, owned);
        } catch (e) {
          if (!ask || !(e instanceof ConflictError || e instanceof UsageError)) throw e;
          ctx.out.warn(e.message);
          target = undefined;
        }
      }
      if (!target && ask) target = await askTransferTarget(ctx, r, user, owned);
      plan = svc.buildPlan(t.url, user, target, access, { overlapSeconds: overlap });
    }
  }

  if (o.planOut || o.dryRun) {
    if (o.planOut)
      writeFileSync(resolve(ctx.io.cwd, o.planOut), `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
    if (ctx.globals.json)
      ctx.out.document({
        command: 'offboard',
        plan,
        written_to: o.planOut ? resolve(ctx.io.cwd, o.planOut) : null,
        dry_run: true,
      });
    else {
      printPlan(ctx, plan, reviewShown);
      ctx.out.info(
        o.planOut
          ? `plan written to ${o.planOut}; nothing was changed. Apply it with: noxus offboard ${plan.user.email} --apply ${o.planOut}`
          : 'Dry run: nothing was changed.',
      );
    }
    return;
  }

  if (!o.resume) {
    if (!ctx.globals.json) printPlan(ctx, plan, reviewShown);
    await confirmDestructive(
      ctx,
      `offboard ${plan.user.email} (suspend, remove, rotate ${plan.steps.filter((s) => s.id.startsWith('rotate')).length} key(s))`,
      `noxus offboard ${plan.user.email}${plan.transfer_to ? ` --transfer-to ${plan.transfer_to.email}` : ''}${plan.overlap_seconds ? ` --overlap ${svc.overlapText(plan.overlap_seconds)}` : ''}`,
    );
    journal.begin(plan, o.secretsDir ? resolve(ctx.io.cwd, o.secretsDir) : undefined);
  } else if (!ctx.globals.yes && !ctx.canPrompt()) {
    throw new UsageError('refusing to resume destructive steps without confirmation (not a terminal)', {
      hint: `run: noxus offboard ${ref} --resume --yes`,
    });
  }

  const secrets: Array<{ key_id: string; name: string; secret?: string; file?: string }> = [];
  const unwritten: string[] = [];
  if (o.resume && !o.secretsDir && journal.secretsDir) {
    o.secretsDir = journal.secretsDir;
    if (!ctx.globals.json) ctx.out.info(`new secrets go to ${o.secretsDir}, as in the interrupted run`);
  }
  if (o.secretsDir) mkdirSync(resolve(ctx.io.cwd, o.secretsDir), { recursive: true, mode: 0o700 });
  const progress = stepProgress(ctx);
  const sink = secretSink(ctx, o.secretsDir, secrets, unwritten);
  const crashAfter = ctx.env.NOXUS_TEST_CRASH_AFTER;
  let outcome: Awaited<ReturnType<typeof svc.runPlan>>;
  try {
    outcome = await svc.runPlan(r.client, plan, journal, {
      onStep: progress.step,
      onSecret: (step: PlanStep, key) => {
        progress.interrupt();
        return sink(step.title, key);
      },
      afterStep: (step) => {
        // Test seam for the crash matrix: die right after a step is journaled.
        if (crashAfter && (crashAfter === step.id || crashAfter === step.id.split(':')[0]))
          process.kill(process.pid, 'SIGKILL');
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
    journal.defer(deferred.due_at);
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
  journal.finish();
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

/**
 * Step progress on stderr. Off a terminal (logs) a step gets a line when it starts and one when it
 * ends, so that a log shows where a run stopped. On a terminal the start line is rewritten in place
 * by the end line, so each step shows once.
 */
function stepProgress(ctx: Context) {
  const tty = !!ctx.io.stderr.isTTY;
  let open = false;
  const write = (s: string) => ctx.io.stderr.write(s);
  return {
    step(step: PlanStep, state: 'running' | 'done' | 'skipped', detail?: string): void {
      if (ctx.globals.json) return;
      if (state === 'running') {
        if (!tty) ctx.out.info(`[ ] ${step.title} …`);
        else {
          write(`[ ] ${escapeControl(step.title)} …`);
          open = true;
        }
        return;
      }
      if (open) write('\r\x1b[2K');
      open = false;
      ctx.out.info(`[${state === 'done' ? '✓' : '-'}] ${step.title}${detail ? `: ${detail}` : ''}`);
    },
    /** Something else is printed during a step (a new secret): the start line gives way to it. */
    interrupt(): void {
      if (open) write('\r\x1b[2K');
      open = false;
    },
    /** The run stopped during a step: its start line stays, and what follows starts on a new line. */
    end(): void {
      if (open) write('\n');
      open = false;
    },
  };
}

/**
 * Who takes over the resources, asked after the access review: the people who can own all of
 * them first (the first one is the default), then nobody. Nobody needs a second yes; a choice the
 * server would refuse (the state changed meanwhile) is explained and asked again.
 */
async function askTransferTarget(
  ctx: Context,
  r: Resolver,
  user: User,
  owned: Awaited<ReturnType<typeof import('../api/users.js').getAccess>>['resources_owned'],
): Promise<User | undefined> {
  const svc = await import('../services/offboard.js');
  const prompter = await ctx.prompter();
  for (let round = 0; ; round++) {
    const { eligible, ineligible } = await svc.transferCandidates(r, user, owned);
    if (ineligible.length && round === 0)
      ctx.out.info(
        `not offered (cannot own all the resources): ${ineligible.map((x) => `${x.user.email} (${x.reason})`).join('; ')}`,
      );
    if (!eligible.length && round === 0)
      ctx.out.warn(
        'nobody can take over all the resources; give someone an editing role in those workspaces first, or leave them with nobody',
      );
    const picked = await prompter.select<string>({
      message: `${user.email} owns ${owned.length} resource(s). Who takes them over?`,
      choices: [
        ...eligible.map((u) => ({ name: `${u.email} (${u.name ?? u.display_name})`, value: u.id })),
        { name: 'nobody (they stay owned by a removed user)', value: '' },
      ],
      default: eligible[0]?.id ?? '',
    });
    if (!picked) {
      ctx.out.warn(
        `${owned.length} resource(s) stay owned by a removed user (they keep working, but nobody owns them)`,
      );
      if (await prompter.confirm({ message: 'Leave them with nobody?', default: false })) return undefined;
      continue;
    }
    const target = eligible.find((u) => u.id === picked) as User;
    try {
      await svc.checkOffboardable(r, user, target);
      await svc.checkTargetCanOwn(r, target, owned);
      return target;
    } catch (e) {
      if (!(e instanceof ConflictError || e instanceof UsageError)) throw e;
      ctx.out.warn(`${e.message}; pick again`);
    }
  }
}

function printInventory(ctx: Context, user: Plan['user'] | User, inv: Plan['inventory']): void {
  const out = ctx.out;
  out.info(
    `Offboarding ${user.email} (${user.name ?? (user as User).display_name}), org role ${inv.org_role}${inv.org_admin ? ' (org admin)' : ''}`,
  );
  out.info(
    `  workspaces: ${inv.workspaces.map((w) => `${w.group_name}=${w.role}${w.via === 'org_admin' ? ' (via org admin)' : ''}`).join(', ') || 'none'}`,
  );
  out.info(
    `  keys they hold: ${inv.keys_held.map((k) => `${k.name} [${k.effective.join(',')}] last used ${k.last_used_at ?? 'never'}`).join('; ') || 'none'}`,
  );
  out.info(`  system keys they created: ${inv.system_keys_created.map((k) => k.name).join(', ') || 'none'}`);
  out.info(
    `  service-account keys they created: ${inv.service_account_keys_created.map((k) => `${k.name} (${k.holder})`).join(', ') || 'none'}`,
  );
  out.info(`  resources they own: ${inv.resources.map((x) => `${x.type} "${x.name}"`).join(', ') || 'none'}`);
  out.info(
    `  invitations they sent, pending: ${inv.invitations_pending.map((i) => i.email).join(', ') || 'none'}`,
  );
  out.info(
    `  last activity: ${inv.last_activity_at ?? 'never'} (${inv.activity_count} activity entries, all kept)`,
  );
}

function printPlan(ctx: Context, plan: Plan, reviewShown = false): void {
  if (!reviewShown) printInventory(ctx, plan.user, plan.inventory);
  ctx.out.info('Steps:');
  for (const [i, s] of plan.steps.entries()) ctx.out.info(`  ${i + 1}. ${s.title} [${s.kind}]`);
  for (const w of plan.warnings) ctx.out.warn(w);
}

interface ReportInput {
  email: string;
  server: string;
  created_at: string;
  transfer_to: string | null;
  before: string[];
  after: string[];
  results: Array<{ title: string; detail: string; outcome?: Outcome }>;
  /** The JSON report's body besides its kind and time. */
  json: Record<string, unknown>;
}

const HOW: Record<Outcome, string> = {
  automated: 'automated',
  confirmed: 'confirmed by the operator',
  verified: 'verified by the API',
};

/** The offboarding report as Markdown and JSON, side by side in `dir`. */
function writeReportFiles(ctx: Context, r: ReportInput, dir?: string): { markdown: string; json: string } {
  const base = resolve(ctx.io.cwd, dir ?? '.');
  mkdirSync(base, { recursive: true });
  const now = new Date().toISOString();
  const name = `offboard-${r.email}-${now.replace(/[:.]/g, '-')}`;
  const json = fileInDir(base, name, '.json');
  const md = fileInDir(base, name, '.md');
  writeFileSync(
    json,
    `${JSON.stringify({ schema_version: 1, kind: 'noxus-offboarding-report', finished_at: now, ...r.json }, null, 2)}\n`,
  );
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    `# Offboarding of ${r.email}`,
    '',
    `Server: ${r.server}  `,
    `Plan written: ${r.created_at}  `,
    `Finished: ${now}  `,
    `Resources reassigned to: ${r.transfer_to ?? 'nobody (kept by the removed user)'}`,
    '',
    '## Before',
    '',
    ...r.before,
    '',
    '## Steps',
    '',
    '| # | Step | Result | How |',
    '|---|---|---|---|',
    ...r.results.map(
      (x, i) => `| ${i + 1} | ${cell(x.title)} | ${cell(x.detail)} | ${HOW[x.outcome ?? 'automated']} |`,
    ),
    '',
    '## After',
    '',
    ...r.after,
    '',
  ];
  writeFileSync(md, lines.join('\n'));
  return { markdown: md, json };
}

function writeReport(
  ctx: Context,
  plan: Plan,
  results: StepResult[],
  dir?: string,
): { markdown: string; json: string } {
  const inv = plan.inventory;
  return writeReportFiles(
    ctx,
    {
      email: plan.user.email,
      server: plan.server,
      created_at: plan.created_at,
      transfer_to: plan.transfer_to?.email ?? null,
      before: [
        `- Org role: ${inv.org_role}${inv.org_admin ? ' (org admin)' : ''}`,
        `- Workspaces: ${inv.workspaces.map((w) => `${w.group_name} (${w.role})`).join(', ') || 'none'}`,
        `- Keys held: ${inv.keys_held.map((k) => `${k.name} (${k.id})`).join(', ') || 'none'}`,
        `- System keys created: ${inv.system_keys_created.map((k) => `${k.name} (${k.id})`).join(', ') || 'none'}`,
        `- Service-account keys created: ${inv.service_account_keys_created.map((k) => `${k.name} (${k.id})`).join(', ') || 'none'}`,
        `- Resources owned: ${inv.resources.map((r) => `${r.type} "${r.name}" (${r.id})`).join(', ') || 'none'}`,
        `- Pending invitations sent: ${inv.invitations_pending.map((i) => i.email).join(', ') || 'none'}`,
        `- Activity entries: ${inv.activity_count}, last ${inv.last_activity_at ?? 'never'}`,
      ],
      after: [
        `- Status: removed; every personal key revoked`,
        `- Resources: ${inv.resources.length} intact, owned by ${plan.transfer_to?.email ?? plan.user.email}`,
        `- Activity log: preserved`,
        ...plan.warnings.map((w) => `- Warning: ${w}`),
      ],
      results,
      json: { plan, results: results.map((r) => ({ ...r, outcome: r.outcome ?? 'automated' })) },
    },
    dir,
  );
}

/**
 * Where a new secret goes: a 0600 file in --secrets-dir, or shown once on stdout. The key is already
 * rotated when this runs, so a file that cannot be written still delivers the secret (stdout) and
 * is listed in `unwritten` for the exit code.
 */
function secretSink(
  ctx: Context,
  secretsDir: string | undefined,
  secrets: Array<{ key_id: string; name: string; secret?: string; file?: string }>,
  unwritten: string[] = [],
) {
  return async (title: string, key: { id: string; name: string; value: string }): Promise<string> => {
    if (!secretsDir) maskForRunner(ctx.io, ctx.env, key.value);
    if (secretsDir) {
      const file = fileInDir(resolve(ctx.io.cwd, secretsDir), `${key.name}-${key.id}`, '.key');
      try {
        await writeFile(file, `${key.value}\n`, { mode: 0o600 });
        secrets.push({ key_id: key.id, name: key.name, file });
        return `written to ${file}`;
      } catch (e) {
        unwritten.push(`${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
        maskForRunner(ctx.io, ctx.env, key.value);
      }
    }
    secrets.push({ key_id: key.id, name: key.name, secret: key.value });
    if (!ctx.globals.json) {
      ctx.out.warn(`new secret of "${key.name}" (${title}), shown once; store it now:`);
      ctx.io.stdout.write(`${key.value}\n`);
    }
    return 'shown once';
  };
}

/**
 * Offboarding on a server without the user-management API: the documented steps, with the web
 * console doing what the API cannot and the public API verifying what it can read.
 */
async function runGuidedOffboard(
  ctx: Context,
  ref: string,
  o: OffboardOpts,
  missing: FeatureId[],
  manual: ManualStepsFormat | undefined,
): Promise<void> {
  const [g, keysApi, { getMe }] = await Promise.all([
    import('../services/guided.js'),
    import('../api/keys.js'),
    import('../api/me.js'),
  ]);
  const caps = await ctx.capabilities();
  const r = await resolverFor(ctx);
  const t = await ctx.target();
  const user = await r.user(ref);
  if ((user.kind ?? 'human') === 'service')
    throw new UsageError(`${user.email} is a service account; offboarding is for people`);
  if (user.status === 'removed')
    throw new ConflictError(`${user.email} was already removed from the organization`);
  // An inactive user may be a run stopped after the console removal: the steps continue, and the
  // removal is verified at once.
  if (user.is_active === false) ctx.out.info(`${user.email} is already inactive`);
  const me = await getMe(r.client);
  if (me.holder?.id === user.id)
    throw new ConflictError(`you cannot offboard yourself (the key in use is held by ${user.email})`, {
      hint: 'ask another org admin to run it, with their own key',
    });
  if (
    user.tenant_admin &&
    !(await r.users()).some((u) => u.id !== user.id && u.tenant_admin && u.is_active)
  ) {
    throw new ConflictError(`${user.email} is the last active org admin`, {
      hint: 'make another user org admin first',
    });
  }
  const can = {
    listSystemKeys: caps.has('system-keys.list'),
    createSystemKeys: caps.has('system-keys.create'),
    revokeSystemKeys: caps.has('system-keys.delete'),
  };
  const allSystemKeys = can.listSystemKeys ? await keysApi.listSystemKeys(r.client) : [];
  const created = g.systemKeysCreatedBy(allSystemKeys, user.id);
  let replace = !!o.replaceSystemKeys;
  if (!replace && !manual && created.length && can.createSystemKeys && ctx.canPrompt() && !o.dryRun) {
    replace = await (await ctx.prompter()).confirm({
      message: `${user.email} created ${created.length} system key(s) (${created.map((k) => k.name).join(', ')}). Create a replacement for each before revoking it?`,
      default: false,
    });
  }
  const steps = g.planOffboard(
    {
      user: {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        tenant_admin: user.tenant_admin,
      },
      systemKeys: created.map((k) => ({ id: k.id, name: k.name })),
      unattributedSystemKeys: g
        .unattributedSystemKeys(allSystemKeys)
        .map((k) => ({ id: k.id, name: k.name })),
      replace,
      can,
    },
    missing,
  );
  if (manual) return printManualSteps(ctx, steps, manual);
  if (o.dryRun || !ctx.canPrompt())
    throw consoleStepsNeeded(steps, `noxus offboard ${user.email}${replace ? ' --replace-system-keys' : ''}`);

  const groups = caps.has('workspaces.list') ? await r.groups() : [];
  ctx.out.info(
    `Offboarding ${user.email} (${user.display_name})${user.tenant_admin ? ', an org admin' : ''}, guided: ${missing.map((id) => notAvailableMessage(id)).join('; ')}`,
  );
  ctx.out.info(
    `  system keys they created: ${created.map((k) => `${k.name} (${k.id})`).join(', ') || 'none'}`,
  );
  ctx.out.info(
    `  workspaces on the server: ${groups.map((x) => x.name).join(', ') || 'none'} (memberships are not readable here)`,
  );
  ctx.out.info('Steps:');
  for (const [i, s] of steps.steps.entries())
    ctx.out.info(`  ${i + 1}. ${s.title} [${s.mode === 'console' ? 'web console' : 'by API'}]`);
  await confirmDestructive(
    ctx,
    `offboard ${user.email} (remove in the console, revoke ${created.length} system key(s))`,
    `noxus offboard ${user.email}`,
  );
  const secretsDir = o.secretsDir ? resolve(ctx.io.cwd, o.secretsDir) : undefined;
  if (secretsDir) mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const secrets: Array<{ key_id: string; name: string; secret?: string; file?: string }> = [];
  const sink = secretSink(ctx, secretsDir, secrets);
  const byId = new Map(allSystemKeys.map((k) => [k.id, k]));
  const api = async (step: GuidedStep): Promise<{ detail: string; data?: Record<string, unknown> }> => {
    const [kind, id] = step.id.split(':') as [string, string | undefined];
    if (kind === 'review') {
      return {
        detail: `${user.email}: ${user.tenant_admin ? 'org admin' : 'not an org admin'}, active; ${created.length} system key(s) they created; ${groups.length} workspace(s) on the server`,
        data: {
          user: {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            tenant_admin: user.tenant_admin,
          },
          system_keys_created: created.map((k) => ({
            id: k.id,
            name: k.name,
            permissions: k.permissions ?? null,
          })),
          workspaces: groups.map((x) => x.name),
          not_readable: missing.map((m) => notAvailableMessage(m)),
        },
      };
    }
    const key = byId.get(id ?? '');
    if (kind === 'replace-system' && key) {
      // A fixed idempotency key: a rerun after an interruption gets the same replacement, not a second one.
      const fresh = await g.replaceSystemKey(r.client, key, `noxus-guided-replace-${key.id}`);
      if (!fresh.value)
        return {
          detail: `replacement ${fresh.id} was made by an earlier run (its secret was delivered then)`,
          data: { old_key: key.id, new_key: fresh.id },
        };
      const where = await sink(step.title, fresh);
      return {
        detail: `new key ${fresh.id}; new secret ${where}`,
        data: { old_key: key.id, new_key: fresh.id, secret: where },
      };
    }
    if (kind === 'revoke-system' && id) {
      const what = await g.revokeSystemKeyById(r.client, id);
      return { detail: `${what} (DELETE /v1/admin/system-keys/${id})`, data: { key: id } };
    }
    throw new UsageError(`unknown guided step ${step.id}`);
  };
  const results: GuidedResult[] = await walkSteps(ctx, r.client, steps, { api });
  const report = writeReportFiles(
    ctx,
    {
      email: user.email,
      server: t.url,
      created_at: new Date().toISOString(),
      transfer_to: null,
      before: [
        `- Org admin: ${user.tenant_admin ? 'yes' : 'no'}`,
        `- System keys created: ${created.map((k) => `${k.name} (${k.id})`).join(', ') || 'none'}`,
        `- Not readable on this server: ${missing.map((m) => notAvailableMessage(m)).join('; ') || 'nothing'}`,
      ],
      after: [
        `- Removed from the organization in the web console`,
        `- System keys revoked: ${created.length}${replace ? ' (replacements created first)' : ''}`,
        `- Workspace keys: rotated in the console (confirmed by the operator)`,
        '- Resources and the activity log stay in the workspaces',
      ],
      results,
      json: {
        mode: 'guided',
        server: t.url,
        user: { id: user.id, email: user.email },
        manual_steps: steps,
        results,
      },
    },
    o.reportDir,
  );
  if (ctx.globals.json) {
    ctx.out.document({
      command: 'offboard',
      mode: 'guided',
      user: { id: user.id, email: user.email },
      steps: results,
      secrets,
      report,
    });
    return;
  }
  ctx.out.success(`offboarded ${user.email}; report: ${report.markdown}`);
}
