// `noxus ws set-role`: a member's role changes in one write; org admins and non-members are refused.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { envelope, getGroups, getMembers, getRoles, getUsers, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

function reads(s: MockServer) {
  getGroups(s);
  getUsers(s);
  getRoles(s);
  getMembers(s);
}
const PUT_BOB = '/v1/admin/groups/g_mkt/members/u_bob';
const change = {
  group_id: 'g_mkt',
  user_id: 'u_bob',
  email: 'bob@example.com',
  role: { id: 'ws_reader', name: 'Reader' },
  created: false,
  changed: true,
};

describe('noxus ws set-role', () => {
  it('changes the role', async () => {
    server = mockServer();
    reads(server);
    reply(server, 'PUT', PUT_BOB, 200, change);
    const r = await server.run(['ws', 'set-role', 'Marketing', 'BOB@example.com', '--role', 'reader']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ bob@example.com in Marketing: Editor → Reader\n' });
  });

  it('--json: the change', async () => {
    server = mockServer();
    reads(server);
    reply(server, 'PUT', PUT_BOB, 200, change);
    const r = await server.run(['ws', 'set-role', 'Marketing', 'u_bob', '--role', 'Reader', '--json']);
    expect(envelope(r.stdout)).toEqual({
      schema_version: 1,
      command: 'ws set-role',
      items: [
        {
          email: 'bob@example.com',
          user_id: 'u_bob',
          workspace: 'Marketing',
          before: 'Editor',
          after: 'Reader',
          changed: true,
        },
      ],
    });
  });

  it('--dry-run and the same role write nothing', async () => {
    server = mockServer();
    reads(server);
    expect(
      await server.run(['ws', 'set-role', 'Marketing', 'bob@example.com', '--role', 'Reader', '--dry-run']),
    ).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would change bob@example.com in Marketing: Editor → Reader\n',
    });
    reads(server);
    expect(await server.run(['ws', 'set-role', 'Marketing', 'bob@example.com', '--role', 'Editor'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'bob@example.com is already Editor in Marketing (unchanged)\n',
    });
  });

  it('an org role for --role exits 2; an org admin exits 7; a non-member exits 5; none writes', async () => {
    server = mockServer();
    getGroups(server);
    getUsers(server);
    getRoles(server);
    const org = await server.run(['ws', 'set-role', 'Marketing', 'bob@example.com', '--role', 'Org Base']);
    expect(org.code).toBe(2);
    expect(org.stderr).toContain('"Org Base" is an organization role; --role needs a workspace role');
    reads(server);
    const admin = await server.run(['ws', 'set-role', 'Marketing', 'ada@example.com', '--role', 'Reader']);
    expect(admin.code).toBe(7);
    expect(admin.stderr).toContain('ada@example.com is admin on Marketing through their org role');
    reads(server);
    const outsider = await server.run(['ws', 'set-role', 'Marketing', 'cy@example.com', '--role', 'Reader']);
    expect(outsider.code).toBe(5);
    expect(outsider.stderr).toContain('cy@example.com is not a member of Marketing');
  });

  it("the server's 403 exits 6 and 409 exits 7", async () => {
    server = mockServer();
    reads(server);
    reply(server, 'PUT', PUT_BOB, 403, problem(403, 'missing permission workspace_admin'));
    expect(
      (await server.run(['ws', 'set-role', 'Marketing', 'bob@example.com', '--role', 'Reader'])).code,
    ).toBe(6);
    reads(server);
    reply(server, 'PUT', PUT_BOB, 409, problem(409, 'last workspace admin'));
    expect(
      (await server.run(['ws', 'set-role', 'Marketing', 'bob@example.com', '--role', 'Reader'])).code,
    ).toBe(7);
  });

  it('on the public API: exit 8 naming the feature, no request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['ws', 'set-role', 'Marketing', 'bob@example.com', '--role', 'Reader']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('adding, changing and removing workspace members');
  });
});
