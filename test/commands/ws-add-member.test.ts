// `noxus ws add-member` off a terminal: every user is checked before the first write; org admins
// (decided by their org role, not a lagging flag) are refused; per-user results when several are added.
import { afterEach, describe, expect, it, vi } from 'vitest';
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

function reads(s: MockServer, members = true) {
  getGroups(s);
  if (members) getMembers(s);
  getRoles(s);
  getUsers(s);
}
const put = (s: MockServer, userId: string, status = 200, body?: unknown) =>
  reply(
    s,
    'PUT',
    `/v1/admin/groups/g_mkt/members/${userId}`,
    status,
    body ?? {
      group_id: 'g_mkt',
      user_id: userId,
      email: '',
      role: { id: 'ws_reader', name: 'Reader' },
      created: true,
      changed: true,
    },
  );

describe('noxus ws add-member', () => {
  it('adds a user with --role', async () => {
    server = mockServer();
    reads(server);
    put(server, 'u_cy');
    const r = await server.run(['ws', 'add-member', 'Marketing', 'cy@example.com', '--role', 'Reader']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ added cy@example.com to Marketing as Reader\n' });
  });

  it('a demoted user whose tenant_admin flag lags is not an org admin: added', async () => {
    server = mockServer();
    reads(server);
    put(server, 'u_lag');
    const r = await server.run([
      'ws',
      'add-member',
      'Marketing',
      'lag@example.com',
      '--role',
      'Reader',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(envelope(r.stdout)).toEqual({
      schema_version: 1,
      command: 'ws add-member',
      items: [
        {
          email: 'lag@example.com',
          user_id: 'u_lag',
          workspace: 'Marketing',
          role: 'Reader',
          action: 'add',
          outcome: 'added',
        },
      ],
    });
  });

  it('--dry-run writes nothing, and says who already is a member', async () => {
    server = mockServer();
    reads(server);
    const r = await server.run([
      'ws',
      'add-member',
      'Marketing',
      'cy@example.com',
      'bob@example.com',
      '--role',
      'Editor',
      '--dry-run',
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'would add cy@example.com to Marketing as Editor\nbob@example.com is already Editor in Marketing\n',
    });
  });

  it('an org admin is refused (exit 2) before any write', async () => {
    server = mockServer();
    reads(server);
    const r = await server.run([
      'ws',
      'add-member',
      'Marketing',
      'cy@example.com',
      'ada@example.com',
      '--role',
      'Reader',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'ada@example.com is an org admin and therefore admin on every workspace; a workspace role cannot be given',
    );
  });

  it('bad input exits 2 with no write: an unknown role, a missing --role off a terminal', async () => {
    server = mockServer();
    getGroups(server);
    getMembers(server);
    getRoles(server);
    const bad = await server.run(['ws', 'add-member', 'Marketing', 'cy@example.com', '--role', 'Boss']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown workspace role "Boss" for --role');
    getGroups(server);
    getMembers(server);
    const missing = await server.run(['ws', 'add-member', 'Marketing', 'cy@example.com']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('noxus ws add-member Marketing cy@example.com --role');
  });

  it('a member with another role is a conflict (exit 7) that names set-role', async () => {
    server = mockServer();
    reads(server);
    const r = await server.run(['ws', 'add-member', 'Marketing', 'bob@example.com', '--role', 'Reader']);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('bob@example.com is already a member of Marketing as Editor');
    expect(r.stderr).toContain('noxus ws set-role Marketing bob@example.com --role Reader');
  });

  it("one user: the server's 403 exits 6, its 409 exits 7", async () => {
    server = mockServer();
    reads(server);
    put(server, 'u_cy', 403, problem(403, 'missing permission workspace_admin'));
    expect(
      (await server.run(['ws', 'add-member', 'Marketing', 'cy@example.com', '--role', 'Reader'])).code,
    ).toBe(6);
    reads(server);
    put(server, 'u_cy', 409, problem(409, 'user is removed'));
    expect(
      (await server.run(['ws', 'add-member', 'Marketing', 'cy@example.com', '--role', 'Reader'])).code,
    ).toBe(7);
  });

  it('several users, one refused by the server: exit 3 with per-user results', async () => {
    server = mockServer();
    reads(server);
    put(server, 'u_cy');
    put(server, 'u_lag', 409, problem(409, 'seat limit reached'));
    const r = await server.run([
      'ws',
      'add-member',
      'Marketing',
      'cy@example.com',
      'lag@example.com',
      '--role',
      'Reader',
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      '✓ added cy@example.com to Marketing as Reader\n' +
        'warning: lag@example.com: conflict (HTTP 409): seat limit reached (request id req-mock)\n' +
        'error: 1 of 2 users could not be added\n',
    );
  });

  it('a key that may not list users: members matched by email, the server decides on the write', async () => {
    server = mockServer();
    getGroups(server);
    getMembers(server);
    getRoles(server);
    reply(server, 'GET', '/v1/admin/users', 403, problem(403, 'missing permission users:read'));
    const admin = await server.run(['ws', 'add-member', 'Marketing', 'ADA@example.com', '--role', 'Reader']);
    expect(admin.code).toBe(2);
    expect(admin.stderr).toContain('ada@example.com is an org admin');
    getGroups(server);
    getMembers(server);
    getRoles(server);
    reply(server, 'GET', '/v1/admin/users', 403, problem(403, 'missing permission users:read'));
    reply(
      server,
      'PUT',
      '/v1/admin/groups/g_mkt/members/cy%40example.com',
      403,
      problem(403, 'missing permission workspace_admin'),
    );
    const r = await server.run(['ws', 'add-member', 'Marketing', 'cy@example.com', '--role', 'Reader']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('missing permission workspace_admin');
  });

  it('on the public API off a terminal: exit 8 with the console steps, no write', async () => {
    server = mockServer({ features: 'public' });
    reads(server, false);
    const r = await server.run(['ws', 'add-member', 'Marketing', 'cy@example.com', '--role', 'Reader']);
    expect(r.code).toBe(8);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('adding, changing and removing workspace members');
    expect(r.stderr).toContain('cy@example.com');
  });
});

describe('noxus ws add-member --reason --expires (grant terms)', () => {
  const NOW = new Date('2026-11-29T12:00:00.000Z');
  const withoutTerms = FEATURES.map((f) => f.id as FeatureId).filter((id) => id !== 'members.terms');
  /** A PUT that records its body and answers as the server does. */
  const putTerms = (s: MockServer, userId: string, bodies: unknown[], terms: Record<string, unknown>) =>
    s.pool
      .intercept({
        path: `/v1/admin/groups/g_mkt/members/${userId}`,
        method: 'PUT',
        // undici may ask the matcher more than once per request; the interceptor itself is single-use.
        body: (b: string) => {
          if (!bodies.some((x) => JSON.stringify(x) === b)) bodies.push(JSON.parse(b));
          return true;
        },
      })
      .reply(
        201,
        {
          group_id: 'g_mkt',
          user_id: userId,
          email: 'cy@example.com',
          role: { id: 'ws_reader', name: 'Reader' },
          ...terms,
          created: true,
          changed: true,
        },
        json,
      );
  afterEach(() => {
    vi.useRealTimers();
  });

  it('adds with a reason and a duration: the body carries both, the output shows them', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    server = mockServer();
    reads(server);
    const bodies: unknown[] = [];
    const terms = { reason: 'Q4 launch', expires_at: '2026-12-29T12:00:00.000Z' };
    putTerms(server, 'u_cy', bodies, terms);
    const argv = ['ws', 'add-member', 'Marketing', 'cy@example.com', '--role', 'Reader'];
    const r = await server.run([...argv, '--reason', 'Q4 launch', '--expires', '30d']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ added cy@example.com to Marketing as Reader (reason: Q4 launch, expires 2026-12-29T12:00:00.000Z)\n',
    });
    expect(bodies).toEqual([{ role: 'ws_reader', ...terms }]);
  });

  it('--json: each row has reason and expires_at; a date is that day at 00:00 UTC', async () => {
    server = mockServer();
    reads(server);
    const bodies: unknown[] = [];
    putTerms(server, 'u_cy', bodies, { reason: 'audit', expires_at: '2099-01-31T00:00:00.000Z' });
    const r = await server.run([
      'ws',
      'add-member',
      'Marketing',
      'cy@example.com',
      '--role',
      'Reader',
      '--reason',
      'audit',
      '--expires',
      '2099-01-31',
      '--json',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(bodies).toEqual([{ role: 'ws_reader', reason: 'audit', expires_at: '2099-01-31T00:00:00.000Z' }]);
    expect(envelope(r.stdout).items).toEqual([
      {
        email: 'cy@example.com',
        user_id: 'u_cy',
        workspace: 'Marketing',
        role: 'Reader',
        reason: 'audit',
        expires_at: '2099-01-31T00:00:00.000Z',
        action: 'add',
        outcome: 'added',
      },
    ]);
  });

  it('a member who already has the role and these terms: unchanged, no write', async () => {
    server = mockServer();
    const bob = {
      ...member(BOB, 'ws_editor'),
      reason: 'audit',
      expires_at: '2099-01-31T00:00:00.000Z',
    };
    getGroups(server);
    getMembers(server, MKT, [member(ADA, 'ws_admin', 'org_admin'), bob]);
    getRoles(server);
    getUsers(server);
    const r = await server.run([
      'ws',
      'add-member',
      'Marketing',
      'bob@example.com',
      '--role',
      'Editor',
      '--reason',
      'audit',
      '--expires',
      '2099-01-31T00:00:00Z',
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'bob@example.com is already Editor in Marketing (reason: audit, expires 2099-01-31T00:00:00.000Z) (unchanged)\n',
    });
  });

  it('a member with the role but other terms: one write with the terms given, "updated"', async () => {
    server = mockServer();
    getGroups(server);
    getMembers(server, MKT, [
      member(ADA, 'ws_admin', 'org_admin'),
      { ...member(BOB, 'ws_editor'), reason: null, expires_at: null },
    ]);
    getRoles(server);
    getUsers(server);
    const bodies: unknown[] = [];
    server.pool
      .intercept({
        path: '/v1/admin/groups/g_mkt/members/u_bob',
        method: 'PUT',
        body: (b: string) => {
          if (!bodies.some((x) => JSON.stringify(x) === b)) bodies.push(JSON.parse(b));
          return true;
        },
      })
      .reply(
        200,
        {
          group_id: 'g_mkt',
          user_id: 'u_bob',
          email: 'bob@example.com',
          role: { id: 'ws_editor', name: 'Editor' },
          reason: 'audit',
          expires_at: null,
          created: false,
          changed: true,
        },
        json,
      );
    const r = await server.run([
      'ws',
      'add-member',
      'Marketing',
      'bob@example.com',
      '--role',
      'Editor',
      '--reason',
      'audit',
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: '✓ updated bob@example.com in Marketing as Editor (reason: audit)\n',
    });
    expect(bodies).toEqual([{ role: 'ws_editor', reason: 'audit' }]);
  });

  it.each([
    [
      ['--expires', 'soon'],
      '--expires takes a duration (30d, 12h, 2w), a date (YYYY-MM-DD) or an ISO 8601 time with a zone, got "soon"',
    ],
    [['--expires', '2020-01-01'], '--expires 2020-01-01 is in the past'],
    [
      ['--expires', '2099-01-31T00:00:00'],
      '--expires takes a duration (30d, 12h, 2w), a date (YYYY-MM-DD) or an ISO 8601 time with a zone, got "2099-01-31T00:00:00"',
    ],
    [
      ['--expires', '0d'],
      '--expires takes a duration (30d, 12h, 2w), a date (YYYY-MM-DD) or an ISO 8601 time with a zone, got "0d"',
    ],
    [['--reason', '  '], '--reason must not be empty'],
  ])('%j exits 2 before any request', async (flags, message) => {
    server = mockServer();
    const r = await server.run([
      'ws',
      'add-member',
      'Marketing',
      'cy@example.com',
      '--role',
      'Reader',
      ...flags,
    ]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `error: ${message}\n` });
  });

  it('a server without grant terms: exit 8 naming the feature, no request', async () => {
    server = mockServer({ features: withoutTerms });
    const r = await server.run([
      'ws',
      'add-member',
      'Marketing',
      'cy@example.com',
      '--role',
      'Reader',
      '--reason',
      'audit',
    ]);
    expect([r.code, r.stdout]).toEqual([8, '']);
    expect(r.stderr).toContain('reasons and expiry on workspace grants');
  });

  it('on the public API: exit 8 naming the feature, no request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run([
      'ws',
      'add-member',
      'Marketing',
      'cy@example.com',
      '--role',
      'Reader',
      '--expires',
      '30d',
    ]);
    expect([r.code, r.stdout]).toEqual([8, '']);
    expect(r.stderr).toContain('reasons and expiry on workspace grants');
  });
});
