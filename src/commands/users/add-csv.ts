import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Context } from '../../cli/context.js';
import type { FeatureId } from '../../domain/features.js';
import { NotAvailableError, NoxusError, PartialError, UsageError } from '../../errors.js';
import type { RowJournal } from '../../services/bulk-users.js';
import { resolverFor } from '../shared.js';

export interface CsvOpts {
  fromCsv: string;
  results?: string;
  resume?: boolean;
  concurrency?: string;
  dryRun?: boolean;
}

const RESULT_COLUMNS = ['row', 'email', 'action', 'outcome', 'message'];

export async function runAddCsv(ctx: Context, o: CsvOpts): Promise<void> {
  const concurrency = o.concurrency === undefined ? 4 : Number(o.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 32, got "${o.concurrency}"`);
  }
  const file = resolve(ctx.io.cwd, o.fromCsv);
  const [{ planUsersCsv, applyUsers }, bulk, { configDir }] = await Promise.all([
    import('../../services/bulk-users.js'),
    import('../../services/bulk.js'),
    import('../../config/paths.js'),
  ]);
  const r = await resolverFor(ctx);
  const plans = await planUsersCsv(file, r);
  const counts = (k: string) => plans.filter((p) => p.action === k).length;
  const summary = `${plans.length} rows: ${counts('invite')} to invite, ${counts('update')} to update, ${counts('none')} unchanged`;
  // Before the first write (and in a dry run alike): a server that cannot invite or update stops
  // here, naming the feature, instead of failing row after row.
  const needed: FeatureId[] = [
    ...(counts('invite') ? (['users.invite'] as const) : []),
    ...(counts('update') ? (['users.update'] as const) : []),
  ];
  if (needed.length) {
    const caps = await ctx.capabilities();
    const lacking = caps.missing(needed);
    if (lacking.length) {
      const { notAvailable } = await import('../../services/capabilities.js');
      const e = notAvailable(lacking[0] as FeatureId, caps);
      throw new NotAvailableError(`${e.message}; nothing was changed (${summary})`, {
        hint: `${e.hint ?? ''}\nin a terminal, noxus users add (without --from-csv) walks the web console steps for one user at a time`.trim(),
        data: e.data,
      });
    }
  }
  if (o.dryRun) {
    const rows = plans.map((p) => ({
      row: p.row,
      email: p.email,
      action: p.action,
      outcome: 'planned',
      message: p.action === 'update' ? p.changes.join('; ') : '',
    }));
    if (o.results) bulk.writeResults(resolve(ctx.io.cwd, o.results), rows, RESULT_COLUMNS);
    if (ctx.globals.json) ctx.out.envelope('users add', rows, { dry_run: true, file });
    else {
      ctx.out.info(`Dry run: ${summary}`);
      for (const p of plans.filter((x) => x.action !== 'none'))
        ctx.out.info(
          `  line ${p.row}: ${p.action} ${p.email}${p.changes.length ? ` (${p.changes.join('; ')})` : ''}`,
        );
      ctx.out.info('Nothing was changed.');
    }
    return;
  }
  const t = await ctx.target();
  const { Journal, journalId, journalPath } = await import('../../services/journal.js');
  const journal = Journal.open<RowJournal>(
    journalPath(join(configDir(ctx.env), 'journals'), journalId('users-add', t.url, readFileSync(file))),
  );
  if (o.resume && !journal.exists())
    throw new UsageError(`nothing to resume: no earlier run of ${o.fromCsv} against ${t.url}`);
  if (!o.resume) {
    if (journal.exists() && journal.interrupted().length > 0) {
      ctx.out.warn(
        `an earlier run of this file was interrupted; starting over (use --resume to finish it and keep its results)`,
      );
    }
    journal.reset();
  }
  if (!ctx.globals.json) ctx.out.info(summary);
  const tty = !!ctx.io.stderr.isTTY && !ctx.globals.json;
  let lastDraw = 0;
  const tally: Record<string, number> = {};
  const results = await applyUsers(r.client, plans, {
    concurrency,
    journal,
    resume: !!o.resume,
    onThrottle: (listener) => ctx.retryListeners.push((info) => info.status === 429 && listener()),
    onProgress: (done, total, res) => {
      tally[res.outcome] = (tally[res.outcome] ?? 0) + 1;
      if (!tty) return;
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const width = 30;
      const filled = Math.round((done / total) * width);
      ctx.io.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Object.entries(tally)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}\x1b[K`,
      );
      if (done === total) ctx.io.stderr.write('\n');
    },
  });
  if (o.results) bulk.writeResults(resolve(ctx.io.cwd, o.results), results, RESULT_COLUMNS);
  const failed = results.filter((x) => x.outcome === 'failed');
  const count = (k: string) => results.filter((x) => x.outcome === k).length;
  const pending = count('pending delivery');
  // "invited" counts emails that left; the rest are created and still in the server's outbox.
  const line = `${count('invited')} invited, ${pending ? `${pending} pending delivery, ` : ''}${count('updated')} updated, ${count('unchanged')} unchanged, ${failed.length} failed`;
  if (ctx.globals.json)
    ctx.out.envelope('users add', results, {
      file,
      summary: {
        invited: count('invited'),
        pending_delivery: pending,
        updated: count('updated'),
        unchanged: count('unchanged'),
        failed: failed.length,
      },
    });
  else {
    for (const f of failed) ctx.out.warn(`line ${f.row} (${f.email}): ${f.message}`);
    for (const p of results.filter((x) => x.outcome === 'pending delivery'))
      ctx.out.warn(`line ${p.row} (${p.email}): ${p.message}`);
    if (pending)
      ctx.out.info(
        `${pending} invitation email(s) not delivered yet: the server keeps retrying; check with: noxus users list --status invited`,
      );
    ctx.out.success(line);
    if (o.results) ctx.out.info(`per-row results: ${o.results}`);
  }
  if (failed.length === results.length && results.length > 0)
    throw new NoxusError(`every row failed (${line})`);
  if (failed.length)
    throw new PartialError(`partial success: ${line}`, {
      hint: `fix the failed rows and run the same command again; rows already done stay unchanged`,
    });
}
