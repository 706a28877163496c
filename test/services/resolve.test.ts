// The resolver: one list read per invocation, then references matched by the identity rule
// (exact id first, NFC + case-folded names, ambiguity refused).
import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { Resolver } from '../../src/services/resolve.js';
import { failure, type Harness, harness, JSON_HEADERS } from '../api/helpers.js';
import { GROUPS, ROLES, USERS } from '../commands/ws-fixtures.js';

let h: Harness;
afterEach(async () => {
  await h.finish();
});

const list = (path: string, body: unknown) =>
  h.pool
    .intercept({ path: (p) => p.split('?')[0] === path, method: 'GET' })
    .reply(200, body as object, { headers: JSON_HEADERS });

describe('Resolver', () => {
  it('reads each list once, however many references it resolves', async () => {
    h = harness();
    list('/v1/admin/users', USERS);
    list('/v1/admin/groups', GROUPS);
    const r = new Resolver(h.client);
    expect((await r.user('BOB@example.com')).id).toBe('u_bob');
    expect((await r.user('u_cy')).email).toBe('cy@example.com');
    expect((await r.group('marketing')).id).toBe('g_mkt');
    expect((await r.group('g_eng')).name).toBe('Engineering');
    expect(h.calls().map((c) => c.path.split('?')[0])).toEqual(['/v1/admin/users', '/v1/admin/groups']);
  });

  it('an email in another Unicode form matches', async () => {
    h = harness();
    list('/v1/admin/users', [{ ...USERS[1], id: 'u_zoe', email: 'zoë@example.com' }]);
    expect((await new Resolver(h.client).user('ZOE\u0308@example.com')).id).toBe('u_zoe');
  });

  it('unknown references: NotFoundError with a close match', async () => {
    h = harness();
    list('/v1/admin/users', USERS);
    list('/v1/admin/groups', GROUPS);
    const r = new Resolver(h.client);
    const u = await failure(r.user('bob@exampel.com'));
    expect(u).toBeInstanceOf(NotFoundError);
    expect(u.message).toBe('no user bob@exampel.com');
    expect(u.hint).toBe('did you mean bob@example.com?');
    const g = await failure(r.group('Enginering'));
    expect(g).toBeInstanceOf(NotFoundError);
    expect(g.hint).toBe('did you mean Engineering?');
  });

  it('ambiguous names are refused with every match, never the first', async () => {
    h = harness();
    list('/v1/admin/groups', [...GROUPS, { id: 'g_mkt2', name: 'MARKETING', description: '' }]);
    list('/v1/admin/roles', [
      ...ROLES,
      { id: 'r_editor2', name: 'editor', scope: 'workspace', permissions: ['flows_run'] },
    ]);
    const r = new Resolver(h.client);
    const g = await failure(r.group('Marketing'));
    expect(g).toBeInstanceOf(UsageError);
    expect(g.message).toBe('workspace name "Marketing" matches 2 workspaces');
    expect(g.hint).toBe('use an id: g_mkt (Marketing), g_mkt2 (MARKETING)');
    const role = await failure(r.role('Editor', 'workspace'));
    expect(role.message).toBe('role name "Editor" matches 2 roles');
    expect((await r.role('r_editor2')).name).toBe('editor');
  });

  it('roles: by id or name, and the scope a flag needs', async () => {
    h = harness();
    list('/v1/admin/roles', ROLES);
    const r = new Resolver(h.client);
    expect((await r.role('READER', 'workspace')).id).toBe('ws_reader');
    const wrong = await failure(r.role('Org Base', 'workspace', '--role'));
    expect(wrong).toBeInstanceOf(UsageError);
    expect(wrong.message).toBe('"Org Base" is an organization role; --role needs a workspace role');
    const unknown = await failure(r.role('Boss', 'org', '--org-role'));
    expect(unknown.message).toBe('unknown organization role "Boss" for --org-role');
    expect(unknown.hint).toBe('known: Org Admin, Org Base');
  });

  it('findUser: undefined for an unknown user, other errors thrown', async () => {
    h = harness();
    list('/v1/admin/users', USERS);
    expect(await new Resolver(h.client).findUser('nobody@example.com')).toBeUndefined();
  });

  it('invalidate forgets users and groups, so the next reference reads them again', async () => {
    h = harness();
    list('/v1/admin/groups', GROUPS);
    list('/v1/admin/groups', [...GROUPS, { id: 'g_new', name: 'New', description: '' }]);
    const r = new Resolver(h.client);
    await r.group('Marketing');
    await expect(r.group('New')).rejects.toBeInstanceOf(NotFoundError);
    r.invalidate();
    expect((await r.group('New')).id).toBe('g_new');
  });
});
