import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { type Command, Option } from 'commander';
import type { Context } from '../../cli/context.js';
import { NoxusError, UsageError } from '../../cli/errors.js';
import { examples } from '../../cli/options.js';
import type { Finding, ReviewDiff, ReviewDoc } from '../../services/review.js';

export function registerReview(program: Command, ctx: Context): void {
  const cmd = program
    .command('review')
    .description('quarterly access reviews: deterministic snapshots, diffs between them, policy checks');
  cmd
    .command('export')
    .description('snapshot who has what: users, grants, keys, system keys, service accounts, invitations')
    .addOption(
      new Option('--format <format>', 'output format').choices(['json', 'csv', 'md']).default('json'),
    )
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--concurrency <n>', 'parallel requests while fetching (default 8)')
    .addHelpText(
      'after',
      `${examples(['noxus review export -o 2026-Q4.json', 'noxus review export --format md -o 2026-Q4.md', 'noxus review export --format csv -o 2026-Q4.csv'])}
The JSON holds a sha256 of its content. Generation time is outside the hashed content, and times
of last use/activity are kept to the day, so two exports of an unchanged organization on the
same day have the same hash. On a server without some endpoints (the public Noxus API) the export
holds what it can read and a "coverage" section naming what it could not, and why; the hash
covers it.
`,
    )
    .action((o: { format: 'json' | 'csv' | 'md'; output?: string; concurrency?: string }) =>
      runExport(ctx, o),
    );
  cmd
    .command('diff')
    .description('what changed between two JSON exports (escalations marked)')
    .argument('<old>', 'earlier export (JSON)')
    .argument('<new>', 'later export (JSON)')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'json']).default('md'))
    .addHelpText(
      'after',
      examples([
        'noxus review diff 2026-Q3.json 2026-Q4.json',
        'noxus review diff 2026-Q3.json 2026-Q4.json --format json',
      ]),
    )
    .action((a: string, b: string, o: { format: 'md' | 'json' }) => runDiff(ctx, a, b, o));
  cmd
    .command('check')
    .description(
      "least-privilege findings with the command that fixes each; exit 1 when any reaches the policy's fail_on",
    )
    .option('--policy <file>', 'policy file (YAML or JSON); defaults are documented in the README')
    .option('--from <export>', 'check a JSON export instead of the live organization')
    .addHelpText(
      'after',
      examples(['noxus review check', 'noxus review check --policy review-policy.yaml --json']),
    )
    .action((o: { policy?: string; from?: string }) => runCheck(ctx, o));
}

async function snapshot(ctx: Context, concurrency?: string): Promise<ReviewDoc> {
  const n = concurrency === undefined ? 8 : Number(concurrency);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new UsageError(`--concurrency must be 1-64, got "${concurrency}"`);
  const [svc, client, t, caps] = await Promise.all([
    import('../../services/review.js'),
    ctx.client(),
    ctx.target(),
    ctx.capabilities(),
  ]);
  const tty = !!ctx.io.stderr.isTTY && !ctx.globals.json;
  const content = await svc.collectReview(client, {
    concurrency: n,
    has: (id) => caps.has(id),
    onProgress: (what) => {
      if (tty) ctx.io.stderr.write(`\r${what}\x1b[K`);
    },
  });
  if (tty) ctx.io.stderr.write('\r\x1b[K');
  for (const m of content.coverage?.missing ?? [])
    ctx.out.warn(`partial export: no ${m.section.replace('_', ' ')} (${m.reason})`);
  return svc.makeDoc(content, t.url, ctx.version, ctx.io.now());
}

export async function runExport(
  ctx: Context,
  o: { format: 'json' | 'csv' | 'md'; output?: string; concurrency?: string },
): Promise<void> {
  const svc = await import('../../services/review.js');
  const doc = await snapshot(ctx, o.concurrency);
  let out: Writable = ctx.io.stdout;
  if (o.output) {
    // Opened before writing: an unwritable path is a clean error, not an unhandled stream 'error'.
    const file = createWriteStream(resolve(ctx.io.cwd, o.output), { mode: 0o600 });
    try {
      await once(file, 'open');
    } catch (e) {
      throw new UsageError(
        `cannot write ${o.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    file.on('error', () => {}); // reported below, through `errored` and `once`
    out = file;
  }
  const write = async (s: string) => {
    if (out.errored) throw new NoxusError(`cannot write ${o.output}: ${out.errored.message}`);
    // `once` rejects on 'error': a write that fails while waiting ends the command, never hangs it.
    if (!out.write(s)) await once(out, 'drain');
  };
  if (o.format === 'json') for (const chunk of svc.jsonChunks(doc)) await write(chunk);
  else if (o.format === 'csv')
    for (const chunk of (await import('../../services/review-render.js')).csvChunks(doc)) await write(chunk);
  else
    for (const chunk of (await import('../../services/review-render.js')).markdownChunks(doc))
      await write(chunk);
  if (o.output) {
    await new Promise<void>((r, j) =>
      (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? j(e) : r())),
    );
    ctx.out.success(
      `${o.format} export written to ${o.output}: ${doc.content.users.length} users, ${doc.content.grants.length} grants, ${doc.content.keys.length} keys; sha256 ${doc.sha256}`,
    );
  }
}

export async function runDiff(
  ctx: Context,
  a: string,
  b: string,
  o: { format: 'md' | 'json' },
): Promise<void> {
  const svc = await import('../../services/review.js');
  const read = (f: string) => {
    try {
      return readFileSync(resolve(ctx.io.cwd, f), 'utf8');
    } catch {
      throw new UsageError(`cannot read ${f}`);
    }
  };
  const d = svc.diffReviews(svc.parseReview(read(a), a), svc.parseReview(read(b), b));
  if (o.format === 'json' || ctx.globals.json) {
    ctx.out.document({ kind: 'noxus-access-review-diff', ...d });
    return;
  }
  ctx.out.print(renderDiff(d));
}

function renderDiff(d: ReviewDiff): string {
  const lines = [
    `# Access review diff`,
    '',
    `From ${d.old.generated_at} (${d.old.sha256.slice(0, 12)}) to ${d.new.generated_at} (${d.new.sha256.slice(0, 12)}): ${d.changes} change(s)`,
    '',
  ];
  const section = (title: string, rows: string[]) => {
    if (rows.length === 0) return;
    lines.push(`## ${title}`, '', ...rows.map((r) => `- ${r}`), '');
  };
  section(
    'Admins gained',
    d.admins_gained.map((e) => `**${e}** ⚠ escalation`),
  );
  section('Admins lost', d.admins_lost);
  section('Users added', d.users_added);
  section('Users removed', d.users_removed);
  section('Users suspended', d.users_suspended);
  section('Users reactivated', d.users_reactivated);
  section('Users newly inactive', d.users_newly_inactive);
  section(
    'Grants added',
    d.grants_added.map((g) => `${g.email} in ${g.workspace}: ${g.role}`),
  );
  section(
    'Grants changed',
    d.grants_changed.map(
      (g) => `${g.email} in ${g.workspace}: ${g.before} → ${g.after}${g.escalation ? ' ⚠ escalation' : ''}`,
    ),
  );
  section(
    'Grants removed',
    d.grants_removed.map((g) => `${g.email} in ${g.workspace}: ${g.role}`),
  );
  section(
    'Keys added',
    d.keys_added.map(
      (k) => `${k.name} (${k.id}) of ${k.holder} in ${k.workspace}${k.restricted ? '' : ' (unrestricted)'}`,
    ),
  );
  section(
    'Keys revoked or expired',
    d.keys_revoked.map((k) => `${k.name} (${k.id}) of ${k.holder} in ${k.workspace}`),
  );
  section(
    'Keys newly degraded',
    d.keys_newly_degraded.map((k) => `${k.name} (${k.id}): lost ${k.clipped.join(', ')}`),
  );
  if (d.coverage_differs) {
    const gaps = (xs: ReviewDiff['coverage']['old']) =>
      xs.map((m) => `${m.section} (${m.reason})`).join('; ') || 'complete';
    section('Coverage differs', [
      `old export: ${gaps(d.coverage.old)}`,
      `new export: ${gaps(d.coverage.new)}`,
      `not compared: ${d.coverage.not_compared.join(', ')}`,
    ]);
  } else if (d.coverage.not_compared.length) {
    section('Coverage', [
      `not compared (neither export could read them): ${d.coverage.not_compared.join(', ')}`,
    ]);
  }
  if (d.changes === 0) lines.push('No changes.', '');
  return lines.join('\n');
}

export async function runCheck(ctx: Context, o: { policy?: string; from?: string }): Promise<void> {
  const svc = await import('../../services/review.js');
  let policy = svc.DEFAULT_POLICY;
  if (o.policy) {
    const text = (() => {
      try {
        return readFileSync(resolve(ctx.io.cwd, o.policy as string), 'utf8');
      } catch {
        throw new UsageError(`cannot read policy file ${o.policy}`);
      }
    })();
    let raw: unknown;
    try {
      raw = o.policy.endsWith('.json') ? JSON.parse(text) : (await import('yaml')).parse(text);
    } catch (e) {
      throw new UsageError(`${o.policy}: ${(e as Error).message.split('\n')[0]}`);
    }
    policy = svc.parsePolicy(raw, o.policy);
  }
  const from = o.from;
  const doc = from
    ? svc.parseReview(
        (() => {
          try {
            return readFileSync(resolve(ctx.io.cwd, from), 'utf8');
          } catch {
            throw new UsageError(`cannot read ${from}`);
          }
        })(),
        from,
      )
    : await snapshot(ctx);
  let caller: string | undefined;
  if (!o.from) {
    const { getMe } = await import('../../api/me.js');
    caller = (await getMe(await ctx.client())).holder?.email;
  }
  const findings = svc.checkReview(doc.content, policy, ctx.io.now(), caller);
  const failing = svc.failing(findings, policy);
  const skipped = svc.skippedRules(doc.content);
  if (ctx.globals.json) {
    ctx.out.envelope('review check', findings, {
      policy,
      failing: failing.length,
      passed: failing.length === 0,
      sha256: doc.sha256,
      skipped,
      coverage: svc.coverageOf(doc.content),
    });
  } else if (findings.length === 0) {
    ctx.out.success('no findings');
  } else {
    ctx.out.list('review check', findings, [
      { header: 'Severity', value: (f: Finding) => f.severity },
      { header: 'Rule', value: (f: Finding) => f.rule },
      { header: 'Subject', value: (f: Finding) => f.subject },
      { header: 'Finding', value: (f: Finding) => f.message },
      { header: 'Fix', value: (f: Finding) => f.fix },
    ]);
  }
  if (!ctx.globals.json) for (const x of skipped) ctx.out.warn(`rule ${x.rule} skipped: ${x.reason}`);
  if (failing.length) {
    throw new NoxusError(
      `${failing.length} finding(s) at or above "${policy.fail_on}" (${findings.length} in all)`,
      {
        hint: 'apply the fixes shown, or adjust the policy thresholds (--policy)',
        data: { failing: failing.length },
      },
    );
  }
  if (!ctx.globals.json && findings.length)
    ctx.out.info(`${findings.length} finding(s), none at or above "${policy.fail_on}"`);
}
