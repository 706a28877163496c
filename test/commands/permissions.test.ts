// `noxus permissions list` in-process against MockAgent: one read of the catalogue, filtered here.
import { afterEach, describe, expect, it } from 'vitest';
import { catalogue } from './keys-fixtures.js';
import { json, type MockServer, mockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const served = (s: MockServer, status = 200, body: unknown = catalogue) =>
  s.pool.intercept({ path: '/v1/admin/permissions', method: 'GET' }).reply(status, body as object, json);

describe('permissions list', () => {
  it('one row per permission off a terminal; --scope keeps one scope', async () => {
    server = mockServer();
    served(server);
    const r = await server.run(['permissions', 'list', '--scope', 'org']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('org:read\torg\tRead the organization\nsettings:read\torg\tRead settings\n');
  });

  it('--json: the envelope of every permission', async () => {
    server = mockServer();
    served(server);
    const r = await server.run(['permissions', 'ls', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema_version: 1, command: 'permissions list' });
    expect(doc.items).toEqual(catalogue);
  });

  it('an unknown --scope exits 2 with no request', async () => {
    server = mockServer();
    const r = await server.run(['permissions', 'list', '--scope', 'team']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--scope <scope>' argument 'team' is invalid");
  });

  it('a server with only the public API stops with exit 8 naming the catalogue', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['permissions', 'list']);
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toMatch(/^error: .*catalogue.* not available on this server/);
  });

  it.each([
    [401, 4],
    [403, 6],
    [404, 5],
  ])('a %i exits %i', async (status, code) => {
    server = mockServer();
    served(server, status, { detail: `refused with ${status}` });
    const r = await server.run(['permissions', 'list']);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
  });
});
