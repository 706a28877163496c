import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { type FeatureId, notAvailableMessage } from '../../domain/features.js';
import { planOffboard } from '../../services/guided.js';
import { guidedApiSteps, reviewGuided } from '../../services/offboard/index.js';
import {
  consoleStepsNeeded,
  type GuidedResult,
  type ManualStepsFormat,
  printManualSteps,
  walkSteps,
} from '../guided-steps.js';
import { resolverFor } from '../shared.js';
import { writeReportFiles } from './report.js';
import type { OffboardOpts } from './run.js';
import { type DeliveredSecret, secretSink } from './secrets.js';

/**
 * Offboarding on a server without the user-management API: the documented steps, with the web
 * console doing what the API cannot and the public API verifying what it can read.
 */
export async function runGuidedOffboard(
  ctx: Context,
  ref: string,
  o: OffboardOpts,
  missing: FeatureId[],
  manual: ManualStepsFormat | undefined,
): Promise<void> {
  const caps = await ctx.capabilities();
  const r = await resolverFor(ctx);
  const t = await ctx.target();
  const can = {
    listSystemKeys: caps.has('system-keys.list'),
    createSystemKeys: caps.has('system-keys.create'),
    revokeSystemKeys: caps.has('system-keys.delete'),
  };
  const review = await reviewGuided(r, ref, {
    listSystemKeys: can.listSystemKeys,
    listRoles: caps.has('roles.list'),
  });
  const { user, created, unattributed } = review;
  // An inactive user may be a run stopped after the console removal: the steps continue, and the
  // removal is verified at once.
  if (user.is_active === false) ctx.out.info(`${user.email} is already inactive`);
  let replace = !!o.replaceSystemKeys;
  if (!replace && !manual && created.length && can.createSystemKeys && ctx.canPrompt() && !o.dryRun) {
    replace = await (await ctx.prompter()).confirm({
      message: `${user.email} created ${created.length} system key(s) (${created.map((k) => k.name).join(', ')}). Create a replacement for each before revoking it?`,
      default: false,
    });
  }
  const steps = planOffboard(
    {
      user: {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        tenant_admin: user.tenant_admin,
      },
      systemKeys: created.map((k) => ({ id: k.id, name: k.name })),
      unattributedSystemKeys: unattributed.map((k) => ({ id: k.id, name: k.name })),
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
  const secrets: DeliveredSecret[] = [];
  const sink = secretSink(ctx, secretsDir, secrets);
  const api = guidedApiSteps(
    r.client,
    review,
    { workspaces: groups.map((x) => x.name), notReadable: missing.map((m) => notAvailableMessage(m)) },
    sink,
  );
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
