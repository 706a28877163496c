// Reviews an auditor can trust, end to end against a sandbox on a manual clock (so every date is
// exact): a promotion to org admin is an escalation in every workspace it reaches, a demotion lists
// the grants it took; "since" of a grant via org admin is when admin began; `review verify`
// recomputes the hash of JSON, CSV and Markdown exports, and the README's recipe computes the same.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/sandbox/clock.js';
import { type CliResult, runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const T0 = '2026-03-02T09:00:00.000Z';
const PROMOTED = '2026-04-15T10:30:00.000Z';
const DEMOTED = '2026-05-20T08:00:00.000Z';
const PROMOTED_AGAIN = '2026-06-01T12:00:00.000Z';

const clock = manualClock(T0);
let sbx: TestSandbox;
let cfg: string;
let dir: string;
const ids: Record<string, string> = {};

const nx = (args: string[]): Promise<CliResult> =>
  runCli(args, {
    env: { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey },
    configDir: cfg,
  });

async function nxOk(args: string[]): Promise<CliResult> {
  const r = await nx(args);
  expect(r.code, `noxus ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

async function ok(method: string, path: string, body?: unknown) {
  const r = await sbx.call(method, path, { body });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status}: ${r.text}`);
  return r.body as Record<string, unknown>;
}

interface Grant {
  email: string;
  workspace: string;
  role: string;
  via: string;
  since: string | null;
}
interface Doc {
  generated_at: string;
  sha256: string;
  content: { grants: Grant[]; [k: string]: unknown };
}

async function exportJson(name: string): Promise<{ file: string; doc: Doc; text: string }> {
  const file = join(dir, name);
  await nxOk(['review', 'export', '-o', file]);
  const text = readFileSync(file, 'utf8');
  return { file, doc: JSON.parse(text) as Doc, text };
}

const setOrgRole = (role: string) => ok('PATCH', `/v1/admin/users/${ids.alan}`, { org_role: role });

beforeAll(async () => {
  sbx = await startTestSandbox({ clock });
  cfg = tempConfigDir();
  dir = mkdtempSync(join(tmpdir(), 'noxus-review-verify-'));
  // Two workspaces, so every grant can be spelled out: the empty seed's Default and Support.
  const groups = (await sbx.call('GET', '/v1/admin/groups')).body as Array<{ id: string; name: string }>;
  ids.Default = groups.find((g) => g.name === 'Default')?.id as string;
  for (const name of ['Support']) ids[name] = (await ok('POST', '/v1/admin/groups', { name })).id as string;
  const alan = await ok('POST', '/v1/admin/users', {
    email: 'alan@example.com',
    name: 'Alan Turing',
    send_invitation: false,
  });
  ids.alan = alan.id as string;
  await ok('PUT', `/v1/admin/groups/${ids.Default}/members/${ids.alan}`, { role: 'Reader' });
}, 60_000);

afterAll(async () => {
  await sbx?.cleanup();
});

describe('org-admin grants in review export and diff', () => {
  let before: Awaited<ReturnType<typeof exportJson>>;
  let promoted: Awaited<ReturnType<typeof exportJson>>;

  it('a promotion to Org Admin: every workspace gained is an escalation, via org admin, since the promotion', async () => {
    before = await exportJson('before.json');
    expect(before.doc.content.grants).toEqual([
      {
        user_id: ids.alan,
        email: 'alan@example.com',
        workspace_id: ids.Default,
        workspace: 'Default',
        role: 'Reader',
        via: 'membership',
        since: T0,
        reason: null,
        expires_at: null,
      },
      expect.objectContaining({
        email: 'owner@example.com',
        workspace: 'Default',
        via: 'org_admin',
        since: T0,
      }),
      expect.objectContaining({
        email: 'owner@example.com',
        workspace: 'Support',
        via: 'org_admin',
        since: T0,
      }),
    ]);

    clock.set(PROMOTED);
    await setOrgRole('Org Admin');
    promoted = await exportJson('promoted.json');
    const alanGrants = promoted.doc.content.grants.filter((g) => g.email === 'alan@example.com');
    // "since" is when admin began, not the account's creation (T0).
    expect(alanGrants).toEqual([
      {
        user_id: ids.alan,
        email: 'alan@example.com',
        workspace_id: ids.Default,
        workspace: 'Default',
        role: 'Admin',
        via: 'org_admin',
        since: PROMOTED,
        reason: null,
        expires_at: null,
      },
      {
        user_id: ids.alan,
        email: 'alan@example.com',
        workspace_id: ids.Support,
        workspace: 'Support',
        role: 'Admin',
        via: 'org_admin',
        since: PROMOTED,
        reason: null,
        expires_at: null,
      },
    ]);
    // The owner was created admin: admin since the account's creation.
    expect(
      promoted.doc.content.grants.filter((g) => g.email === 'owner@example.com').map((g) => g.since),
    ).toEqual([T0, T0]);
    // The same date on the wire, as `ws members` shows it.
    const members = JSON.parse((await nxOk(['ws', 'members', 'Support', '--json'])).stdout);
    expect(
      members.items.map((m: { email: string; via: string; since: string }) => [m.email, m.via, m.since]),
    ).toEqual([
      ['alan@example.com', 'org_admin', PROMOTED],
      ['owner@example.com', 'org_admin', T0],
    ]);

    const dj = JSON.parse(
      (await nxOk(['review', 'diff', before.file, promoted.file, '--format', 'json'])).stdout,
    );
    expect({
      admins_gained: dj.admins_gained,
      admins_lost: dj.admins_lost,
      grants_added: dj.grants_added,
      grants_changed: dj.grants_changed,
      grants_removed: dj.grants_removed,
      changes: dj.changes,
    }).toEqual({
      admins_gained: ['alan@example.com'],
      admins_lost: [],
      grants_added: [
        {
          email: 'alan@example.com',
          workspace: 'Support',
          role: 'Admin',
          via: 'org_admin',
          escalation: true,
        },
      ],
      grants_changed: [
        {
          email: 'alan@example.com',
          workspace: 'Default',
          before: 'Reader',
          after: 'Admin',
          before_via: 'membership',
          after_via: 'org_admin',
          escalation: true,
        },
      ],
      grants_removed: [],
      changes: 3,
    });
    const md = (await nxOk(['review', 'diff', before.file, promoted.file])).stdout;
    expect(md.slice(md.indexOf('## '))).toBe(
      [
        '## Admins gained',
        '',
        '- **alan@example.com** (admin in 2 workspaces via org admin) ⚠ escalation',
        '',
        '## Grants added',
        '',
        '- alan@example.com in Support: Admin via org admin ⚠ escalation',
        '',
        '## Grants changed',
        '',
        '- alan@example.com in Default: Reader (membership) → Admin via org admin ⚠ escalation',
        '',
      ].join('\n'),
    );
  });

  it('a demotion from Org Admin lists the grants it took, none as an escalation; a new promotion restarts "since"', async () => {
    clock.set(DEMOTED);
    await setOrgRole('Org Base');
    const demoted = await exportJson('demoted.json');
    expect(demoted.doc.content.grants.filter((g) => g.email === 'alan@example.com')).toEqual([]);
    const dj = JSON.parse(
      (await nxOk(['review', 'diff', promoted.file, demoted.file, '--format', 'json'])).stdout,
    );
    expect([dj.admins_gained, dj.admins_lost, dj.grants_added, dj.grants_changed, dj.grants_removed]).toEqual(
      [
        [],
        ['alan@example.com'],
        [],
        [],
        [
          { email: 'alan@example.com', workspace: 'Default', role: 'Admin', via: 'org_admin' },
          { email: 'alan@example.com', workspace: 'Support', role: 'Admin', via: 'org_admin' },
        ],
      ],
    );
    const md = (await nxOk(['review', 'diff', promoted.file, demoted.file])).stdout;
    expect(md.slice(md.indexOf('## '))).toBe(
      [
        '## Admins lost',
        '',
        '- alan@example.com (admin in 2 workspaces via org admin)',
        '',
        '## Grants removed',
        '',
        '- alan@example.com in Default: Admin via org admin',
        '- alan@example.com in Support: Admin via org admin',
        '',
      ].join('\n'),
    );
    expect(md).not.toContain('⚠');

    clock.set(PROMOTED_AGAIN);
    await setOrgRole('Org Admin');
    const again = await exportJson('again.json');
    expect(
      again.doc.content.grants.filter((g) => g.email === 'alan@example.com').map((g) => g.since),
    ).toEqual([PROMOTED_AGAIN, PROMOTED_AGAIN]);
  });
});

describe('review verify', () => {
  let json: Awaited<ReturnType<typeof exportJson>>;
  let csv: string;
  let md: string;
  beforeAll(async () => {
    json = await exportJson('q4.json');
    csv = join(dir, 'q4.csv');
    md = join(dir, 'q4.md');
    await nxOk(['review', 'export', '--format', 'csv', '-o', csv]);
    await nxOk(['review', 'export', '--format', 'md', '-o', md]);
  }, 60_000);

  const sha = (f: string) =>
    /[0-9a-f]{64}/.exec(readFileSync(f, 'utf8').trimEnd().split('\n').pop() ?? '')?.[0];

  it('an intact JSON export: exit 0, the hash and what it covers on stdout', async () => {
    const r = await nx(['review', 'verify', json.file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `file\t${json.file}\nformat\tjson\nsha256\t${json.doc.sha256}\ncovers\tthe "content" object (generated_at, server and tool_version are outside it)\n`,
    );
    expect(r.stderr).toBe(`✓ ${json.file}: sha256 matches (json export, unmodified)\n`);
    const j = JSON.parse((await nx(['review', 'verify', json.file, '--json'])).stdout);
    expect(j).toEqual({
      schema_version: 1,
      command: 'review verify',
      items: [
        {
          file: json.file,
          format: 'json',
          covers: 'the "content" object (generated_at, server and tool_version are outside it)',
          sha256: json.doc.sha256,
        },
      ],
    });
  });

  it('intact CSV and Markdown exports: exit 0 with the hash their last line holds', async () => {
    for (const [f, format] of [
      [csv, 'csv'],
      [md, 'md'],
    ] as const) {
      const r = await nx(['review', 'verify', f]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(
        `file\t${f}\nformat\t${format}\nsha256\t${sha(f)}\ncovers\tevery byte of the file above its last line\n`,
      );
    }
    expect(readFileSync(csv, 'utf8').trimEnd().split('\n').pop()).toBe(
      `file_sha256,${sha(csv)},,,,,,,,,,,,,,`,
    );
    expect(readFileSync(md, 'utf8').trimEnd().split('\n').pop()).toBe(
      `File sha256 of every line above this one: \`${sha(md)}\``,
    );
  });

  it('a tampered export exits 1 naming both hashes; the generation time is outside the hash', async () => {
    const forged = JSON.parse(json.text);
    forged.content.grants[0].role = 'Reader';
    const forgedFile = join(dir, 'forged.json');
    writeFileSync(forgedFile, JSON.stringify(forged));
    const r = await nx(['review', 'verify', forgedFile]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const computed = /computed ([0-9a-f]{64})/.exec(r.stderr)?.[1];
    expect(computed).toMatch(/^[0-9a-f]{64}$/);
    expect(computed).not.toBe(json.doc.sha256);
    expect(r.stderr).toContain(
      `${forgedFile} does not match its sha256: its content was modified after export (recorded ${json.doc.sha256}, computed ${computed})`,
    );
    // Re-dated and re-indented, but the content untouched: still the same hash.
    const redated = join(dir, 'redated.json');
    writeFileSync(
      redated,
      JSON.stringify({ ...JSON.parse(json.text), generated_at: '2020-01-01T00:00:00.000Z' }, null, 2),
    );
    expect((await nx(['review', 'verify', redated])).code).toBe(0);

    for (const [f, from, to] of [
      [csv, 'alan@example.com', 'alan@example.org'],
      [md, 'alan@example.com', 'alan@example.org'],
    ] as const) {
      const out = `${f}.forged`;
      writeFileSync(out, readFileSync(f, 'utf8').replace(from, to));
      const t = await nx(['review', 'verify', out]);
      expect(t.code).toBe(1);
      expect(t.stderr).toContain(
        `${out} does not match its sha256: the file was modified after export (recorded ${sha(f)}, computed `,
      );
    }
  });

  it('a file that is not an export exits 2', async () => {
    const cases: Array<[string, string, string]> = [
      ['people.csv', 'email,name\na@example.com,A\n', 'people.csv is not a noxus access review export'],
      ['broken.json', '{"kind": ', 'broken.json is not a noxus access review export: not valid JSON'],
      [
        'other.json',
        '{"kind":"something-else","content":{},"sha256":"x"}',
        'other.json is not a noxus access review export: no "kind": "noxus-access-review"',
      ],
      [
        'old.csv',
        readFileSync(csv, 'utf8').trimEnd().split('\n').slice(0, -1).join('\n') + '\n',
        'old.csv carries no file hash (an export made before review verify existed); verify the JSON export made with it',
      ],
    ];
    for (const [name, text, message] of cases) {
      writeFileSync(join(dir, name), text);
      const r = await runCli(['review', 'verify', name], { configDir: cfg, cwd: dir });
      expect({ name, code: r.code, stdout: r.stdout }).toEqual({ name, code: 2, stdout: '' });
      expect(r.stderr).toContain(message);
    }
    const missing = await runCli(['review', 'verify', 'nope.json'], { configDir: cfg, cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read nope.json: ENOENT');
  });

  it("the README's recipe computes the same hashes with bash (jq lines only when jq is installed)", () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Verifying an export'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] as string;
    const lines = block.split('\n').filter((l) => l.trim());
    expect(lines).toHaveLength(8);
    const jq = spawnSync('bash', ['-c', 'command -v jq']).status === 0;
    const run = (line: string, d: string) => {
      const r = spawnSync('bash', ['-c', line], { cwd: d, encoding: 'utf8' });
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    const expected = [
      json.doc.sha256,
      json.doc.sha256,
      json.doc.sha256,
      json.doc.sha256,
      sha(csv),
      sha(csv),
      sha(md),
      sha(md),
    ];
    const ran = lines.map((l, i) => (!jq && l.startsWith('jq ') ? expected[i] : run(l, dir)));
    expect(ran).toEqual(expected);
    // …and a tampered copy gives another hash than the one it carries, for each format.
    const bad = mkdtempSync(join(tmpdir(), 'noxus-review-forged-'));
    const forged = JSON.parse(json.text);
    forged.content.grants[0].role = 'Reader';
    writeFileSync(join(bad, 'q4.json'), JSON.stringify(forged));
    for (const [f, name] of [
      [csv, 'q4.csv'],
      [md, 'q4.md'],
    ])
      writeFileSync(
        join(bad, name as string),
        readFileSync(f as string, 'utf8').replace('alan@example.com', 'alan@example.org'),
      );
    const pairs = [
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
    ].filter(([a]) => jq || !(lines[a as number] as string).startsWith('jq '));
    for (const [a, b] of pairs) {
      expect(run(lines[a as number] as string, bad)).not.toBe(
        jq || !(lines[b as number] as string).startsWith('jq ')
          ? run(lines[b as number] as string, bad)
          : json.doc.sha256,
      );
    }
  });
});
