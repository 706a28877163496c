// `noxus keys revoke` in-process against MockAgent: the one write it makes, nothing written on
// --dry-run, bad input or without --yes, and server refusals mapped to exit codes.
import { afterEach, describe, expect, it } from 'vitest';
import { apiKey, at, BOT } from './keys-fixtures.js';
import { json, type MockServer, mockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const activeKeys = (p: string) =>
  at('/v1/admin/api-keys')(p) && new URL(p, 'http://x').searchParams.get('status') === 'active';

function listed(s: MockServer, key = apiKey()) {
  s.pool.intercept({ path: activeKeys, method: 'GET' }).reply(200, [key], json);
}

describe('keys revoke', () => {
  it('revokes the key named, with --yes off a terminal', async () => {
    server = mockServer();
    listed(server);
    server.pool
      .intercept({ path: '/v1/admin/api-keys/k-1', method: 'DELETE' })
      .reply(
        200,
        { ...apiKey({ status: 'revoked', revoked_at: '2026-11-29T00:00:00.000Z' }), changed: true },
        json,
      );
    const r = await server.run(['keys', 'revoke', 'deploy', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('✓ revoked key "deploy" (k-1); it no longer works\n');
  });

  it('--json: the revoked key in an envelope', async () => {
    server = mockServer();
    listed(server);
    server.pool
      .intercept({ path: '/v1/admin/api-keys/k-1', method: 'DELETE' })
      .reply(
        200,
        { ...apiKey({ status: 'revoked', revoked_at: '2026-11-29T00:00:00.000Z' }), changed: true },
        json,
      );
    const r = await server.run(['keys', 'revoke', 'deploy', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({
      schema_version: 1,
      command: 'keys revoke',
      items: [
        {
          id: 'k-1',
          name: 'deploy',
          status: 'revoked',
          revoked_at: '2026-11-29T00:00:00.000Z',
          changed: true,
        },
      ],
    });
  });

  it('--dry-run names the key and revokes nothing', async () => {
    server = mockServer();
    listed(server);
    const r = await server.run(['keys', 'revoke', 'deploy', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `would revoke key "deploy" (k-1) of ${BOT.email} in Engineering; nothing changed\n`,
    );
  });

  it('without --yes off a terminal it exits 2 and revokes nothing', async () => {
    server = mockServer();
    listed(server);
    const r = await server.run(['keys', 'revoke', 'deploy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('noxus keys revoke k-1');
  });

  it('a server with only the public API stops with exit 8 before any request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['keys', 'revoke', 'deploy', '--yes']);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/^error: .* not available on this server \(absent in this test\)\n/);
  });

  it.each([
    [401, 4],
    [403, 6],
    [404, 5],
    [409, 7],
  ])('a %i on the revoke exits %i', async (status, code) => {
    server = mockServer();
    listed(server);
    server.pool
      .intercept({ path: '/v1/admin/api-keys/k-1', method: 'DELETE' })
      .reply(status, { detail: `refused with ${status}` }, json);
    const r = await server.run(['keys', 'revoke', 'deploy', '--yes']);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(`refused with ${status}`);
  });
});
