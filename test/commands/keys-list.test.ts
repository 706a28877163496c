// `noxus keys list` and `noxus keys explain` in-process against MockAgent: single reads, rendered.
import { afterEach, describe, expect, it } from 'vitest';
import { apiKey, at, BOT, ENG } from './keys-fixtures.js';
import { json, type MockServer, mockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

/** GET /v1/admin/api-keys with this status filter. */
const keysPath = (status: string) => (p: string) =>
  at('/v1/admin/api-keys')(p) && new URL(p, 'http://x').searchParams.get('status') === status;

describe('keys list', () => {
  it('prints one tab-separated row per key off a terminal, the secret only masked', async () => {
    server = mockServer();
    server.pool.intercept({ path: keysPath('active'), method: 'GET' }).reply(200, [apiKey()], json);
    const r = await server.run(['keys', 'list']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `deploy\tEngineering\t${BOT.email} (service)\tflows_run\tflows_run\tno\t2026-11-01T00:00:00.000Z\tnever\t\tactive\tk-1\n`,
    );
  });

  it('--json: the envelope of the keys', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: keysPath('revoked'), method: 'GET' })
      .reply(200, [apiKey({ status: 'revoked' })], json);
    const r = await server.run(['keys', 'list', '--revoked', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema_version: 1, command: 'keys list' });
    expect(doc.items).toHaveLength(1);
    expect(doc.items[0]).toMatchObject({ id: 'k-1', status: 'revoked', value: 'noxus_…6789' });
  });

  it('--workspace and --unused-days: the workspace id sent, keys used recently left out here', async () => {
    server = mockServer();
    server.pool.intercept({ path: at('/v1/admin/groups'), method: 'GET' }).reply(200, [ENG], json);
    const old = apiKey({ id: 'k-old', name: 'old', last_used_at: '2020-01-01T00:00:00.000Z' });
    const fresh = apiKey({ id: 'k-new', name: 'new', last_used_at: new Date().toISOString() });
    server.pool
      .intercept({
        path: (p) => keysPath('active')(p) && new URL(p, 'http://x').searchParams.get('group_id') === ENG.id,
        method: 'GET',
      })
      .reply(200, [old, fresh], json);
    const r = await server.run([
      'keys',
      'list',
      '--workspace',
      'Engineering',
      '--unused-days',
      '90',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).items.map((k: { id: string }) => k.id)).toEqual(['k-old']);
  });

  it.each([
    [['--expired', '--revoked'], 'choose one of --expired, --revoked, --all'],
    [['--unused-days', 'ten'], '--unused-days must be a whole number of days, got "ten"'],
  ])('bad input %j exits 2 with no request', async (flags, message) => {
    server = mockServer();
    const r = await server.run(['keys', 'list', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${message}\n`);
  });

  it('a server with only the public API stops with exit 8', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['keys', 'list']);
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toMatch(
      /^error: .* not available on this server \(absent in this test\)$/,
    );
  });

  it.each([
    [401, 4],
    [403, 6],
  ])('a %i exits %i', async (status, code) => {
    server = mockServer();
    server.pool.intercept({ path: keysPath('active'), method: 'GET' }).reply(status, { detail: 'no' }, json);
    const r = await server.run(['keys', 'list']);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
  });
});

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
