// `noxus ws set-role`: a member's role changes in one write; org admins and non-members are refused.
import { afterEach, describe, expect, it } from 'vitest';
import { FEATURES, type FeatureId } from '../../src/domain/features.js';
import { json, type MockServer, mockServer } from './mock.js';
import {
  ADA,
  BOB,
  envelope,
  getGroups,
  getMembers,
  getRoles,
  getUsers,
  MKT,
  member,
  problem,
  reply,
} from './ws-fixtures.js';

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

describe('noxus ws set-role --reason --expires (grant terms)', () => {
  const TERMS = { reason: 'on call', expires_at: '2099-01-31T00:00:00.000Z' };
  const readsWith = (s: MockServer, bob: Record<string, unknown>) => {
    getGroups(s);
    getUsers(s);
    getRoles(s);
    getMembers(s, MKT, [member(ADA, 'ws_admin', 'org_admin'), { ...member(BOB, 'ws_editor'), ...bob }]);
  };
  const argv = ['ws', 'set-role', 'Marketing', 'bob@example.com'];

  it('the same role with new terms: one write with only the terms given; --json shows them', async () => {
    server = mockServer();
    readsWith(server, { reason: 'old', expires_at: null });
    const bodies: string[] = [];
    server.pool
      .intercept({
        path: PUT_BOB,
        method: 'PUT',
        body: (b: string) => {
          if (!bodies.includes(b)) bodies.push(b);
          return true;
        },
      })
      .reply(200, { ...change, role: { id: 'ws_editor', name: 'Editor' }, ...TERMS }, json);
    const r = await server.run([
      ...argv,
      '--role',
      'Editor',
      '--reason',
      'on call',
      '--expires',
      '2099-01-31',
      '--json',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(bodies.map((b) => JSON.parse(b))).toEqual([{ role: 'ws_editor', ...TERMS }]);
    expect(envelope(r.stdout).items).toEqual([
      {
        email: 'bob@example.com',
        user_id: 'u_bob',
        workspace: 'Marketing',
        before: 'Editor',
        after: 'Editor',
        ...TERMS,
        changed: true,
      },
    ]);
  });

  it('human output names the terms', async () => {
    server = mockServer();
    readsWith(server, { reason: null, expires_at: null });
    reply(server, 'PUT', PUT_BOB, 200, { ...change, ...TERMS });
    const r = await server.run([
      ...argv,
      '--role',
      'Reader',
      '--reason',
      'on call',
      '--expires',
      '2099-01-31',
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ bob@example.com in Marketing: Editor → Reader (reason: on call, expires 2099-01-31T00:00:00.000Z)\n',
    });
  });

  it('the same role and terms again: unchanged, exit 0, no write', async () => {
    server = mockServer();
    readsWith(server, TERMS);
    const r = await server.run([
      ...argv,
      '--role',
      'Editor',
      '--reason',
      'on call',
      '--expires',
      '2099-01-31',
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'bob@example.com is already Editor in Marketing (reason: on call, expires 2099-01-31T00:00:00.000Z) (unchanged)\n',
    });
  });

  it('a bad --expires exits 2 before any request', async () => {
    server = mockServer();
    const r = await server.run([...argv, '--role', 'Editor', '--expires', '2001-01-01']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'error: --expires 2001-01-01 is in the past\n' });
  });

  it('a server without grant terms: exit 8 naming the feature, no request', async () => {
    server = mockServer({
      features: FEATURES.map((f) => f.id as FeatureId).filter((id) => id !== 'members.terms'),
    });
    const r = await server.run([...argv, '--role', 'Editor', '--reason', 'on call']);
    expect([r.code, r.stdout]).toEqual([8, '']);
    expect(r.stderr).toContain('reasons and expiry on workspace grants');
  });
});
