// `noxus access apply` in-process. The local preconditions (the plan file, its server, where
// secrets go, a confirmation) refuse with exit 2 before any request: the mock has no interceptor,
// so a request would fail the test. Whole runs go to a real sandbox: exact outputs, secrets in
// 0600 files and nowhere else, a second apply that changes nothing, drift refused with exit 7.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { report } from '../../src/main.js';
import type { AccessFile, AccessPlan, PlanItem } from '../../src/services/access/model.js';
import { discoverCapabilities } from '../../src/services/capabilities.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { type MockServer, mockServer, ORIGIN } from './mock.js';
import { fakeTerminal, tempDir } from './support.js';

const EMPTY: AccessFile = {
  version: 1,
  kind: 'noxus-access',
  roles: [],
  people: [],
  workspaces: [],
  service_accounts: [],
};

function item(
  kind: PlanItem['kind'],
  op: PlanItem['op'],
  id: string,
  after: Record<string, unknown> | null,
  before: Record<string, unknown> | null = null,
  over: Partial<PlanItem> = {},
): PlanItem {
  return {
    id: `${kind}:${id}`,
    op,
    kind,
    subject: id,
    changes: [],
    effects: [],
    after,
    before,
    feature: 'users.list',
    availability: 'api',
    ...over,
  };
}

function planOf(server: string, items: PlanItem[], over: Partial<AccessPlan> = {}): AccessPlan {
  return {
    schema_version: 1,
    kind: 'noxus-access-plan',
    server,
    tool_version: 'test',
    created_at: '2026-01-01T00:00:00.000Z',
    file: 'access.yaml',
    file_sha256: 'f'.repeat(64),
    base_sha256: 'b'.repeat(64),
    current: EMPTY,
    prune: false,
    transfer_to: null,
    items,
    unmanaged: [],
    findings: [],
    ...over,
  };
}

function write(content: string | object): string {
  const file = join(tempDir(), 'plan.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const KEY_ITEM = item('key', '+', 'ci-bot@service.example.com:Engineering:ship', {
  account: 'ci-bot@service.example.com',
  workspace: 'Engineering',
  name: 'ship',
  restrict: ['flows_run'],
  expires: null,
  action: 'create',
});

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
    expect(r.stderr).toContain('write one with: noxus access plan access.yaml -o plan.json');
  });

  it('a missing file: exit 2', async () => {
    server = mockServer();
    const r = await server.run(['access', 'apply', join(tempDir(), 'nope.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read');
    expect(r.stderr).toContain('nope.json: ENOENT');
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
        ),
      ]),
    );
    const r = await server.run(['access', 'apply', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'refusing to apply 2 change(s), 1 of them to org roles or offboarding without confirmation (not a terminal)',
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
      { subject: 'ken@example.com in Research' },
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
    expect(Object.keys(doc)).toEqual(['schema_version', 'command', 'changed', 'not_applied', 'items']);
    expect(doc.command).toBe('access apply');
    expect(doc.changed).toBe(true);
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

  it('an interrupted run: refused without --resume (exit 7), finished with it', async () => {
    const file = await planNow(ITEMS());
    const { Journal, journalId, journalPath } = await import('../../src/services/journal.js');
    const j = Journal.open(
      journalPath(join(dir, 'config', 'journals'), journalId('access', sbx.url, readFileSync(file))),
    );
    j.record('plan', { base_sha256: 'x', items: 3, secrets_dir: null });
    const r = await run(['access', 'apply', file]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`an apply of ${file} was interrupted; run with --resume to finish it`);
    const resumed = await run(['access', 'apply', file, '--resume', '--secrets-dir', join(dir, 's')]);
    expect(resumed.code).toBe(0);
    expect(await activeShipKeys()).toBe(1);
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
              { subject: 'radia@example.com in Engineering', availability: 'guided', note },
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
      expect(term.stderr()).toContain('0 applied, 0 failed, 1 not applied');
    } finally {
      await sbx.cleanup();
    }
  });
});
