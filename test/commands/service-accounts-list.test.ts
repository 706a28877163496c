// `noxus service-accounts list`: service accounts with how many active keys each owns.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { BOT, envelope, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const BOT_ROW = { ...BOT, created_at: '2026-03-01T00:00:00Z' };
const key = (id: string, owner: string | null) => ({
  id,
  name: id,
  group_id: 'g_mkt',
  permissions: null,
  effective_permissions: [],
  status: 'active',
  owner_id: owner,
  holder_id: owner,
  created_at: '2026-03-01T00:00:00Z',
  last_used_at: null,
  expires_at: null,
  clipped: [],
  degraded: false,
});

function reads(s: MockServer) {
  reply(s, 'GET', '/v1/admin/users', 200, [BOT_ROW]);
  reply(s, 'GET', '/v1/admin/api-keys', 200, [key('k1', 'u_bot'), key('k2', 'u_bot'), key('k3', 'u_bob')]);
}

describe('noxus service-accounts list', () => {
  it('one row per account with its active key count', async () => {
    server = mockServer();
    reads(server);
    const r = await server.run(['service-accounts', 'list']);
    expect(r).toEqual({
      code: 0,
      stdout: `${BOT.email}\tCI deploy\tactive\t2\t2026-03-01T00:00:00Z\tu_bot\n`,
      stderr: '',
    });
  });

  it('--json: the envelope with active_keys', async () => {
    server = mockServer();
    reads(server);
    const r = await server.run(['sa', 'ls', '--json']);
    const doc = envelope(r.stdout);
    expect(doc).toMatchObject({ schema_version: 1, command: 'service-accounts list' });
    expect(doc.items).toEqual([
      expect.objectContaining({ id: 'u_bot', email: BOT.email, kind: 'service', active_keys: 2 }),
    ]);
  });

  it('a 403 exits 6', async () => {
    server = mockServer();
    reply(server, 'GET', '/v1/admin/users', 403, problem(403, 'missing permission users:read'));
    reply(server, 'GET', '/v1/admin/api-keys', 200, []);
    expect((await server.run(['sa', 'list'])).code).toBe(6);
  });

  it('on the public API: exit 8 naming the feature, no request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['sa', 'list']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('service accounts');
  });
});
