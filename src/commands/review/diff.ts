import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import type { ReviewDiff } from '../../services/review/diff.js';

export function registerDiff(cmd: Command, ctx: Context): void {
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
}

export async function runDiff(
  ctx: Context,
  a: string,
  b: string,
  o: { format: 'md' | 'json' },
): Promise<void> {
  const [{ diffReviews }, { parseReview }] = await Promise.all([
    import('../../services/review/diff.js'),
    import('../../services/review/doc.js'),
  ]);
  const read = (f: string) => {
    try {
      return readFileSync(resolve(ctx.io.cwd, f), 'utf8');
    } catch {
      throw new UsageError(`cannot read ${f}`);
    }
  };
  const d = diffReviews(parseReview(read(a), a), parseReview(read(b), b));
  if (o.format === 'json' || ctx.globals.json) {
    ctx.out.document({ kind: 'noxus-access-review-diff', ...d });
    return;
  }
  ctx.out.print(renderDiff(d, (await import('../../services/review/render.js')).mdText));
}

function renderDiff(d: ReviewDiff, md: (s: unknown) => string): string {
  const lines = [
    `# Access review diff`,
    '',
    `From ${md(d.old.generated_at)} (${md(d.old.sha256.slice(0, 12))}) to ${md(d.new.generated_at)} (${md(d.new.sha256.slice(0, 12))}): ${d.changes} change(s)`,
    '',
  ];
  const section = (title: string, rows: string[]) => {
    if (rows.length === 0) return;
    lines.push(`## ${title}`, '', ...rows.map((r) => `- ${r}`), '');
  };
  const warn = (escalation: boolean) => (escalation ? ' ⚠ escalation' : '');
  const via = (v: string) => (v === 'org_admin' ? ' via org admin' : '');
  // How many workspace admin rights an org-role change brought or took: the grants listed below.
  const throughOrgRole = (email: string, gained: boolean) => {
    const n = gained
      ? d.grants_added.filter((g) => g.email === email && g.via === 'org_admin').length +
        d.grants_changed.filter((g) => g.email === email && g.after_via === 'org_admin').length
      : d.grants_removed.filter((g) => g.email === email && g.via === 'org_admin').length +
        d.grants_changed.filter((g) => g.email === email && g.before_via === 'org_admin').length;
    return n ? ` (admin in ${n} workspace${n > 1 ? 's' : ''} via org admin)` : '';
  };
  section(
    'Admins gained',
    d.admins_gained.map((e) => `**${md(e)}**${throughOrgRole(e, true)} ⚠ escalation`),
  );
  section(
    'Admins lost',
    d.admins_lost.map((e) => `${md(e)}${throughOrgRole(e, false)}`),
  );
  section('Users added', d.users_added.map(md));
  section('Users removed', d.users_removed.map(md));
  section('Users suspended', d.users_suspended.map(md));
  section('Users reactivated', d.users_reactivated.map(md));
  section('Users newly inactive', d.users_newly_inactive.map(md));
  section(
    'Grants added',
    d.grants_added.map(
      (g) => `${md(g.email)} in ${md(g.workspace)}: ${md(g.role)}${via(g.via)}${warn(g.escalation)}`,
    ),
  );
  section(
    'Grants changed',
    d.grants_changed.map(
      (g) =>
        `${md(g.email)} in ${md(g.workspace)}: ${md(g.before)}${g.before_via === g.after_via ? '' : via(g.before_via) || ' (membership)'} → ${md(g.after)}${via(g.after_via)}${warn(g.escalation)}`,
    ),
  );
  const terms = (t: { reason: string | null; expires_at: string | null }) =>
    `${t.reason === null ? 'no reason' : `reason "${md(t.reason)}"`}, ${t.expires_at === null ? 'no expiry' : `expires ${md(t.expires_at)}`}`;
  section(
    'Grant terms changed',
    d.grants_terms_changed.map(
      (g) =>
        `${md(g.email)} in ${md(g.workspace)} (${md(g.role)}): ${terms(g.before)} → ${terms(g.after)}${g.escalation ? ' ⚠ lasts longer' : ''}`,
    ),
  );
  section(
    'Grants removed',
    d.grants_removed.map((g) => `${md(g.email)} in ${md(g.workspace)}: ${md(g.role)}${via(g.via)}`),
  );
  section(
    'Keys added',
    d.keys_added.map(
      (k) =>
        `${md(k.name)} (${md(k.id)}) of ${md(k.holder)} in ${md(k.workspace)}${k.restricted ? '' : ' (unrestricted)'}`,
    ),
  );
  section(
    'Keys revoked or expired',
    d.keys_revoked.map((k) => `${md(k.name)} (${md(k.id)}) of ${md(k.holder)} in ${md(k.workspace)}`),
  );
  section(
    'Keys newly degraded',
    d.keys_newly_degraded.map((k) => `${md(k.name)} (${md(k.id)}): lost ${md(k.clipped.join(', '))}`),
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
