// `noxus service-accounts create` in-process: the account (and its key) checked before the first
// write, the key's restriction bounded by the account's role in that workspace, re-runs unchanged.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { BOT, envelope, getGroups, getRoles, getUsers, problem, reply, USERS } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const NEW = {
  id: 'u_new',
  email: 'nightly-export@service-accounts.noxus.local',
  display_name: 'Nightly export',
  name: 'Nightly export',
  status: 'active',
  kind: 'service',
  tenant_admin: false,
  org_role: { id: 'org_base', name: 'Org Base' },
};
const PERMISSIONS = [
  { name: 'flows_run', scope: 'workspace' },
  { name: 'flows_edit', scope: 'workspace' },
  { name: 'kbs_query', scope: 'workspace' },
  { name: 'users:read', scope: 'org' },
];
const KEY = {
  id: 'k_new',
  name: 'export',
  value: 'noxus_secretvalue0123456789abcdef',
  permissions: ['flows_run'],
};

function reads(s: MockServer, users: unknown[] = USERS) {
  getGroups(s);
  getRoles(s);
  getUsers(s, users);
}

describe('noxus service-accounts create', () => {
  it('creates the account with its workspace roles and a default email', async () => {
    server = mockServer();
    reads(server);
    reply(server, 'POST', '/v1/admin/users', 201, NEW);
    const r = await server.run([
      'service-accounts',
      'create',
      'Nightly export',
      '--workspace',
      'Marketing=Editor',
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: '✓ created service account nightly-export@service-accounts.noxus.local (u_new)\n',
    });
  });

  it('--json with a restricted key: the account and the key, its secret only in the envelope', async () => {
    server = mockServer();
    reads(server);
    reply(server, 'GET', '/v1/admin/permissions', 200, PERMISSIONS);
    reply(server, 'POST', '/v1/admin/users', 201, NEW);
    reply(server, 'POST', '/v1/admin/groups/g_mkt/api-keys', 201, KEY);
    const r = await server.run([
      'sa',
      'create',
      'Nightly export',
      '--workspace',
      'Marketing=Editor',
      '--key',
      'export',
      '--restrict',
      'flows_run',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = envelope(r.stdout);
    expect(doc).toMatchObject({
      schema_version: 1,
      command: 'service-accounts create',
      changed: true,
      account: { id: 'u_new', workspaces: [{ workspace: 'Marketing', role: 'Editor' }], changed: true },
      key: { id: 'k_new', secret: KEY.value, service_account: { id: 'u_new', email: NEW.email } },
    });
  });

  it('--dry-run writes nothing', async () => {
    server = mockServer();
    reads(server);
    const r = await server.run([
      'sa',
      'create',
      'Nightly export',
      '--workspace',
      'Marketing=Editor',
      '--dry-run',
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'would create service account nightly-export@service-accounts.noxus.local with Marketing=Editor; nothing changed\n',
    });
  });

  it('bad input exits 2 with no request: no --workspace, a key flag without --key', async () => {
    server = mockServer();
    const none = await server.run(['sa', 'create', 'Nightly export']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give the account at least one --workspace W=ROLE');
    const stray = await server.run([
      'sa',
      'create',
      'Nightly export',
      '--workspace',
      'Marketing=Editor',
      '--restrict',
      'flows_run',
    ]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain(
      '--restrict, --expires-in, --key-workspace and --secret-file apply to --key',
    );
  });

  it("a restriction beyond the account's role there is refused (exit 6) before any write", async () => {
    server = mockServer();
    reads(server);
    reply(server, 'GET', '/v1/admin/permissions', 200, PERMISSIONS);
    const r = await server.run([
      'sa',
      'create',
      'Nightly export',
      '--workspace',
      'Marketing=Reader',
      '--key',
      'export',
      '--restrict',
      'flows_run,kbs_query',
    ]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(
      'a key can never have more permissions than its creator: service account nightly-export@service-accounts.noxus.local lacks kbs_query in Marketing (role Reader)',
    );
  });

  it('a re-run finds the same account: unchanged, no write', async () => {
    server = mockServer();
    reads(server);
    reply(server, 'GET', '/v1/admin/users/u_bot/access', 200, {
      workspaces: [{ group_id: 'g_mkt', group_name: 'Marketing', role: 'Editor', via: 'membership' }],
    });
    const r = await server.run([
      'sa',
      'create',
      'CI deploy',
      '--email',
      BOT.email,
      '--workspace',
      'Marketing=Editor',
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: `service account ${BOT.email} (u_bot) already exists with these roles (unchanged)\n`,
    });
  });

  it("the server's 409 exits 7 and its 403 exits 6", async () => {
    server = mockServer();
    reads(server);
    reply(server, 'POST', '/v1/admin/users', 409, problem(409, 'email taken'));
    expect(
      (await server.run(['sa', 'create', 'Nightly export', '--workspace', 'Marketing=Editor'])).code,
    ).toBe(7);
    reads(server);
    reply(server, 'POST', '/v1/admin/users', 403, problem(403, 'missing permission users:write'));
    expect(
      (await server.run(['sa', 'create', 'Nightly export', '--workspace', 'Marketing=Editor'])).code,
    ).toBe(6);
  });

  it('on the public API: exit 8 naming the feature, no request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['sa', 'create', 'Nightly export', '--workspace', 'Marketing=Editor']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('service accounts');
  });
});
