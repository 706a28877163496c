// `noxus access apply` in-process. The local preconditions (the plan file, its server, where
// secrets go, a confirmation) refuse with exit 2 before any request: the mock has no interceptor,
// so a request would fail the test. Whole runs go to a real sandbox: exact outputs, secrets in
// 0600 files and nowhere else, a second apply that changes nothing, drift refused with exit 7.
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { report } from '../../src/main.js';
import type { AccessFile, AccessPlan, PlanItem } from '../../src/services/access/model.js';
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
