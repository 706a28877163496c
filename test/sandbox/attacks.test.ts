// Every attack of issue 12's security review that concerns the sandbox's authorization, replayed over
// HTTP against a real demo sandbox: each must now fail with the exact status and detail of
// docs/authorization.md (rules D1–D10).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORG_PERMISSIONS, sortPermissions, WORKSPACE_PERMISSIONS } from '../../src/domain/permissions.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

type Json = Awaited<ReturnType<TestSandbox['call']>>['body'];

let sbx: TestSandbox;
const ids: Record<string, string> = {};
let ownerKeyId: string;

async function ok(method: string, path: string, body?: unknown, key?: string): Promise<Json> {
  const r = await sbx.call(method, path, { body, key });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${r.text}`);
  return r.body;
}

/** A personal key of `email` in `group`, minted by the owner (act-as). */
async function keyOf(
  email: string,
  group: string,
  extra: { permissions?: string[]; tenant_admin?: boolean } = {},
): Promise<{ id: string; value: string }> {
  return ok('POST', '/v1/sandbox/act-as', { user_id: email, group_id: group, ...extra });
}

async function systemKey(permissions: string[]): Promise<{ id: string; value: string; name: string }> {
  return ok('POST', '/v1/admin/system-keys', { name: `sys ${permissions.join(' ')}`, permissions });
}

const except = (all: readonly string[], ...drop: string[]) => all.filter((p) => !drop.includes(p));

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  for (const g of ['Default', 'Engineering', 'Support', 'Marketing'])
    ids[g] = (await ok('GET', `/v1/admin/groups/${g}`)).id;
  for (const u of ['ada', 'grace', 'linus', 'margaret', 'katherine', 'ken', 'dennis', 'radia'])
    ids[u] = (await ok('GET', `/v1/admin/users/${u}@example.com`)).id;
  const me = await ok('GET', '/v1/admin/me');
  ownerKeyId = me.id;
  ids.owner = me.holder.id;
});
afterAll(async () => {
  await sbx.cleanup();
});

describe('critical: taking over the owner’s tenant-admin key', () => {
  it('a workspace Admin (Org Base) cannot rotate the owner’s bootstrap key (D3 b)', async () => {
    await ok('PUT', `/v1/admin/groups/${ids.Default}/members/${ids.linus}`, { role: 'Admin' });
    const linus = await keyOf('linus@example.com', 'Default');
    const r = await sbx.call('POST', `/v1/admin/api-keys/${ownerKeyId}/rotate`, {
      key: linus.value,
      body: {},
    });
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe(
      `missing permission ${ORG_PERMISSIONS.join(', ')}: the calling key cannot rotate a key that holds more than it does`,
    );
    expect(r.body.missing).toEqual([...ORG_PERMISSIONS]);
    // The owner is not locked out and Linus is no org admin.
    expect((await sbx.call('GET', '/v1/admin/me')).status).toBe(200);
    expect((await ok('GET', `/v1/admin/users/${ids.linus}`)).tenant_admin).toBe(false);
  });

  it('a workspace Admin cannot revoke another user’s tenant-admin key (D3 b)', async () => {
    const adaTa = await keyOf('ada@example.com', 'Default', { tenant_admin: true });
    const linus = await keyOf('linus@example.com', 'Default');
    const r = await sbx.call('DELETE', `/v1/admin/api-keys/${adaTa.id}`, { key: linus.value });
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe(
      `missing permission ${ORG_PERMISSIONS.join(', ')}: the calling key cannot revoke a key that holds more than it does`,
    );
    expect((await sbx.call('GET', '/v1/admin/me', { key: adaTa.value })).status).toBe(200);
  });

  it('a system key with only users:write cannot rotate the owner’s bootstrap key (D2, D3 b)', async () => {
    const sys = await systemKey(['users:write']);
    const r = await sbx.call('POST', `/v1/admin/api-keys/${ownerKeyId}/rotate`, { key: sys.value, body: {} });
    expect(r.status).toBe(403);
    const missing = sortPermissions([...except(ORG_PERMISSIONS, 'users:write'), ...WORKSPACE_PERMISSIONS]);
    expect(r.body.detail).toBe(
      `missing permission ${missing.join(', ')}: the calling key cannot rotate a key that holds more than it does`,
    );
    expect(r.body.missing).toEqual(missing);
  });
});

describe('high: a restricted key obtaining an unrestricted one', () => {
  it('a restricted key cannot rotate its holder’s unrestricted key (D3 b)', async () => {
    const full = await keyOf('linus@example.com', 'Engineering');
    const narrow = await keyOf('linus@example.com', 'Engineering', { permissions: ['flows_run'] });
    const r = await sbx.call('POST', `/v1/admin/api-keys/${full.id}/rotate`, { key: narrow.value, body: {} });
    expect(r.status).toBe(403);
    const missing = except(WORKSPACE_PERMISSIONS, 'flows_run');
    expect(r.body.detail).toBe(
      `missing permission ${missing.join(', ')}: the calling key cannot rotate a key that holds more than it does`,
    );
    expect(r.body.denied_by).toBe('restriction');
  });

  it('even a restriction listing every permission cannot rotate an unrestricted key (D3 c)', async () => {
    const full = await keyOf('linus@example.com', 'Engineering');
    const everything = await keyOf('linus@example.com', 'Engineering', {
      permissions: [...WORKSPACE_PERMISSIONS],
    });
    const r = await sbx.call('POST', `/v1/admin/api-keys/${full.id}/rotate`, {
      key: everything.value,
      body: {},
    });
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe('a restricted key cannot rotate an unrestricted key; use an unrestricted key');
  });
});

describe('high: access obtained through someone else’s key survives offboarding', () => {
  async function serviceKey(name: string): Promise<{ svc: string; key: { id: string; value: string } }> {
    const svc = await ok('POST', '/v1/admin/users', {
      kind: 'service',
      email: `${name}@service.example.com`,
      name,
      workspaces: [{ group_id: 'Engineering', role: 'Editor' }],
    });
    const key = await ok('POST', `/v1/admin/groups/${ids.Engineering}/api-keys`, {
      name,
      owner_id: svc.id,
    });
    return { svc: svc.id, key };
  }

  it('a user who rotated a service-account key sees it listed, and removing them revokes it (D7, D8)', async () => {
    const { key } = await serviceKey('release-bot');
    await ok('PUT', `/v1/admin/groups/${ids.Engineering}/members/${ids.radia}`, { role: 'Admin' });
    const radia = await keyOf('radia@example.com', 'Engineering');
    const rot = await sbx.call('POST', `/v1/admin/api-keys/${key.id}/rotate`, { key: radia.value, body: {} });
    expect(rot.status).toBe(201);

    const access = await ok('GET', `/v1/admin/users/${ids.radia}/access`);
    const seen = access.keys_exposed.find((k: { id: string }) => k.id === rot.body.id);
    expect(seen).toMatchObject({
      id: rot.body.id,
      how: ['rotated'],
      status: 'active',
      holder_kind: 'service',
    });

    // Suspension is reversible: the key Radia only saw keeps working, his own stops.
    await ok('POST', `/v1/admin/users/${ids.radia}/suspend`);
    expect((await sbx.call('GET', '/v1/admin/me', { key: rot.body.value })).status).toBe(200);
    expect((await sbx.call('GET', '/v1/admin/me', { key: radia.value })).status).toBe(401);

    const rm = await ok('DELETE', `/v1/admin/users/${ids.radia}`);
    expect(rm.revoked_keys).toContain(rot.body.id);
    const after = await sbx.call('GET', '/v1/admin/me', { key: rot.body.value });
    expect(after.status).toBe(401);
    expect(after.body.detail).toBe('API key revoked (secret seen by removed user)');
  });

  it('the act-as caller and target are both recorded; removing the caller revokes the key (D5, D7, D8)', async () => {
    const graceTa = await keyOf('grace@example.com', 'Default', { tenant_admin: true });
    const minted = await sbx.call('POST', '/v1/sandbox/act-as', {
      key: graceTa.value,
      body: { user_id: 'ken@example.com', group_id: 'Engineering' },
    });
    expect(minted.status).toBe(201);
    const kenAccess = await ok('GET', `/v1/admin/users/${ids.ken}/access`);
    expect(kenAccess.keys_exposed.find((k: { id: string }) => k.id === minted.body.id)?.how).toEqual([
      'act_as_target',
    ]);
    const graceAccess = await ok('GET', `/v1/admin/users/${ids.grace}/access`);
    expect(graceAccess.keys_exposed.find((k: { id: string }) => k.id === minted.body.id)?.how).toEqual([
      'act_as_caller',
    ]);

    const rm = await ok('DELETE', `/v1/admin/users/${ids.grace}`);
    expect(rm.revoked_keys).toEqual([graceTa.id, minted.body.id]);
    const after = await sbx.call('GET', '/v1/admin/me', { key: minted.body.value });
    expect(after.status).toBe(401);
    expect(after.body.detail).toBe('API key revoked (secret seen by removed user)');
  });

  it('an invitation accepted with create_key records the accepter (D7)', async () => {
    const c = await ok('POST', '/v1/admin/users', {
      email: 'newcomer@example.com',
      name: 'Newcomer',
      workspaces: [{ group_id: 'Support', role: 'Reader' }],
    });
    const token = await invitationToken(c.invitation.delivered_to);
    const a = await sbx.call('POST', `/v1/invitations/${token}/accept`, {
      key: null,
      body: { create_key: { group_id: 'Support' } },
    });
    expect(a.status).toBe(200);
    const access = await ok('GET', `/v1/admin/users/${c.id}/access`);
    expect(access.keys_exposed.map((k: { id: string; how: string[] }) => [k.id, k.how])).toEqual([
      [a.body.api_key.id, ['invitation']],
    ]);
  });
});

describe('medium: system keys disabling org admins and acting as people', () => {
  it('a system key with users:write and users:delete cannot suspend or remove an org admin (D6)', async () => {
    const sys = await systemKey(['users:write', 'users:delete']);
    const detail = `missing permission org:admin: the system key "${sys.name}" does not grant it`;
    const s = await sbx.call('POST', `/v1/admin/users/${ids.ada}/suspend`, { key: sys.value });
    expect(s.status).toBe(403);
    expect(s.body.detail).toBe(detail);
    const d = await sbx.call('DELETE', `/v1/admin/users/${ids.ada}`, { key: sys.value });
    expect(d.status).toBe(403);
    expect(d.body.detail).toBe(detail);
    expect((await ok('GET', `/v1/admin/users/${ids.ada}`)).status).toBe('active');
  });

  it('a system key with only org:admin cannot call act-as (D5)', async () => {
    const sys = await systemKey(['org:admin']);
    const r = await sbx.call('POST', '/v1/sandbox/act-as', {
      key: sys.value,
      body: { user_id: 'ada@example.com', group_id: 'Default', tenant_admin: true },
    });
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe(
      "act-as needs an org admin's own tenant-admin key; a system key cannot act as a person",
    );
  });

  it('an org admin’s key without tenant_admin, and a service account’s key, cannot call act-as (D5)', async () => {
    const adaPlain = await keyOf('ada@example.com', 'Engineering');
    const r = await sbx.call('POST', '/v1/sandbox/act-as', {
      key: adaPlain.value,
      body: { user_id: 'ken@example.com', group_id: 'Engineering' },
    });
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe(
      'missing permission org:admin: the key is not a tenant admin key (org-level calls need one)',
    );
    const svc = await ok('POST', '/v1/admin/users', {
      kind: 'service',
      email: 'actor-bot@service.example.com',
      name: 'actor bot',
      workspaces: [{ group_id: 'Engineering', role: 'Admin' }],
    });
    const svcKey = await ok('POST', `/v1/admin/groups/${ids.Engineering}/api-keys`, {
      name: 'actor',
      owner_id: svc.id,
    });
    const s = await sbx.call('POST', '/v1/sandbox/act-as', {
      key: svcKey.value,
      body: { user_id: 'ken@example.com', group_id: 'Engineering' },
    });
    expect(s.status).toBe(403);
    expect(s.body.detail).toBe(
      "act-as needs an org admin's own tenant-admin key; a service account's key cannot act as a person",
    );
  });

  it('a system key with org:admin cannot list, create, rotate or revoke system keys (D4)', async () => {
    const sys = await systemKey(['org:admin']);
    const target = await systemKey(['org:read']);
    const detail = "system keys are managed with an org admin's own tenant-admin key, not with a system key";
    for (const [method, path, body] of [
      ['GET', '/v1/admin/system-keys', undefined],
      ['POST', '/v1/admin/system-keys', { name: 'x', permissions: ['org:read'] }],
      ['POST', `/v1/admin/system-keys/${target.id}/rotate`, {}],
      ['DELETE', `/v1/admin/system-keys/${target.id}`, undefined],
    ] as const) {
      const r = await sbx.call(method, path, { key: sys.value, body });
      expect([method, path, r.status, r.body.detail]).toEqual([method, path, 403, detail]);
    }
    expect((await sbx.call('GET', '/v1/admin/me', { key: target.value })).status).toBe(200);
  });
});

describe('lower: a custom role demoting and removing a workspace Admin', () => {
  it('users_edit and users_delete do not reach a member whose role grants more (D6)', async () => {
    await ok('POST', '/v1/admin/roles', {
      name: 'Member Manager',
      permissions: {
        users_edit: true,
        users_delete: true,
        flows_run: true,
        agents_run: true,
        kbs_query: true,
      },
    });
    await ok('PUT', `/v1/admin/groups/${ids.Marketing}/members/${ids.katherine}`, { role: 'Member Manager' });
    const kath = await keyOf('katherine@example.com', 'Marketing');
    const missing = except(
      WORKSPACE_PERMISSIONS,
      'users_edit',
      'users_delete',
      'flows_run',
      'agents_run',
      'kbs_query',
    );
    const detail = `dennis@example.com has role Admin in Marketing, which grants ${missing.join(', ')}; the calling key does not have that there`;
    const demote = await sbx.call('PUT', `/v1/admin/groups/${ids.Marketing}/members/${ids.dennis}`, {
      key: kath.value,
      body: { role: 'Reader' },
    });
    expect(demote.status).toBe(403);
    expect(demote.body.detail).toBe(detail);
    expect(demote.body.missing).toEqual(missing);
    const remove = await sbx.call('DELETE', `/v1/admin/groups/${ids.Marketing}/members/${ids.dennis}`, {
      key: kath.value,
    });
    expect(remove.status).toBe(403);
    expect(remove.body.detail).toBe(detail);
    // A Reader is within reach: Linus is Reader in Marketing.
    const ok2 = await sbx.call('DELETE', `/v1/admin/groups/${ids.Marketing}/members/${ids.linus}`, {
      key: kath.value,
    });
    expect(ok2.status).toBe(200);
  });
});

describe('lower: names, roles and re-invitation', () => {
  it('a role granting only unknown permissions is refused (D9)', async () => {
    const r = await sbx.call('POST', '/v1/admin/roles', {
      body: { name: 'Nothing', permissions: { 'foo:*': true } },
    });
    expect(r.status).toBe(422);
    expect(r.body.detail).toEqual([
      { loc: ['body', 'permissions'], msg: 'unknown permission "foo:*"', type: 'unknown_permission' },
    ]);
  });

  it('bidi controls and zero-width characters are refused in names (D9)', async () => {
    const bidi = await sbx.call('POST', '/v1/admin/users', {
      body: { email: 'mallory@example.com', name: 'Mallory \u202egnp.exe', send_invitation: false },
    });
    expect(bidi.status).toBe(422);
    expect(bidi.body.detail).toEqual([
      {
        loc: ['body', 'name'],
        msg: 'name must not contain bidirectional control characters',
        type: 'value_error',
      },
    ]);
    const zw = await sbx.call('POST', '/v1/admin/groups', { body: { name: 'Engi\u200bneering' } });
    expect(zw.status).toBe(422);
    expect(zw.body.detail).toEqual([
      { loc: ['body', 'name'], msg: 'name must not contain zero-width characters', type: 'value_error' },
    ]);
  });

  it('a removed user can be invited again: a new account, the old history kept (D10)', async () => {
    const old = await ok('POST', '/v1/admin/users', {
      email: 'Returner@example.com',
      name: 'Returner',
      send_invitation: false,
    });
    await ok('DELETE', `/v1/admin/users/${old.id}`);
    const again = await sbx.call('POST', '/v1/admin/users', {
      body: { email: 'returner@example.com', name: 'Returner again', send_invitation: false },
    });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(old.id);
    expect(again.body.status).toBe('invited');
    expect((await ok('GET', `/v1/admin/users/${old.id}`)).status).toBe('removed');
    expect((await ok('GET', '/v1/admin/users/returner@example.com')).id).toBe(again.body.id);
    const history = await ok('GET', `/v1/admin/activity?resource_id=${old.id}`);
    expect(history.items.map((a: { action: string }) => a.action)).toEqual(['delete', 'create']);
    // A third account while the second is live is still a conflict.
    const dup = await sbx.call('POST', '/v1/admin/users', {
      body: { email: 'returner@example.com', name: 'Twice', send_invitation: false },
    });
    expect(dup.status).toBe(409);
  });
});

/** The accept token from an outbox .eml (quoted-printable). */
async function invitationToken(deliveredTo: string): Promise<string> {
  const { readFileSync } = await import('node:fs');
  expect(deliveredTo).toMatch(/^outbox:.*\.eml$/);
  const raw = readFileSync(deliveredTo.slice('outbox:'.length), 'utf8');
  const decoded = raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  const m = /\/invite\/([0-9A-Za-z]+)/.exec(decoded);
  if (!m?.[1]) throw new Error(`no accept link in ${deliveredTo}`);
  return m[1];
}
