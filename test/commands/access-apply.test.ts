// `noxus access apply` in-process. The local preconditions (the plan file, its server, where
// secrets go, a confirmation) refuse with exit 2 before any request: the mock has no interceptor,
// so a request would fail the test. Whole runs go to a real sandbox: exact outputs, secrets in
// 0600 files and nowhere else, a second apply that changes nothing, drift refused with exit 7.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { report } from '../../src/main.js';
import type { AccessPlan, PlanItem } from '../../src/services/access/model.js';
import { discoverCapabilities } from '../../src/services/capabilities.js';
import { planItem as item, planOf } from '../helpers/access-plans.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { type MockServer, mockServer, ORIGIN } from './mock.js';
import { fakeTerminal, tempDir } from './support.js';

function write(content: string | object): string {
  const file = join(tempDir(), 'plan.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const KEY_ITEM = item(
  'key',
  '+',
  'ci-bot@service.example.com:Engineering:ship',
  {
    account: 'ci-bot@service.example.com',
    workspace: 'Engineering',
    name: 'ship',
    restrict: ['flows_run'],
    expires: null,
    action: 'create',
  },
  null,
  { changes: ['restrict: flows_run'] },
);

describe('noxus access apply: local preconditions, before any request', () => {
  let server: MockServer;
  afterEach(async () => {
    await server.done();
  });

  it('a file that is not JSON: exit 2', async () => {
    server = mockServer();
    const file = write('not json');
    const r = await server.run(['access', 'apply', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${file}: not a JSON access plan (`);
    expect(r.stderr).toContain('write one with: noxus access plan -f access.yaml -o plan.json');
  });

  it('a missing file: exit 2, said in words', async () => {
    server = mockServer();
    const missing = join(tempDir(), 'nope.json');
    const r = await server.run(['access', 'apply', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no such file: ${missing}`);
    expect(r.stderr).not.toContain('ENOENT');
  });

  it('an item edited by hand after the plan was made: exit 2, naming it, before any request', async () => {
    server = mockServer();
    const alan = { email: 'alan@example.com', name: 'Alan Turing', org_role: 'Org Base', suspended: false };
    const file = write(
      planOf(ORIGIN, [
        item(
          'person',
          '~',
          'alan@example.com',
          { ...alan, name: 'Alan M. Turing', org_role: 'Org Admin' },
          alan,
          { changes: ['name: Alan Turing → Alan M. Turing'] },
        ),
      ]),
    );
    const r = await server.run(['access', 'apply', file, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'plan item 1 (person:alan@example.com) was changed by hand: org_role "Org Admin" is not in its changes; make a new plan',
    );
    expect(r.stderr).toContain(`noxus access plan -f access.yaml -o ${file}`);
  });

  it('a role whose permissions change needs confirmation; the summary shows the values applied', async () => {
    server = mockServer();
    const file = write(
      planOf(ORIGIN, [
        item(
          'role',
          '~',
          'Tester',
          { name: 'Tester', scope: 'workspace', permissions: ['flows_edit', 'flows_run'] },
          { name: 'Tester', scope: 'workspace', permissions: ['flows_run'] },
          { changes: ['permissions added: flows_edit', 'nothing to see here'], effects: ['harmless'] },
        ),
      ]),
    );
    const r = await server.run(['access', 'apply', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        `Plan from access.yaml for ${ORIGIN}:`,
        '  ~ role Tester',
        '      permissions: flows_run → flows_edit, flows_run',
        '      needs confirmation: changes what role Tester grants',
        'error: refusing to apply 1 change(s), 1 of them to org roles, admins, roles or offboarding without confirmation (not a terminal)',
        `run: noxus access apply ${file} --yes`,
        '',
      ].join('\n'),
    );
  });

  it('the journals directory is a file: exit 2 with what to fix, before any request', async () => {
    server = mockServer();
    writeFileSync(join(server.env.NOXUS_CONFIG_DIR as string, 'journals'), '');
    const file = write(planOf(ORIGIN, [item('workspace', '+', 'Research', { name: 'Research' })]));
    const r = await server.run(['access', 'apply', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `cannot keep the journal of this apply in ${join(server.env.NOXUS_CONFIG_DIR as string, 'journals')}: it is not a directory`,
    );
    expect(r.stderr).not.toContain('unexpected');
  });

  it('an existing secrets dir that others can read: exit 2, chmod 700', async () => {
    server = mockServer();
    const secrets = join(tempDir(), 'secrets');
    mkdirSync(secrets);
    chmodSync(secrets, 0o755);
    const file = write(planOf(ORIGIN, [KEY_ITEM]));
    const r = await server.run(['access', 'apply', file, '--secrets-dir', secrets]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `--secrets-dir: ${secrets} can be read by other users (mode 0755); the secrets would be too: chmod 700 ${secrets}`,
    );
  });

  it('an access file instead of a plan: every problem listed, exit 2', async () => {
    server = mockServer();
    const file = write({ version: 1, kind: 'noxus-access', roles: [] });
    const r = await server.run(['access', 'apply', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      [
        `${file} is not a usable access plan:`,
        '  - kind must be "noxus-access-plan"',
        '  - schema_version must be 1',
        '  - server must be a string',
        '  - base_sha256 must be a string',
        '  - file_sha256 must be a string',
        '  - current must be an object',
        '  - transfer_to must be a string or null',
        '  - items must be a list',
      ].join('\n'),
    );
  });

  it("a plan for another server than the profile's: exit 2", async () => {
    server = mockServer();
    const file = write(planOf('http://elsewhere.test', []));
    const r = await server.run(['access', 'apply', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file} is a plan for http://elsewhere.test, not for ${ORIGIN}`);
  });

  it('a plan that changes org roles or offboards, without a terminal and without --yes: exit 2', async () => {
    server = mockServer();
    const file = write(
      planOf(ORIGIN, [
        item('workspace', '+', 'Research', { name: 'Research' }),
        item(
          'person',
          '~',
          'ken@example.com',
          { email: 'ken@example.com', name: 'Ken', org_role: 'Org Admin', suspended: false },
          { email: 'ken@example.com', name: 'Ken', org_role: 'Org Base', suspended: false },
          { changes: ['org_role: Org Base → Org Admin'] },
        ),
      ]),
    );
    const r = await server.run(['access', 'apply', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'refusing to apply 2 change(s), 1 of them to org roles, admins, roles or offboarding without confirmation (not a terminal)',
    );
    expect(r.stderr).toContain(`run: noxus access apply ${file} --yes`);
  });

  it('a secrets dir that cannot be made, for a plan that creates keys: exit 2', async () => {
    server = mockServer();
    // A file where the directory's parent should be (tests may run as root, which writes anywhere).
    const blocker = join(tempDir(), 'blocker');
    writeFileSync(blocker, '');
    const file = write(planOf(ORIGIN, [KEY_ITEM]));
    const r = await server.run(['access', 'apply', file, '--secrets-dir', join(blocker, 'secrets')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--secrets-dir: ${blocker} is not a directory`);
  });

  it('--resume of a plan that never ran: exit 2', async () => {
    server = mockServer();
    const file = write(planOf(ORIGIN, []));
    const r = await server.run(['access', 'apply', file, '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`there is no interrupted apply of ${file} to resume`);
  });
});

describe('noxus access apply against a real sandbox', () => {
  let sbx: TestSandbox;
  let env: Record<string, string>;
  let dir: string;

  beforeEach(async () => {
    sbx = await startTestSandbox({ seed: 'demo' });
    dir = tempDir();
    env = {
      NOXUS_API_KEY: sbx.adminKey,
      NOXUS_BACKEND_URL: sbx.url,
      NOXUS_CONFIG_DIR: join(dir, 'config'),
      NO_COLOR: '1',
    };
  });
  afterEach(async () => {
    await sbx.cleanup();
  });

  async function run(argv: string[], extra: Record<string, string> = {}, cwd?: string) {
    const term = fakeTerminal({ ...env, ...extra }, false);
    if (cwd) term.io.cwd = cwd;
    const ctx = new Context(term.io, '0.0.0');
    ctx.prompterFactory = () => {
      throw new Error('this test expects no prompt at all');
    };
    let code = 0;
    try {
      await (await buildProgram(ctx)).parseAsync(argv, { from: 'user' });
    } catch (e) {
      code = report(e, ctx);
    }
    return { code, stdout: term.stdout(), stderr: term.stderr() };
  }

  /** A plan on the server as it is now: its base is the server's access read the way apply reads it. */
  async function planNow(items: PlanItem[], over: Partial<AccessPlan> = {}): Promise<string> {
    const { ApiClient } = await import('../../src/api/client.js');
    const { Resolver } = await import('../../src/services/resolve.js');
    const { serverAccessNow } = await import('../../src/services/access/apply.js');
    const client = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey });
    const caps = await discoverCapabilities({
      client,
      server: sbx.url,
      profileName: 'default',
      apiKey: sbx.adminKey,
    });
    const now = await serverAccessNow(new Resolver(client), (id) => caps.has(id));
    await client.close();
    return write(planOf(sbx.url, items, { current: now.doc, base_sha256: now.sha256, ...over }));
  }

  const ITEMS = (): PlanItem[] => [
    item('workspace', '+', 'Research', { name: 'Research' }, null, { subject: 'Research' }),
    item(
      'grant',
      '+',
      'Research:ken@example.com',
      {
        workspace: 'Research',
        user: 'ken@example.com',
        role: 'Reader',
        reason: 'pairing',
        expires: null,
        account: false,
      },
      null,
      { subject: 'ken@example.com in Research', changes: ['role: Reader', 'reason: "pairing"'] },
    ),
    { ...KEY_ITEM, subject: '"ship" of ci-bot@service.example.com in Engineering' },
  ];

  const activeShipKeys = async () =>
    (
      (await sbx.call('GET', '/v1/admin/api-keys?status=active&page_size=500')).body.items as Array<{
        name: string;
      }>
    ).filter((k) => k.name === 'ship').length;

  it('applies, writes the secret to a 0600 file and nowhere else; a second apply changes nothing', async () => {
    const file = await planNow(ITEMS());
    const secrets = join(dir, 'secrets');
    const r = await run(['access', 'apply', file, '--secrets-dir', secrets]);
    expect(r.code).toBe(0);
    const secretFile = join(secrets, 'ci-bot@service.example.com-Engineering-ship.key');
    const rows = r.stdout.split('\n').filter(Boolean);
    expect(rows.slice(0, 2)).toEqual([
      '+ workspace Research\tapplied\tcreated workspace Research',
      '+ grant ken@example.com in Research\tapplied\tken@example.com in Research: Reader, reason "pairing"',
    ]);
    expect(rows[2]).toMatch(
      new RegExp(
        `^\\+ key "ship" of ci-bot@service\\.example\\.com in Engineering\\tapplied\\tcreated key "ship" \\([^)]+\\) for ci-bot@service\\.example\\.com in Engineering; secret written to ${secretFile.replace(/[.]/g, '\\.')}$`,
      ),
    );
    expect(rows).toHaveLength(3);
    expect(r.stderr.split('\n').at(-2)).toBe('✓ 3 applied, 0 failed, 0 not applied');
    expect(statSync(secrets).mode & 0o777).toBe(0o700);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretFile, 'utf8').trim();
    expect(secret.length).toBeGreaterThan(20);
    const journals = join(dir, 'config', 'journals');
    for (const j of readdirSync(journals))
      expect(readFileSync(join(journals, j), 'utf8')).not.toContain(secret);
    expect(r.stderr).not.toContain(secret);
    expect(readFileSync(file, 'utf8')).not.toContain(secret);
    expect(await activeShipKeys()).toBe(1);

    const again = await run(['access', 'apply', file, '--secrets-dir', secrets]);
    expect(again).toEqual({
      code: 0,
      stdout: '',
      stderr: `✓ already applied: ${file} ran to the end before; nothing was changed\n`,
    });
    expect(await activeShipKeys()).toBe(1);
  });

  it('--json: one envelope with each item; the secret on stdout when there is no secrets dir', async () => {
    const file = await planNow(ITEMS());
    const r = await run(['access', 'apply', file, '--json'], { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual([
      'schema_version',
      'command',
      'changed',
      'counts',
      'failed',
      'not_applied',
      'items',
    ]);
    expect(doc.command).toBe('access apply');
    expect(doc.changed).toBe(true);
    expect(doc.counts).toEqual({ applied: 3, failed: 0, not_applied: 0 });
    expect(doc.failed).toEqual([]);
    expect(doc.not_applied).toEqual([]);
    expect(doc.items.map((i: { id: string; outcome: string }) => [i.id, i.outcome])).toEqual([
      ['workspace:Research', 'applied'],
      ['grant:Research:ken@example.com', 'applied'],
      ['key:ci-bot@service.example.com:Engineering:ship', 'applied'],
    ]);
    const secret = doc.items[2].secret as string;
    expect(secret.length).toBeGreaterThan(20);
    // Masked for the runner first, on stderr, and never anywhere else there.
    expect(r.stderr).toBe(`::add-mask::${secret}\n`);
  });

  it('--dry-run checks drift, prints what would be done and writes nothing', async () => {
    const file = await planNow(ITEMS());
    const r = await run(['access', 'apply', file, '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: [
        "Dry run: the server matches the plan's base; 3 item(s) would be applied:",
        '  + workspace Research',
        '  + grant ken@example.com in Research',
        '  + key "ship" of ci-bot@service.example.com in Engineering',
        'Nothing was changed.',
        '',
      ].join('\n'),
    });
    const groups = (await sbx.call('GET', '/v1/admin/groups')).body;
    expect(JSON.stringify(groups)).not.toContain('Research');
    expect(existsSync(join(dir, 'config', 'journals'))).toBe(false);
  });

  it('a server that changed since the plan: exit 7 naming the change, nothing written', async () => {
    const file = await planNow(ITEMS());
    await sbx.call('POST', '/v1/admin/groups', { body: { name: 'Ops', description: '' } });
    const r = await run(['access', 'apply', file, '--yes']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'the server changed since the plan was made (1 difference); nothing was applied',
    );
    expect(r.stderr).toContain('  - workspace Ops was added: "present"');
    expect(JSON.stringify((await sbx.call('GET', '/v1/admin/groups')).body)).not.toContain('Research');
    expect(await activeShipKeys()).toBe(0);
  });

  it('offboards with the offboarding checklist and writes its report as noxus offboard does', async () => {
    const file = await planNow(
      [
        item(
          'offboard',
          '-',
          'radia@example.com',
          { transfer_to: 'ada@example.com' },
          { email: 'radia@example.com', name: 'Radia Perlman', org_role: 'Org Base' },
          { subject: 'radia@example.com' },
        ),
      ],
      { transfer_to: 'ada@example.com', prune: true },
    );
    const refused = await run(['access', 'apply', file]);
    expect(refused.code).toBe(2);
    const r = await run(['access', 'apply', file, '--yes'], {}, dir);
    expect(r.code).toBe(0);
    const reports = readdirSync(dir).filter((f) => f.startsWith('offboard-radia@example.com-'));
    expect(reports.map((f) => f.slice(f.lastIndexOf('.'))).sort()).toEqual(['.json', '.md']);
    const md = join(dir, reports.find((f) => f.endsWith('.md')) as string);
    expect(readFileSync(md, 'utf8')).toContain('# Offboarding of radia@example.com');
    expect(r.stdout).toBe(
      `- offboard radia@example.com\tapplied\toffboarded radia@example.com, work transferred to ada@example.com; report: ${md}\n`,
    );
    const removed = (await sbx.call('GET', '/v1/admin/users?status=removed')).text;
    expect(removed).toContain('radia@example.com');
  });

  it('export, edit, plan -o, apply: a second plan finds nothing to change', async () => {
    const yaml = join(dir, 'access.yaml');
    expect((await run(['access', 'export', '-o', yaml])).code).toBe(0);
    const text = readFileSync(yaml, 'utf8');
    const edited = text.replace(
      /(- user: ken@example\.com\n\s+role: )Reader/,
      '$1Editor\n        reason: on call',
    );
    expect(edited).not.toBe(text);
    writeFileSync(yaml, edited);
    const out = join(dir, 'plan.json');
    const planned = await run(['access', 'plan', '-f', yaml, '-o', out]);
    expect(planned.code).toBe(0);
    const applied = await run(['access', 'apply', out]);
    expect(applied.stdout).toBe(
      '~ grant ken@example.com in Engineering\tapplied\tken@example.com in Engineering: Editor, reason "on call"\n',
    );
    expect(applied.code).toBe(0);
    const again = await run(['access', 'plan', '-f', yaml, '--detailed-exitcode']);
    expect(again.code).toBe(0);
  });

  const journalOf = async (file: string) => {
    const { journalId, journalPath } = await import('../../src/services/journal.js');
    return journalPath(join(dir, 'config', 'journals'), journalId('access', sbx.url, readFileSync(file)));
  };

  it('an interrupted run: refused without --resume (exit 7, the hint keeps its secrets dir), finished with it', async () => {
    const file = await planNow(ITEMS());
    const { Journal } = await import('../../src/services/journal.js');
    const secrets = join(dir, 's');
    const j = Journal.open(await journalOf(file));
    j.record('plan', { base_sha256: 'x', items: 3, secrets_dir: secrets });
    const r = await run(['access', 'apply', file]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`an apply of ${file} was interrupted; run with --resume to finish it`);
    expect(r.stderr).toContain(`\nnoxus access apply ${file} --resume --secrets-dir ${secrets}\n`);
    // A kill during the secret's write left its temporary file (0600, a secret in it): removed.
    mkdirSync(secrets, { mode: 0o700 });
    const torn = join(secrets, 'ci-bot@service.example.com-Engineering-ship.key.4242.0123456789ab.tmp');
    const other = join(secrets, 'someone-else.key.4242.0123456789ab.tmp');
    writeFileSync(torn, 'noxus_secret\n', { mode: 0o600 });
    writeFileSync(other, 'kept\n', { mode: 0o600 });
    const resumed = await run(['access', 'apply', file, '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`new secrets go to ${secrets}, as in the interrupted run`);
    expect(resumed.stderr).toContain(`removed the temporary file of an interrupted secret write: ${torn}`);
    expect(existsSync(torn)).toBe(false);
    expect(existsSync(other)).toBe(true);
    expect(readdirSync(secrets).filter((f) => f.endsWith('.key'))).toEqual([
      'ci-bot@service.example.com-Engineering-ship.key',
    ]);
    expect(await activeShipKeys()).toBe(1);
  });

  it('a second apply while one runs: exit 7 "in progress" (also with --resume), never "interrupted"', async () => {
    const file = await planNow(ITEMS());
    const { Journal, lockJournal } = await import('../../src/services/journal.js');
    const path = await journalOf(file);
    // The first run has begun and holds the lock (this process is alive).
    Journal.open(path).record('plan', { base_sha256: 'x', items: 3, secrets_dir: null });
    const held = lockJournal(path);
    if (!held.ok) throw new Error('expected the lock');
    for (const extra of [[], ['--resume']]) {
      const r = await run(['access', 'apply', file, '--yes', ...extra]);
      expect(r.code).toBe(7);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`an apply of ${file} is in progress (pid ${process.pid}`);
      expect(r.stderr).not.toContain('interrupted');
      expect(r.stderr).toContain(`remove ${path}.lock`);
    }
    expect(await activeShipKeys()).toBe(0);
    held.lock.release();
  });

  it('a lock left by a killed run is taken over (said on stderr); every exit releases the lock', async () => {
    const file = await planNow(ITEMS());
    const path = await journalOf(file);
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(`${path}.lock`, `${JSON.stringify({ pid: gone, started: '2026-01-01T00:00:00.000Z' })}\n`);
    const r = await run(['access', 'apply', file, '--secrets-dir', join(dir, 's')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `took over the lock of an apply that is no longer running (pid ${gone}, started 2026-01-01T00:00:00.000Z)`,
    );
    expect(existsSync(`${path}.lock`)).toBe(false);
    // A refusal (drift) releases it too.
    const other = await planNow([item('workspace', '+', 'Ops', { name: 'Ops' })]);
    await sbx.call('POST', '/v1/admin/groups', { body: { name: 'Elsewhere', description: '' } });
    expect((await run(['access', 'apply', other])).code).toBe(7);
    expect(existsSync(`${await journalOf(other)}.lock`)).toBe(false);
  });

  it('an org-admin role for a new person, or an org admin reactivated, needs confirmation (judged on the server roles)', async () => {
    const nia = { email: 'nia@example.com', name: 'Nia', org_role: 'Org Admin', suspended: false };
    const invite = item('person', '+', 'nia@example.com', nia, null, {
      changes: ['name: Nia', 'org_role: Org Admin'],
    });
    const refused = await run(['access', 'apply', await planNow([invite])]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      '      needs confirmation: makes nia@example.com an org admin (Org Admin)',
    );
    const ada = { email: 'ada@example.com', name: 'Ada Lovelace', org_role: 'Org Admin' };
    const reactivate = item(
      'person',
      '~',
      'ada@example.com',
      { ...ada, suspended: false },
      { ...ada, suspended: true },
      { changes: ['suspended: true → false'] },
    );
    const r = await run(['access', 'apply', write(planOf(sbx.url, [reactivate]))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '      needs confirmation: reactivates ada@example.com, an org admin (Org Admin)',
    );
    // A new person with the base role needs none.
    const base = item('person', '+', 'nia@example.com', { ...nia, org_role: 'Org Base' }, null, {
      changes: ['name: Nia', 'org_role: Org Base'],
    });
    expect((await run(['access', 'apply', await planNow([base])])).code).toBe(0);
  });

  it('failed and not-applied items: exit 3, told apart in the summary and the envelope', async () => {
    const bad = item(
      'grant',
      '+',
      'Engineering:radia@example.com',
      {
        workspace: 'Engineering',
        user: 'radia@example.com',
        role: 'No Such Role',
        reason: null,
        expires: null,
        account: false,
      },
      null,
      { subject: 'radia@example.com in Engineering', changes: ['role: No Such Role'] },
    );
    const guided = item('workspace', '+', 'Ops', { name: 'Ops' }, null, {
      subject: 'Ops',
      availability: 'guided',
      note: 'in the console',
    });
    const file = await planNow([bad, guided]);
    const r = await run(['access', 'apply', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error: 1 failed, 1 not applied, 0 applied');
    expect(r.stderr).toContain(
      '\nthe items not applied need the web console (steps above); failed items need a new plan: noxus access plan -f access.yaml',
    );
    const json = await run(['access', 'apply', await planNow([bad], { file: 'other.yaml' }), '--json']);
    expect(json.code).toBe(3);
    const doc = JSON.parse(json.stdout);
    expect(doc.counts).toEqual({ applied: 0, failed: 1, not_applied: 0 });
    expect(doc.failed.map((i: { id: string }) => i.id)).toEqual(['grant:Engineering:radia@example.com']);
    expect(doc.not_applied).toEqual([]);
  });
});

describe('noxus access apply on a public-API server', () => {
  it('items this server cannot do are listed with their note and not applied: exit 3', async () => {
    const sbx = await startTestSandbox({ seed: 'demo', api: 'public' });
    try {
      const dir = tempDir();
      const env = {
        NOXUS_API_KEY: sbx.adminKey,
        NOXUS_BACKEND_URL: sbx.url,
        NOXUS_CONFIG_DIR: join(dir, 'config'),
        NO_COLOR: '1',
      };
      const { ApiClient } = await import('../../src/api/client.js');
      const { Resolver } = await import('../../src/services/resolve.js');
      const { serverAccessNow } = await import('../../src/services/access/apply.js');
      const client = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey });
      const caps = await discoverCapabilities({
        client,
        server: sbx.url,
        profileName: 'default',
        apiKey: sbx.adminKey,
      });
      const now = await serverAccessNow(new Resolver(client), (id) => caps.has(id));
      await client.close();
      const note = 'in the Noxus web console: Workspaces → Engineering → Members';
      const file = write(
        planOf(
          sbx.url,
          [
            item(
              'grant',
              '+',
              'Engineering:radia@example.com',
              {
                workspace: 'Engineering',
                user: 'radia@example.com',
                role: 'Reader',
                reason: null,
                expires: null,
                account: false,
              },
              null,
              {
                subject: 'radia@example.com in Engineering',
                availability: 'guided',
                note,
                changes: ['role: Reader'],
              },
            ),
          ],
          { current: now.doc, base_sha256: now.sha256 },
        ),
      );
      const term = fakeTerminal(env, false);
      const ctx = new Context(term.io, '0.0.0');
      let code = 0;
      try {
        await (await buildProgram(ctx)).parseAsync(['access', 'apply', file], { from: 'user' });
      } catch (e) {
        code = report(e, ctx);
      }
      expect(code).toBe(3);
      expect(term.stdout()).toBe(`+ grant radia@example.com in Engineering\tnot applied\t${note}\n`);
      expect(term.stderr()).toContain(`- + grant radia@example.com in Engineering: ${note}`);
      expect(term.stderr()).toContain(`not applied: radia@example.com in Engineering: ${note}`);
      expect(term.stderr()).toContain('error: 0 failed, 1 not applied, 0 applied');

      // The same plan again: it ran to its end, so nothing is done, but what it left undone is
      // not passed off as applied (exit 3, and the way forward).
      const again = fakeTerminal(env, false);
      const ctx2 = new Context(again.io, '0.0.0');
      let code2 = 0;
      try {
        await (await buildProgram(ctx2)).parseAsync(['access', 'apply', file], { from: 'user' });
      } catch (e) {
        code2 = report(e, ctx2);
      }
      expect(code2).toBe(3);
      expect(again.stdout()).toBe('');
      expect(again.stderr()).toContain(
        `${file} was applied before, with 0 item(s) failed and 1 not applied; nothing was changed now`,
      );
    } finally {
      await sbx.cleanup();
    }
  });
});
