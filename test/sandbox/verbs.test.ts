// The routes behind the verbs of issue 13 item 8, over real HTTP: listing and cancelling
// invitations, changing a role (and its holders' keys feeling it at the next request), and a
// removed user's view saying when they were removed.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

type Json = Awaited<ReturnType<TestSandbox['call']>>['body'];

let sbx: TestSandbox;

async function ok(method: string, path: string, body?: unknown, key?: string): Promise<Json> {
  const r = await sbx.call(method, path, { body, key });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${r.text}`);
  return r.body;
}

/** The accept token from an outbox .eml (quoted-printable). */
function tokenOf(deliveredTo: string): string {
  const raw = readFileSync(deliveredTo.slice('outbox:'.length), 'utf8')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  const m = /\/invite\/([0-9A-Za-z]+)/.exec(raw);
  if (!m?.[1]) throw new Error(`no link in ${deliveredTo}`);
  return m[1];
}

async function invite(email: string): Promise<{ id: string; token: string; invitation: string }> {
  const u = await ok('POST', '/v1/admin/users', { email, name: 'Invited Person' });
  return { id: u.id, token: tokenOf(u.invitation.delivered_to), invitation: u.invitation.invitation_id };
}

async function systemKey(permissions: string[]): Promise<string> {
  return (await ok('POST', '/v1/admin/system-keys', { name: `sys ${permissions}`, permissions })).value;
}

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
});
afterAll(async () => {
  await sbx.cleanup();
});

describe('GET /v1/admin/invitations', () => {
  it('lists pending invitations by default, others by status', async () => {
    const pending = await ok('GET', '/v1/admin/invitations');
    expect(pending.map((i: Json) => [i.email, i.status])).toEqual([['newhire@example.com', 'pending']]);
    expect(Object.keys(pending[0]).sort()).toEqual(
      [
        'accepted_at',
        'cancelled_at',
        'created_at',
        'delivery',
        'email',
        'expires_at',
        'id',
        'invited_by',
        'status',
        'user_id',
      ].sort(),
    );
    const expired = await ok('GET', '/v1/admin/invitations?status=expired');
    expect(expired.map((i: Json) => i.email)).toEqual(['contractor@example.com']);
    const all = await ok('GET', '/v1/admin/invitations?status=all');
    expect(all.length).toBeGreaterThanOrEqual(2);
    const paged = await ok('GET', '/v1/admin/invitations?status=all&size=1');
    expect(paged).toMatchObject({ total: all.length, size: 1, page: 1 });
    expect((await sbx.call('GET', '/v1/admin/invitations?status=bogus')).status).toBe(422);
  });

  it('needs users:read', async () => {
    expect(
      (await sbx.call('GET', '/v1/admin/invitations', { key: await systemKey(['users:read']) })).status,
    ).toBe(200);
    const r = await sbx.call('GET', '/v1/admin/invitations', { key: await systemKey(['org:read']) });
    expect(r.status).toBe(403);
    expect(r.body.missing).toEqual(['users:read']);
  });
});

describe('DELETE /v1/admin/invitations/{id}', () => {
  it('cancels by email: the link stops working at once, and a second cancel changes nothing', async () => {
    const inv = await invite('cancel.me@example.com');
    expect((await sbx.call('GET', `/v1/invitations/${inv.token}`)).status).toBe(200);
    const r = await ok('DELETE', '/v1/admin/invitations/cancel.me@example.com');
    expect(r).toMatchObject({
      id: inv.invitation,
      email: 'cancel.me@example.com',
      status: 'cancelled',
      changed: true,
    });
    const gone = await sbx.call('GET', `/v1/invitations/${inv.token}`);
    expect(gone.status).toBe(410);
    expect(gone.body.detail).toBe(
      'this invitation was replaced by a newer one or withdrawn; use the latest email',
    );
    expect(
      (await sbx.call('POST', `/v1/invitations/${inv.token}/accept`, { body: {}, key: null })).status,
    ).toBe(410);
    const again = await ok('DELETE', `/v1/admin/invitations/${inv.invitation}`);
    expect(again).toMatchObject({ status: 'cancelled', changed: false });
    const cancelled = await ok('GET', '/v1/admin/invitations?status=cancelled');
    expect(cancelled.map((i: Json) => i.email)).toContain('cancel.me@example.com');
    // The user stays invited, without a link, and can be sent a new one.
    const u = await ok('GET', `/v1/admin/users/${inv.id}`);
    expect(u.status).toBe('invited');
    expect(u.invitation).toBeUndefined();
    expect((await sbx.call('POST', `/v1/admin/users/${inv.id}/invitation`)).status).toBe(200);
  });

  it('refuses an accepted invitation (409) and a user without a pending one (404)', async () => {
    const inv = await invite('accepted.one@example.com');
    expect(
      (await sbx.call('POST', `/v1/invitations/${inv.token}/accept`, { body: {}, key: null })).status,
    ).toBe(200);
    const r = await sbx.call('DELETE', `/v1/admin/invitations/${inv.invitation}`);
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/^the invitation of accepted\.one@example\.com was already accepted on /);
    const none = await sbx.call('DELETE', '/v1/admin/invitations/ada@example.com');
    expect(none.status).toBe(404);
    expect(none.body.detail).toBe('pending invitation for ada@example.com not found');
    expect((await sbx.call('DELETE', '/v1/admin/invitations/nobody-here')).status).toBe(404);
  });

  it('needs users:write', async () => {
    await invite('guarded@example.com');
    const r = await sbx.call('DELETE', '/v1/admin/invitations/guarded@example.com', {
      key: await systemKey(['users:read']),
    });
    expect(r.status).toBe(403);
    expect(r.body.missing).toEqual(['users:write']);
    const w = await sbx.call('DELETE', '/v1/admin/invitations/guarded@example.com', {
      key: await systemKey(['users:write']),
    });
    expect(w.status).toBe(200);
  });
});

describe('PATCH /v1/admin/roles/{id}', () => {
  it('changes what holders and their keys may do at the next request', async () => {
    const role = await ok('POST', '/v1/admin/roles', { name: 'Runner', permissions: { flows_run: true } });
    await ok('PUT', '/v1/admin/groups/Finance/members/radia@example.com', { role: 'Runner' });
    const key = (
      await ok('POST', '/v1/sandbox/act-as', { user_id: 'radia@example.com', group_id: 'Finance' })
    ).value as string;
    expect((await sbx.call('GET', '/v1/workflows', { key })).status).toBe(200);
    expect((await sbx.call('GET', '/v1/knowledge-bases', { key })).status).toBe(403);
    const r = await ok('PATCH', `/v1/admin/roles/${role.id}`, {
      name: 'Querier',
      description: 'asks knowledge bases',
      permissions: { kbs_query: true },
    });
    expect(r).toMatchObject({ id: role.id, name: 'Querier', description: 'asks knowledge bases' });
    expect(r.changed).toEqual(['name', 'description', 'permissions']);
    expect(Object.entries(r.permissions).filter(([, on]) => on)).toEqual([['kbs_query', true]]);
    expect((await sbx.call('GET', '/v1/workflows', { key })).status).toBe(403);
    expect((await sbx.call('GET', '/v1/knowledge-bases', { key })).status).toBe(200);
    const same = await ok('PATCH', '/v1/admin/roles/Querier', { permissions: { kbs_query: true } });
    expect(same.changed).toEqual([]);
  });

  it('refuses built-in roles, empty or unknown permissions, name clashes and scope changes in use', async () => {
    const builtin = await sbx.call('PATCH', '/v1/admin/roles/Editor', { body: { description: 'x' } });
    expect(builtin.status).toBe(409);
    expect(builtin.body.detail).toBe('"Editor" is a built-in role and cannot be changed');
    await ok('POST', '/v1/admin/roles', { name: 'Spare', permissions: { agents_run: true } });
    const empty = await sbx.call('PATCH', '/v1/admin/roles/Spare', {
      body: { permissions: { agents_run: false } },
    });
    expect(empty.status).toBe(422);
    expect(empty.body.detail[0].msg).toBe('a role must grant at least one known permission');
    const unknown = await sbx.call('PATCH', '/v1/admin/roles/Spare', {
      body: { permissions: { agents_rnu: true } },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail[0].msg).toBe('unknown permission "agents_rnu" (did you mean agents_run?)');
    const clash = await sbx.call('PATCH', '/v1/admin/roles/Spare', { body: { name: 'reader' } });
    expect(clash.status).toBe(409);
    expect(clash.body.detail).toBe('a role named "reader" already exists');
    // Unused: may change scope.
    const org = await ok('PATCH', '/v1/admin/roles/Spare', { permissions: { 'org:read': true } });
    expect(org.scope).toBe('org');
    await ok('PATCH', '/v1/admin/users/ken@example.com', { org_role: 'Spare' });
    const scope = await sbx.call('PATCH', '/v1/admin/roles/Spare', {
      body: { permissions: { flows_run: true } },
    });
    expect(scope.status).toBe(409);
    expect(scope.body.detail).toBe(
      'role "Spare" is an organization role in use; it cannot become a workspace role',
    );
    const admin = await sbx.call('PATCH', '/v1/admin/roles/Spare', {
      body: { permissions: { 'org:admin': true } },
    });
    expect(admin.status).toBe(409);
    expect((await sbx.call('PATCH', '/v1/admin/roles/nope', { body: {} })).status).toBe(404);
    expect((await sbx.call('PATCH', '/v1/admin/roles/Spare', { body: { scope: 'org' } })).status).toBe(422);
  });

  it('needs org:admin', async () => {
    await ok('POST', '/v1/admin/roles', { name: 'Guarded', permissions: { flows_run: true } });
    const r = await sbx.call('PATCH', '/v1/admin/roles/Guarded', {
      body: { description: 'x' },
      key: await systemKey(['users:write', 'users:read']),
    });
    expect(r.status).toBe(403);
    expect(r.body.missing).toEqual(['org:admin']);
  });
});

describe('a removed user', () => {
  it('is still found by id and email, and says when it was removed', async () => {
    const u = await ok('GET', '/v1/admin/users/alan@example.com');
    expect(u.removed_at).toBeUndefined();
    await ok('DELETE', `/v1/admin/users/${u.id}`);
    const byId = await ok('GET', `/v1/admin/users/${u.id}`);
    expect(byId.status).toBe('removed');
    expect(byId.removed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await ok('GET', '/v1/admin/users/alan@example.com')).id).toBe(u.id);
  });
});
