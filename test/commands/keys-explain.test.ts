// `noxus keys explain` in-process against MockAgent: what a key can do and why it lost the rest.
import { afterEach, describe, expect, it } from 'vitest';
import { apiKey, at, BOT } from './keys-fixtures.js';
import { json, type MockServer, mockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

/** GET /v1/admin/api-keys with this status filter. */
const keysPath = (status: string) => (p: string) =>
  at('/v1/admin/api-keys')(p) && new URL(p, 'http://x').searchParams.get('status') === status;

describe('keys explain', () => {
  it('says what the key can do and why it lost the rest', async () => {
    server = mockServer();
    const clipped = apiKey({
      permissions: ['flows_run', 'flows_edit'],
      effective_permissions: ['flows_run'],
      clipped: [{ permission: 'flows_edit', reason: 'the holder no longer has it', code: 'not_granted' }],
      degraded: true,
      holder_role: 'Reader',
    });
    server.pool.intercept({ path: keysPath('all'), method: 'GET' }).reply(200, [clipped], json);
    server.pool
      .intercept({ path: at('/v1/admin/activity'), method: 'GET' })
      .reply(200, { items: [], total: 0 }, json)
      .times(2);
    const r = await server.run(['keys', 'explain', 'deploy']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'key         deploy (k-1), active',
        'workspace   Engineering',
        `holder      ${BOT.email} (owner service account): workspace role Reader`,
        'restriction flows_run, flows_edit',
        'effective   flows_run',
        'clipped     1 permission(s) the key was granted but no longer has:',
        '  - flows_edit: the holder no longer has it',
        '',
      ].join('\n'),
    );
  });

  it('--json: the key, its holder, its effective permissions and nothing clipped', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: keysPath('all'), method: 'GET' })
      .reply(200, [apiKey({ holder_role: 'Reader' })], json);
    const r = await server.run(['keys', 'explain', 'deploy', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({
      schema_version: 1,
      command: 'keys explain',
      items: [
        {
          id: 'k-1',
          restricted: true,
          restriction: ['flows_run'],
          holder: { email: BOT.email, role: 'Reader', source: 'workspace role Reader' },
          effective_permissions: ['flows_run'],
          clipped: [],
          degraded: false,
        },
      ],
    });
  });

  it('a server with only the public API stops with exit 8 before any request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['keys', 'explain', 'deploy']);
    expect(r.code).toBe(8);
    expect(r.stdout).toBe('');
  });

  it('an unknown key exits 5 with the close name', async () => {
    server = mockServer();
    server.pool.intercept({ path: keysPath('all'), method: 'GET' }).reply(200, [apiKey()], json);
    const r = await server.run(['keys', 'explain', 'deplyo', '--json']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no API key deplyo');
    expect(r.stderr).toContain('deploy');
  });
});
