import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive, confirmWrite } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { NoxusError, PartialError } from '../../errors.js';
import { requireFeatures, resolverFor } from '../shared.js';

interface ApplyOpts {
  file: string;
  prune?: boolean;
  dryRun?: boolean;
  results?: string;
}

export function registerApply(parent: Command, ctx: Context): void {
  parent
    .command('apply')
    .description('make workspace memberships match a file (columns workspace,user,role); per-row results')
    .requiredOption('-f, --file <file>', 'CSV with columns workspace,user,role')
    .option('--prune', 'also remove members of those workspaces who are not in the file (never org admins)')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--results <file>', 'write per-row results as .csv or .json')
    .addHelpText(
      'after',
      `${examples(['noxus ws apply -f marketing.csv --dry-run', 'noxus ws apply -f marketing.csv --prune --yes --results out.csv'])}
Applying is idempotent: a second run with the same file changes nothing, and re-running after an
interruption finishes the job (the plan is recomputed from the server every time).
`,
    )
    .action((o: ApplyOpts) => runApply(ctx, o));
}

export async function runApply(ctx: Context, o: ApplyOpts): Promise<void> {
  await requireFeatures(ctx, 'ws apply');
  const [{ planWsApply, applyWsSteps }, bulk] = await Promise.all([
    import('../../services/ws-apply.js'),
    import('../../services/bulk.js'),
  ]);
  const r = await resolverFor(ctx);
  const steps = await planWsApply(resolve(ctx.io.cwd, o.file), r, !!o.prune);
  const changes = steps.filter((s) => s.action !== 'none');
  const n = (a: string) => steps.filter((s) => s.action === a).length;
  const summary = `${n('add')} to add, ${n('change')} role change(s), ${n('remove')} to remove, ${n('none')} unchanged`;
  const describe = (s: (typeof steps)[number]) =>
    s.action === 'add'
      ? `add ${s.user} to ${s.workspace} as ${s.role}`
      : s.action === 'change'
        ? `change ${s.user} in ${s.workspace}: ${s.before} → ${s.role}`
        : s.action === 'remove'
          ? `remove ${s.user} (${s.role}) from ${s.workspace}`
          : `${s.user} in ${s.workspace}: ${s.role} (unchanged${s.message ? `, ${s.message}` : ''})`;
  const cols = ['row', 'workspace', 'user', 'action', 'role', 'before', 'outcome', 'message'];
  if (o.dryRun || changes.length === 0) {
    const rows = steps.map((s) => ({ ...s, outcome: s.action === 'none' ? 'unchanged' : 'planned' }));
    if (o.results) bulk.writeResults(resolve(ctx.io.cwd, o.results), rows, cols);
    if (ctx.globals.json) ctx.out.envelope('ws apply', rows.map(strip), { dry_run: !!o.dryRun, summary });
    else {
      ctx.out.info(`${o.dryRun ? 'Dry run: ' : ''}${summary}`);
      for (const s of changes) ctx.out.info(`  ${describe(s)}`);
      if (changes.length === 0) ctx.out.success('nothing to change: the workspaces already match the file');
      else ctx.out.info('Nothing was changed.');
    }
    return;
  }
  if (!ctx.globals.json) {
    ctx.out.info(summary);
    for (const s of changes) ctx.out.info(`  ${describe(s)}`);
  }
  if (n('remove') > 0)
    await confirmDestructive(
      ctx,
      `remove ${n('remove')} member(s)`,
      `noxus ws apply -f ${o.file}${o.prune ? ' --prune' : ''}`,
    );
  else await confirmWrite(ctx, 'Apply these changes?');
  const done = await applyWsSteps(r.client, steps);
  if (o.results) bulk.writeResults(resolve(ctx.io.cwd, o.results), done, cols);
  const failed = done.filter((s) => s.outcome === 'failed');
  if (ctx.globals.json) ctx.out.envelope('ws apply', done.map(strip), { summary });
  else {
    for (const f of failed) ctx.out.warn(`${describe(f)}: ${f.message}`);
    ctx.out.success(
      `${done.filter((s) => s.outcome === 'added').length} added, ${done.filter((s) => s.outcome === 'changed').length} changed, ${done.filter((s) => s.outcome === 'removed').length} removed, ${failed.length} failed`,
    );
  }
  if (failed.length && failed.length === changes.length)
    throw new NoxusError(`all ${failed.length} changes failed`);
  if (failed.length)
    throw new PartialError(
      `${failed.length} of ${changes.length} changes failed; run the same command again after fixing them`,
    );
}

function strip<T extends { groupId: string; userId: string; roleId: string }>(s: T) {
  const { groupId: _g, userId: _u, roleId: _r, ...rest } = s;
  return rest;
}
