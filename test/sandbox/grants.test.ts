// Reasons and expiry on workspace grants (issue 16, item 2), over HTTP with a hand-moved clock: the
// fields are stored and returned, a grant lapses at its instant by the live rule (keys held through
// it shrink on the next call), the activity log says so once, and an older data file still opens.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notAvailableMessage } from '../../src/domain/features.js';
import { manualClock } from '../../src/sandbox/clock.js';
import { migrate, SCHEMA_VERSION } from '../../src/sandbox/db.js';
import { ensureBuiltinRoles, startSandbox } from '../../src/sandbox/runtime.js';
import { Store } from '../../src/sandbox/store.js';
import { parseOpenApi, statesFromOpenApi } from '../../src/services/capabilities.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** A JSON body, typed as the sandbox helper types it. */
type Json = Awaited<ReturnType<TestSandbox['call']>>['body'];

let sbx: TestSandbox;
const START = Date.parse('2031-03-01T09:00:00.000Z');
const clock = manualClock(new Date(START));
const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;
const ids = {} as { ops: string; owner: string; bot: string; plain: string; temp: string };

async function ok(method: string, path: string, body?: unknown, key?: string): Promise<Json> {
  const r = await sbx.call(method, path, { body, key });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${r.text}`);
  return r.body;
}

async function serviceAccount(email: string): Promise<string> {
  return (await ok('POST', '/v1/admin/users', { email, name: email.split('@')[0], kind: 'service' })).id;
}

const put = (group: string, user: string, body: unknown) =>
  sbx.call('PUT', `/v1/admin/groups/${group}/members/${user}`, { body });

async function member(group: string, userId: string): Promise<Json | undefined> {
  const list: Json[] = await ok('GET', `/v1/admin/groups/${group}/members`);
  return list.find((m) => m.user_id === userId);
}

/** The activity entries of one membership, newest first. */
async function membershipLog(group: string, userId: string): Promise<Json[]> {
  const q = new URLSearchParams({ resource_type: 'membership', resource_id: `${group}:${userId}` });
  return (await ok('GET', `/v1/admin/activity?${q}`)).items;
}

beforeAll(async () => {
  sbx = await startTestSandbox({ clock });
  ids.ops = (await ok('POST', '/v1/admin/groups', { name: 'Ops' })).id;
  ids.owner = (await ok('GET', '/v1/admin/me')).holder.id;
});
afterAll(async () => {
  await sbx.cleanup();
});

describe('storing and returning reason and expiry', () => {
  it('a PUT stores both, normalised to UTC, and answers with them', async () => {
    ids.bot = await serviceAccount('bot@example.com');
    const r = await put(ids.ops, ids.bot, {
      role: 'Reader',
      reason: 'on-call cover, ticket OPS-12',
      expires_at: '2031-03-31T12:00:00+02:00',
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      group_id: ids.ops,
      user_id: ids.bot,
      email: 'bot@example.com',
      role: { id: expect.any(String), name: 'Reader' },
      reason: 'on-call cover, ticket OPS-12',
      expires_at: '2031-03-31T10:00:00.000Z',
      created: true,
      changed: true,
    });
  });

  it('the member list and the access report show them; null where absent or derived', async () => {
    const list: Json[] = await ok('GET', `/v1/admin/groups/${ids.ops}/members`);
    expect(list.map((m) => [m.email, m.via, m.reason, m.expires_at])).toEqual([
      ['bot@example.com', 'membership', 'on-call cover, ticket OPS-12', '2031-03-31T10:00:00.000Z'],
      ['owner@example.com', 'org_admin', null, null],
    ]);
    ids.plain = await serviceAccount('plain@example.com');
    await ok('PUT', `/v1/admin/groups/${ids.ops}/members/${ids.plain}`, { role: 'Reader' });
    expect(await member(ids.ops, ids.plain)).toMatchObject({ reason: null, expires_at: null });
    const access = await ok('GET', `/v1/admin/users/${ids.bot}/access`);
    expect(access.workspaces).toEqual([
      {
        group_id: ids.ops,
        group_name: 'Ops',
        role: 'Reader',
        via: 'membership',
        reason: 'on-call cover, ticket OPS-12',
        expires_at: '2031-03-31T10:00:00.000Z',
      },
    ]);
    const admin = await ok('GET', `/v1/admin/users/${ids.owner}/access`);
    expect(admin.workspaces.every((w: Json) => w.reason === null && w.expires_at === null)).toBe(true);
  });

  it('POST /v1/admin/users takes them per workspace', async () => {
    const r = await sbx.call('POST', '/v1/admin/users', {
      body: {
        email: 'temp@example.com',
        name: 'Temp',
        kind: 'service',
        workspaces: [
          { group_id: 'Ops', role: 'Editor', reason: 'migration', expires_at: iso(START + 7 * DAY) },
        ],
      },
    });
    expect(r.status).toBe(201);
    expect(await member(ids.ops, r.body.id)).toMatchObject({
      role: { name: 'Editor' },
      reason: 'migration',
      expires_at: iso(START + 7 * DAY),
    });
  });
});

describe('refused input', () => {
  const cases: Array<[string, Json, string[], string]> = [
    ['a past expiry', { expires_at: iso(START - 1) }, ['body', 'expires_at'], 'is in the past'],
    ['an expiry of now', { expires_at: iso(START) }, ['body', 'expires_at'], 'is in the past'],
    ['a date without a zone', { expires_at: '2031-04-01T00:00:00' }, ['body', 'expires_at'], 'ISO 8601'],
    ['a bare date', { expires_at: '2031-04-01' }, ['body', 'expires_at'], 'ISO 8601'],
    ['a reason over 500 characters', { reason: 'x'.repeat(501) }, ['body', 'reason'], 'at most 500'],
    ['a reason with a control character', { reason: 'a\u0007b' }, ['body', 'reason'], 'control'],
    ['a reason with a bidi override', { reason: 'a\u202Eb' }, ['body', 'reason'], 'bidirectional'],
    ['an empty reason', { reason: ' ' }, ['body', 'reason'], 'must not be empty'],
  ];
  it.each(cases)('%s: 422, nothing stored', async (_what, extra, loc, msg) => {
    const before = await membershipLog(ids.ops, ids.plain);
    const r = await put(ids.ops, ids.plain, { role: 'Editor', ...extra });
    expect(r.status).toBe(422);
    expect(r.body.detail[0].loc).toEqual(loc);
    expect(r.body.detail[0].msg).toContain(msg);
    expect(await member(ids.ops, ids.plain)).toMatchObject({ role: { name: 'Reader' }, reason: null });
    expect(await membershipLog(ids.ops, ids.plain)).toEqual(before);
  });

  it('a reason of exactly 500 characters is kept', async () => {
    const r = await put(ids.ops, ids.plain, { role: 'Reader', reason: 'é'.repeat(500) });
    expect(r.status).toBe(200);
    expect(r.body.reason).toBe('é'.repeat(500));
  });

  it('the same refusals hold in POST /v1/admin/users, before anyone is created', async () => {
    const r = await sbx.call('POST', '/v1/admin/users', {
      body: {
        email: 'late@example.com',
        name: 'Late',
        kind: 'service',
        workspaces: [{ group_id: 'Ops', role: 'Reader', expires_at: iso(START - DAY) }],
      },
    });
    expect(r.status).toBe(422);
    expect(r.body.detail[0].loc).toEqual(['body', 'workspaces', 0, 'expires_at']);
    expect((await sbx.call('GET', '/v1/admin/users/late@example.com')).status).toBe(404);
  });
});

describe('idempotency and changes', () => {
  it('the same role, reason and expiry again: 200, unchanged, no activity entry', async () => {
    const before = await membershipLog(ids.ops, ids.bot);
    const r = await put(ids.ops, ids.bot, {
      role: 'Reader',
      reason: 'on-call cover, ticket OPS-12',
      expires_at: '2031-03-31T10:00:00Z',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ created: false, changed: false });
    expect(await membershipLog(ids.ops, ids.bot)).toEqual(before);
  });

  it('omitted fields keep their values, so a re-run without them never drops an expiry', async () => {
    const before = await membershipLog(ids.ops, ids.bot);
    const r = await put(ids.ops, ids.bot, { role: 'Reader' });
    expect(r.body).toMatchObject({
      changed: false,
      reason: 'on-call cover, ticket OPS-12',
      expires_at: '2031-03-31T10:00:00.000Z',
    });
    expect(await membershipLog(ids.ops, ids.bot)).toEqual(before);
  });

  it('a new reason is one update entry naming before and after; null clears', async () => {
    const since = (await member(ids.ops, ids.bot))?.since;
    clock.advance(1000);
    const r = await put(ids.ops, ids.bot, { role: 'Reader', reason: 'extended cover' });
    // `since` is when the role was last set: new terms leave it.
    expect((await member(ids.ops, ids.bot))?.since).toBe(since);
    expect(r.body).toMatchObject({ changed: true, reason: 'extended cover' });
    const [entry] = await membershipLog(ids.ops, ids.bot);
    expect(entry).toMatchObject({
      action: 'update',
      actor_email: 'owner@example.com',
      summary: {
        user_id: ids.bot,
        email: 'bot@example.com',
        role: { before: 'Reader', after: 'Reader' },
        reason: { before: 'on-call cover, ticket OPS-12', after: 'extended cover' },
      },
    });
    expect(entry.summary.expires_at).toBeUndefined();
    const c = await put(ids.ops, ids.plain, { role: 'Reader', reason: null });
    expect(c.body).toMatchObject({ changed: true, reason: null });
    expect(await member(ids.ops, ids.plain)).toMatchObject({ reason: null, expires_at: null });
  });
});

describe('org admins are admins everywhere', () => {
  it('a workspace grant with an expiry for an org admin is refused as any workspace role is', async () => {
    const plain = await put(ids.ops, ids.owner, { role: 'Reader' });
    const timed = await put(ids.ops, ids.owner, { role: 'Reader', expires_at: iso(START + DAY) });
    expect(plain.status).toBe(409);
    expect(timed.status).toBe(409);
    expect(timed.body).toEqual(plain.body);
    expect(timed.body.detail).toBe(
      'owner@example.com is an org admin and therefore admin on every workspace; change their org role to give a workspace role',
    );
  });

  it('and in POST /v1/admin/users with an admin org role', async () => {
    const r = await sbx.call('POST', '/v1/admin/users', {
      body: {
        email: 'boss@example.com',
        name: 'Boss',
        org_role: 'Org Admin',
        send_invitation: false,
        workspaces: [{ group_id: 'Ops', role: 'Reader', expires_at: iso(START + DAY) }],
      },
    });
    expect(r.status).toBe(422);
    expect(r.body.detail[0]).toMatchObject({
      loc: ['body', 'workspaces', 0, 'role'],
      type: 'org_admin_workspace_role',
    });
  });
});

describe('a grant lapses at its expiry', () => {
  const T = START + 2 * DAY;
  let key: { id: string; value: string };
  let grantedAt: string;

  beforeAll(async () => {
    ids.temp = await serviceAccount('contractor@example.com');
    grantedAt = clock().toISOString();
    await ok('PUT', `/v1/admin/groups/${ids.ops}/members/${ids.temp}`, {
      role: 'Editor',
      reason: 'Q1 migration',
      expires_at: iso(T),
    });
    key = await ok('POST', `/v1/admin/groups/${ids.ops}/api-keys`, {
      name: 'contractor flows',
      owner_id: ids.temp,
      permissions: ['flows_run', 'flows_edit'],
    });
  });

  it('1 ms before: still a member, the key works with holder ∩ restriction', async () => {
    clock.set(iso(T - 1));
    expect(await member(ids.ops, ids.temp)).toMatchObject({ role: { name: 'Editor' }, expires_at: iso(T) });
    expect((await sbx.call('GET', '/v1/workflows', { key: key.value })).status).toBe(200);
    const me = await ok('GET', '/v1/admin/me', undefined, key.value);
    expect(me.effective_permissions).toEqual(['flows_edit', 'flows_run']);
    expect((await membershipLog(ids.ops, ids.temp)).map((e) => e.action)).toEqual(['create']);
  });

  it('at the instant: not a member, the key is refused and reports nothing effective', async () => {
    clock.set(iso(T));
    expect(await member(ids.ops, ids.temp)).toBeUndefined();
    const wf = await sbx.call('GET', '/v1/workflows', { key: key.value });
    expect(wf.status).toBe(403);
    expect(wf.body).toMatchObject({ missing: ['flows_run'], denied_by: 'role' });
    const me = await ok('GET', '/v1/admin/me', undefined, key.value);
    expect(me.effective_permissions).toEqual([]);
    const view = await ok('GET', `/v1/admin/api-keys/${key.id}`);
    expect(view).toMatchObject({ status: 'active', effective_permissions: [], holder_role: null });
    const access = await ok('GET', `/v1/admin/users/${ids.temp}/access`);
    expect(access.workspaces).toEqual([]);
    const users: Json[] = await ok('GET', `/v1/admin/users?group_id=${ids.ops}`);
    expect(users.map((u) => u.email)).not.toContain('contractor@example.com');
  });

  it('the activity log records the lapse once, by "system", naming workspace, user, role and reason', async () => {
    for (let i = 0; i < 3; i++) await ok('GET', `/v1/admin/groups/${ids.ops}/members`);
    const log = await membershipLog(ids.ops, ids.temp);
    expect(log.map((e) => e.action)).toEqual(['lapse', 'create']);
    expect(log[0]).toMatchObject({
      at: iso(T),
      actor_user_id: null,
      actor_email: 'system',
      actor_key_id: null,
      action: 'lapse',
      resource_type: 'membership',
      resource_id: `${ids.ops}:${ids.temp}`,
      group_id: ids.ops,
      summary: {
        workspace: 'Ops',
        user_id: ids.temp,
        email: 'contractor@example.com',
        role: 'Editor',
        reason: 'Q1 migration',
        expires_at: iso(T),
      },
    });
    const bySystem = await ok('GET', '/v1/admin/activity?actor=system&action=lapse');
    expect(bySystem.total).toBe(1);
  });

  it('removing the lapsed membership is a 404; a re-grant is a new grant, logged after the lapse', async () => {
    clock.set(iso(T + 60_000));
    const del = await sbx.call('DELETE', `/v1/admin/groups/${ids.ops}/members/${ids.temp}`);
    expect(del.status).toBe(404);
    const r = await put(ids.ops, ids.temp, { role: 'Reader', reason: 'back for Q2' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ created: true, changed: true, reason: 'back for Q2', expires_at: null });
    const log = await membershipLog(ids.ops, ids.temp);
    expect(log.map((e) => [e.action, e.at])).toEqual([
      ['create', iso(T + 60_000)],
      ['lapse', iso(T)],
      ['create', grantedAt],
    ]);
    // The key held through the lapse gets what the new grant allows, still within its restriction.
    const me = await ok('GET', '/v1/admin/me', undefined, key.value);
    expect(me.effective_permissions).toEqual(['flows_run']);
  });

  it('reads and decisions use the live rule even before any sweep has removed the row', async () => {
    const V = T + 120_000;
    await ok('PUT', `/v1/admin/groups/${ids.ops}/members/${ids.temp}`, {
      role: 'Reader',
      expires_at: iso(V),
    });
    const model = sbx.sandbox.model;
    const contractor = model.requireUser(ids.temp);
    clock.set(iso(V));
    // No request since the instant: the row is still there, yet nothing sees it.
    const row = model.store.db
      .prepare('SELECT expires_at FROM memberships WHERE user_id = ? AND group_id = ?')
      .get(ids.temp, ids.ops);
    expect(row).toEqual({ expires_at: iso(V) });
    expect(model.store.membership(ids.temp, ids.ops)).toBeUndefined();
    expect(model.userPermissionsIn(contractor, ids.ops)).toEqual([]);
    expect(model.members(ids.ops).members.map((m) => m.user_id)).not.toContain(ids.temp);
    expect(model.access(ids.temp).workspaces).toEqual([]);
    const held = model.store.key(key.id);
    expect(held && model.keyEffective(held)).toEqual([]);
    // The next request logs it, dated at the expiry.
    const log = await membershipLog(ids.ops, ids.temp);
    expect(log.slice(0, 2).map((e) => [e.action, e.at])).toEqual([
      ['lapse', iso(V)],
      ['update', iso(T + 60_000)],
    ]);
  });

  it('a grant that lapsed while nobody called is still logged before the next change', async () => {
    const U = T + 2 * DAY;
    await ok('PUT', `/v1/admin/groups/${ids.ops}/members/${ids.temp}`, {
      role: 'Reader',
      expires_at: iso(U),
    });
    clock.set(iso(U + DAY));
    const r = await put(ids.ops, ids.temp, { role: 'Editor' });
    expect(r.status).toBe(201);
    const log = await membershipLog(ids.ops, ids.temp);
    expect(log.slice(0, 3).map((e) => [e.action, e.at])).toEqual([
      ['create', iso(U + DAY)],
      ['lapse', iso(U)],
      ['create', iso(T + 120_000)],
    ]);
    expect(log[0].summary.role).toEqual({ before: null, after: 'Editor' });
  });
});

describe('capability discovery', () => {
  it('/openapi.json lists reason and expires_at on the member route, so the feature is available', async () => {
    const routes = parseOpenApi(await ok('GET', '/openapi.json'));
    expect(routes && statesFromOpenApi(routes).get('members.terms')).toEqual({
      available: true,
      reason: 'listed in /openapi.json',
    });
  });

  it('a server whose member route takes only a role lacks it, with a message naming the feature', () => {
    const routes = new Map([['PUT /v1/admin/groups/{}/members/{}', new Set(['role'])]]);
    expect(statesFromOpenApi(routes).get('members.terms')).toEqual({
      available: false,
      reason:
        'PUT /v1/admin/groups/{group_id}/members/{user_id} takes no reason, expires_at in /openapi.json',
    });
    expect(notAvailableMessage('members.terms')).toBe(
      'reasons and expiry on workspace grants are not available on this server',
    );
  });
});

describe('a data file from before grant reasons and expiry', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'noxus-grants-v3-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens, and its memberships have no reason and no expiry', async () => {
    const file = join(dir, 'noxus.db');
    const old = new Database(file);
    migrate(old, 3);
    const store = new Store(old);
    ensureBuiltinRoles(store);
    const t = '2030-06-01T00:00:00.000Z';
    old
      .prepare('INSERT INTO groups(id, name, name_norm, description, created_at) VALUES (?,?,?,?,?)')
      .run('g_legacy', 'Legacy', 'legacy', '', t);
    old
      .prepare(
        `INSERT INTO users(id, email, email_norm, name, display_name, status, org_role_id, kind, created_at)
         VALUES ('u_legacy','old@example.com','old@example.com','Old','Old','active',
                 (SELECT id FROM roles WHERE name_norm = 'org base'),'service',?)`,
      )
      .run(t);
    old
      .prepare(
        `INSERT INTO memberships(user_id, group_id, role_id, created_at, updated_at)
         VALUES ('u_legacy','g_legacy',(SELECT id FROM roles WHERE name_norm = 'editor'),?,?)`,
      )
      .run(t, t);
    expect(old.pragma('user_version', { simple: true })).toBe(3);
    old.close();

    const s = await startSandbox({ dataDir: dir, port: 0, seed: 'empty', version: 'test' });
    try {
      const r = await fetch(`${s.url}/v1/admin/groups/Legacy/members`, {
        headers: { 'x-api-key': s.adminKey as string },
      });
      expect(r.status).toBe(200);
      const body = (await r.json()) as Json[];
      expect(body.find((m) => m.user_id === 'u_legacy')).toMatchObject({
        role: { name: 'Editor' },
        via: 'membership',
        reason: null,
        expires_at: null,
      });
    } finally {
      await s.close();
    }
    const reopened = new Database(file, { readonly: true });
    expect(reopened.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    reopened.close();
  });
});
