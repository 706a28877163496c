// `noxus keys list` in-process against MockAgent: one listing, filtered and rendered.
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
