// The system-keys service's rules: which key a reference means, which org permissions a new key may
// name, and rotation as create-then-revoke on a server without a rotate endpoint.
import { afterEach, describe, expect, it } from 'vitest';
import type { SystemKey } from '../../src/api/keys.js';
import { ConflictError, NotFoundError, UsageError } from '../../src/errors.js';
import {
  findSystemKey,
  rotateSystem,
  systemKeyBody,
  unknownOrgPermissions,
} from '../../src/services/system-keys.js';
import { failure, type Harness, harness, JSON_HEADERS } from '../api/helpers.js';
import { capabilities } from '../commands/mock.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.finish();
  h = undefined;
});

const on = (method: string, path: string, status: number, body: unknown) =>
  (h as Harness).pool
    .intercept({ path: (p) => p.split('?')[0] === path, method })
    .reply(status, body as object, { headers: JSON_HEADERS });
const requests = () =>
  ((h as Harness).agent.getCallHistory()?.calls() ?? []).map((c) => {
    const line = `${c.method} ${new URL(c.fullUrl).pathname}`;
    return c.body ? [line, JSON.parse(String(c.body))] : [line];
  });

const key = (id: string, name: string, status: SystemKey['status'] = 'active', extra = {}): SystemKey => ({
  id,
  name,
  kind: 'system',
  tenant_admin: false,
  permissions: ['users:read'],
  created_by: null,
  value: '',
  status,
  created_at: '2026-01-01T00:00:00Z',
  last_used_at: null,
  expires_at: null,
  revoked_at: null,
  ...extra,
});

const CATALOGUE = [
  { name: 'users:read', scope: 'org', description: '' },
  { name: 'users:write', scope: 'org', description: '' },
  { name: 'roles:read', scope: 'org', description: '' },
  { name: 'flows_run', scope: 'workspace', description: '' },
];

describe('findSystemKey', () => {
  const KEYS = [key('k1', 'ci'), key('k2', 'CI', 'revoked'), key('k3', 'backup'), key('k4', 'backup')];

  it('by id, and by name in any case: the one active key among same-named ones wins', async () => {
    h = harness();
    on('GET', '/v1/admin/system-keys', 200, KEYS);
    expect((await findSystemKey(h.client, 'k3')).id).toBe('k3');
    on('GET', '/v1/admin/system-keys', 200, KEYS);
    expect((await findSystemKey(h.client, 'Ci')).id).toBe('k1');
    expect(requests()).toEqual([['GET /v1/admin/system-keys'], ['GET /v1/admin/system-keys']]);
  });

  it('two active keys with the name: ambiguous, their ids as hint', async () => {
    h = harness();
    on('GET', '/v1/admin/system-keys', 200, KEYS);
    const e = await failure(findSystemKey(h.client, 'backup'));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('"backup" matches 2 system keys');
    expect(e.hint).toBe('use an id: k3, k4');
  });

  it('no active key with the name: the several revoked ones are ambiguous too', async () => {
    h = harness();
    on('GET', '/v1/admin/system-keys', 200, [key('k5', 'old', 'revoked'), key('k6', 'old', 'expired')]);
    const e = await failure(findSystemKey(h.client, 'old'));
    expect(e.message).toBe('"old" matches 2 system keys');
    expect(e.hint).toBe('use an id: k5, k6');
  });

  it('none: not found, with a near name as hint', async () => {
    h = harness();
    on('GET', '/v1/admin/system-keys', 200, KEYS);
    const e = await failure(findSystemKey(h.client, 'backpu'));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe('no system key backpu');
    expect(e.hint).toBe('did you mean backup?');
  });
});

describe('unknownOrgPermissions', () => {
  const org = ['users:read', 'users:write', 'roles:read'];
  it('names outside the catalogue; area wildcards and * pass; no catalogue, nothing judged', () => {
    expect(unknownOrgPermissions(['users:read', 'users:*', '*', 'users:raed', 'flows:*'], org)).toEqual([
      'users:raed',
      'flows:*',
    ]);
    expect(unknownOrgPermissions(['anything'], [])).toEqual([]);
  });
});

describe('systemKeyBody', () => {
  it('an unknown org permission is refused naming it, a workspace permission too; nothing written', async () => {
    h = harness();
    on('GET', '/v1/admin/permissions', 200, CATALOGUE);
    const e = await failure(
      systemKeyBody(h.client, capabilities('all'), {
        name: 'ci',
        permissions: ['users:read', 'users:raed', 'flows_run'],
        tenantAdmin: false,
      }),
    );
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('unknown org permissions: users:raed, flows_run');
    expect(e.hint).toBe(
      'users:raed: did you mean users:read?\nflows_run: see noxus permissions list --scope org',
    );
    expect(requests()).toEqual([['GET /v1/admin/permissions']]);
  });

  it('one unknown permission: singular', async () => {
    h = harness();
    on('GET', '/v1/admin/permissions', 200, CATALOGUE);
    const e = await failure(
      systemKeyBody(h.client, capabilities('all'), {
        name: 'ci',
        permissions: ['flows_run'],
        tenantAdmin: false,
      }),
    );
    expect(e.message).toBe('unknown org permission: flows_run');
  });

  it('known names: the body, expiry only when given', async () => {
    h = harness();
    on('GET', '/v1/admin/permissions', 200, CATALOGUE);
    expect(
      await systemKeyBody(h.client, capabilities('all'), {
        name: 'ci',
        permissions: ['users:read', 'roles:*'],
        tenantAdmin: true,
        expiresAt: '2026-06-01T00:00:00Z',
      }),
    ).toEqual({
      name: 'ci',
      permissions: ['users:read', 'roles:*'],
      tenant_admin: true,
      expires_at: '2026-06-01T00:00:00Z',
    });
  });

  it('without the catalogue the names go to the server unchecked, and no request is made', async () => {
    h = harness();
    expect(
      await systemKeyBody(h.client, capabilities('public'), {
        name: 'ci',
        permissions: ['whatever'],
        tenantAdmin: false,
      }),
    ).toEqual({ name: 'ci', permissions: ['whatever'], tenant_admin: false });
    expect(requests()).toEqual([]);
  });
});

describe('rotateSystem', () => {
  const OLD = key('k_old', 'ci', 'active', { permissions: ['users:read', 'roles:read'], tenant_admin: true });
  const created = {
    id: 'k_new',
    name: 'ci',
    value: 'noxus_sys_new',
    tenant_admin: true,
    permissions: OLD.permissions,
  };
  const noRotate = () => capabilities('public');

  it('with the rotate endpoint: one POST with the overlap', async () => {
    h = harness();
    expect(capabilities('all').has('system-keys.rotate')).toBe(true);
    const rotated = { ...key('k_new', 'ci'), value: 'noxus_sys_new', replaces: OLD };
    on('POST', '/v1/admin/system-keys/k_old/rotate', 200, rotated);
    const got = await rotateSystem(h.client, capabilities('all'), OLD, 60);
    expect(got).toEqual({ key: rotated, old: OLD });
    expect(requests()).toEqual([['POST /v1/admin/system-keys/k_old/rotate', { overlap_seconds: 60 }]]);
  });

  it('without it: create with the same name and permissions, then revoke the old key', async () => {
    h = harness();
    expect(noRotate().has('system-keys.rotate')).toBe(false);
    on('POST', '/v1/admin/system-keys', 201, created);
    on('DELETE', '/v1/admin/system-keys/k_old', 200, { success: true });
    const got = await rotateSystem(h.client, noRotate(), OLD, 0);
    expect(got.key.id).toBe('k_new');
    expect(got.key.value).toBe('noxus_sys_new');
    expect(got.key.replaces).toBe('k_old');
    expect(got.fallback).toEqual({ oldRevoked: true });
    expect(requests()).toEqual([
      [
        'POST /v1/admin/system-keys',
        { name: 'ci', permissions: ['users:read', 'roles:read'], tenant_admin: true },
      ],
      ['DELETE /v1/admin/system-keys/k_old'],
    ]);
  });

  it('without it, with an overlap: the old key is left working, not revoked', async () => {
    h = harness();
    on('POST', '/v1/admin/system-keys', 201, created);
    const got = await rotateSystem(h.client, noRotate(), OLD, 3600);
    expect(got.key.id).toBe('k_new');
    expect(got.fallback).toEqual({ oldRevoked: false });
    expect(requests().map((x) => x[0])).toEqual(['POST /v1/admin/system-keys']);
  });

  it('a failed revoke is reported with the new key, whose secret is kept', async () => {
    h = harness();
    on('POST', '/v1/admin/system-keys', 201, created);
    on('DELETE', '/v1/admin/system-keys/k_old', 409, { detail: 'key is locked', status: 409 });
    const got = await rotateSystem(h.client, noRotate(), OLD, 0);
    expect(got.key.value).toBe('noxus_sys_new');
    expect(got.key.replaces).toBe('k_old');
    expect(got.fallback).toEqual({ oldRevoked: false, revokeError: expect.any(ConflictError) });
    expect(String(got.fallback?.revokeError)).toBe('ConflictError: conflict (HTTP 409): key is locked');
    expect(requests().map((x) => x[0])).toEqual([
      'POST /v1/admin/system-keys',
      'DELETE /v1/admin/system-keys/k_old',
    ]);
  });
});
