// `noxus ws delete`: destructive, so --yes off a terminal, and nothing is deleted on a dry run.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { envelope, getGroups, MKT, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

describe('noxus ws delete', () => {
  it('deletes with --yes', async () => {
    server = mockServer();
    getGroups(server);
    reply(server, 'DELETE', '/v1/admin/groups/g_mkt', 200, {});
    const r = await server.run(['ws', 'delete', 'Marketing', '--yes']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ deleted workspace Marketing\n' });
  });

  it('--json: the envelope with deleted: true', async () => {
    server = mockServer();
    getGroups(server);
    reply(server, 'DELETE', '/v1/admin/groups/g_mkt', 204, '');
    const r = await server.run(['ws', 'rm', 'g_mkt', '--yes', '--json']);
    expect(envelope(r.stdout)).toEqual({
      schema_version: 1,
      command: 'ws delete',
      items: [{ ...MKT, deleted: true }],
    });
  });

  it('--dry-run deletes nothing', async () => {
    server = mockServer();
    getGroups(server);
    const r = await server.run(['ws', 'delete', 'Marketing', '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'would delete workspace Marketing (g_mkt), revoking its keys and deleting its resources; nothing changed\n',
    });
  });

  it('without --yes off a terminal: exit 2, nothing deleted', async () => {
    server = mockServer();
    getGroups(server);
    const r = await server.run(['ws', 'delete', 'Marketing']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'refusing to delete workspace Marketing with its keys and resources without confirmation',
    );
    expect(r.stderr).toContain('noxus ws delete g_mkt --yes');
  });

  it('an unknown workspace exits 5; a 403 from the server exits 6; a 404 exits 5', async () => {
    server = mockServer();
    getGroups(server);
    expect((await server.run(['ws', 'delete', 'Nope', '--yes'])).code).toBe(5);
    getGroups(server);
    reply(
      server,
      'DELETE',
      '/v1/admin/groups/g_mkt',
      403,
      problem(403, 'missing permission workspace:delete'),
    );
    expect((await server.run(['ws', 'delete', 'Marketing', '--yes'])).code).toBe(6);
    getGroups(server);
    reply(server, 'DELETE', '/v1/admin/groups/g_mkt', 404, problem(404, 'workspace not found'));
    expect((await server.run(['ws', 'delete', 'Marketing', '--yes'])).code).toBe(5);
  });
});
