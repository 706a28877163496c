// `noxus keys system create|list|revoke|rotate` in-process against MockAgent, including the rotation
// a server without a rotate endpoint gets: a new key, then the old one revoked (or left for the overlap).
import { afterEach, describe, expect, it } from 'vitest';
import { at, catalogue, SECRET } from './keys-fixtures.js';
import { json, type MockServer, mockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const sysKey = (over: Record<string, unknown> = {}) => ({
  id: 's-1',
  name: 'billing-export',
  kind: 'system',
  tenant_admin: false,
  permissions: ['org:read'],
  created_by: 'u-admin',
  value: 'noxus_…aaaa',
  status: 'active',
  created_at: '2026-11-01T00:00:00.000Z',
  last_used_at: null,
  expires_at: null,
  revoked_at: null,
  ...over,
});
const fresh = {
  id: 's-2',
  name: 'billing-export',
  value: SECRET,
  permissions: ['org:read'],
  tenant_admin: false,
};
const SECRET_LINES = [
  '✓ created key "billing-export" (s-2)',
  'warning: this is the only time the secret is shown; store it now (a password manager, or your CI secret store)',
];

function listed(s: MockServer, keys = [sysKey()]) {
  s.pool.intercept({ path: at('/v1/admin/system-keys'), method: 'GET' }).reply(200, keys, json);
}

describe('keys system create', () => {
  const args = ['keys', 'system', 'create', '--name', 'billing-export', '--permissions', 'org:read'];

  it('checks the names against the catalogue, creates the key and prints the secret once', async () => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/permissions', method: 'GET' }).reply(200, catalogue, json);
    let body: unknown;
    server.pool
      .intercept({
        path: '/v1/admin/system-keys',
        method: 'POST',
        body: (b) => {
          body = JSON.parse(b);
          return true;
        },
      })
      .reply(200, fresh, json);
    const r = await server.run(args);
    expect(r.code).toBe(0);
    expect(body).toEqual({ name: 'billing-export', permissions: ['org:read'], tenant_admin: false });
    expect(r.stdout).toBe(`${SECRET}\n`);
    expect(r.stderr).toBe(`${SECRET_LINES.join('\n')}\n`);
  });

  it('--json: the key with its secret (the contract), nothing on stderr', async () => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/permissions', method: 'GET' }).reply(200, catalogue, json);
    server.pool.intercept({ path: '/v1/admin/system-keys', method: 'POST' }).reply(200, fresh, json);
    const r = await server.run([...args, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({
      schema_version: 1,
      command: 'keys system create',
      key: { id: 's-2', secret: SECRET, value: 'noxus_…6789' },
    });
  });

  it('--dry-run shows the key and creates nothing', async () => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/permissions', method: 'GET' }).reply(200, catalogue, json);
    const r = await server.run([...args, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('would create system key "billing-export" with org:read; nothing changed\n');
  });

  it('an unknown org permission exits 2 with the close name, after reading only the catalogue', async () => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/permissions', method: 'GET' }).reply(200, catalogue, json);
    const r = await server.run(['keys', 'system', 'create', '--name', 'x', '--permissions', 'org:raed']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown org permission: org:raed');
  });

  it('without --name or --permissions off a terminal it exits 2 with no request', async () => {
    server = mockServer();
    const r = await server.run(['keys', 'system', 'create']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('noxus keys system create --name <name> --permissions <perm,perm>');
  });

  it('--expires-in on a server with only the public API stops with exit 8 before any request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run([...args, '--expires-in', '30d']);
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toMatch(
      /^error: .* not available on this server \(absent in this test\)$/,
    );
  });

  it.each([
    [401, 4],
    [403, 6],
    [409, 7],
  ])('a %i on the create exits %i', async (status, code) => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/permissions', method: 'GET' }).reply(200, catalogue, json);
    server.pool
      .intercept({ path: '/v1/admin/system-keys', method: 'POST' })
      .reply(status, { detail: `refused with ${status}` }, json);
    const r = await server.run(args);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
  });
});

describe('keys system list', () => {
  it('one row per key off a terminal', async () => {
    server = mockServer();
    listed(server);
    const r = await server.run(['keys', 'system', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'billing-export\torg:read\tu-admin\t2026-11-01T00:00:00.000Z\tnever\tactive\ts-1\n',
    );
  });

  it('--json: the keys, their secrets only masked', async () => {
    server = mockServer();
    listed(server);
    const r = await server.run(['keys', 'system', 'list', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema_version: 1, command: 'keys system list' });
    expect(doc.items).toEqual([expect.objectContaining({ id: 's-1', value: 'noxus_…aaaa' })]);
  });

  it('a 403 (not an org admin) exits 6', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: at('/v1/admin/system-keys'), method: 'GET' })
      .reply(403, { detail: 'not an org admin' }, json);
    const r = await server.run(['keys', 'system', 'list']);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
  });
});

describe('keys system revoke', () => {
  it('revokes the key named, with --yes', async () => {
    server = mockServer();
    listed(server);
    server.pool
      .intercept({ path: '/v1/admin/system-keys/s-1', method: 'DELETE' })
      .reply(200, { success: true }, json);
    const r = await server.run(['keys', 'system', 'revoke', 'billing-export', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      command: 'keys system revoke',
      items: [{ id: 's-1', name: 'billing-export', revoked: true }],
    });
  });

  it('--dry-run revokes nothing; an unknown name exits 5', async () => {
    server = mockServer();
    listed(server);
    const r = await server.run(['keys', 'system', 'revoke', 'billing-export', '--dry-run']);
    expect(r.stderr).toBe('would revoke system key "billing-export" (s-1); nothing changed\n');
    listed(server);
    const missing = await server.run(['keys', 'system', 'revoke', 'biling-export', '--yes']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('no system key biling-export');
  });

  it('a 403 on the revoke exits 6', async () => {
    server = mockServer();
    listed(server);
    server.pool
      .intercept({ path: '/v1/admin/system-keys/s-1', method: 'DELETE' })
      .reply(403, { detail: 'not an org admin' }, json);
    const r = await server.run(['keys', 'system', 'revoke', 's-1', '--yes']);
    expect(r.code).toBe(6);
  });
});

describe('keys system rotate', () => {
  it('uses the rotate endpoint when the server has one', async () => {
    server = mockServer();
    listed(server);
    server.pool
      .intercept({ path: '/v1/admin/system-keys/s-1/rotate', method: 'POST' })
      .reply(200, { ...fresh, replaces: sysKey() }, json);
    const r = await server.run(['keys', 'system', 'rotate', 'billing-export']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${SECRET}\n`);
    expect(r.stderr).toBe(`${SECRET_LINES.join('\n')}\n`);
  });

  it('without one: a new key with the same permissions, then the old one revoked', async () => {
    server = mockServer({ features: 'public' });
    listed(server);
    let body: unknown;
    server.pool
      .intercept({
        path: '/v1/admin/system-keys',
        method: 'POST',
        body: (b) => {
          body = JSON.parse(b);
          return true;
        },
      })
      .reply(200, fresh, json);
    server.pool
      .intercept({ path: '/v1/admin/system-keys/s-1', method: 'DELETE' })
      .reply(200, { success: true }, json);
    const r = await server.run(['keys', 'system', 'rotate', 'billing-export']);
    expect(r.code).toBe(0);
    expect(body).toEqual({ name: 'billing-export', permissions: ['org:read'], tenant_admin: false });
    expect(r.stdout).toBe(`${SECRET}\n`);
    expect(r.stderr).toBe(`${[...SECRET_LINES, 'revoked the old key "billing-export" (s-1)'].join('\n')}\n`);
  });

  it('without one, an overlap leaves the old key working and says how to revoke it later', async () => {
    server = mockServer({ features: 'public' });
    listed(server);
    server.pool.intercept({ path: '/v1/admin/system-keys', method: 'POST' }).reply(200, fresh, json);
    const r = await server.run(['keys', 'system', 'rotate', 'billing-export', '--overlap', '1h']);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').at(-2)).toBe(
      'warning: this server cannot revoke later by itself: the old key "billing-export" (s-1) still works; after the overlap run: noxus keys system revoke s-1 --yes',
    );
  });

  it('a failed revoke of the old key still delivers the new secret, then exits with the error', async () => {
    server = mockServer({ features: 'public' });
    listed(server);
    server.pool.intercept({ path: '/v1/admin/system-keys', method: 'POST' }).reply(200, fresh, json);
    server.pool
      .intercept({ path: '/v1/admin/system-keys/s-1', method: 'DELETE' })
      .reply(403, { detail: 'not an org admin' }, json);
    const r = await server.run(['keys', 'system', 'rotate', 'billing-export']);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe(`${SECRET}\n`);
    expect(r.stderr).toContain(
      'warning: the new key was created, but revoking the old key s-1 failed; run: noxus keys system revoke s-1 --yes',
    );
    expect(r.stderr).not.toContain(SECRET);
  });

  it('a bad --overlap exits 2 with no request', async () => {
    server = mockServer();
    const r = await server.run(['keys', 'system', 'rotate', 'billing-export', '--overlap', 'later']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --overlap must be a duration like 30s, 10m or 1h, got "later"\n');
  });
});
