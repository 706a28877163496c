// `ws apply`: a workspace brought to the state a file describes (adds, role changes, --prune
// removals), org admins never touched, idempotent reruns, dry runs, validation before any write, and
// formula-safe result files. The CLI is spawned against an in-process sandbox seeded with the demo.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { members, snapshot } from './support.js';

let sbx: TestSandbox;
let work: string;
let configDir: string;

const cli = (...args: string[]): Promise<CliResult> =>
  runCli(args, { configDir, env: { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey } });

const csvFile = (name: string, lines: string[]): string => {
  const f = join(work, name);
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
};

const readResults = (f: string) =>
  parse(readFileSync(f, 'utf8'), { columns: true }) as Array<Record<string, string>>;

/** `email role via` for every member of a workspace, sorted. */
const roster = async (workspace: string) =>
  (await members(sbx, workspace)).map((m) => `${m.email} ${m.role.name} ${m.via}`).sort();

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  work = mkdtempSync(join(tmpdir(), 'noxus-wsapply-'));
  configDir = tempConfigDir();
});
afterAll(async () => {
  await sbx?.cleanup();
  for (const d of [work, configDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('ws apply', () => {
  const desired = [
    'workspace,user,role',
    'Marketing,linus@example.com,Editor', // line 2: Reader → Editor
    'Marketing,dennis@example.com,Admin', // line 3: already Admin
    'Marketing,alan@example.com,Reader', // line 4: new member
    'Marketing,ada@example.com,Admin', // line 5: org admin, admin through the org role
    'Marketing,newhire@example.com,Editor', // line 6: invited user, already Editor
  ];

  it('starts from the demo roster', async () => {
    expect(await roster('Marketing')).toEqual([
      'ada@example.com Admin org_admin',
      'dennis@example.com Admin membership',
      'grace@example.com Admin org_admin',
      'linus@example.com Reader membership',
      'margaret@example.com Reader membership',
      'newhire@example.com Editor membership',
      'owner@example.com Admin org_admin',
    ]);
  });

  it('--prune --yes: adds, changes a role, removes the member not in the file, never an org admin', async () => {
    const file = csvFile('marketing.csv', desired);
    const out = join(work, 'marketing-results.csv');
    const r = await cli('ws', 'apply', '-f', file, '--prune', '--yes', '--results', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        '1 to add, 1 role change(s), 1 to remove, 3 unchanged',
        '  change linus@example.com in Marketing: Reader → Editor',
        '  add alan@example.com to Marketing as Reader',
        '  remove margaret@example.com (Reader) from Marketing',
        '✓ 1 added, 1 changed, 1 removed, 0 failed',
        '',
      ].join('\n'),
    );
    expect(await roster('Marketing')).toEqual([
      'ada@example.com Admin org_admin',
      'alan@example.com Reader membership',
      'dennis@example.com Admin membership',
      'grace@example.com Admin org_admin',
      'linus@example.com Editor membership',
      'newhire@example.com Editor membership',
      'owner@example.com Admin org_admin',
    ]);
    const rows = readResults(out);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      'row',
      'workspace',
      'user',
      'action',
      'role',
      'before',
      'outcome',
      'message',
    ]);
    expect(
      rows.map((x) => [x.row, x.user, x.action, x.role, x.before, x.outcome, x.message].join('|')),
    ).toEqual([
      '2|linus@example.com|change|Editor|Reader|changed|',
      '3|dennis@example.com|none|Admin||unchanged|',
      '4|alan@example.com|add|Reader||added|',
      '5|ada@example.com|none|Admin||unchanged|admin via org role',
      '6|newhire@example.com|none|Editor||unchanged|',
      '0|margaret@example.com|remove|Reader||removed|',
    ]);
    // Other workspaces are untouched.
    expect(await roster('Support')).toContain('margaret@example.com Editor membership');
  });

  it('a second run changes nothing: exit 0, "nothing to change"', async () => {
    const before = await snapshot(sbx);
    const file = csvFile('marketing.csv', desired);
    const r = await cli('ws', 'apply', '-f', file, '--prune', '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      '0 to add, 0 role change(s), 0 to remove, 5 unchanged\n✓ nothing to change: the workspaces already match the file\n',
    );
    const j = await cli('ws', 'apply', '-f', file, '--prune', '--yes', '--json');
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc.items.map((s: { outcome: string }) => s.outcome)).toEqual(Array(5).fill('unchanged'));
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('--dry-run shows the plan and changes nothing', async () => {
    const before = await snapshot(sbx);
    const file = csvFile('dry.csv', [
      'workspace,user,role',
      'Marketing,linus@example.com,Reader',
      'Marketing,ken@example.com,Editor',
      'Marketing,dennis@example.com,Admin',
    ]);
    const out = join(work, 'dry-results.csv');
    const r = await cli('ws', 'apply', '-f', file, '--prune', '--dry-run', '--results', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      [
        'Dry run: 1 to add, 1 role change(s), 2 to remove, 1 unchanged',
        '  change linus@example.com in Marketing: Editor → Reader',
        '  add ken@example.com to Marketing as Editor',
        '  remove alan@example.com (Reader) from Marketing',
        '  remove newhire@example.com (Editor) from Marketing',
        'Nothing was changed.',
        '',
      ].join('\n'),
    );
    expect(readResults(out).map((x) => `${x.user} ${x.action} ${x.outcome}`)).toEqual([
      'linus@example.com change planned',
      'ken@example.com add planned',
      'dennis@example.com none unchanged',
      'alan@example.com remove planned',
      'newhire@example.com remove planned',
    ]);
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('bad rows: exit 2 with file:line:column for each, nothing changed', async () => {
    const before = await snapshot(sbx);
    const file = csvFile('bad.csv', [
      'workspace,user,role',
      'Marketing,nobody.here@example.org,Reader', // line 2: unknown user
      'Marketing,ken@example.com,Editr', // line 3: unknown role
      'Marketing,grace@example.com,Editor', // line 4: org admin listed as Editor
      'Marketing,katherine@example.com,Reader', // line 5: fine, but nothing may happen
    ]);
    const r = await cli('ws', 'apply', '-f', file, '--prune', '--yes');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(`error: ${file}: 3 problems; nothing was changed`);
    expect(lines[1]).toBe('bad.csv:2:2: unknown user "nobody.here@example.org"');
    expect(lines[2]).toBe('bad.csv:3:3: unknown role "Editr" (did you mean Editor?)');
    expect(lines.length).toBe(5);
    expect(lines[4]).toBe('');
    expect(lines[3]).toBe(
      'bad.csv:4:3: grace@example.com is an org admin, so admin on every workspace; only "Admin" can be listed for them',
    );
    const j = await cli('ws', 'apply', '-f', file, '--json');
    expect(j.code).toBe(2);
    const err = JSON.parse(j.stderr.trim()).error;
    expect(err.errors.map((e: { line: number; column: number }) => `${e.line}:${e.column}`)).toEqual([
      '2:2',
      '3:3',
      '4:3',
    ]);
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('result cells starting with = + - @ are neutralised with a leading quote', async () => {
    for (const name of ['=HYPERLINK("x")', '@Ops']) {
      const g = await sbx.call('POST', '/v1/admin/groups', { body: { name } });
      expect(g.status, g.text).toBe(201);
    }
    for (const email of ['-dash@example.com', '+plus@example.com', '=eq@example.com']) {
      const u = await sbx.call('POST', '/v1/admin/users', {
        body: { email, name: 'Formula Person', display_name: '=HYPERLINK("x")', send_invitation: false },
      });
      expect(u.status, u.text).toBe(201);
    }
    const file = csvFile('formula.csv', [
      'workspace,user,role',
      '"=HYPERLINK(""x"")",-dash@example.com,Reader',
      '"=HYPERLINK(""x"")",+plus@example.com,Editor',
      '@Ops,=eq@example.com,Reader',
    ]);
    const out = join(work, 'formula-results.csv');
    const r = await cli('ws', 'apply', '-f', file, '--yes', '--results', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('✓ 3 added, 0 changed, 0 removed, 0 failed');
    const text = readFileSync(out, 'utf8');
    const rows = readResults(out);
    expect(rows.map((x) => `${x.workspace} | ${x.user} | ${x.outcome}`)).toEqual([
      `'=HYPERLINK("x") | '-dash@example.com | added`,
      `'=HYPERLINK("x") | '+plus@example.com | added`,
      `'@Ops | '=eq@example.com | added`,
    ]);
    // No cell of the file starts with a formula character.
    const cells = (parse(text) as string[][]).flat();
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    // The members really are the users of the file (the quote is only in the result file).
    expect(await roster('=HYPERLINK("x")')).toEqual(
      expect.arrayContaining(['-dash@example.com Reader membership', '+plus@example.com Editor membership']),
    );
    // JSON results keep the values as they are.
    const jsonOut = join(work, 'formula-results.json');
    const again = await cli('ws', 'apply', '-f', file, '--yes', '--results', jsonOut);
    expect(again.code, again.stderr).toBe(0);
    const json = JSON.parse(readFileSync(jsonOut, 'utf8')) as Array<{ workspace: string; user: string }>;
    expect(json.map((x) => `${x.workspace} ${x.user}`)).toEqual([
      '=HYPERLINK("x") -dash@example.com',
      '=HYPERLINK("x") +plus@example.com',
      '@Ops =eq@example.com',
    ]);
  });
});
