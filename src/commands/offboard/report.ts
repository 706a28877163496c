// The offboarding report, Markdown and JSON side by side, of a full or a guided run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from '../../cli/context.js';
import type { Outcome } from '../../services/guided.js';
import type { Plan, StepResult } from '../../services/offboard/index.js';
import { fileInDir } from '../../util/files.js';

export interface ReportInput {
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
export function writeReportFiles(
  ctx: Context,
  r: ReportInput,
  dir?: string,
): { markdown: string; json: string } {
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

export function writeReport(
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
