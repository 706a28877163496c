// `noxus ws members`: the member list of one workspace, org admins marked.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { envelope, getGroups, getMembers, MKT, MKT_MEMBERS, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

describe('noxus ws members', () => {
  it('one row per member, "via org admin" for admins through their org role', async () => {
    server = mockServer();
    getGroups(server);
    getMembers(server);
    const r = await server.run(['ws', 'members', 'Marketing']);
    expect(r).toEqual({
      code: 0,
      stdout:
        'ada@example.com\tAdmin\tvia org admin\t\t\tu_ada\t\t\nbob@example.com\tEditor\tmembership\t\t\tu_bob\t\t\n',
      stderr: '',
    });
  });

  it('a grant with terms: its expiry and reason in the last two columns', async () => {
    server = mockServer();
    getGroups(server);
    const [, bob] = MKT_MEMBERS as Array<Record<string, unknown>>;
    getMembers(server, MKT, [{ ...bob, reason: 'on call', expires_at: '2027-01-01T00:00:00.000Z' }]);
    const r = await server.run(['ws', 'members', 'Marketing']);
    expect(r).toEqual({
      code: 0,
      stdout: 'bob@example.com\tEditor\tmembership\t\t\tu_bob\t2027-01-01T00:00:00.000Z\ton call\n',
      stderr: '',
    });
  });

  it('--json: the members and the workspace', async () => {
    server = mockServer();
    getGroups(server);
    getMembers(server);
    const r = await server.run(['ws', 'members', 'g_mkt', '--json']);
    expect(envelope(r.stdout)).toEqual({
      schema_version: 1,
      command: 'ws members',
      workspace: { id: 'g_mkt', name: 'Marketing' },
      items: MKT_MEMBERS,
    });
  });

  it('an unknown workspace exits 5; a 403 on the member list exits 6', async () => {
    server = mockServer();
    getGroups(server);
    expect((await server.run(['ws', 'members', 'Sales'])).code).toBe(5);
    getGroups(server);
    reply(
      server,
      'GET',
      '/v1/admin/groups/g_mkt/members',
      403,
      problem(403, 'missing permission users:read'),
    );
    expect((await server.run(['ws', 'members', 'Marketing'])).code).toBe(6);
  });

  it('on the public API: exit 8 naming the feature, no request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['ws', 'members', 'Marketing']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('workspace member lists');
  });
});
