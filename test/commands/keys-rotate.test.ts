// `noxus keys rotate` in-process against MockAgent: the one write it makes, nothing written on
// --dry-run, bad input or a re-run during the overlap, and server refusals mapped to exit codes.
import { afterEach, describe, expect, it } from 'vitest';
import { apiKey, at, SECRET } from './keys-fixtures.js';
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

const rotated = {
  ...apiKey({ id: 'k-2', value: SECRET, rotated_from: 'k-1' }),
  replaces: apiKey({ name: 'deploy (rotated 2026-11-29T12:00:00Z)', expires_at: '2026-11-29T12:10:00.000Z' }),
};

describe('keys rotate', () => {
  it('replaces the key keeping the old one for the overlap; the new secret on stdout only', async () => {
    server = mockServer();
    listed(server);
    let body: unknown;
    server.pool
      .intercept({
        path: '/v1/admin/api-keys/k-1/rotate',
        method: 'POST',
        body: (b) => {
          body = JSON.parse(b);
          return true;
        },
      })
      .reply(200, rotated, json);
    const r = await server.run(['keys', 'rotate', 'deploy', '--overlap', '10m']);
    expect(r.code).toBe(0);
    // The old key never expired: neither does the new one; the restriction is the server's to copy.
    expect(body).toEqual({ overlap_seconds: 600, expires_at: null });
    expect(r.stdout).toBe(`${SECRET}\n`);
    expect(r.stderr).toBe(
      [
        'old key k-1 keeps working until 2026-11-29T12:10:00.000Z, now named "deploy (rotated 2026-11-29T12:00:00Z)"',
        '✓ created key "deploy" (k-2)',
        'effective permissions: flows_run',
        'warning: this is the only time the secret is shown; store it now (a password manager, or your CI secret store)',
        '',
      ].join('\n'),
    );
  });

  it('--json: the new key with its secret and what it replaces', async () => {
    server = mockServer();
    listed(server);
    server.pool
      .intercept({ path: '/v1/admin/api-keys/k-1/rotate', method: 'POST' })
      .reply(200, rotated, json);
    const r = await server.run(['keys', 'rotate', 'deploy', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      schema_version: 1,
      command: 'keys rotate',
      changed: true,
      replaces: { id: 'k-1', expires_at: '2026-11-29T12:10:00.000Z' },
      key: { id: 'k-2', secret: SECRET, value: 'noxus_…6789', permissions: ['flows_run'] },
    });
  });

  it('--dry-run says what would happen and rotates nothing', async () => {
    server = mockServer();
    listed(server);
    const r = await server.run(['keys', 'rotate', 'deploy', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'would replace key "deploy" (k-1) with a new one (same workspace, restriction and holder, expiring never); the old key would stop at once; nothing changed\n',
    );
  });

  it('a re-run while the previous rotation overlaps changes nothing (exit 0, no secret)', async () => {
    server = mockServer();
    listed(server, apiKey({ id: 'k-2', rotated_from: 'k-1', created_at: '2026-11-29T12:00:00.000Z' }));
    server.pool
      .intercept({ path: '/v1/admin/api-keys/k-1', method: 'GET' })
      .reply(200, apiKey({ name: 'deploy (rotated)', expires_at: '2026-11-29T12:10:00.000Z' }), json);
    const r = await server.run(['keys', 'rotate', 'deploy', '--overlap', '10m']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'key "deploy" (k-2) was rotated at 2026-11-29T12:00:00.000Z; the previous key k-1 ("deploy (rotated)") keeps working until 2026-11-29T12:10:00.000Z. To rotate again now: --force (unchanged)\n',
    );
  });

  it.each([
    [['--overlap', 'soon'], '--overlap must be a duration like 30s, 10m or 1h, got "soon"'],
    [['--overlap', '31d'], '--overlap can be at most 30d'],
  ])('bad input %j exits 2 with no request', async (flags, message) => {
    server = mockServer();
    const r = await server.run(['keys', 'rotate', 'deploy', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${message}\n`);
  });

  it('--expires-in on a server without key expiry stops with exit 8 before any request', async () => {
    server = mockServer({ features: ['keys.rotate', 'keys.list'] });
    const r = await server.run(['keys', 'rotate', 'deploy', '--expires-in', '30d']);
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toMatch(/^error: .*expir.* not available on this server/);
  });

  it.each([
    [401, 4],
    [403, 6],
    [404, 5],
    [409, 7],
  ])('a %i on the rotate exits %i and shows no secret', async (status, code) => {
    server = mockServer();
    listed(server);
    server.pool
      .intercept({ path: '/v1/admin/api-keys/k-1/rotate', method: 'POST' })
      .reply(status, { detail: `refused with ${status}` }, json);
    const r = await server.run(['keys', 'rotate', 'deploy']);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`refused with ${status}`);
  });
});
