// --resume: the interrupted run of a user, from its journal; and the refusal to start a second run
// over one that has not finished.
import type { Context } from '../../cli/context.js';
import { ConflictError, NotFoundError, UsageError } from '../../errors.js';
import type { Journal } from '../../services/journal.js';
import {
  offboardJournal,
  type Plan,
  runState,
  type StepResult,
  userOrRemoved,
} from '../../services/offboard/index.js';
import type { Resolver } from '../../services/resolve.js';

/** The plan and journal to continue, or undefined when the run already finished (said on stderr). */
export async function openResume(
  ctx: Context,
  r: Resolver,
  ref: string,
  journals: string,
): Promise<{ plan: Plan; journal: Journal<StepResult> } | undefined> {
  const user = await userOrRemoved(r, ref).catch((e) => {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  });
  const journal = offboardJournal(journals, user?.id ?? ref);
  const run = runState(journal);
  if (!run.plan)
    throw new UsageError(`no interrupted offboarding of ${ref} to resume`, {
      hint: `start one with: noxus offboard ${ref} --transfer-to <user>`,
    });
  if (run.complete) {
    ctx.out.info(`the offboarding of ${run.plan.user.email} already finished; nothing to resume`);
    return undefined;
  }
  return { plan: run.plan, journal };
}

/** A run that has not finished is finished with --resume, never started over. */
export function refuseUnfinished(journal: Journal<StepResult>, email: string): void {
  const run = runState(journal);
  if (!run.plan || run.complete) return;
  if (run.removalDueAt)
    throw new ConflictError(
      `an offboarding of ${email} is under way: their removal is due after ${run.removalDueAt}`,
      {
        hint: `run then: noxus offboard ${email} --resume`,
      },
    );
  throw new ConflictError(`an offboarding of ${email} was interrupted`, {
    hint: `finish it with: noxus offboard ${email} --resume`,
  });
}
