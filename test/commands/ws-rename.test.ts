// `noxus ws rename`: a taken name is refused before the write; the same name changes nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { envelope, getGroups, MKT, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const RENAMED = { ...MKT, name: 'Growth' };

describe('noxus ws rename', () => {
  it('renames', async () => {
    server = mockServer();
    getGroups(server);
    reply(server, 'PATCH', '/v1/admin/groups/g_mkt', 200, RENAMED);
    const r = await server.run(['ws', 'rename', 'Marketing', 'Growth']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ renamed workspace Marketing to Growth (g_mkt)\n' });
  });

  it('--json: the renamed workspace with its previous name', async () => {
    server = mockServer();
    getGroups(server);
    reply(server, 'PATCH', '/v1/admin/groups/g_mkt', 200, RENAMED);
    const r = await server.run(['ws', 'rename', 'g_mkt', 'Growth', '--json']);
    expect(envelope(r.stdout)).toEqual({
      schema_version: 1,
      command: 'ws rename',
      items: [{ ...RENAMED, previous_name: 'Marketing', changed: true }],
    });
  });

  it('--dry-run and the same name write nothing', async () => {
    server = mockServer();
    getGroups(server);
    expect(await server.run(['ws', 'rename', 'Marketing', 'Growth', '--dry-run'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would rename workspace Marketing (g_mkt) to "Growth"; nothing changed\n',
    });
    getGroups(server);
    expect(await server.run(['ws', 'rename', 'Marketing', 'Marketing'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '✓ workspace Marketing already has that name (unchanged)\n',
    });
  });

  it('an empty new name exits 2 before any request; a taken one exits 7 before the write', async () => {
    server = mockServer();
    expect((await server.run(['ws', 'rename', 'Marketing', ''])).code).toBe(2);
    getGroups(server);
    const r = await server.run(['ws', 'rename', 'Marketing', 'engineering']);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('a workspace named "Engineering" already exists (g_eng)');
  });

  it("the server's 403 exits 6 and 409 exits 7", async () => {
    server = mockServer();
    getGroups(server);
    reply(server, 'PATCH', '/v1/admin/groups/g_mkt', 403, problem(403, 'missing permission workspace:write'));
    expect((await server.run(['ws', 'rename', 'Marketing', 'Growth'])).code).toBe(6);
    getGroups(server);
    reply(server, 'PATCH', '/v1/admin/groups/g_mkt', 409, problem(409, 'name taken'));
    expect((await server.run(['ws', 'rename', 'Marketing', 'Growth'])).code).toBe(7);
  });

  it('on the public API: exit 8 naming the feature, no request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['ws', 'rename', 'Marketing', 'Growth']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('renaming workspaces');
  });
});
