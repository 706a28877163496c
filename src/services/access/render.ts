// A plan for people: text like Terraform's for a terminal or a CI log, Markdown for a pull-request
// comment; and the saved plan document apply reads.

import type { Finding } from '../review/policy.js';
import { mdText } from '../review/render.js';
import { accessSha256 } from './file.js';
import {
  ACCESS_PLAN_KIND,
  type AccessPlan,
  type LocatedAccessFile,
  type PlanItem,
  type PlanOp,
  type ServerAccess,
} from './model.js';
import type { DesiredFindings, PlanResult } from './plan.js';

export interface PlanCounts {
  add: number;
  change: number;
  remove: number;
}

export function countItems(items: readonly PlanItem[]): PlanCounts {
  return {
    add: items.filter((i) => i.op === '+').length,
    change: items.filter((i) => i.op === '~').length,
    remove: items.filter((i) => i.op === '-').length,
  };
}

/** `Plan: 3 to add, 1 to change, 0 to remove.` or `No changes. The server matches access.yaml.` */
export function summaryLine(items: readonly PlanItem[], file: string): string {
  if (items.length === 0) return `No changes. The server matches ${oneLine(file)}.`;
  const c = countItems(items);
  return `Plan: ${c.add} to add, ${c.change} to change, ${c.remove} to remove.`;
}

/** Server and file text on one line: a name holding a newline cannot fake a plan line. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** `role: Reader` reads `role Reader` after the subject. */
const change = (c: string) => c.replace(': ', ' ');

function itemLines(i: PlanItem): string[] {
  const head = `  ${i.op} ${i.kind} ${i.subject}${i.changes.length ? `: ${i.changes.map(change).join(', ')}` : ''}`;
  const out = [head, ...i.effects.map((e) => `      ${e}`)];
  if (i.availability !== 'api') out.push(`      ${i.availability}: ${i.note ?? ''}`);
  else if (i.note) out.push(`      ${i.note}`);
  return out.map(oneLine);
}

const findingLines = (f: Finding, indent: string) =>
  [`${indent}${f.severity} ${f.rule}: ${f.subject}: ${f.message}`, `${indent}    fix: ${f.fix}`].map(oneLine);

export interface RenderInput extends PlanResult {
  /** The access file's name as given. */
  file: string;
  server: string;
  policy?: DesiredFindings;
}

/** The plan as text: items, effects indented, then unmanaged, policy, and the summary line. */
export function renderPlanText(p: RenderInput): string {
  const lines: string[] = [];
  if (p.items.length) {
    lines.push(
      `Plan for ${oneLine(p.file)} on ${oneLine(p.server)} (in the order apply carries it out):`,
      '',
    );
    for (const i of p.items) lines.push(...itemLines(i));
    lines.push('');
  }
  if (p.unmanaged.length) {
    lines.push(`Unmanaged (on the server, not in ${oneLine(p.file)}):`);
    for (const u of p.unmanaged) lines.push(oneLine(`  ${u.kind} ${u.subject}: ${u.prune}`));
    lines.push('');
  }
  // With nothing to change and nothing found, the summary line says it all.
  if (p.policy && (p.items.length || p.policy.failing.length || p.policy.existing.length)) {
    const { failing, existing, notJudged } = p.policy;
    lines.push(
      `Policy: ${failing.length ? `${failing.length} finding(s) caused by this plan fail it` : 'passes'}`,
    );
    for (const f of failing) lines.push(...findingLines(f, '  '));
    if (existing.length) {
      lines.push('  existing, not caused by this plan:');
      for (const f of existing) lines.push(...findingLines(f, '    '));
    }
    if (notJudged.length) lines.push(`  not judged on a desired state: ${notJudged.join(', ')}`);
    lines.push('');
  }
  lines.push(summaryLine(p.items, p.file));
  return `${lines.join('\n')}\n`;
}

const OPS: Array<[PlanOp, string]> = [
  ['+', 'To add'],
  ['~', 'To change'],
  ['-', 'To remove'],
];

/** A code fence longer than any backtick run in the text, so the text cannot close it. */
function fence(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** The plan as a pull-request comment; every server and file text is escaped (mdText). */
export function renderPlanMarkdown(p: RenderInput): string {
  const md = mdText;
  const out: string[] = [];
  const failing = p.policy?.failing.length ?? 0;
  out.push(`### noxus access plan: ${md(p.file)}`, '');
  out.push(
    `**${md(summaryLine(p.items, p.file))}**${p.policy ? (failing ? ` Policy: **${failing} failing finding(s)**.` : ' Policy: passes.') : ''}`,
  );
  out.push('', `Server: ${md(p.server)}`, '');
  for (const [op, title] of OPS) {
    const items = p.items.filter((i) => i.op === op);
    if (!items.length) continue;
    out.push(
      `#### ${title} (${items.length})`,
      '',
      '| Kind | Subject | Changes | Effects | Availability |',
      '|---|---|---|---|---|',
    );
    for (const i of items)
      out.push(
        `| ${md(i.kind)} | ${md(i.subject)} | ${i.changes.map(md).join('<br>')} | ${i.effects.map(md).join('<br>')} | ${md(i.availability)}${i.note ? `: ${md(i.note)}` : ''} |`,
      );
    out.push('');
  }
  if (p.policy) {
    const rows = [
      ...p.policy.failing.map((f) => ['fails', f] as const),
      ...p.policy.existing.map((f) => ['existing, not caused by this plan', f] as const),
    ];
    if (rows.length) {
      out.push(
        '#### Policy findings',
        '',
        '| Result | Severity | Rule | Subject | Finding | Fix |',
        '|---|---|---|---|---|---|',
      );
      for (const [r, f] of rows)
        out.push(
          `| ${r} | ${md(f.severity)} | ${md(f.rule)} | ${md(f.subject)} | ${md(f.message)} | ${md(f.fix)} |`,
        );
      out.push('');
    }
    if (p.policy.notJudged.length)
      out.push(`Not judged on a desired state: ${p.policy.notJudged.map(md).join(', ')}`, '');
  }
  if (p.unmanaged.length) {
    out.push('#### Unmanaged (on the server, not in the file)', '');
    for (const u of p.unmanaged) out.push(`- ${md(u.kind)} ${md(u.subject)}: ${md(u.prune)}`);
    out.push('');
  }
  const text = renderPlanText(p);
  const f = fence(text);
  out.push('<details><summary>Full plan</summary>', '', `${f}text`, text.trimEnd(), f, '', '</details>');
  return `${out.join('\n')}\n`;
}

/** The saved plan: what apply needs to carry it out and to refuse on drift. No secrets. */
export function buildAccessPlan(a: {
  /** The file's name as the user gave it (default: the name it was read by). */
  file?: string;
  server: string;
  toolVersion: string;
  now: Date;
  desired: LocatedAccessFile;
  current: ServerAccess;
  prune: boolean;
  result: PlanResult;
  findings: Finding[];
}): AccessPlan {
  return {
    schema_version: 1,
    kind: ACCESS_PLAN_KIND,
    server: a.server,
    tool_version: a.toolVersion,
    created_at: a.now.toISOString(),
    file: a.file ?? a.desired.file,
    file_sha256: a.desired.sha256,
    base_sha256: accessSha256(a.current.doc),
    current: a.current.doc,
    prune: a.prune,
    transfer_to: a.desired.doc.offboarding?.transfer_to ?? null,
    items: a.result.items,
    unmanaged: a.result.unmanaged,
    findings: a.findings,
  };
}
