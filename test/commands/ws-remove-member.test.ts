// `noxus ws remove-member`: destructive (needs --yes off a terminal); an org admin cannot be removed
// from one workspace.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { envelope, getGroups, getMembers, getUsers, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

function reads(s: MockServer) {
  getGroups(s);
  getUsers(s);
  getMembers(s);
}
const DEL_BOB = '/v1/admin/groups/g_mkt/members/u_bob';

describe('noxus ws remove-member', () => {
  it('removes with --yes', async () => {
    server = mockServer();
    reads(server);
    reply(server, 'DELETE', DEL_BOB, 200, { removed: true });
    const r = await server.run(['ws', 'remove-member', 'Marketing', 'bob@example.com', '--yes']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ removed bob@example.com from Marketing (was Editor); their resources stay in the workspace\n',
    });
  });

  it('--json: removed: true', async () => {
    server = mockServer();
    reads(server);
    reply(server, 'DELETE', DEL_BOB, 200, { removed: true });
    const r = await server.run(['ws', 'remove-member', 'Marketing', 'u_bob', '--yes', '--json']);
    expect(envelope(r.stdout)).toEqual({
      schema_version: 1,
      command: 'ws remove-member',
      items: [{ email: 'bob@example.com', workspace: 'Marketing', role: 'Editor', removed: true }],
    });
  });

  it('--dry-run removes nothing; without --yes off a terminal: exit 2', async () => {
    server = mockServer();
    reads(server);
    expect(await server.run(['ws', 'remove-member', 'Marketing', 'bob@example.com', '--dry-run'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would remove bob@example.com (Editor) from Marketing; nothing changed\n',
    });
    reads(server);
    const r = await server.run(['ws', 'remove-member', 'Marketing', 'bob@example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('noxus ws remove-member Marketing bob@example.com --yes');
  });

  it('an org admin exits 7, a non-member 5, an unknown user 5; none writes', async () => {
    server = mockServer();
    reads(server);
    const admin = await server.run(['ws', 'remove-member', 'Marketing', 'ada@example.com', '--yes']);
    expect(admin.code).toBe(7);
    expect(admin.stderr).toContain('cannot be removed from one workspace');
    reads(server);
    expect((await server.run(['ws', 'remove-member', 'Marketing', 'cy@example.com', '--yes'])).code).toBe(5);
    getGroups(server);
    getUsers(server);
    const unknown = await server.run(['ws', 'remove-member', 'Marketing', 'nobody@example.com', '--yes']);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain('no user nobody@example.com');
  });

  it("the server's 403 exits 6 and 404 exits 5", async () => {
    server = mockServer();
    reads(server);
    reply(server, 'DELETE', DEL_BOB, 403, problem(403, 'missing permission workspace_admin'));
    expect((await server.run(['ws', 'remove-member', 'Marketing', 'bob@example.com', '--yes'])).code).toBe(6);
    reads(server);
    reply(server, 'DELETE', DEL_BOB, 404, problem(404, 'not a member'));
    expect((await server.run(['ws', 'remove-member', 'Marketing', 'bob@example.com', '--yes'])).code).toBe(5);
  });

  it('on the public API: exit 8 naming the feature, no request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['ws', 'remove-member', 'Marketing', 'bob@example.com', '--yes']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('adding, changing and removing workspace members');
  });
});
