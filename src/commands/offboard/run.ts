// Picks the mode of `noxus offboard`: flags that exclude each other are refused, then a server
// without the user-management API gets the guided walk; otherwise a plan comes from the server
// (plan.ts), a file (apply.ts) or the journal (resume.ts), and is shown, written or run (execute.ts).
import { join, resolve } from 'node:path';
import type { Context } from '../../cli/context.js';
import { configDir } from '../../config/paths.js';
import { type FeatureId, notAvailableMessage } from '../../domain/features.js';
import { NotAvailableError, UsageError } from '../../errors.js';
import { parseOverlap } from '../../services/keys.js';
import { offboardJournal, userOrRemoved } from '../../services/offboard/index.js';
import { parseManualSteps } from '../guided-steps.js';
import { checkSecretsDir, checkWritableDir } from '../keys/secret.js';
import { resolverFor } from '../shared.js';
import { planFromFile } from './apply.js';
import { executePlan } from './execute.js';
import { runGuidedOffboard } from './guided.js';
import { newPlan, showPlan } from './plan.js';
import { openResume, refuseUnfinished } from './resume.js';

/** Without these the full offboarding cannot run; the guided one walks the web console instead. */
const GUIDED_WHEN_MISSING: FeatureId[] = ['users.access', 'users.suspend', 'users.remove'];

export interface OffboardOpts {
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

export async function runOffboard(ctx: Context, ref: string, o: OffboardOpts): Promise<void> {
  const modes = [o.planOut, o.apply, o.resume, o.dryRun].filter(Boolean).length;
  if (modes > 1) throw new UsageError('choose one of --plan-out, --apply, --resume, --dry-run');
  if (o.force && !o.apply) throw new UsageError('--force goes with --apply');
  if (o.resume && o.transferTo)
    throw new UsageError('--resume continues the recorded plan; --transfer-to cannot change it');
  if (o.resume && o.overlap)
    throw new UsageError('--resume continues the recorded plan; --overlap cannot change it');
  const overlap = parseOverlap(o.overlap);
  // Where secrets and the report go is checked before the first write to the server.
  if (o.secretsDir) await checkSecretsDir(resolve(ctx.io.cwd, o.secretsDir), '--secrets-dir');
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
  const r = await resolverFor(ctx);
  const journals = join(configDir(ctx.env), 'journals');
  if (o.resume) {
    const run = await openResume(ctx, r, ref, journals);
    if (!run) return;
    if (!ctx.globals.yes && !ctx.canPrompt())
      throw new UsageError('refusing to resume destructive steps without confirmation (not a terminal)', {
        hint: `run: noxus offboard ${ref} --resume --yes`,
      });
    return executePlan(ctx, r, run.plan, run.journal, o, { resume: true });
  }
  const user = await userOrRemoved(r, ref);
  const journal = offboardJournal(journals, user.id);
  if (!o.planOut && !o.dryRun) refuseUnfinished(journal, user.email);
  const server = (await ctx.target()).url;
  const { plan, reviewShown } = o.apply
    ? {
        plan: await planFromFile(ctx, r, server, user, o.apply, {
          force: !!o.force,
          overlap,
          flag: o.overlap,
        }),
        reviewShown: false,
      }
    : await newPlan(ctx, r, server, user, { transferTo: o.transferTo, overlap });
  if (o.planOut || o.dryRun) return showPlan(ctx, plan, o.planOut, reviewShown);
  await executePlan(ctx, r, plan, journal, o, { resume: false, reviewShown });
}
