// The rules of semantics.md, end to end over HTTP: keys bounded by their holder's current role,
// the lifecycle of holders, rotation, the last org admin, roles in use, invitations and service
// accounts. One demo sandbox for the stories; a second, empty one with a 1 ms invitation lifetime.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/sandbox/clock.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** A JSON body, typed as the sandbox helper types it. */
type Json = Awaited<ReturnType<TestSandbox['call']>>['body'];

let sbx: TestSandbox;
/** The demo sandbox's time: moved by hand, so expiry is tested without sleeping. */
const clock = manualClock(new Date());
const ids: Record<string, string> = {};

async function ok(method: string, path: string, body?: unknown, key?: string): Promise<Json> {
  const r = await sbx.call(method, path, { body, key });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${r.text}`);
  return r.body;
}

async function actAs(
  s: TestSandbox,
  email: string,
  group: string,
  permissions?: string[],
): Promise<{ id: string; value: string }> {
  const r = await s.call('POST', '/v1/sandbox/act-as', {
    body: { user_id: email, group_id: group, permissions },
  });
  expect(r.status).toBe(201);
  return r.body;
}

/** The accept token from an outbox .eml (quoted-printable: soft line breaks and =XX escapes). */
function tokenFromDelivery(deliveredTo: string): string {
  expect(deliveredTo).toMatch(/^outbox:.*\.eml$/);
  const raw = readFileSync(deliveredTo.slice('outbox:'.length), 'utf8');
  const decoded = raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  const m = /\/invite\/([0-9A-Za-z]+)/.exec(decoded);
  if (!m?.[1]) throw new Error(`no accept link in ${deliveredTo}`);
  return m[1];
}

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo', clock });
  for (const g of ['Marketing', 'Support', 'Engineering'])
    ids[g] = (await ok('GET', `/v1/admin/groups/${g}`)).id;
  for (const u of ['radia', 'linus', 'dennis', 'katherine', 'alan', 'ada', 'margaret']) {
    ids[u] = (await ok('GET', `/v1/admin/users/${u}@example.com`)).id;
  }
});
afterAll(async () => {
  await sbx.cleanup();
});

describe('a restricted key follows its creator’s role', () => {
  // Radia (Org Base, no roles in the demo) becomes Editor in Marketing.
  let editorKey: { id: string; value: string };
  let restricted: { id: string; value: string };
  let flowId: string;
  const M = () => ids.Marketing as string;

  it('an Editor makes a key restricted to flows_edit and flows_run with their own key', async () => {
    const m = await sbx.call('PUT', `/v1/admin/groups/${M()}/members/${ids.radia}`, {
      body: { role: 'Editor' },
    });
    expect(m.status).toBe(201);
    editorKey = await actAs(sbx, 'radia@example.com', 'Marketing');
    const r = await sbx.call('POST', `/v1/admin/groups/${M()}/api-keys`, {
      key: editorKey.value,
      body: { name: 'flows only', permissions: ['flows_run', 'flows_edit'] },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      restricted: true,
      permissions: ['flows_edit', 'flows_run'],
      effective_permissions: ['flows_edit', 'flows_run'],
      degraded: false,
      clipped: [],
      created_by: ids.radia,
      created_by_key: editorKey.id,
      holder_id: ids.radia,
      holder_role: 'Editor',
    });
    restricted = { id: r.body.id, value: r.body.value };
  });

  it('the key creates and edits a workflow, and nothing beyond its restriction', async () => {
    const c = await sbx.call('POST', '/v1/workflows', {
      key: restricted.value,
      body: { name: 'Lead scoring', type: 'flow', definition: { steps: 1 } },
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ name: 'Lead scoring', type: 'flow', owner_id: ids.radia, group_id: M() });
    flowId = c.body.id;
    const e = await sbx.call('PATCH', `/v1/workflows/${flowId}`, {
      key: restricted.value,
      body: { description: 'v2' },
    });
    expect(e.status).toBe(200);
    expect(e.body.description).toBe('v2');
    const agent = await sbx.call('POST', '/v1/agents', { key: restricted.value, body: { name: 'nope' } });
    expect(agent.status).toBe(403);
    expect(agent.body).toMatchObject({ missing: ['agents_edit'], denied_by: 'restriction' });
    const del = await sbx.call('DELETE', `/v1/workflows/${flowId}`, { key: restricted.value });
    expect(del.status).toBe(403);
    expect(del.body.missing).toEqual(['flows_delete']);
  });

  it('demoted to Reader: flows writes are 403, runs still work, and the key shows as degraded', async () => {
    const d = await sbx.call('PUT', `/v1/admin/groups/${M()}/members/${ids.radia}`, {
      body: { role: 'Reader' },
    });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ role: { name: 'Reader' }, changed: true, created: false });

    const w = await sbx.call('PATCH', `/v1/workflows/${flowId}`, {
      key: restricted.value,
      body: { description: 'v3' },
    });
    expect(w.status).toBe(403);
    expect(w.body).toMatchObject({ missing: ['flows_edit'], denied_by: 'role' });
    const run = await sbx.call('POST', `/v1/workflows/${flowId}/run`, { key: restricted.value });
    expect(run.status).toBe(200);
    expect(run.body).toEqual({ id: flowId, status: 'completed', output: { echo: 'Lead scoring' } });

    const k = await sbx.call('GET', `/v1/admin/api-keys/${restricted.id}`);
    expect(k.status).toBe(200);
    expect(k.body).toMatchObject({
      degraded: true,
      permissions: ['flows_edit', 'flows_run'],
      effective_permissions: ['flows_run'],
      holder_role: 'Reader',
      status: 'active',
    });
    expect(k.body.clipped).toEqual([
      {
        permission: 'flows_edit',
        code: 'role_lacks',
        reason: "holder's role in Marketing is Reader, which lacks flows_edit",
      },
    ]);
    const degraded = await sbx.call('GET', `/v1/admin/api-keys?degraded=true&holder_id=${ids.radia}`);
    expect(degraded.body.items.map((x: { id: string }) => x.id)).toContain(restricted.id);
  });

  it('promoted back to Editor: the write works again and the key is no longer degraded', async () => {
    expect(
      (await sbx.call('PUT', `/v1/admin/groups/${M()}/members/${ids.radia}`, { body: { role: 'Editor' } }))
        .status,
    ).toBe(200);
    const w = await sbx.call('PATCH', `/v1/workflows/${flowId}`, {
      key: restricted.value,
      body: { description: 'v3' },
    });
    expect(w.status).toBe(200);
    expect(w.body.description).toBe('v3');
    const k = await sbx.call('GET', `/v1/admin/api-keys/${restricted.id}`);
    expect(k.body).toMatchObject({
      degraded: false,
      clipped: [],
      effective_permissions: ['flows_edit', 'flows_run'],
    });
  });

  it('a Reader asking for a key restricted to flows_edit gets 403 naming it, and no key is made', async () => {
    const readerKey = await actAs(sbx, 'linus@example.com', 'Marketing');
    const count = async () =>
      (await ok('GET', `/v1/admin/api-keys?holder_id=${ids.linus}&status=all`)).total as number;
    const before = await count();
    const r = await sbx.call('POST', `/v1/admin/groups/${M()}/api-keys`, {
      key: readerKey.value,
      body: { name: 'wants edit', permissions: ['flows_edit'] },
    });
    expect(r.status).toBe(403);
    expect(r.body.missing).toEqual(['flows_edit']);
    expect(r.body.detail).toContain('creator linus@example.com lacks flows_edit in Marketing');
    expect(await count()).toBe(before);
  });

  it('an empty restriction is 422, never "everything"; org permissions on a workspace key are 422', async () => {
    const before = (await ok('GET', `/v1/admin/api-keys?holder_id=${ids.radia}&status=all`)).total;
    const empty = await sbx.call('POST', `/v1/admin/groups/${M()}/api-keys`, {
      key: editorKey.value,
      body: { name: 'empty', permissions: [] },
    });
    expect(empty.status).toBe(422);
    expect(empty.body.detail).toEqual([
      {
        loc: ['body', 'permissions'],
        msg: 'an empty restriction is not allowed; omit permissions for an unrestricted key, or list at least one',
        type: 'empty_restriction',
      },
    ]);
    const org = await sbx.call('POST', `/v1/admin/groups/${M()}/api-keys`, {
      key: editorKey.value,
      body: { name: 'org', permissions: ['flows_run', 'users:read'] },
    });
    expect(org.status).toBe(422);
    expect(org.body.detail[0]).toMatchObject({
      loc: ['body', 'permissions'],
      type: 'org_permission_on_workspace_key',
    });
    expect(org.body.detail[0].msg).toContain('users:read is an organization permission');
    expect((await ok('GET', `/v1/admin/api-keys?holder_id=${ids.radia}&status=all`)).total).toBe(before);
  });

  it('when the creator is removed the key is 401; their work and their activity stay', async () => {
    const rm = await sbx.call('DELETE', `/v1/admin/users/${ids.radia}`);
    expect(rm.status).toBe(200);
    expect(rm.body).toMatchObject({ status: 'removed', changed: true });
    expect(rm.body.revoked_keys).toEqual(expect.arrayContaining([restricted.id, editorKey.id]));

    for (const key of [restricted.value, editorKey.value]) {
      const r = await sbx.call('GET', `/v1/workflows/${flowId}`, { key });
      expect(r.status).toBe(401);
      expect(r.body.detail).toBe('API key revoked (holder removed)');
    }
    const other = await actAs(sbx, 'dennis@example.com', 'Marketing');
    const flow = await sbx.call('GET', `/v1/workflows/${flowId}`, { key: other.value });
    expect(flow.status).toBe(200);
    expect(flow.body).toMatchObject({ id: flowId, owner_id: ids.radia, owner_email: 'radia@example.com' });

    const act = await sbx.call('GET', `/v1/admin/activity?actor=${ids.radia}&size=100`);
    expect(act.status).toBe(200);
    const mine = act.body.items.filter((e: { resource_id: string }) => e.resource_id === flowId);
    expect(mine.map((e: { action: string }) => e.action).sort()).toEqual([
      'create',
      'execute',
      'update',
      'update',
    ]);
    for (const e of mine) expect(e).toMatchObject({ actor_user_id: ids.radia, actor_key_id: restricted.id });
    expect(act.body.total).toBe(act.body.items.length);
  });
});

describe('holders, rotation and expiry', () => {
  it('a suspended holder’s key is 401 "key holder is not active"; reactivated, it works again', async () => {
    const k = await actAs(sbx, 'katherine@example.com', 'Support');
    expect((await sbx.call('GET', '/v1/workflows', { key: k.value })).status).toBe(200);
    expect((await sbx.call('POST', `/v1/admin/users/${ids.katherine}/suspend`)).status).toBe(200);
    const r = await sbx.call('GET', '/v1/workflows', { key: k.value });
    expect(r.status).toBe(401);
    expect(r.body.detail).toBe('key holder is not active (katherine@example.com is suspended)');
    const view = await ok('GET', `/v1/admin/api-keys/${k.id}`);
    expect(view).toMatchObject({ status: 'active', holder_status: 'suspended', degraded: true });
    const re = await sbx.call('POST', `/v1/admin/users/${ids.katherine}/reactivate`);
    expect(re.status).toBe(200);
    expect(re.body).toMatchObject({ status: 'active', changed: true });
    expect((await sbx.call('GET', '/v1/workflows', { key: k.value })).status).toBe(200);
  });

  it('rotation with overlap_seconds keeps the restriction and holder; both keys work during the overlap', async () => {
    const old = await actAs(sbx, 'katherine@example.com', 'Support', ['kbs_query']);
    const t0 = clock().getTime();
    const r = await sbx.call('POST', `/v1/admin/api-keys/${old.id}/rotate`, {
      body: { overlap_seconds: 120 },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      restricted: true,
      permissions: ['kbs_query'],
      holder_id: ids.katherine,
      group_id: ids.Support,
      rotated_from: old.id,
      status: 'active',
    });
    expect(r.body.value).toMatch(/^noxus_[0-9A-Za-z]{43}$/);
    expect(r.body.value).not.toBe(old.value);
    const until = Date.parse(r.body.replaces.expires_at);
    expect(until).toBe(t0 + 120_000);
    expect(r.body.replaces).toMatchObject({ id: old.id, status: 'active' });

    for (const key of [old.value, r.body.value]) {
      expect((await sbx.call('GET', '/v1/knowledge-bases', { key })).status).toBe(200);
      const w = await sbx.call('POST', '/v1/knowledge-bases', { key, body: { name: 'x' } });
      expect(w.status).toBe(403);
      expect(w.body.denied_by).toBe('restriction');
    }

    // Without overlap the old key stops at once.
    const again = await sbx.call('POST', `/v1/admin/api-keys/${r.body.id}/rotate`, { body: {} });
    expect(again.status).toBe(201);
    const gone = await sbx.call('GET', '/v1/admin/me', { key: r.body.value });
    expect(gone.status).toBe(401);
    expect(gone.body.detail).toBe('API key revoked (rotated)');
    expect((await sbx.call('GET', '/v1/admin/me', { key: again.body.value })).status).toBe(200);
    expect((await sbx.call('POST', `/v1/admin/api-keys/${r.body.id}/rotate`, { body: {} })).status).toBe(409);
  });

  it('a key past its expires_at is 401 and listed as expired', async () => {
    const at = new Date(clock().getTime() + 60_000).toISOString();
    const k = await ok('POST', `/v1/admin/groups/${ids.Support}/api-keys`, { name: 'short', expires_at: at });
    expect((await sbx.call('GET', '/v1/admin/me', { key: k.value })).status).toBe(200);
    clock.advance(60_000);
    const r = await sbx.call('GET', '/v1/admin/me', { key: k.value });
    expect(r.status).toBe(401);
    expect(r.body.detail).toBe(`API key expired at ${at}`);
    expect((await ok('GET', `/v1/admin/api-keys/${k.id}`)).status).toBe('expired');
    const past = await sbx.call('POST', `/v1/admin/groups/${ids.Support}/api-keys`, {
      body: { name: 'past', expires_at: '2020-01-01T00:00:00Z' },
    });
    expect(past.status).toBe(422);
    expect(past.body.detail[0].loc).toEqual(['body', 'expires_at']);
  });
});

describe('roles and organization rules', () => {
  it('a role in use cannot be deleted (409 naming who holds it); unused, it can', async () => {
    const role = await ok('POST', '/v1/admin/roles', {
      name: 'Campaign runner',
      permissions: { flows_run: true, kbs_query: true },
      description: 'runs campaigns',
    });
    await ok('PUT', `/v1/admin/groups/${ids.Support}/members/${ids.alan}`, { role: 'Campaign runner' });
    const r = await sbx.call('DELETE', `/v1/admin/roles/${role.id}`);
    expect(r.status).toBe(409);
    expect(r.body.detail).toBe(
      'role "Campaign runner" is in use by alan@example.com; assign them another role first',
    );
    expect(r.body.holders).toEqual(['alan@example.com']);
    await ok('PUT', `/v1/admin/groups/${ids.Support}/members/${ids.alan}`, { role: 'Reader' });
    const d = await sbx.call('DELETE', `/v1/admin/roles/${role.id}`);
    expect(d.status).toBe(200);
    expect(d.body.name).toBe('Campaign runner');
  });

  it('a built-in role cannot be deleted (409)', async () => {
    for (const ref of ['Editor', 'org_admin', 'Reader', 'Org Base']) {
      const r = await sbx.call('DELETE', `/v1/admin/roles/${encodeURIComponent(ref)}`);
      expect(r.status).toBe(409);
      expect(r.body.detail).toMatch(/^"[^"]+" is a built-in role and cannot be deleted$/);
    }
    const names = ((await ok('GET', '/v1/admin/roles')) as Array<{ name: string }>).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['Org Admin', 'Org Base', 'Admin', 'Editor', 'Reader']));
  });

  it('an email that differs only in case is a duplicate (409)', async () => {
    for (const email of ['Ada@Example.com', 'ADA@EXAMPLE.COM']) {
      const r = await sbx.call('POST', '/v1/admin/users', { body: { email, name: 'Ada again' } });
      expect(r.status).toBe(409);
      expect(r.body.detail).toContain('a user with email ada@example.com already exists');
      expect(r.body.user_id).toBe(ids.ada);
    }
  });

  it('an org admin is admin everywhere: a workspace role for one is 422 (create) or 409 (membership)', async () => {
    const c = await sbx.call('POST', '/v1/admin/users', {
      body: {
        email: 'chief@example.com',
        name: 'Chief',
        org_role: 'Org Admin',
        workspaces: [{ group_id: 'Support', role: 'Reader' }],
      },
    });
    expect(c.status).toBe(422);
    expect(c.body.detail[0]).toMatchObject({
      loc: ['body', 'workspaces', 0, 'role'],
      type: 'org_admin_workspace_role',
    });
    expect((await sbx.call('GET', '/v1/admin/users/chief@example.com')).status).toBe(404);
    const m = await sbx.call('PUT', `/v1/admin/groups/${ids.Support}/members/${ids.ada}`, {
      body: { role: 'Reader' },
    });
    expect(m.status).toBe(409);
    expect(m.body.detail).toContain('ada@example.com is an org admin and therefore admin on every workspace');
    const rm = await sbx.call('DELETE', `/v1/admin/groups/${ids.Support}/members/${ids.ada}`);
    expect(rm.status).toBe(409);
  });
});

describe('invitations', () => {
  it('accepting with the emailed token activates the account and can create a personal key', async () => {
    const c = await sbx.call('POST', '/v1/admin/users', {
      body: {
        email: 'nora@example.com',
        name: 'Nora N',
        workspaces: [{ group_id: 'Support', role: 'Editor' }],
      },
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ status: 'invited', is_active: false });
    const token = tokenFromDelivery(c.body.invitation.delivered_to);

    const info = await sbx.call('GET', `/v1/invitations/${token}`, { key: null });
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({
      email: 'nora@example.com',
      organization: 'Noxus Sandbox',
      workspaces: [{ group_id: ids.Support, workspace: 'Support', role: 'Editor' }],
    });

    const a = await sbx.call('POST', `/v1/invitations/${token}/accept`, {
      key: null,
      body: { name: 'Nora North', display_name: 'Nora', create_key: { group_id: 'Support' } },
    });
    expect(a.status).toBe(200);
    expect(a.body.user).toMatchObject({
      status: 'active',
      is_active: true,
      name: 'Nora North',
      display_name: 'Nora',
    });
    expect(a.body.api_key).toMatchObject({
      group_id: ids.Support,
      holder_email: 'nora@example.com',
      restricted: false,
    });
    const w = await sbx.call('POST', '/v1/workflows', {
      key: a.body.api_key.value,
      body: { name: 'first flow' },
    });
    expect(w.status).toBe(201);

    const used = await sbx.call('POST', `/v1/invitations/${token}/accept`, { key: null, body: {} });
    expect(used.status).toBe(410);
    expect(used.body.detail).toMatch(/^this invitation was already used on /);
    const onboarding = await ok('GET', `/v1/admin/users/nora@example.com/onboarding`);
    expect(onboarding.pending).toEqual([]);
    expect(onboarding.complete).toBe(true);
  });

  it('resending invalidates the previous token (410)', async () => {
    const c = await ok('POST', '/v1/admin/users', { email: 'otto@example.com', name: 'Otto' });
    const first = tokenFromDelivery(c.invitation.delivered_to);
    const again = await ok('POST', `/v1/admin/users/${c.id}/invitation`);
    const second = tokenFromDelivery(again.invitation.delivered_to);
    expect(second).not.toBe(first);
    const old = await sbx.call('POST', `/v1/invitations/${first}/accept`, { key: null, body: {} });
    expect(old.status).toBe(410);
    expect(old.body.detail).toBe(
      'this invitation was replaced by a newer one or withdrawn; use the latest email',
    );
    expect((await sbx.call('POST', `/v1/invitations/${second}/accept`, { key: null, body: {} })).status).toBe(
      200,
    );
    const resend = await sbx.call('POST', `/v1/admin/users/${c.id}/invitation`);
    expect(resend.status).toBe(409);
  });

  it('removing an invited user withdraws the invitation (410)', async () => {
    const c = await ok('POST', '/v1/admin/users', { email: 'gone@example.com', name: 'Gone' });
    const token = tokenFromDelivery(c.invitation.delivered_to);
    await ok('DELETE', `/v1/admin/users/${c.id}`);
    expect((await sbx.call('POST', `/v1/invitations/${token}/accept`, { key: null, body: {} })).status).toBe(
      410,
    );
  });
});

describe('service accounts', () => {
  it('removing the admin who made a service account’s key revokes it; the key rotated by another admin survives', async () => {
    const svc = await sbx.call('POST', '/v1/admin/users', {
      body: {
        kind: 'service',
        email: 'deploy-bot@service.example.com',
        name: 'Deploy bot',
        workspaces: [{ group_id: 'Support', role: 'Editor' }],
      },
    });
    expect(svc.status).toBe(201);
    expect(svc.body).toMatchObject({ kind: 'service', status: 'active', is_active: true });
    expect(svc.body.invitation).toBeUndefined();

    const adaKey = await actAs(sbx, 'ada@example.com', 'Support');
    const k = await sbx.call('POST', `/v1/admin/groups/${ids.Support}/api-keys`, {
      key: adaKey.value,
      body: { name: 'deploy', owner_id: svc.body.id, permissions: ['flows_edit', 'flows_run'] },
    });
    expect(k.status).toBe(201);
    expect(k.body).toMatchObject({
      owner_id: svc.body.id,
      holder_id: svc.body.id,
      holder_kind: 'service',
      created_by: ids.ada,
      permissions: ['flows_edit', 'flows_run'],
    });
    // A key for a person is not an owner key.
    const person = await sbx.call('POST', `/v1/admin/groups/${ids.Support}/api-keys`, {
      key: adaKey.value,
      body: { name: 'for alan', owner_id: ids.alan },
    });
    expect(person.status).toBe(422);
    expect(person.body.detail[0].type).toBe('owner_not_service_account');

    // Ada saw the secret of the key she made, so her removal revokes it (D8); the offboarding way is
    // to rotate it first, so that only the rotating admin has seen the new secret.
    const before = await ok('GET', `/v1/admin/users/${ids.ada}/access`);
    const seen = Object.fromEntries(
      before.keys_exposed.map((x: { id: string; how: string[] }) => [x.id, x.how]),
    );
    expect(seen[adaKey.id]).toEqual(['act_as_target']);
    expect(seen[k.body.id]).toEqual(['created']);
    const spare = await sbx.call('POST', `/v1/admin/groups/${ids.Support}/api-keys`, {
      key: adaKey.value,
      body: { name: 'spare', owner_id: svc.body.id, permissions: ['flows_run'] },
    });
    expect(spare.status).toBe(201);
    const rot = await ok('POST', `/v1/admin/api-keys/${k.body.id}/rotate`, {});

    const rm = await sbx.call('DELETE', `/v1/admin/users/${ids.ada}`);
    expect(rm.status).toBe(200);
    expect(rm.body.revoked_keys).toContain(adaKey.id);
    expect(rm.body.revoked_keys).toContain(spare.body.id);
    expect(rm.body.revoked_keys).not.toContain(rot.id);
    const gone = await sbx.call('GET', '/v1/admin/me', { key: spare.body.value });
    expect(gone.status).toBe(401);
    expect(gone.body.detail).toBe('API key revoked (secret seen by removed user)');

    expect((await sbx.call('GET', '/v1/admin/me', { key: adaKey.value })).status).toBe(401);
    const w = await sbx.call('POST', '/v1/workflows', { key: rot.value, body: { name: 'deploy flow' } });
    expect(w.status).toBe(201);
    expect(w.body.owner_id).toBe(svc.body.id);
    const view = await ok('GET', `/v1/admin/api-keys/${rot.id}`);
    expect(view).toMatchObject({
      status: 'active',
      created_by_email: 'ada@example.com',
      holder_status: 'active',
    });
    const access = await ok('GET', `/v1/admin/users/${ids.ada}/access`);
    expect(access.service_account_keys_created.map((x: { id: string }) => x.id)).toEqual([rot.id]);
  });
});

describe('the last org admin and invitation expiry (empty organization, 1 ms invitations)', () => {
  let solo: TestSandbox;
  let ownerId: string;
  const soloClock = manualClock(new Date());
  beforeAll(async () => {
    solo = await startTestSandbox({ invitationTtlMs: 1, clock: soloClock });
    ownerId = (await solo.call('GET', '/v1/admin/me')).body.holder.id;
  });
  afterAll(async () => {
    await solo.cleanup();
  });

  it('cannot be demoted, suspended or removed (409); the owner stays an active org admin', async () => {
    const demote = await solo.call('PATCH', `/v1/admin/users/${ownerId}`, { body: { org_role: 'Org Base' } });
    expect(demote.status).toBe(409);
    expect(demote.body.detail).toBe(
      'owner@example.com is the last active org admin and cannot be demoted; make another user org admin first',
    );
    const suspend = await solo.call('POST', `/v1/admin/users/${ownerId}/suspend`);
    expect(suspend.status).toBe(409);
    expect(suspend.body.detail).toContain('cannot be suspended');
    const remove = await solo.call('DELETE', `/v1/admin/users/${ownerId}`);
    expect(remove.status).toBe(409);
    expect(remove.body.detail).toContain('cannot be removed');
    const me = await solo.call('GET', `/v1/admin/users/${ownerId}`);
    expect(me.body).toMatchObject({ status: 'active', tenant_admin: true });
  });

  it('an expired invitation is 410 and the account stays invited', async () => {
    const c = await solo.call('POST', '/v1/admin/users', {
      body: { email: 'late@example.com', name: 'Late' },
    });
    expect(c.status).toBe(201);
    const token = tokenFromDelivery(c.body.invitation.delivered_to);
    soloClock.advance(2);
    const get = await solo.call('GET', `/v1/invitations/${token}`, { key: null });
    expect(get.status).toBe(410);
    const r = await solo.call('POST', `/v1/invitations/${token}/accept`, { key: null, body: {} });
    expect(r.status).toBe(410);
    expect(r.body.detail).toMatch(
      /^this invitation expired on .*noxus users resend-invite late@example\.com$/,
    );
    expect((await solo.call('GET', '/v1/admin/users/late@example.com')).body.status).toBe('invited');
  });
});

describe('granting roles through a workspace permission', () => {
  it('a custom role with users_edit cannot grant more than its holder has there', async () => {
    const role = await ok('POST', '/v1/admin/roles', {
      name: 'Member Manager',
      description: 'adds readers',
      permissions: { users_edit: true, flows_run: true },
    });
    await ok('PUT', `/v1/admin/groups/${ids.Support}/members/${ids.linus}`, { role: role.id });
    const key = await actAs(sbx, 'linus@example.com', 'Support');
    const newcomer = await ok('POST', '/v1/admin/users', {
      email: 'grant-target@example.com',
      name: 'Grant Target',
      send_invitation: false,
    });
    const admin = await sbx.call('PUT', `/v1/admin/groups/${ids.Support}/members/${newcomer.id}`, {
      key: key.value,
      body: { role: 'Admin' },
    });
    expect(admin.status).toBe(403);
    expect(admin.body.missing).toContain('workspace_admin');
    expect(admin.body.detail).toMatch(
      /^role Admin grants .*workspace_admin, which the calling key does not have in Support$/,
    );
    const members = await ok('GET', `/v1/admin/groups/${ids.Support}/members`);
    expect(members.some((m: { user_id: string }) => m.user_id === newcomer.id)).toBe(false);
    // Within what the granter has, it works.
    const reader = await sbx.call('PUT', `/v1/admin/groups/${ids.Support}/members/${newcomer.id}`, {
      key: key.value,
      body: { role: 'Member Manager' },
    });
    expect(reader.status).toBe(201);
  });
});
