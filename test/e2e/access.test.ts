// Access as code end to end (issue 16's "Done when"), the built binary against real sandboxes:
// (a) the round trip demo → file → empty sandbox → file, and "no changes" against the original;
// (b) a plan that breaks the policy changes nothing; (c) --prune removes exactly the unmanaged
// grants and offboards a person removed from the file; (d) kill -9 during apply, then --resume;
// (e) bad files: every problem with file:line:column, exit 2, nothing changed; (f) a grant from the
// file lapses at its expiry (the sandbox's manual clock) and the key held through it shrinks.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { manualClock } from '../../src/sandbox/clock.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { acceptLink, parseMail } from './mail.js';
import { noxus, ok, type Run, snapshot } from './offboard-fixture.js';

const CRASH_PRELOAD = fileURLToPath(new URL('../helpers/crash-after-step.mjs', import.meta.url));
/** The demo has three org admins (the owner, Ada, Grace); a copy of it needs a policy that allows them. */
const POLICY = 'max_org_admins: 3\n';
const SERVER_ASSIGNED = /^(server|organization|unreadable):.*\n(?:[ -].*\n)*/gm;

const dirs: string[] = [];
const sandboxes: TestSandbox[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
async function sandbox(opts: Parameters<typeof startTestSandbox>[0]) {
  const s = await startTestSandbox(opts);
  sandboxes.push(s);
  return s;
}
afterAll(async () => {
  for (const s of sandboxes) await s.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A working directory and a config dir (journals live there) for one "operator". */
function workspace() {
  const cwd = tempDir('noxus-access-');
  const configDir = join(cwd, '.config');
  mkdirSync(configDir);
  return {
    cwd,
    configDir,
    run: (sbx: TestSandbox, args: string[], env?: Record<string, string>) =>
      noxus({ sbx }, args, { configDir, cwd, env }),
    read: (f: string) => readFileSync(join(cwd, f), 'utf8'),
    write: (f: string, text: string) => writeFileSync(join(cwd, f), text),
    has: (f: string) => existsSync(join(cwd, f)),
  };
}
type Work = ReturnType<typeof workspace>;

const show = (r: Run) => `exit ${r.code} ${r.signal ?? ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
/** The file without the fields the export assigns (server, organization, unreadable). */
const managed = (text: string) => text.replace(SERVER_ASSIGNED, '');

async function exportTo(w: Work, sbx: TestSandbox, file: string): Promise<string> {
  const r = await w.run(sbx, ['access', 'export', '-o', file]);
  expect(r.code, show(r)).toBe(0);
  return w.read(file);
}

/** Accepts every pending invitation (the .eml files in the sandbox's outbox), keeping the invited name. */
async function acceptAll(sbx: TestSandbox): Promise<string[]> {
  const invited: Array<{ email: string; name: string }> = await ok(
    sbx,
    'GET',
    '/v1/admin/users?status=invited',
  );
  const outbox = join(sbx.dataDir, 'outbox');
  const mails = existsSync(outbox) ? readdirSync(outbox) : [];
  for (const u of invited) {
    const file = mails
      .filter((f) => f.endsWith(`-${u.email}.eml`))
      .sort()
      .at(-1);
    if (!file) throw new Error(`no invitation for ${u.email} in ${outbox}`);
    const { token } = acceptLink(parseMail(readFileSync(join(outbox, file), 'utf8')), sbx.url);
    await ok(sbx, 'POST', `/v1/invitations/${token}/accept`, { name: u.name }, null);
  }
  return invited.map((u) => u.email).sort();
}

/** Plan items as `op id`, in plan order. */
const items = (planJson: string) =>
  (JSON.parse(planJson).items as Array<{ op: string; id: string }>).map((i) => `${i.op} ${i.id}`);

// ---- (a) round trip, and (d) the crash against an uninterrupted run of the same file ----

describe('round trip: export the demo, apply it to an empty sandbox, export again', () => {
  let demo: TestSandbox;
  let fresh: TestSandbox;
  const w = workspace();
  let first = '';
  /** The state of the empty sandbox right after the uninterrupted apply (before anyone accepted). */
  let uninterrupted: Awaited<ReturnType<typeof snapshot>>;
  let uninterruptedExport = '';

  beforeAll(async () => {
    [demo, fresh] = await Promise.all([sandbox({ seed: 'demo' }), sandbox({ seed: 'empty' })]);
    w.write('policy.yaml', POLICY);
    // What the demo lacks and the file carries: a custom role, and grants with a reason and an expiry.
    for (const args of [
      ['roles', 'create', '--name', 'Auditor', '--permissions', 'flows_run,kbs_query'],
      ['ws', 'add-member', 'Finance', 'radia@example.com', '--role', 'Auditor', '--reason', 'Q4 audit'],
      [
        'ws',
        'set-role',
        'Engineering',
        'ken@example.com',
        '--role',
        'Reader',
        '--reason',
        'on-call',
        '--expires',
        '2099-01-31',
      ],
      [
        'ws',
        'set-role',
        'Engineering',
        'ci-bot@service.example.com',
        '--role',
        'Editor',
        '--expires',
        '2099-06-30',
      ],
    ]) {
      const r = await w.run(demo, args);
      expect(r.code, show(r)).toBe(0);
    }
  });

  it('export of the demo: a noxus-access file, byte-identical when exported again', async () => {
    first = await exportTo(w, demo, 'demo.yaml');
    const doc = parse(first);
    expect([doc.version, doc.kind]).toEqual([1, 'noxus-access']);
    expect(doc.people.map((p: { email: string }) => p.email)).toContain('ken@example.com');
    expect(doc.roles).toEqual([
      { name: 'Auditor', scope: 'workspace', permissions: ['flows_run', 'kbs_query'] },
    ]);
    const eng = doc.workspaces.find((x: { name: string }) => x.name === 'Engineering');
    expect(eng.members.find((m: { user: string }) => m.user === 'ken@example.com')).toEqual({
      user: 'ken@example.com',
      role: 'Reader',
      reason: 'on-call',
      expires: '2099-01-31T00:00:00.000Z',
    });
    expect(statSync(join(w.cwd, 'demo.yaml')).isFile()).toBe(true);
    expect(await exportTo(w, demo, 'demo-again.yaml')).toBe(first);
  });

  it('plan then apply into the empty sandbox: exit 0, people invited', async () => {
    const plan = await w.run(fresh, [
      'access',
      'plan',
      '-f',
      'demo.yaml',
      '--policy',
      'policy.yaml',
      '-o',
      'plan.json',
    ]);
    expect(plan.code, show(plan)).toBe(0);
    expect(statSync(join(w.cwd, 'plan.json')).mode & 0o777).toBe(0o600);
    const ids = items(w.read('plan.json'));
    expect(ids).toContain('+ person:ken@example.com');
    expect(ids).toContain('+ workspace:Engineering');
    expect(ids).toContain('+ account:ci-bot@service.example.com');
    expect(ids).toContain('+ key:ci-bot@service.example.com:Engineering:ci deploy');
    expect(ids.filter((i) => i.startsWith('-'))).toEqual([]);

    const apply = await w.run(fresh, ['access', 'apply', 'plan.json', '--yes', '--secrets-dir', 'secrets']);
    expect(apply.code, show(apply)).toBe(0);
    const secrets = readdirSync(join(w.cwd, 'secrets'));
    expect(secrets).toHaveLength(1);
    expect(statSync(join(w.cwd, 'secrets', secrets[0] as string)).mode & 0o777).toBe(0o600);
    expect(statSync(join(w.cwd, 'secrets')).mode & 0o777).toBe(0o700);
    uninterrupted = await snapshot(fresh);
    uninterruptedExport = await exportTo(w, fresh, 'fresh-before-accept.yaml');
  });

  it('every invitation accepted, the second export equals the first but for server-assigned fields', async () => {
    const accepted = await acceptAll(fresh);
    expect(accepted).toContain('ken@example.com');
    const second = await exportTo(w, fresh, 'fresh.yaml');
    expect(second).not.toBe(first); // the server and organization differ...
    expect(managed(second)).toBe(managed(first)); // ...and nothing else
    expect(managed(uninterruptedExport)).toBe(managed(first));
    // Applied and converged: the file planned against the copy has nothing left to do.
    const again = await w.run(fresh, ['access', 'plan', '-f', 'demo.yaml', '--policy', 'policy.yaml']);
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toContain('No changes. The server matches demo.yaml.');
  });

  it('access plan of the first file against the original: no changes, exit 0 with --detailed-exitcode', async () => {
    const before = await snapshot(demo);
    const plain = await w.run(demo, ['access', 'plan', '-f', 'demo.yaml', '-o', 'noop.json']);
    expect(plain.code, show(plain)).toBe(0);
    expect(plain.stdout).toContain('No changes. The server matches demo.yaml.');
    expect(items(w.read('noop.json'))).toEqual([]);
    const detailed = await w.run(demo, ['access', 'plan', '-f', 'demo.yaml', '--detailed-exitcode']);
    expect(detailed.code, show(detailed)).toBe(0);
    const json = await w.run(demo, ['access', 'plan', '-f', 'demo.yaml', '--json']);
    expect(json.code, show(json)).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ schema_version: 1 });
    expect(await snapshot(demo)).toEqual(before);
  });

  it("the plan's findings on what it leaves alone (people's own keys) are review check's, fix included", async () => {
    const check = await w.run(demo, ['review', 'check', '--json']);
    expect(check.code).toBe(1); // the demo has findings
    const plan = await w.run(demo, ['access', 'plan', '-f', 'demo.yaml', '--json']);
    expect(plan.code, show(plan)).toBe(0);
    type F = { rule: string; subject: string; fix: string };
    const rules = new Set(['personal_key_used_as_integration', 'unrestricted_key']);
    const pick = (fs: F[]) =>
      fs
        .filter((f) => rules.has(f.rule))
        .map((f) => `${f.rule} ${f.subject}: ${f.fix}`)
        .sort();
    const fromCheck = pick(JSON.parse(check.stdout).items as F[]);
    expect(fromCheck.length).toBeGreaterThan(0);
    expect(pick(JSON.parse(plan.stdout).plan.findings as F[])).toEqual(fromCheck);
  });

  it('a changed file: --detailed-exitcode exits 9 (changes pending), and the plan names the change', async () => {
    const doc = parse(first);
    const eng = doc.workspaces.find((x: { name: string }) => x.name === 'Engineering');
    const ken = eng.members.find((m: { user: string }) => m.user === 'ken@example.com');
    ken.role = 'Editor';
    ken.reason = 'release on-call';
    w.write('changed.yaml', stringify(doc));
    const before = await snapshot(demo);
    const r = await w.run(demo, ['access', 'plan', '-f', 'changed.yaml', '--detailed-exitcode']);
    expect(r.code, show(r)).toBe(9);
    expect(r.stdout).toContain('~ grant ken@example.com in Engineering');
    expect(r.stdout).toContain('Plan: 0 to add, 1 to change, 0 to remove.');
    expect(await snapshot(demo)).toEqual(before);
  });

  // (b) Policy on the desired state.
  it('a file that breaks the policy: exit 1, the findings named, no plan file, nothing changed', async () => {
    const doc = parse(first);
    // A fourth org admin (the default policy allows 2; the demo's 3 are existing, not caused by the plan).
    doc.people.find((p: { email: string }) => p.email === 'radia@example.com').org_role = 'Org Admin';
    for (const ws of doc.workspaces)
      ws.members = ws.members.filter((m: { user: string }) => m.user !== 'radia@example.com');
    // An unrestricted key for the CI bot.
    doc.service_accounts
      .find((a: { email: string }) => a.email === 'ci-bot@service.example.com')
      .keys.push({ name: 'deploy hook', workspace: 'Engineering' });
    w.write('bad-policy.yaml', stringify(doc));
    const before = await snapshot(demo);
    const r = await w.run(demo, ['access', 'plan', '-f', 'bad-policy.yaml', '-o', 'refused.json']);
    expect(r.code, show(r)).toBe(1);
    const out = `${r.stdout}\n${r.stderr}`;
    expect(out).toContain('too_many_org_admins');
    expect(out).toContain('radia@example.com');
    expect(out).toContain('unrestricted_key');
    expect(out).toContain('deploy hook');
    expect(w.has('refused.json')).toBe(false);
    expect(await snapshot(demo)).toEqual(before);
  });

  // (d) kill -9 during apply, then --resume: the same end state as the uninterrupted run above.
  describe('kill -9 during access apply, then --resume', () => {
    const status = async (sbx: TestSandbox, email: string) =>
      (
        await Promise.all(
          ['invited', 'active', 'suspended'].map((st) => ok(sbx, 'GET', `/v1/admin/users?status=${st}`)),
        )
      )
        .flat()
        .find((u: { email: string }) => u.email === email)?.status;
    const accountKeys = async (sbx: TestSandbox) => {
      const r = await ok(sbx, 'GET', '/v1/admin/api-keys?status=all&size=500');
      return ((r.items ?? r) as Array<{ name: string; holder_id: string | null }>)
        .filter((k) => k.name === 'ci deploy')
        .map((k) => k.name);
    };
    // Each kill point, and what the server shows of it before the resume.
    const points: Array<{ step: string; killed: (sbx: TestSandbox) => Promise<unknown>; expected: unknown }> =
      [
        { step: 'person:ken@example.com', killed: (x) => status(x, 'ken@example.com'), expected: 'invited' },
        // Tim is suspended in the file: invited (#1), then suspended (#2); killed between the two.
        {
          step: 'person:tim@example.com#1',
          killed: (x) => status(x, 'tim@example.com'),
          expected: 'invited',
        },
        // The key was made and its secret written before the journal recorded the step.
        {
          step: 'key:ci-bot@service.example.com:Engineering:ci deploy',
          killed: accountKeys,
          expected: ['ci deploy'],
        },
      ];

    it.each(points)(
      'killed right after $step: a fresh run is refused, --resume finishes with each effect once',
      async ({ step, killed: probe, expected }) => {
        expect(uninterrupted, 'the uninterrupted run above').toBeDefined();
        const crashed = await sandbox({ seed: 'empty' });
        const c = workspace();
        c.write('demo.yaml', first);
        c.write('policy.yaml', POLICY);
        const plan = await c.run(crashed, [
          'access',
          'plan',
          '-f',
          'demo.yaml',
          '--policy',
          'policy.yaml',
          '-o',
          'plan.json',
        ]);
        expect(plan.code, show(plan)).toBe(0);
        expect(items(c.read('plan.json'))).toContain(`+ ${step.replace(/#\d+$/, '')}`);
        const apply = ['access', 'apply', 'plan.json', '--yes', '--secrets-dir', 'secrets'];
        const killed = await c.run(crashed, apply, {
          CRASH_AFTER_STEP: step,
          NODE_OPTIONS:
            `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(CRASH_PRELOAD).href}`.trim(),
        });
        expect([killed.code, killed.signal], show(killed)).toEqual([null, 'SIGKILL']);
        expect(await probe(crashed)).toEqual(expected);

        const fresh = await c.run(crashed, apply);
        expect(fresh.code, show(fresh)).toBe(7);
        expect(fresh.stderr).toContain('--resume');

        const resumed = await c.run(crashed, [...apply, '--resume']);
        expect(resumed.code, show(resumed)).toBe(0);
        // The same users, memberships, keys (per name: one), resources and activity entries per
        // action as the uninterrupted run: every invitation, grant and key made once.
        expect(await snapshot(crashed)).toEqual(uninterrupted);
        expect(managed(await exportTo(c, crashed, 'after.yaml'))).toBe(managed(uninterruptedExport));
        const invitations: Array<{ email: string }> = await ok(
          crashed,
          'GET',
          '/v1/admin/invitations?status=all',
        );
        const perEmail = new Map<string, number>();
        for (const i of invitations) perEmail.set(i.email, (perEmail.get(i.email) ?? 0) + 1);
        // Every person but the owner was invited (a service account never is).
        const people = uninterrupted.users.filter(
          (u) => u.split(' ')[2] === 'human' && !u.startsWith('owner@'),
        );
        expect(perEmail.size).toBe(people.length);
        expect([...perEmail].filter(([, n]) => n !== 1)).toEqual([]);
        // The key's secret was delivered once, to the secrets dir.
        expect(readdirSync(join(c.cwd, 'secrets'))).toHaveLength(1);
      },
      60_000,
    );
  });

  // (e) Bad input.
  describe('bad files: every problem as file:line:column, exit 2, nothing changed', () => {
    const b = workspace();
    let before: Awaited<ReturnType<typeof snapshot>>;
    beforeAll(async () => {
      before = await snapshot(demo);
    });

    /** Line and column (1-based) of `token` on the first line containing `needle`. */
    const at = (text: string, needle: string, token = needle) => {
      const lines = text.split('\n');
      const i = lines.findIndex((l) => l.includes(needle));
      if (i < 0) throw new Error(`no line with ${needle}`);
      return { line: i + 1, column: (lines[i] as string).indexOf(token) + 1 };
    };
    /** The stderr line for a problem: `file:line:column: message`, the message matching `what`. */
    const problem = (stderr: string, file: string, p: { line: number; column: number }[], what: RegExp) => {
      const heads = p.map((x) => `${file}:${x.line}:${x.column}: `);
      const hit = stderr
        .split('\n')
        .find((l) => heads.some((h) => l.startsWith(h) || l.includes(`/${h}`)) && what.test(l));
      expect(hit, `expected ${heads.join(' or ')}… matching ${what} in:\n${stderr}`).toBeDefined();
    };
    async function refused(file: string) {
      const r = await b.run(demo, ['access', 'plan', '-f', file, '-o', 'never.json']);
      expect(r.code, show(r)).toBe(2);
      expect(b.has('never.json')).toBe(false);
      return r;
    }

    it('structure: unknown keys, wrong types, missing fields, version, kind, a bad rotation period', async () => {
      const text = [
        'version: 2',
        'kind: noxus-acess',
        'colour: red',
        'roles: []',
        'people:',
        '  - email: ada@example.com',
        '    name: Ada Lovelace',
        '    org_role: Org Admin',
        '  - email: ken@example.com',
        '    name: 42',
        '    org_role: Org Base',
        '  - email: tim@example.com',
        '    name: Tim',
        '    suspended: perhaps',
        'workspaces: []',
        'service_accounts:',
        '  - email: ci-bot@service.example.com',
        '    name: CI bot',
        '    org_role: Org Base',
        '    workspaces: []',
        '    keys:',
        '      - name: rotating',
        '        workspace: Engineering',
        '        rotate_every: soon',
        '',
      ].join('\n');
      b.write('structure.yaml', text);
      const r = await refused('structure.yaml');
      const f = 'structure.yaml';
      problem(r.stderr, f, [at(text, 'version: 2', '2'), at(text, 'version')], /version/);
      problem(r.stderr, f, [at(text, 'noxus-acess'), at(text, 'kind:')], /kind/);
      problem(r.stderr, f, [at(text, 'colour'), at(text, 'colour', 'red')], /colour/);
      problem(r.stderr, f, [at(text, 'rotate_every: soon', 'soon')], /rotate_every|soon/);
      problem(r.stderr, f, [at(text, 'name: 42', '42'), at(text, 'name: 42')], /name/);
      problem(r.stderr, f, [at(text, 'perhaps'), at(text, 'suspended')], /suspended/);
      // The person without an org role: reported at the nearest enclosing value (their entry).
      const tim = at(text, 'tim@example.com');
      problem(r.stderr, f, [tim, { line: tim.line, column: 3 }, { line: tim.line, column: 5 }], /org_role/);
      expect(r.stderr).toContain('structure.yaml: 7 problems; nothing was changed');
      expect(r.stderr.split('\n').filter((l) => l.startsWith(`${f}:`))).toHaveLength(7);
      expect(await snapshot(demo)).toEqual(before);
    });

    it('references: unknown person, workspace, role, permission; duplicates; admin grants; expiry; keys; transfer', async () => {
      const text = [
        'version: 1',
        'kind: noxus-access',
        'offboarding:',
        '  transfer_to: nobody@example.com',
        'roles:',
        '  - name: Flyer',
        '    scope: workspace',
        '    permissions: [flows_fly, flows_run]',
        'people:',
        '  - email: ada@example.com',
        '    name: Ada Lovelace',
        '    org_role: Org Admin',
        '  - email: ken@example.com',
        '    name: Ken Thompson',
        '    org_role: Editor',
        '  - email: alan@example.com',
        '    name: Alan Turing',
        '    org_role: Org Base',
        '  - email: alan@example.com',
        '    name: Alan Again',
        '    org_role: Org Base',
        'workspaces:',
        '  - name: Engineering',
        '    members:',
        '      - user: ghost@example.com',
        '        role: Reader',
        '      - user: ci-bot@service.example.com',
        '        role: Editor',
        '      - user: ada@example.com',
        '        role: Reader',
        '      - user: alan@example.com',
        '        role: Superuser',
        '      - user: alan@example.com',
        '        role: Reader',
        '        expires: 2020-01-01',
        '  - name: Engineering',
        '    members: []',
        'service_accounts:',
        '  - email: ci-bot@service.example.com',
        '    name: CI bot',
        '    org_role: Org Base',
        '    workspaces:',
        '      - workspace: Engineering',
        '        role: Reader',
        '      - workspace: Atlantis',
        '        role: Reader',
        '    keys:',
        // A new key (the server's "ci deploy" as it is would be accepted, degraded as it is).
        '      - name: ci release',
        '        workspace: Engineering',
        '        restrict: [flows_edit, flows_run]',
        '      - name: ci release',
        '        workspace: Engineering',
        '        restrict: [flows_run]',
        '      - name: stray',
        '        workspace: Finance',
        '        restrict: [flows_run]',
        '',
      ].join('\n');
      b.write('refs.yaml', text);
      const r = await refused('refs.yaml');
      const f = 'refs.yaml';
      const value = (needle: string, token: string) => [at(text, needle, token)];
      /** Where a duplicate is reported: the second entry's dash, key or value. */
      const second = (needle: string) => {
        const lines = text.split('\n');
        const i = lines.findIndex(
          (l, n) => l.includes(needle) && n > lines.findIndex((x) => x.includes(needle)),
        );
        const line = lines[i] as string;
        return [
          { line: i + 1, column: line.indexOf('-') + 1 },
          { line: i + 1, column: line.indexOf('-') + 3 },
          { line: i + 1, column: line.indexOf(':') + 3 },
        ];
      };
      problem(r.stderr, f, value('transfer_to', 'nobody@example.com'), /nobody@example\.com/);
      problem(
        r.stderr,
        f,
        value('flows_fly', 'flows_fly').concat(at(text, 'permissions: [flows_fly')),
        /flows_fly/,
      );
      problem(r.stderr, f, value('org_role: Editor', 'Editor'), /Editor/);
      problem(r.stderr, f, second('- email: alan@example.com'), /alan@example\.com|duplicate/i);
      problem(r.stderr, f, value('ghost@example.com', 'ghost@example.com'), /ghost@example\.com/);
      problem(
        r.stderr,
        f,
        value('user: ci-bot@service.example.com', 'ci-bot@service.example.com'),
        /service account grants are listed under service_accounts\[\]\.workspaces/,
      );
      problem(
        r.stderr,
        f,
        value('user: ada@example.com', 'ada@example.com').concat(at(text, 'user: ada@example.com', 'user')),
        /ada@example\.com|org admin/i,
      );
      problem(r.stderr, f, value('role: Superuser', 'Superuser'), /Superuser/);
      problem(r.stderr, f, value('2020-01-01', '2020-01-01'), /past|2020/i);
      problem(r.stderr, f, value('Atlantis', 'Atlantis'), /Atlantis/);
      problem(r.stderr, f, value('workspace: Finance', 'Finance'), /Finance|no grant/i);
      // The CI bot is a Reader in Engineering: flows_edit is beyond it.
      problem(
        r.stderr,
        f,
        value('[flows_edit, flows_run]', 'flows_edit').concat(
          at(text, 'restrict: [flows_edit', 'restrict'),
          at(text, 'restrict: [flows_edit', '['),
        ),
        /flows_edit/,
      );
      // The duplicates: the second workspace, grant and key (reported at the second one).
      problem(r.stderr, f, second('- name: Engineering'), /duplicate|Engineering/i);
      problem(r.stderr, f, second('- name: ci release'), /duplicate|ci release/i);
      problem(r.stderr, f, second('- user: alan@example.com'), /duplicate|alan@example\.com/i);
      // All of them, each on its own line, and nothing else.
      expect(r.stderr).toContain('refs.yaml: 15 problems; nothing was changed');
      expect(r.stderr.split('\n').filter((l) => l.startsWith(`${f}:`))).toHaveLength(15);
      expect(await snapshot(demo)).toEqual(before);
    });

    it('a duplicate key in a mapping is refused where it repeats', async () => {
      const text =
        'version: 1\nkind: noxus-access\nroles: []\npeople: []\npeople: []\nworkspaces: []\nservice_accounts: []\n';
      b.write('dup.yaml', text);
      const r = await refused('dup.yaml');
      problem(r.stderr, 'dup.yaml', [{ line: 5, column: 1 }], /duplicate key/);
      expect(await snapshot(demo)).toEqual(before);
    });

    it('a 50 MB file is refused before parsing, naming its size and the limit', async () => {
      const big = join(b.cwd, 'big.yaml');
      const line = `# ${'x'.repeat(1021)}\n`;
      writeFileSync(big, `version: 1\nkind: noxus-access\n${line.repeat(50 * 1024)}`);
      expect(statSync(big).size).toBeGreaterThan(50 * 1024 * 1024);
      const r = await refused('big.yaml');
      expect(r.stderr).toMatch(/big\.yaml:1:1: the file is 50(\.\d)? MiB; the limit is 5 MiB/);
      expect(await snapshot(demo)).toEqual(before);
    });

    it('a YAML alias bomb is refused: "YAML aliases expand too far"', async () => {
      const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 9; i++) {
        const prev = String.fromCharCode(96 + i);
        const cur = String.fromCharCode(97 + i);
        levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
      }
      b.write('bomb.yaml', `version: 1\nkind: noxus-access\n${levels.join('\n')}\n`);
      const r = await refused('bomb.yaml');
      expect(r.stderr).toMatch(/bomb\.yaml:\d+:\d+: YAML aliases expand too far/);
      expect(await snapshot(demo)).toEqual(before);
    });
  });
});

// ---- (c) --prune ----

describe('--prune: removes exactly the unmanaged grants; a person removed from the file is offboarded', () => {
  let sbx: TestSandbox;
  const w = workspace();

  beforeAll(async () => {
    sbx = await sandbox({ seed: 'demo' });
  });

  it('without --prune the unmanaged access is reported and kept; with it, removed', async () => {
    const exported = await exportTo(w, sbx, 'access.yaml');
    // Unmanaged after the export: Alan gets a grant on the server that the file does not have.
    const added = await w.run(sbx, ['ws', 'add-member', 'Finance', 'alan@example.com', '--role', 'Reader']);
    expect(added.code, show(added)).toBe(0);
    const before = await exportTo(w, sbx, 'before.yaml');
    expect(before).not.toBe(exported);

    // The file drops Katherine's Finance grant and Linus; Margaret (an Editor in Engineering, where
    // his work is) receives it.
    const doc = parse(exported);
    doc.offboarding = { transfer_to: 'margaret@example.com' };
    doc.people = doc.people.filter((p: { email: string }) => p.email !== 'linus@example.com');
    for (const ws of doc.workspaces)
      ws.members = ws.members.filter(
        (m: { user: string }) =>
          m.user !== 'linus@example.com' && !(ws.name === 'Finance' && m.user === 'katherine@example.com'),
      );
    w.write('wanted.yaml', stringify(doc));

    const kept = await snapshot(sbx);
    const plain = await w.run(sbx, ['access', 'plan', '-f', 'wanted.yaml', '-o', 'plain.json']);
    expect(plain.code, show(plain)).toBe(0);
    expect(items(w.read('plain.json')).filter((i) => i.startsWith('-'))).toEqual([]);
    expect(plain.stdout).toContain('Unmanaged');
    for (const who of ['linus@example.com', 'alan@example.com', 'katherine@example.com'])
      expect(plain.stdout).toContain(who);
    expect(await snapshot(sbx)).toEqual(kept);

    // The identity of the key in use is never offboarded: a file without the owner is refused.
    const noOwner = parse(w.read('wanted.yaml'));
    noOwner.people = noOwner.people.filter((p: { email: string }) => p.email !== 'owner@example.com');
    w.write('no-owner.yaml', stringify(noOwner));
    const self = await w.run(sbx, ['access', 'plan', '-f', 'no-owner.yaml', '--prune', '-o', 'self.json']);
    expect(self.code, show(self)).toBe(7);
    expect(self.stderr).toContain('this plan would offboard owner@example.com');
    expect(w.has('self.json')).toBe(false);
    expect(await snapshot(sbx)).toEqual(kept);

    // Dennis is no one who could own Linus's work in Engineering: refused at plan time, not half-way
    // through apply.
    const toDennis = parse(w.read('wanted.yaml'));
    toDennis.offboarding = { transfer_to: 'dennis@example.com' };
    w.write('to-dennis.yaml', stringify(toDennis));
    const cannot = await w.run(sbx, ['access', 'plan', '-f', 'to-dennis.yaml', '--prune', '-o', 'd.json']);
    expect(cannot.code, show(cannot)).toBe(7);
    expect(cannot.stderr).toContain(
      "error: the plan cannot offboard as the file says: linus@example.com's work in Engineering cannot go to dennis@example.com: needs flows_edit, kbs_edit (no role there in the file)",
    );
    expect(w.has('d.json')).toBe(false);
    expect(await snapshot(sbx)).toEqual(kept);

    const plan = await w.run(sbx, ['access', 'plan', '-f', 'wanted.yaml', '--prune', '-o', 'prune.json']);
    expect(plan.code, show(plan)).toBe(0);
    const removals = items(w.read('prune.json')).filter((i) => i.startsWith('-'));
    const linusGrants = removals.filter((i) => /^- grant:[^:]+:linus@example\.com$/.test(i));
    expect(removals.filter((i) => !linusGrants.includes(i)).sort()).toEqual([
      '- grant:Finance:alan@example.com',
      '- grant:Finance:katherine@example.com',
      '- offboard:linus@example.com',
    ]);
    expect(items(w.read('prune.json')).filter((i) => !i.startsWith('-'))).toEqual([]);

    const apply = await w.run(sbx, ['access', 'apply', 'prune.json', '--yes', '--secrets-dir', 'secrets']);
    expect(apply.code, show(apply)).toBe(0);

    // Compare the exports: exactly Linus and the two grants are gone.
    const after = parse(await exportTo(w, sbx, 'after.yaml'));
    const expected = parse(before);
    expected.people = expected.people.filter((p: { email: string }) => p.email !== 'linus@example.com');
    for (const ws of expected.workspaces)
      ws.members = ws.members.filter(
        (m: { user: string }) =>
          m.user !== 'linus@example.com' &&
          !(ws.name === 'Finance' && ['katherine@example.com', 'alan@example.com'].includes(m.user)),
      );
    for (const d of [after, expected]) {
      delete d.server;
      delete d.organization;
      delete d.unreadable;
      delete d.offboarding;
    }
    expect(after).toEqual(expected);

    // Offboarded through the checklist: removed, his work with Margaret, his key revoked, a report.
    const removed: Array<{ email: string; id: string }> = await ok(
      sbx,
      'GET',
      '/v1/admin/users?status=removed',
    );
    const linus = removed.find((u) => u.email === 'linus@example.com');
    expect(linus).toBeDefined();
    const margaret = (await ok(sbx, 'GET', '/v1/admin/users')).find(
      (u: { email: string }) => u.email === 'margaret@example.com',
    );
    const owned = (await ok(sbx, 'GET', `/v1/admin/users/${margaret.id}/access`)).resources_owned.map(
      (r: { name: string }) => r.name,
    );
    expect(owned).toEqual(expect.arrayContaining(['Nightly triage', 'Architecture decisions']));
    const linusAccess = await ok(sbx, 'GET', `/v1/admin/users/${linus?.id}/access`);
    expect(linusAccess.resources_owned).toEqual([]);
    const keys = await ok(sbx, 'GET', '/v1/admin/api-keys?status=all&size=500');
    const laptop = (keys.items ?? keys).filter((k: { name: string }) => k.name === 'linus laptop');
    expect(laptop.map((k: { status: string }) => k.status)).toEqual(['revoked']);
    const reports = readdirSync(w.cwd).filter((f) => /^offboard-linus@example\.com-.*\.(json|md)$/.test(f));
    expect(reports.map((f) => f.slice(-3)).sort()).toEqual(['.md', 'son']);
    const report = JSON.parse(w.read(reports.find((f) => f.endsWith('.json')) as string));
    expect(report.kind).toBe('noxus-offboarding-report');
    expect(report.transfer_to ?? report.plan?.transfer_to).toBeDefined();
  }, 60_000);
});

// ---- drift and secrets on stdout ----

describe('apply refuses a server that changed since the plan; without --secrets-dir a secret is printed once, masked', () => {
  let sbx: TestSandbox;
  const w = workspace();

  beforeAll(async () => {
    sbx = await sandbox({ seed: 'demo' });
  });

  it('drift: exit 7 naming the change, nothing written', async () => {
    const doc = parse(await exportTo(w, sbx, 'access.yaml'));
    const eng = doc.workspaces.find((x: { name: string }) => x.name === 'Engineering');
    eng.members.find((m: { user: string }) => m.user === 'ken@example.com').role = 'Editor';
    w.write('ken.yaml', stringify(doc));
    const plan = await w.run(sbx, ['access', 'plan', '-f', 'ken.yaml', '-o', 'plan.json']);
    expect(plan.code, show(plan)).toBe(0);
    // Someone changes the organization between the plan and its apply.
    const moved = await w.run(sbx, ['ws', 'set-role', 'Support', 'alan@example.com', '--role', 'Editor']);
    expect(moved.code, show(moved)).toBe(0);
    const before = await snapshot(sbx);
    const apply = await w.run(sbx, ['access', 'apply', 'plan.json', '--yes']);
    expect(apply.code, show(apply)).toBe(7);
    expect(apply.stderr).toContain('alan@example.com');
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('an org-role change needs --yes off a terminal (exit 2); --dry-run changes nothing either', async () => {
    const doc = parse(await exportTo(w, sbx, 'roles.yaml'));
    doc.people.find((p: { email: string }) => p.email === 'grace@example.com').org_role = 'Org Base';
    w.write('demote.yaml', stringify(doc));
    const plan = await w.run(sbx, ['access', 'plan', '-f', 'demote.yaml', '-o', 'demote.json']);
    expect(plan.code, show(plan)).toBe(0);
    expect(plan.stdout).toContain('no longer admin on');
    const before = await snapshot(sbx);
    const refused = await w.run(sbx, ['access', 'apply', 'demote.json']);
    expect(refused.code, show(refused)).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const dry = await w.run(sbx, ['access', 'apply', 'demote.json', '--dry-run']);
    expect(dry.code, show(dry)).toBe(0);
    expect(`${dry.stdout}${dry.stderr}`).toContain('grace@example.com');
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('a new key without --secrets-dir: its secret on stdout once, registered as a mask on stderr', async () => {
    const doc = parse(await exportTo(w, sbx, 'now.yaml'));
    doc.service_accounts
      .find((a: { email: string }) => a.email === 'ci-bot@service.example.com')
      .keys.push({ name: 'release sync', workspace: 'Engineering', restrict: ['flows_run'] });
    w.write('key.yaml', stringify(doc));
    const plan = await w.run(sbx, ['access', 'plan', '-f', 'key.yaml', '-o', 'key.json']);
    expect(plan.code, show(plan)).toBe(0);
    const apply = await w.run(sbx, ['access', 'apply', 'key.json', '--yes'], { GITHUB_ACTIONS: 'true' });
    expect(apply.code, show(apply)).toBe(0);
    const secrets = apply.stdout.match(/noxus_[0-9A-Za-z]{20,}/g) ?? [];
    expect(secrets).toHaveLength(1);
    const secret = secrets[0] as string;
    expect(apply.stderr.split('\n')).toContain(`::add-mask::${secret}`);
    // Never in the plan, the journal or anything else the run left behind.
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
      );
    const holding = files(w.cwd).filter((f) => readFileSync(f, 'utf8').includes(secret));
    expect(holding).toEqual([]);
  });

  it("an export with a degraded account key (its account's role lowered since) plans as no changes", async () => {
    const lowered = await w.run(sbx, [
      'ws',
      'set-role',
      'Engineering',
      'ci-bot@service.example.com',
      '--role',
      'Reader',
    ]);
    expect(lowered.code, show(lowered)).toBe(0);
    await exportTo(w, sbx, 'degraded.yaml');
    const again = await w.run(sbx, ['access', 'plan', '-f', 'degraded.yaml']);
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toContain('No changes. The server matches degraded.yaml.');
  });
});

// ---- (f) an expiring grant lapses ----

describe('a grant from the file lapses at its expiry (the sandbox clock), and the key held through it shrinks', () => {
  // The CLI judges expiries by the real time; the sandbox starts there and is moved by hand.
  const clock = manualClock(new Date());
  const expires = new Date(Date.now() + 2 * 86_400_000).toISOString();
  let sbx: TestSandbox;
  const w = workspace();

  beforeAll(async () => {
    sbx = await sandbox({ seed: 'empty', clock });
  });

  it('applies, lapses, and review export, review diff, keys and the next access export show it', async () => {
    const base = parse(await exportTo(w, sbx, 'base.yaml'));
    base.workspaces.push({ name: 'Ops', members: [] });
    base.service_accounts.push({
      email: 'etl-bot@service.example.com',
      name: 'ETL bot',
      org_role: 'Org Base',
      workspaces: [{ workspace: 'Ops', role: 'Editor', reason: 'Q1 migration', expires }],
      keys: [{ name: 'etl sync', workspace: 'Ops', restrict: ['flows_edit', 'flows_run'] }],
    });
    w.write('ops.yaml', stringify(base));
    const plan = await w.run(sbx, ['access', 'plan', '-f', 'ops.yaml', '-o', 'plan.json']);
    expect(plan.code, show(plan)).toBe(0);
    const apply = await w.run(sbx, ['access', 'apply', 'plan.json', '--yes', '--secrets-dir', 'secrets']);
    expect(apply.code, show(apply)).toBe(0);

    const key = () =>
      ok(sbx, 'GET', '/v1/admin/api-keys?status=all&size=500').then((k) =>
        (k.items ?? k).find((x: { name: string }) => x.name === 'etl sync'),
      );
    expect((await key()).effective_permissions).toEqual(['flows_edit', 'flows_run']);
    const reviewBefore = await w.run(sbx, ['review', 'export', '-o', 'q-before.json']);
    expect(reviewBefore.code, show(reviewBefore)).toBe(0);
    const grantOf = (file: string) =>
      JSON.parse(w.read(file)).content.grants.filter(
        (g: { email: string }) => g.email === 'etl-bot@service.example.com',
      );
    expect(grantOf('q-before.json')).toEqual([
      expect.objectContaining({
        workspace: 'Ops',
        role: 'Editor',
        reason: 'Q1 migration',
        expires_at: expires,
      }),
    ]);

    clock.set(new Date(Date.parse(expires) + 1));
    // At once: the key held through the grant does nothing any more, though still active.
    expect(await key()).toMatchObject({ status: 'active', effective_permissions: [] });
    const reviewAfter = await w.run(sbx, ['review', 'export', '-o', 'q-after.json']);
    expect(reviewAfter.code, show(reviewAfter)).toBe(0);
    expect(grantOf('q-after.json')).toEqual([]);
    const diff = await w.run(sbx, ['review', 'diff', 'q-before.json', 'q-after.json']);
    expect(diff.code, show(diff)).toBe(0);
    expect(diff.stdout).toMatch(/Grants removed[\s\S]*etl-bot@service\.example\.com in Ops: Editor/);
    const lapses = await w.run(sbx, ['activity', '--action', 'lapse', '--json']);
    expect(lapses.code, show(lapses)).toBe(0);
    expect(
      lapses.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).at),
    ).toEqual([expires]);
    // The next export has the account without the grant; its key stays listed.
    const after = parse(await exportTo(w, sbx, 'after.yaml'));
    const bot = after.service_accounts.find(
      (a: { email: string }) => a.email === 'etl-bot@service.example.com',
    );
    expect(bot.workspaces).toEqual([]);
  }, 60_000);

  it('the export after the lapse (a key held through no grant) is a file its own plan accepts: no changes', async () => {
    expect(w.has('after.yaml'), 'the export of the test above').toBe(true);
    const again = await w.run(sbx, ['access', 'plan', '-f', 'after.yaml']);
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toContain('No changes. The server matches after.yaml.');
  });
});
