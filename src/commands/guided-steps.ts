// The console steps of a guided run, as the operator sees them: a checklist (Markdown or JSON) for
// `--manual-steps`, the exit-8 error without a terminal, and the walk-through in a terminal (show a
// step, wait for "done", verify it through the public API when it can be read back).

import type { ApiClient } from '../api/client.js';
import type { Context } from '../cli/context.js';
import { CancelledError, NotAvailableError, NoxusError, UsageError } from '../errors.js';
import type { GuidedPlan, GuidedStep, Outcome } from '../services/guided.js';

export type ManualStepsFormat = 'md' | 'json';

export function parseManualSteps(v: string | undefined): ManualStepsFormat | undefined {
  if (v === undefined) return undefined;
  if (v !== 'md' && v !== 'json') throw new UsageError(`--manual-steps must be md or json, got "${v}"`);
  return v;
}

function stepLines(s: GuidedStep, i: number): string[] {
  const verify = s.check
    ? `verified through the public API (${s.check.kind === 'system-key-absent' ? 'GET /v1/admin/system-keys' : 'GET /v1/admin/users'})`
    : s.mode === 'api'
      ? 'done by noxus through the public API'
      : 'confirmed by the operator';
  const lines = [`${i + 1}. ${s.title}${s.mode === 'console' && s.where ? ` [console: ${s.where}]` : ''}`];
  for (const a of s.actions) lines.push(`   - ${a}`);
  for (const v of s.values) lines.push(`     ${v.field}: ${v.value}`);
  lines.push(`   (${verify})`);
  return lines;
}

/** Plain text for stderr. */
function stepsText(plan: GuidedPlan): string {
  return plan.steps.flatMap(stepLines).join('\n');
}

function stepsMarkdown(plan: GuidedPlan): string {
  const md = (s: string) => s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
  const out = [
    `# Console steps: noxus ${plan.command}`,
    '',
    ...plan.missing.map((m) => `- ${md(m.reason)} (${m.feature})`),
    ...(plan.missing.length ? [''] : []),
  ];
  for (const [i, s] of plan.steps.entries()) {
    out.push(
      `- [ ] **${i + 1}. ${md(s.title)}**${s.mode === 'console' && s.where ? ` (console: ${md(s.where)})` : ' (noxus, by API)'}`,
    );
    for (const a of s.actions) out.push(`  - ${md(a)}`);
    if (s.values.length) {
      out.push('', '  | Field | Value |', '  |---|---|');
      for (const v of s.values) out.push(`  | ${md(v.field)} | ${md(v.value)} |`);
      out.push('');
    }
    out.push(
      `  - Check: ${s.check ? 'verified through the public API' : s.mode === 'api' ? 'automated' : 'confirmed by the operator'}`,
    );
  }
  return `${out.join('\n')}\n`;
}

/** `--manual-steps md|json`: the checklist on stdout, nothing written to the server. */
export function printManualSteps(ctx: Context, plan: GuidedPlan, format: ManualStepsFormat): void {
  if (format === 'json') ctx.out.document({ ...plan });
  else ctx.out.print(stepsMarkdown(plan));
}

/** Without a terminal the console steps cannot be walked: exit 8 with the steps. */
export function consoleStepsNeeded(plan: GuidedPlan, rerun: string): NotAvailableError {
  const reasons = plan.missing.map((m) => m.reason).join('; ');
  return new NotAvailableError(
    `${reasons}; this is done in the Noxus web console (${plan.steps.filter((s) => s.mode === 'console').length} manual step(s), walked through in a terminal)`,
    {
      hint: `manual steps:\n${stepsText(plan)}\nprint them as a checklist: ${rerun} --manual-steps md`,
      data: { manual_steps: plan },
    },
  );
}

export interface GuidedResult {
  id: string;
  title: string;
  mode: 'console' | 'api';
  outcome: Outcome;
  detail: string;
  data?: Record<string, unknown>;
}

export interface WalkHooks {
  /** Runs an api step; returns its detail line (and data for the report). */
  api(step: GuidedStep): Promise<{ detail: string; data?: Record<string, unknown> }>;
}

/**
 * Walks the plan in a terminal: an api step runs, a console step is shown and waits for the
 * operator's "done"; each step with a check is then read back through the public API (asked to
 * check again until it holds or the operator stops).
 */
export async function walkSteps(
  ctx: Context,
  client: ApiClient,
  plan: GuidedPlan,
  hooks: WalkHooks,
): Promise<GuidedResult[]> {
  const { verify } = await import('../services/guided.js');
  const p = await ctx.prompter();
  const results: GuidedResult[] = [];
  const n = plan.steps.length;
  for (const [i, step] of plan.steps.entries()) {
    let detail: string;
    let data: Record<string, unknown> | undefined;
    if (step.mode === 'api') {
      // One line per step: the result line below says what the API did.
      ({ detail, data } = await hooks.api(step));
    } else {
      ctx.out.info('');
      ctx.out.info(`[${i + 1}/${n}] In the Noxus web console: ${step.title}`);
      for (const line of stepLines(step, i).slice(1, -1)) ctx.out.info(line);
      const done = await p.confirm({ message: `Step ${i + 1} done in the console?`, default: true });
      if (!done)
        throw new CancelledError(`stopped at step ${i + 1} (${step.title})`, {
          hint: `the remaining steps:\n${plan.steps
            .slice(i)
            .map((s, j) => `${i + j + 1}. ${s.title}`)
            .join('\n')}`,
        });
      detail = 'done in the console';
    }
    let outcome: Outcome = step.mode === 'api' ? 'automated' : 'confirmed';
    if (step.check) {
      for (;;) {
        const v = await verify(client, step.check);
        if (v.ok) {
          detail = `${detail}; ${v.detail}`;
          outcome = 'verified';
          break;
        }
        ctx.out.warn(`not verified: ${v.detail}`);
        const again = await p.confirm({ message: 'Check again?', default: true });
        if (!again)
          throw new NoxusError(`step ${i + 1} (${step.title}) could not be verified: ${v.detail}`, {
            hint: 'finish the step in the console, then run the command again; steps already done are verified, not repeated',
          });
      }
    }
    const label = {
      automated: 'automated',
      confirmed: 'confirmed by the operator',
      verified: 'verified by the API',
    }[outcome];
    ctx.out.success(`step ${i + 1}: ${detail} (${label})`);
    results.push({
      id: step.id,
      title: step.title,
      mode: step.mode,
      outcome,
      detail,
      ...(data ? { data } : {}),
    });
  }
  return results;
}
