// `noxus access plan` in-process against a real sandbox: exact stdout, stderr and exit codes for no
// changes, changes (and --detailed-exitcode), a policy failure (no plan file), a bad file (every
// problem, nothing read), --format md, --json, and -o written with mode 0600.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Env } from '../../src/io/streams.js';
import { groupId, userByEmail } from '../e2e/support.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { runInProcess, tempDir } from './support.js';

let sbx: TestSandbox;
let env: Env;
let dir: string;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'empty' });
  env = {
    NOXUS_API_KEY: sbx.adminKey,
    NOXUS_BACKEND_URL: sbx.url,
    NOXUS_CONFIG_DIR: tempDir(),
    NO_COLOR: '1',
  };
  dir = tempDir();
  const made = await sbx.call('POST', '/v1/admin/users', {
    body: { email: 'ken@example.com', name: 'Ken', workspaces: [{ group_id: 'Default', role: 'Reader' }] },
  });
  expect(made.status).toBe(201);
  const ken = await userByEmail(sbx, 'ken@example.com');
  const set = await sbx.call('PUT', `/v1/admin/groups/${await groupId(sbx, 'Default')}/members/${ken?.id}`, {
    body: { role: 'Reader', reason: 'on call' },
  });
  expect(set.status).toBe(200);
});
afterAll(async () => {
  await sbx?.cleanup();
});

const SAME = `version: 1
kind: noxus-access
roles: []
people:
  - email: ken@example.com
    name: Ken
    org_role: Org Base
  - email: owner@example.com
    name: Sandbox Owner
    org_role: Org Admin
workspaces:
  - name: Default
    members:
      - user: ken@example.com
        role: Reader
        reason: on call
service_accounts: []
`;

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const withLucy = SAME.replace(
  'workspaces:\n',
  'workspaces:\n  - name: Research\n    members:\n      - user: lucy@example.com\n        role: Editor\n        reason: new project\n',
).replace('people:\n', 'people:\n  - email: lucy@example.com\n    name: Lucy\n    org_role: Org Base\n');

describe('noxus access plan', () => {
  it('no changes: says so on stdout and stderr, exit 0 (also with --detailed-exitcode)', async () => {
    const f = write('same.yaml', SAME);
    const r = await runInProcess(['access', 'plan', '-f', f], { env, tty: false });
    const line = `No changes. The server matches ${f}.\n`;
    expect(r).toEqual({ code: 0, stdout: line, stderr: line });
    const d = await runInProcess(['access', 'plan', '-f', f, '--detailed-exitcode'], { env, tty: false });
    expect(d.code).toBe(0);
  });

  it('changes: the plan on stdout, the summary on stderr; --detailed-exitcode exits 9; -o writes 0600', async () => {
    const f = write('lucy.yaml', withLucy);
    const out = join(dir, 'plan.json');
    const r = await runInProcess(['access', 'plan', '-f', f, '-o', out], { env, tty: false });
    expect(r).toEqual({
      code: 0,
      stdout: [
        `Plan for ${f} on ${sbx.url} (in the order apply carries it out):`,
        '',
        '  + workspace Research',
        '  + person lucy@example.com: name Lucy, org_role Org Base',
        '  + grant lucy@example.com in Research: role Editor, reason "new project"',
        '',
        'Policy: passes',
        '  not judged on a desired state: inactive_user_with_roles, old_key, unused_key, stale_invitation, degraded_key',
        '',
        'Plan: 3 to add, 0 to change, 0 to remove.',
        '',
      ].join('\n'),
      stderr: `Plan: 3 to add, 0 to change, 0 to remove.\nPlan written to ${out}; apply it with: noxus access apply ${out}\n`,
    });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const plan = JSON.parse(readFileSync(out, 'utf8'));
    expect(plan).toMatchObject({
      schema_version: 1,
      kind: 'noxus-access-plan',
      server: sbx.url,
      file: f,
      prune: false,
      transfer_to: null,
      unmanaged: [],
      findings: [],
    });
    expect(plan.base_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.items.map((i: { id: string }) => i.id)).toEqual([
      'workspace:Research',
      'person:lucy@example.com',
      'grant:Research:lucy@example.com',
    ]);
    const d = await runInProcess(['access', 'plan', '-f', f, '--detailed-exitcode'], { env, tty: false });
    expect(d.code).toBe(9);
    expect(d.stderr).toBe('Plan: 3 to add, 0 to change, 0 to remove.\n');
  });

  it('--format md: a pull-request comment; --json: the envelope with the plan', async () => {
    const f = write('lucy-md.yaml', withLucy);
    const md = await runInProcess(['access', 'plan', '-f', f, '--format', 'md'], { env, tty: false });
    expect(md.code).toBe(0);
    expect(md.stdout.split('\n').slice(0, 12)).toEqual([
      `### noxus access plan: ${f.replace(/_/g, '\\_')}`,
      '',
      '**Plan: 3 to add, 0 to change, 0 to remove.** Policy: passes.',
      '',
      `Server: ${sbx.url.replace('://', '\\://')}`,
      '',
      '#### To add (3)',
      '',
      '| Kind | Subject | Changes | Effects | Availability |',
      '|---|---|---|---|---|',
      '| workspace | Research |  |  | api |',
      '| person | lucy@example.com | name: Lucy<br>org\\_role: Org Base |  | api |',
    ]);
    const j = await runInProcess(['--json', 'access', 'plan', '-f', f], { env, tty: false });
    expect(j.code).toBe(0);
    expect(j.stderr).toBe('');
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({
      schema_version: 1,
      command: 'access plan',
      summary: { add: 3, change: 0, remove: 0, changes: true },
      policy: { passed: true, fail_on: 'warning', failing: [] },
      written: null,
      plan: { kind: 'noxus-access-plan', file: f },
    });
    expect(doc.items).toHaveLength(3);
  });

  it('a policy failure: exit 1 naming the findings, and no plan file', async () => {
    const f = write('lucy-policy.yaml', withLucy.replace('        reason: new project\n', ''));
    const policy = write('policy.yaml', 'fail_on: info\n');
    const out = join(dir, 'refused.json');
    const r = await runInProcess(['access', 'plan', '-f', f, '--policy', policy, '-o', out], {
      env,
      tty: false,
    });
    expect(r).toEqual({
      code: 1,
      stdout: [
        `Plan for ${f} on ${sbx.url} (in the order apply carries it out):`,
        '',
        '  + workspace Research',
        '  + person lucy@example.com: name Lucy, org_role Org Base',
        '  + grant lucy@example.com in Research: role Editor',
        '',
        'Policy: 1 finding(s) caused by this plan fail it',
        '  info grant_without_reason: lucy@example.com in Research: Editor with no recorded reason',
        "      fix: noxus ws set-role Research lucy@example.com --role Editor --reason '<why>'",
        '  not judged on a desired state: inactive_user_with_roles, old_key, unused_key, stale_invitation, degraded_key',
        '',
        'Plan: 3 to add, 0 to change, 0 to remove.',
        '',
      ].join('\n'),
      stderr:
        `error: the policy fails on what this plan adds or changes: grant_without_reason (lucy@example.com in Research); ${out} was not written\n` +
        'change the file so the plan passes, or adjust the policy (--policy)\n',
    });
    expect(existsSync(out)).toBe(false);
  });

  it('a bad file: exit 2 with every problem as file:line:column, nothing on stdout, no plan file', async () => {
    const f = write(
      'bad.yaml',
      SAME.replace('role: Reader', 'role: Wizard').replace(
        'user: ken@example.com',
        'user: nobody@example.com',
      ),
    );
    const r = await runInProcess(['access', 'plan', '-f', f, '-o', join(dir, 'bad.json')], {
      env,
      tty: false,
    });
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `error: ${f}: 2 problems; nothing was changed\n` +
        'bad.yaml:14:15: workspaces[0].members[0].user: unknown person "nobody@example.com" (not in people)\n' +
        'bad.yaml:15:15: workspaces[0].members[0].role: unknown role "Wizard" (workspace roles: Admin, Editor, Reader)\n',
    });
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
  });
});

describe('noxus access plan on a file that does not parse', () => {
  it('exit 2 before any request: no server is needed', async () => {
    const f = write('broken.yaml', 'version: 1\nkind: noxus-access\nroles: [\n');
    const r = await runInProcess(['access', 'plan', '-f', f], {
      env: { ...env, NOXUS_BACKEND_URL: 'http://127.0.0.1:9' },
      tty: false,
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 problem; nothing was changed\nbroken.yaml:\\d+:\\d+: `,
      ),
    );
  });
});

describe('noxus access plan -o where no file can be written', () => {
  it('exit 2 before any request, naming the path: a missing directory, or a directory', async () => {
    const offline = { ...env, NOXUS_BACKEND_URL: 'http://127.0.0.1:9' };
    const f = write('same-o.yaml', SAME);
    const missing = join(dir, 'nowhere', 'p.json');
    const r = await runInProcess(['access', 'plan', '-f', f, '-o', missing], { env: offline, tty: false });
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: cannot write the plan to ${missing}: the directory ${join(dir, 'nowhere')} does not exist\n`,
    });
    const d = await runInProcess(['access', 'plan', '-f', f, '-o', dir], { env: offline, tty: false });
    expect(d).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: cannot write the plan to ${dir}: it is a directory\nname a file, e.g. -o ${join(dir, 'plan.json')}\n`,
    });
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });
});

describe('noxus access plan with workspace names in another case', () => {
  it('is the same workspace: the change goes to the server spelling, and after apply nothing is left', async () => {
    const f = write(
      'lower.yaml',
      SAME.replace('  - name: Default\n', '  - name: default\n').replace(
        'reason: on call\n',
        'reason: on call rotation\n',
      ),
    );
    const out = join(dir, 'lower.json');
    const r = await runInProcess(['access', 'plan', '-f', f, '-o', out], { env, tty: false });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('  ~') || l.startsWith('  +'))).toEqual([
      '  ~ grant ken@example.com in Default: reason "on call" → "on call rotation"',
    ]);
    const a = await runInProcess(['access', 'apply', out, '--yes'], { env, tty: false });
    expect(a.code, a.stderr).toBe(0);
    const again = await runInProcess(['access', 'plan', '-f', f, '--detailed-exitcode'], { env, tty: false });
    expect(again).toEqual({
      code: 0,
      stdout: `No changes. The server matches ${f}.\n`,
      stderr: `No changes. The server matches ${f}.\n`,
    });
  });
});

describe('noxus access plan offboarding to someone who cannot receive work yet', () => {
  it('exit 7 for an invited transfer target, before any plan file', async () => {
    const demo = await startTestSandbox({ seed: 'demo' });
    const denv: Env = { ...env, NOXUS_API_KEY: demo.adminKey, NOXUS_BACKEND_URL: demo.url };
    try {
      const exported = await runInProcess(['access', 'export'], { env: denv, tty: false });
      expect(exported.code, exported.stderr).toBe(0);
      const doc = parse(exported.stdout);
      doc.offboarding = { transfer_to: 'newhire@example.com' };
      doc.people = doc.people.filter((p: { email: string }) => p.email !== 'linus@example.com');
      for (const w of doc.workspaces)
        w.members = w.members.filter((m: { user: string }) => m.user !== 'linus@example.com');
      const f = write('to-newhire.yaml', stringify(doc));
      const out = join(dir, 'to-newhire.json');
      const r = await runInProcess(['access', 'plan', '-f', f, '--prune', '-o', out], {
        env: denv,
        tty: false,
      });
      expect([r.code, r.stdout]).toEqual([7, '']);
      expect(r.stderr).toBe(
        'error: the plan cannot offboard as the file says: newhire@example.com cannot receive work: invited (accept first)\n' +
          'give offboarding.transfer_to a role that can own that work in the file, or name someone who can\n',
      );
      expect(existsSync(out)).toBe(false);
    } finally {
      await demo.cleanup();
    }
  });
});
