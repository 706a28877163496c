// Existing Noxus clients work unchanged: every endpoint of the confirmed admin table
// (docs noxus-wire.md), called exactly as the official Python SDK calls it (X-API-Key, JSON bodies
// with the SDK's field names), answers with the documented shape.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** A JSON body, typed as the sandbox helper types it. */
type Json = Awaited<ReturnType<TestSandbox['call']>>['body'];

let sbx: TestSandbox;

interface WireResponse {
  status: number;
  body: Json;
  headers: Headers;
  text: string;
}

/** What the SDK sends: X-API-Key, JSON in and out, nothing else. Every answer must carry a request id. */
async function sdk(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<WireResponse> {
  const h: Record<string, string> = { 'X-API-Key': sbx.adminKey, Accept: 'application/json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const r = await fetch(`${sbx.url}${path}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  expect(r.headers.get('x-request-id'), `${method} ${path} has an x-request-id`).toMatch(/^req_[\w-]+$/);
  return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers, text };
}

const MASKED = /^noxus_…[0-9A-Za-z]{4}$/;
const SECRET = /^noxus_[0-9A-Za-z]{43}$/;

beforeAll(async () => {
  sbx = await startTestSandbox();
});
afterAll(async () => {
  await sbx.cleanup();
});

describe('GET /v1/admin/me', () => {
  it('describes the calling key with a masked value, never the secret', async () => {
    const r = await sdk('GET', '/v1/admin/me');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'bootstrap', tenant_admin: true });
    expect(typeof r.body.id).toBe('string');
    expect(r.body.value).toMatch(MASKED);
    expect(r.body.value.endsWith(sbx.adminKey.slice(-4))).toBe(true);
    expect(r.text).not.toContain(sbx.adminKey);
    expect(r.body.permissions).toContain('org:admin');
    expect(r.body.permissions).toContain('workspace_admin');
  });

  it('also accepts Authorization: Bearer', async () => {
    const r = await fetch(`${sbx.url}/v1/admin/me`, { headers: { Authorization: `Bearer ${sbx.adminKey}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { tenant_admin: boolean }).tenant_admin).toBe(true);
  });

  it('answers 401 {detail} without a key, with a wrong key and with a wrong Bearer token', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { 'X-API-Key': 'noxus_not-a-real-key' },
      { Authorization: `Bearer ${sbx.adminKey}x` },
    ];
    for (const headers of attempts) {
      const r = await fetch(`${sbx.url}/v1/admin/me`, { headers });
      expect(r.status).toBe(401);
      expect(r.headers.get('x-request-id')).toMatch(/^req_/);
      const body = (await r.json()) as { detail: unknown };
      expect(typeof body.detail).toBe('string');
    }
  });
});

describe('GET /v1/nodes', () => {
  it('returns an empty array (the SDK calls it at start-up)', async () => {
    const r = await sdk('GET', '/v1/nodes');
    expect(r.status).toBe(200);
    expect(r.body).toEqual([]);
  });
});

describe('groups', () => {
  it('GET /v1/admin/groups is a plain array of {id, name, description}', async () => {
    const r = await sdk('GET', '/v1/admin/groups');
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(true);
    expect(r.body).toHaveLength(1);
    expect(r.body[0]).toMatchObject({ name: 'Default', description: 'The first workspace' });
    expect(typeof r.body[0].id).toBe('string');
  });

  it('POST /v1/admin/groups {name, description} returns the workspace; DELETE removes it', async () => {
    const r = await sdk('POST', '/v1/admin/groups', { name: 'Wire team', description: 'made by the SDK' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Wire team', description: 'made by the SDK' });
    const id = r.body.id as string;
    const list = await sdk('GET', '/v1/admin/groups');
    expect(list.body.map((g: { id: string }) => g.id)).toContain(id);

    const del = await sdk('DELETE', `/v1/admin/groups/${id}`);
    // The SDK parses every response as JSON: an empty 204 would break workspace.delete().
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true });
    const after = await sdk('GET', '/v1/admin/groups');
    expect(after.body.map((g: { id: string }) => g.id)).not.toContain(id);
    const again = await sdk('DELETE', `/v1/admin/groups/${id}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ detail: `workspace ${id} not found` });
  });
});

describe('POST /v1/admin/groups/{id}/api-keys', () => {
  it('returns the secret once in value; the key works; later reads show it masked', async () => {
    const g = await sdk('POST', '/v1/admin/groups', { name: 'Keys team', description: '' });
    const r = await sdk('POST', `/v1/admin/groups/${g.body.id}/api-keys`, {
      name: 'sdk key',
      tenant_admin: false,
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'sdk key', tenant_admin: false, group_id: g.body.id });
    expect(r.body.value).toMatch(SECRET);
    const secret = r.body.value as string;

    const me = await sdk('GET', '/v1/admin/me', undefined, { 'X-API-Key': secret });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: r.body.id, name: 'sdk key', tenant_admin: false });
    expect(me.body.value).toBe(`noxus_…${secret.slice(-4)}`);

    const one = await sdk('GET', `/v1/admin/api-keys/${r.body.id}`);
    expect(one.body.value).toBe(`noxus_…${secret.slice(-4)}`);
    const list = await sdk('GET', '/v1/admin/api-keys?status=all');
    expect(list.text).not.toContain(secret);
    expect(list.body.items.find((k: { id: string }) => k.id === r.body.id).value).toMatch(MASKED);
  });

  it('a tenant_admin key of the org admin carries org permissions', async () => {
    const g = (await sdk('GET', '/v1/admin/groups')).body[0];
    const r = await sdk('POST', `/v1/admin/groups/${g.id}/api-keys`, { name: 'admin 2', tenant_admin: true });
    expect(r.status).toBe(201);
    expect(r.body.tenant_admin).toBe(true);
    const users = await sdk('GET', '/v1/admin/users', undefined, { 'X-API-Key': r.body.value });
    expect(users.status).toBe(200);
  });
});

describe('system keys', () => {
  it('GET is an array; POST {name, permissions, tenant_admin} returns the secret; DELETE answers {success: true}', async () => {
    const before = await sdk('GET', '/v1/admin/system-keys');
    expect(before.status).toBe(200);
    expect(before.body).toEqual([]);

    const r = await sdk('POST', '/v1/admin/system-keys', {
      name: 'billing export',
      permissions: ['org:read', 'users:read'],
      tenant_admin: false,
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: 'billing export',
      tenant_admin: false,
      permissions: ['org:read', 'users:read'],
    });
    expect(r.body.value).toMatch(SECRET);
    const secret = r.body.value as string;

    // The system key works within its permissions, and only within them.
    expect((await sdk('GET', '/v1/admin/users', undefined, { 'X-API-Key': secret })).status).toBe(200);
    const denied = await sdk(
      'POST',
      '/v1/admin/groups',
      { name: 'nope', description: '' },
      { 'X-API-Key': secret },
    );
    expect(denied.status).toBe(403);
    expect(denied.body.missing).toEqual(['workspace:write']);

    const list = await sdk('GET', '/v1/admin/system-keys');
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ id: r.body.id, name: 'billing export' });
    expect(list.body[0].value).toBe(`noxus_…${secret.slice(-4)}`);
    expect(list.text).not.toContain(secret);

    const del = await sdk('DELETE', `/v1/admin/system-keys/${r.body.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true });
    expect((await sdk('GET', '/v1/admin/me', undefined, { 'X-API-Key': secret })).status).toBe(401);
    const missing = await sdk('DELETE', '/v1/admin/system-keys/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(typeof missing.body.detail).toBe('string');
  });
});

describe('users', () => {
  it('GET /v1/admin/users is a plain array of {id, email, display_name, tenant_admin, is_active}', async () => {
    const r = await sdk('GET', '/v1/admin/users');
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(true);
    const owner = r.body.find((u: { email: string }) => u.email === 'owner@example.com');
    expect(owner).toMatchObject({
      email: 'owner@example.com',
      display_name: 'Owner',
      tenant_admin: true,
      is_active: true,
    });
    expect(typeof owner.id).toBe('string');
    for (const u of r.body) {
      expect(Object.keys(u)).toEqual(
        expect.arrayContaining(['id', 'email', 'display_name', 'tenant_admin', 'is_active']),
      );
    }
  });

  it('pages with ?page=&size= and with page_size into {items, total, page, size, pages}', async () => {
    for (const n of [1, 2, 3, 4]) {
      const r = await sdk('POST', '/v1/admin/users', {
        email: `paged${n}@example.com`,
        name: `Paged ${n}`,
        send_invitation: false,
      });
      expect(r.status).toBe(201);
    }
    const all = (await sdk('GET', '/v1/admin/users')).body as Array<{ email: string }>;
    expect(all).toHaveLength(5);

    const p1 = await sdk('GET', '/v1/admin/users?page=1&size=2');
    expect(p1.status).toBe(200);
    expect(p1.body).toMatchObject({ total: 5, page: 1, size: 2, pages: 3 });
    expect(p1.body.items.map((u: { email: string }) => u.email)).toEqual(all.slice(0, 2).map((u) => u.email));

    const p3 = await sdk('GET', '/v1/admin/users?page=3&page_size=2');
    expect(p3.body).toMatchObject({ total: 5, page: 3, size: 2, pages: 3 });
    expect(p3.body.items.map((u: { email: string }) => u.email)).toEqual([all[4]?.email]);

    const past = await sdk('GET', '/v1/admin/users?page=9&size=2');
    expect(past.body).toMatchObject({ items: [], total: 5, page: 9, size: 2, pages: 3 });
  });
});

describe('roles', () => {
  it('GET is an array with the built-in roles; POST {name, permissions: {perm: bool}, description}; DELETE returns the role', async () => {
    const list = await sdk('GET', '/v1/admin/roles');
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(['Org Admin', 'Org Base', 'Admin', 'Editor', 'Reader']),
    );
    const reader = list.body.find((r: { name: string }) => r.name === 'Reader');
    expect(reader.permissions).toMatchObject({
      flows_run: true,
      agents_run: true,
      kbs_query: true,
      flows_edit: false,
    });

    const r = await sdk('POST', '/v1/admin/roles', {
      name: 'Flow runner',
      permissions: { flows_run: true, flows_edit: false, kbs_query: true },
      description: 'runs flows',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: 'Flow runner',
      description: 'runs flows',
      scope: 'workspace',
      builtin: false,
    });
    expect(r.body.permissions).toMatchObject({
      flows_run: true,
      kbs_query: true,
      flows_edit: false,
      agents_run: false,
    });

    const del = await sdk('DELETE', `/v1/admin/roles/${r.body.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: r.body.id, name: 'Flow runner' });
    const after = await sdk('GET', '/v1/admin/roles');
    expect(after.body.map((x: { id: string }) => x.id)).not.toContain(r.body.id);
  });
});

describe('errors', () => {
  it('an unknown route is 404 {detail} with a request id', async () => {
    const r = await sdk('GET', '/v1/does-not-exist');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ detail: 'Not Found' });
    const unauth = await fetch(`${sbx.url}/nowhere`);
    expect(unauth.status).toBe(404);
    expect(unauth.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('request ids differ per request', async () => {
    const a = await sdk('GET', '/v1/nodes');
    const b = await sdk('GET', '/v1/nodes');
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('a 409 is {detail: string}', async () => {
    const conflict = await sdk('POST', '/v1/admin/groups', { name: 'Default', description: '' });
    expect(conflict.status).toBe(409);
    expect(typeof conflict.body.detail).toBe('string');
    expect(conflict.body.detail).toContain('"Default" already exists');
  });

  it('a 422 has detail as an array of {loc, msg, type}', async () => {
    const r = await sdk('POST', '/v1/admin/groups', { description: 'no name' });
    expect(r.status).toBe(422);
    expect(r.body.detail).toEqual([{ loc: ['body', 'name'], msg: 'field required', type: 'missing' }]);
    const q = await sdk('GET', '/v1/admin/users?page=0');
    expect(q.status).toBe(422);
    expect(q.body.detail).toHaveLength(1);
    expect(q.body.detail[0]).toMatchObject({ loc: ['query', 'page'], type: 'minimum' });
    expect(typeof q.body.detail[0].msg).toBe('string');
  });
});

describe('Idempotency-Key', () => {
  it('a replayed POST returns the same response and creates one object only', async () => {
    const headers = { 'Idempotency-Key': 'create-research-1' };
    const body = { name: 'Research', description: 'idempotent' };
    const first = await sdk('POST', '/v1/admin/groups', body, headers);
    expect(first.status).toBe(201);
    const second = await sdk('POST', '/v1/admin/groups', body, headers);
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const groups = (await sdk('GET', '/v1/admin/groups')).body as Array<{ name: string }>;
    expect(groups.filter((g) => g.name === 'Research')).toHaveLength(1);

    // Without the header the same body is a new request (and a conflict).
    expect((await sdk('POST', '/v1/admin/groups', body)).status).toBe(409);
  });

  it('a replayed key creation returns the same key, and one key exists', async () => {
    const g = (await sdk('GET', '/v1/admin/groups')).body.find((x: { name: string }) => x.name === 'Default');
    const headers = { 'Idempotency-Key': 'key-once' };
    const before = (await sdk('GET', `/v1/admin/api-keys?group_id=${g.id}`)).body.total as number;
    const a = await sdk(
      'POST',
      `/v1/admin/groups/${g.id}/api-keys`,
      { name: 'once', tenant_admin: false },
      headers,
    );
    const b = await sdk(
      'POST',
      `/v1/admin/groups/${g.id}/api-keys`,
      { name: 'once', tenant_admin: false },
      headers,
    );
    expect(a.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    expect((await sdk('GET', `/v1/admin/api-keys?group_id=${g.id}`)).body.total).toBe(before + 1);
  });

  it('reusing a key on another path is refused and does not spoil the stored response', async () => {
    const headers = { 'Idempotency-Key': 'reused-elsewhere' };
    const first = await sdk('POST', '/v1/admin/groups', { name: 'Legal', description: '' }, headers);
    expect(first.status).toBe(201);
    const other = await sdk(
      'POST',
      '/v1/admin/roles',
      { name: 'X', permissions: { flows_run: true } },
      headers,
    );
    expect(other.status).toBe(422);
    expect(other.body.detail).toContain('reused-elsewhere was already used for POST /v1/admin/groups');
    const invalid = await sdk('POST', '/v1/admin/groups', { name: 7 }, headers);
    expect(invalid.status).toBe(422);
    const replay = await sdk('POST', '/v1/admin/groups', { name: 'Legal', description: '' }, headers);
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(first.text);
  });

  it('keys are per API key: another key with the same Idempotency-Key makes its own request', async () => {
    const sys = await sdk('POST', '/v1/admin/system-keys', {
      name: 'ws writer',
      permissions: ['workspace:write'],
      tenant_admin: false,
    });
    const headers = { 'Idempotency-Key': 'shared-key' };
    const a = await sdk('POST', '/v1/admin/groups', { name: 'Alpha', description: '' }, headers);
    const b = await sdk(
      'POST',
      '/v1/admin/groups',
      { name: 'Beta', description: '' },
      { ...headers, 'X-API-Key': sys.body.value },
    );
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.name).toBe('Beta');
  });
});
