// The workspaces service's rules: names checked before any request, a duplicate refused whatever its
// case, org admins and non-members refused before the one write, and grant terms parsed offline.
import { afterEach, describe, expect, it } from 'vitest';
import type { Member } from '../../src/api/groups.js';
import { ConflictError, NotFoundError, UsageError } from '../../src/errors.js';
import { Resolver } from '../../src/services/resolve.js';
import {
  type AddRow,
  addMembers,
  checkNewMembers,
  createWorkspace,
  parseGrantTerms,
  planRemoveMember,
  planSetRole,
  renameWorkspace,
} from '../../src/services/workspaces.js';
import { failure, type Harness, harness, JSON_HEADERS } from '../api/helpers.js';
import { ADA, BOB, CY, GROUPS, MKT, MKT_MEMBERS, member, ROLES, USERS } from '../commands/ws-fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.finish();
  h = undefined;
});

const on = (method: string, path: string, status: number, body: unknown) =>
  (h as Harness).pool
    .intercept({ path: (p) => p.split('?')[0] === path, method })
    .reply(status, body as object, { headers: JSON_HEADERS });
/** Every request made, as `METHOD /path` and its JSON body when it had one. */
const requests = () =>
  ((h as Harness).agent.getCallHistory()?.calls() ?? []).map((c) => {
    const line = `${c.method} ${new URL(c.fullUrl).pathname}`;
    return c.body ? [line, JSON.parse(String(c.body))] : [line];
  });

const CURRENT = MKT_MEMBERS as Member[];
const NOW = new Date('2026-03-01T12:00:00.000Z');

describe('createWorkspace', () => {
  it('a blank name is refused before any request', async () => {
    h = harness();
    const e = await failure(createWorkspace(new Resolver(h.client), { name: '   ', description: '' }));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('workspace name must not be empty');
    expect(requests()).toEqual([]);
  });

  it('control and bidirectional characters are refused before any request', async () => {
    h = harness();
    const r = new Resolver(h.client);
    expect((await failure(createWorkspace(r, { name: 'Sales\nTeam', description: '' }))).message).toBe(
      'workspace name must not contain control characters',
    );
    expect((await failure(createWorkspace(r, { name: 'Sales\u202eTeam', description: '' }))).message).toBe(
      'workspace name must not contain bidirectional control characters',
    );
    expect(requests()).toEqual([]);
  });

  it('a name another workspace has, in another case, is a conflict naming it; nothing is written', async () => {
    h = harness();
    on('GET', '/v1/admin/groups', 200, GROUPS);
    const e = await failure(createWorkspace(new Resolver(h.client), { name: 'MARKETING', description: '' }));
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('a workspace named "Marketing" already exists (g_mkt)');
    expect(requests()).toEqual([['GET /v1/admin/groups']]);
  });

  it('a dry run checks the name and writes nothing', async () => {
    h = harness();
    on('GET', '/v1/admin/groups', 200, GROUPS);
    const got = await createWorkspace(new Resolver(h.client), {
      name: 'Sales',
      description: 'x',
      dryRun: true,
    });
    expect(got).toBeUndefined();
    expect(requests()).toEqual([['GET /v1/admin/groups']]);
  });

  it('a free name is created with its description', async () => {
    h = harness();
    on('GET', '/v1/admin/groups', 200, GROUPS);
    const sales = { id: 'g_sales', name: 'Sales', description: 'deals', created_at: '2026-03-01T00:00:00Z' };
    on('POST', '/v1/admin/groups', 201, sales);
    const got = await createWorkspace(new Resolver(h.client), { name: 'Sales', description: 'deals' });
    expect(got).toEqual(sales);
    expect(requests()).toEqual([
      ['GET /v1/admin/groups'],
      ['POST /v1/admin/groups', { name: 'Sales', description: 'deals' }],
    ]);
  });
});

describe('renameWorkspace', () => {
  it('the same name: unchanged, nothing written', async () => {
    h = harness();
    on('GET', '/v1/admin/groups', 200, GROUPS);
    const got = await renameWorkspace(new Resolver(h.client), 'g_mkt', 'Marketing');
    expect(got).toEqual({ group: MKT, changed: false });
    expect(requests()).toEqual([['GET /v1/admin/groups']]);
  });

  it("another workspace's name in another case is a conflict", async () => {
    h = harness();
    on('GET', '/v1/admin/groups', 200, GROUPS);
    const e = await failure(renameWorkspace(new Resolver(h.client), 'Marketing', 'engineering'));
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('a workspace named "Engineering" already exists (g_eng)');
    expect(requests()).toEqual([['GET /v1/admin/groups']]);
  });

  it('its own name in another case is a change, not a conflict', async () => {
    h = harness();
    on('GET', '/v1/admin/groups', 200, GROUPS);
    const renamed = { ...MKT, name: 'MARKETING' };
    on('PATCH', '/v1/admin/groups/g_mkt', 200, renamed);
    const got = await renameWorkspace(new Resolver(h.client), 'Marketing', 'MARKETING');
    expect(got).toEqual({ group: MKT, updated: renamed, changed: true });
    expect(requests()).toEqual([
      ['GET /v1/admin/groups'],
      ['PATCH /v1/admin/groups/g_mkt', { name: 'MARKETING' }],
    ]);
  });

  it('a dry run reports the change without writing', async () => {
    h = harness();
    on('GET', '/v1/admin/groups', 200, GROUPS);
    const got = await renameWorkspace(new Resolver(h.client), 'Marketing', 'Growth', { dryRun: true });
    expect(got).toEqual({ group: MKT, changed: true });
    expect(requests()).toEqual([['GET /v1/admin/groups']]);
  });
});

describe('planSetRole', () => {
  const lists = () => {
    on('GET', '/v1/admin/groups', 200, GROUPS);
    on('GET', '/v1/admin/users', 200, USERS);
    on('GET', '/v1/admin/roles', 200, ROLES);
    on('GET', '/v1/admin/groups/g_mkt/members', 200, MKT_MEMBERS);
  };
  const reads = [
    ['GET /v1/admin/groups'],
    ['GET /v1/admin/users'],
    ['GET /v1/admin/roles'],
    ['GET /v1/admin/groups/g_mkt/members'],
  ];

  it('the role the member has: unchanged, an empty body', async () => {
    h = harness();
    lists();
    const plan = await planSetRole(new Resolver(h.client), 'Marketing', 'bob@example.com', 'Editor');
    expect(plan.changed).toBe(false);
    expect(plan.terms).toEqual({});
    expect(plan.role.id).toBe('ws_editor');
    expect(requests()).toEqual(reads);
  });

  it('another role: changed', async () => {
    h = harness();
    lists();
    const plan = await planSetRole(new Resolver(h.client), 'Marketing', 'bob@example.com', 'reader');
    expect(plan.changed).toBe(true);
    expect(plan.member.role.id).toBe('ws_editor');
    expect(plan.role.id).toBe('ws_reader');
  });

  it('the same role with a new reason: changed, the reason in the body', async () => {
    h = harness();
    lists();
    const terms = parseGrantTerms({ reason: 'audit' }, NOW);
    const plan = await planSetRole(new Resolver(h.client), 'Marketing', 'bob@example.com', 'Editor', terms);
    expect(plan.changed).toBe(true);
    expect(plan.terms).toEqual({ reason: 'audit' });
  });

  it("an org admin's derived membership is refused with the org-role hint", async () => {
    h = harness();
    lists();
    const e = await failure(planSetRole(new Resolver(h.client), 'Marketing', 'ada@example.com', 'Reader'));
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('ada@example.com is admin on Marketing through their org role');
    expect(e.hint).toBe(
      'change their org role first: noxus users update ada@example.com --org-role "Org Base"',
    );
    expect(requests()).toEqual(reads);
  });

  it('a non-member is not found, with the add-member command as hint', async () => {
    h = harness();
    lists();
    const e = await failure(planSetRole(new Resolver(h.client), 'Marketing', 'cy@example.com', 'Reader'));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe('cy@example.com is not a member of Marketing');
    expect(e.hint).toBe('add them with: noxus ws add-member Marketing cy@example.com --role Reader');
  });

  it('an org role for --role is refused', async () => {
    h = harness();
    on('GET', '/v1/admin/groups', 200, GROUPS);
    on('GET', '/v1/admin/users', 200, USERS);
    on('GET', '/v1/admin/roles', 200, ROLES);
    const e = await failure(planSetRole(new Resolver(h.client), 'Marketing', 'bob@example.com', 'Org Base'));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('"Org Base" is an organization role; --role needs a workspace role');
  });
});

describe('planRemoveMember', () => {
  const lists = () => {
    on('GET', '/v1/admin/groups', 200, GROUPS);
    on('GET', '/v1/admin/users', 200, USERS);
    on('GET', '/v1/admin/groups/g_mkt/members', 200, MKT_MEMBERS);
  };

  it('a member: their membership', async () => {
    h = harness();
    lists();
    const t = await planRemoveMember(new Resolver(h.client), 'Marketing', 'BOB@example.com');
    expect(t.member).toEqual(member(BOB, 'ws_editor'));
    expect(t.user.id).toBe('u_bob');
    expect(requests()).toEqual([
      ['GET /v1/admin/groups'],
      ['GET /v1/admin/users'],
      ['GET /v1/admin/groups/g_mkt/members'],
    ]);
  });

  it('an org admin cannot be removed from one workspace', async () => {
    h = harness();
    lists();
    const e = await failure(planRemoveMember(new Resolver(h.client), 'Marketing', 'u_ada'));
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe(
      'ada@example.com is admin on Marketing through their org role and cannot be removed from one workspace',
    );
    expect(e.hint).toBe(
      'change their org role instead: noxus users update ada@example.com --org-role "Org Base"',
    );
  });

  it('a non-member is not found', async () => {
    h = harness();
    lists();
    const e = await failure(planRemoveMember(new Resolver(h.client), 'Marketing', 'cy@example.com'));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe('cy@example.com is not a member of Marketing');
  });
});

describe('checkNewMembers', () => {
  const EDITOR = { id: 'ws_editor', name: 'Editor' };
  const READER = { id: 'ws_reader', name: 'Reader' };

  it('new users and a member with the same role pass, in order, with their memberships', async () => {
    h = harness();
    on('GET', '/v1/admin/users', 200, USERS);
    on('GET', '/v1/admin/roles', 200, ROLES);
    const got = await checkNewMembers(
      new Resolver(h.client),
      MKT,
      ['cy@example.com', 'u_bob'],
      CURRENT,
      EDITOR,
    );
    expect(got).toEqual([
      { email: 'cy@example.com', id: 'u_cy', member: undefined },
      { email: 'bob@example.com', id: 'u_bob', member: member(BOB, 'ws_editor') },
    ]);
    expect(requests()).toEqual([['GET /v1/admin/users'], ['GET /v1/admin/roles']]);
  });

  it('an org admin is refused, even after a valid reference', async () => {
    h = harness();
    on('GET', '/v1/admin/users', 200, USERS);
    on('GET', '/v1/admin/roles', 200, ROLES);
    const e = await failure(
      checkNewMembers(new Resolver(h.client), MKT, ['cy@example.com', 'ada@example.com'], CURRENT, READER),
    );
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe(
      'ada@example.com is an org admin and therefore admin on every workspace; a workspace role cannot be given',
    );
    expect(e.hint).toBe(
      'to change that, change their org role: noxus users update ada@example.com --org-role "Org Base"',
    );
  });

  it('a member with another role is a conflict with the set-role command, the role quoted', async () => {
    h = harness();
    on('GET', '/v1/admin/users', 200, USERS);
    on('GET', '/v1/admin/roles', 200, ROLES);
    const e = await failure(
      checkNewMembers(new Resolver(h.client), MKT, ['bob@example.com'], CURRENT, {
        id: 'ws_x',
        name: 'Read Only',
      }),
    );
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('bob@example.com is already a member of Marketing as Editor');
    expect(e.hint).toBe("to change the role: noxus ws set-role Marketing bob@example.com --role 'Read Only'");
  });

  it('a removed user is refused', async () => {
    h = harness();
    on('GET', '/v1/admin/users', 200, [...USERS.filter((u) => u.id !== CY.id), { ...CY, status: 'removed' }]);
    on('GET', '/v1/admin/roles', 200, ROLES);
    const e = await failure(
      checkNewMembers(new Resolver(h.client), MKT, ['cy@example.com'], CURRENT, READER),
    );
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('cy@example.com was removed from the organization');
  });

  it('a key that may not list users: references checked against the member list only', async () => {
    h = harness();
    on('GET', '/v1/admin/users', 403, { detail: 'missing permission users:read', status: 403 });
    on('GET', '/v1/admin/roles', 200, ROLES);
    const r = new Resolver(h.client);
    const got = await checkNewMembers(r, MKT, ['new@example.com', 'bob@example.com'], CURRENT, EDITOR);
    expect(got).toEqual([
      { email: 'new@example.com', id: 'new@example.com', member: undefined },
      { email: 'bob@example.com', id: 'u_bob', member: member(BOB, 'ws_editor') },
    ]);
    expect(requests()).toEqual([['GET /v1/admin/users'], ['GET /v1/admin/roles']]);
  });

  it('without the user list, a member through their org role is still refused', async () => {
    h = harness();
    on('GET', '/v1/admin/users', 403, { detail: 'missing permission users:read', status: 403 });
    on('GET', '/v1/admin/roles', 200, ROLES);
    const e = await failure(checkNewMembers(new Resolver(h.client), MKT, [ADA.email], CURRENT, READER));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe(
      'ada@example.com is an org admin and therefore admin on every workspace; a workspace role cannot be given',
    );
  });
});

describe('addMembers', () => {
  const row = (u: { id: string; email: string }, action: string): AddRow => ({
    email: u.email,
    user_id: u.id,
    workspace: 'Marketing',
    role: 'Reader',
    action,
  });
  const change = (u: { id: string; email: string }) => ({
    group_id: 'g_mkt',
    user_id: u.id,
    email: u.email,
    role: { id: 'ws_reader', name: 'Reader' },
    created: true,
    changed: true,
  });
  const roleIds = new Map([
    ['u_bob', 'ws_reader'],
    ['u_cy', 'ws_reader'],
  ]);

  it('unchanged rows are not written; the others are, with the terms', async () => {
    h = harness();
    on('PUT', '/v1/admin/groups/g_mkt/members/u_cy', 200, change(CY));
    const { results, failures } = await addMembers(
      h.client,
      MKT,
      [row(BOB, 'unchanged'), row(CY, 'add')],
      roleIds,
      {
        reason: 'audit',
      },
    );
    expect(failures).toEqual([]);
    expect(results.map((x) => [x.email, x.outcome])).toEqual([
      ['bob@example.com', 'unchanged'],
      ['cy@example.com', 'added'],
    ]);
    expect(requests()).toEqual([
      ['PUT /v1/admin/groups/g_mkt/members/u_cy', { role: 'ws_reader', reason: 'audit' }],
    ]);
  });

  it('with several rows a failure is recorded and the next row still written', async () => {
    h = harness();
    on('PUT', '/v1/admin/groups/g_mkt/members/u_bob', 409, { detail: 'busy', status: 409 });
    on('PUT', '/v1/admin/groups/g_mkt/members/u_cy', 200, change(CY));
    const { results, failures } = await addMembers(
      h.client,
      MKT,
      [row(BOB, 'update'), row(CY, 'add')],
      roleIds,
    );
    expect(failures).toHaveLength(1);
    expect(results.map((x) => [x.email, x.outcome])).toEqual([
      ['bob@example.com', 'failed'],
      ['cy@example.com', 'added'],
    ]);
    expect(results[0]?.message).toBe((failures[0] as Error).message);
    expect(requests().map((x) => x[0])).toEqual([
      'PUT /v1/admin/groups/g_mkt/members/u_bob',
      'PUT /v1/admin/groups/g_mkt/members/u_cy',
    ]);
  });

  it("a single row's failure is thrown as is", async () => {
    h = harness();
    on('PUT', '/v1/admin/groups/g_mkt/members/u_bob', 409, { detail: 'busy', status: 409 });
    const e = await failure(addMembers(h.client, MKT, [row(BOB, 'update')], roleIds));
    expect(e).toBeInstanceOf(ConflictError);
  });
});

describe('parseGrantTerms', () => {
  it('nothing given: an empty body', () => {
    expect(parseGrantTerms({}, NOW)).toEqual({ terms: {}, relative: false });
  });

  it('durations are from now and relative', () => {
    expect(parseGrantTerms({ expires: '30d' }, NOW)).toEqual({
      terms: { expires_at: '2026-03-31T12:00:00.000Z' },
      relative: true,
    });
    expect(parseGrantTerms({ expires: ' 12h ' }, NOW).terms.expires_at).toBe('2026-03-02T00:00:00.000Z');
    expect(parseGrantTerms({ expires: '2w' }, NOW).terms.expires_at).toBe('2026-03-15T12:00:00.000Z');
  });

  it('a date is that day at 00:00 UTC; a zoned time is that instant', () => {
    expect(parseGrantTerms({ expires: '2026-04-01' }, NOW)).toEqual({
      terms: { expires_at: '2026-04-01T00:00:00.000Z' },
      relative: false,
    });
    expect(parseGrantTerms({ expires: '2026-03-01T16:30:00+02:00' }, NOW).terms.expires_at).toBe(
      '2026-03-01T14:30:00.000Z',
    );
  });

  it('a past or present instant is refused', () => {
    expect(() => parseGrantTerms({ expires: '2026-03-01' }, NOW)).toThrow(
      new UsageError('--expires 2026-03-01 is in the past'),
    );
    expect(() => parseGrantTerms({ expires: '2026-03-01T12:00:00Z' }, NOW)).toThrow(
      '--expires 2026-03-01T12:00:00Z is in the past',
    );
  });

  it('anything else is refused naming the forms, including a time without a zone', () => {
    for (const v of ['soon', '2026-03-05T10:00:00', '0d']) {
      expect(() => parseGrantTerms({ expires: v }, NOW)).toThrow(
        `--expires takes a duration (30d, 12h, 2w), a date (YYYY-MM-DD) or an ISO 8601 time with a zone, got "${v}"`,
      );
    }
  });

  it('the reason: up to 500 characters, not blank, no control characters', () => {
    expect(parseGrantTerms({ reason: 'r'.repeat(500) }, NOW).terms.reason).toHaveLength(500);
    expect(() => parseGrantTerms({ reason: 'r'.repeat(501) }, NOW)).toThrow(
      '--reason must be at most 500 characters',
    );
    expect(() => parseGrantTerms({ reason: ' ' }, NOW)).toThrow('--reason must not be empty');
    expect(() => parseGrantTerms({ reason: 'a\u0007b' }, NOW)).toThrow(
      '--reason must not contain control characters',
    );
  });
});
