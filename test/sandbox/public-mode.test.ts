// The public-only sandbox: exactly the routes the public Noxus API confirms, answered as FastAPI or a
// deployment in front of it answers the rest; and the OpenAPI document capability discovery reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicRouteKeys, routeKey } from '../../src/domain/features.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is read as plain JSON
type Doc = any;

function routeKeysOf(doc: Doc): Set<string> {
  const keys = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths as Record<string, object>))
    for (const m of Object.keys(ops)) keys.add(routeKey(m, path));
  return keys;
}

function bodyProperties(doc: Doc, method: string, path: string): string[] {
  const ref: string = doc.paths[path][method].requestBody.content['application/json'].schema.$ref;
  const name = ref.replace('#/components/schemas/', '');
  return Object.keys(doc.components.schemas[name].properties).sort();
}

describe('sandbox --api public (FastAPI answers)', () => {
  let sb: TestSandbox;
  let group: string;
  beforeAll(async () => {
    sb = await startTestSandbox({ api: 'public' });
    group = (await sb.call('GET', '/v1/admin/groups')).body[0].id;
  });
  afterAll(() => sb.cleanup());

  it('serves the public endpoints', async () => {
    expect((await sb.call('GET', '/v1/admin/me')).status).toBe(200);
    expect((await sb.call('GET', '/v1/admin/users')).status).toBe(200);
    expect((await sb.call('GET', '/v1/nodes')).body).toEqual([]);
    const healthz = await sb.call('GET', '/healthz', { key: null });
    expect(healthz.status).toBe(200);
  });

  it('answers an extension route 404 {"detail":"Not Found"}, before authentication', async () => {
    for (const [method, path] of [
      ['GET', '/v1/admin/permissions'],
      ['GET', '/v1/admin/activity'],
      ['PUT', `/v1/admin/groups/${group}/members/owner@example.com`],
      ['GET', '/v1/admin/api-keys'],
      ['POST', '/v1/sandbox/act-as'],
      ['GET', '/v1/no-such-thing'],
    ]) {
      for (const key of [undefined, null]) {
        const r = await sb.call(method as string, path as string, {
          key,
          body: method === 'GET' ? undefined : {},
        });
        expect([method, path, r.status, r.body]).toEqual([method, path, 404, { detail: 'Not Found' }]);
      }
    }
  });

  it('answers a public path with another method 405 with Allow', async () => {
    const r = await sb.call('GET', `/v1/admin/groups/${group}`);
    expect(r.status).toBe(405);
    expect(r.body).toEqual({ detail: 'Method Not Allowed' });
    expect(r.headers.get('allow')).toBe('DELETE');
    // Adding a user is not public, but listing users is: FastAPI says 405, not 404.
    const users = await sb.call('POST', '/v1/admin/users', { body: { email: 'a@example.com', name: 'A' } });
    expect(users.status).toBe(405);
    expect(users.headers.get('allow')).toBe('GET');
  });

  it('refuses the extension fields of a public route (422), as the public request model lacks them', async () => {
    const r = await sb.call('POST', `/v1/admin/groups/${group}/api-keys`, {
      body: { name: 'ci', tenant_admin: false, permissions: ['flows_run'] },
    });
    expect(r.status).toBe(422);
    expect(r.body.detail).toEqual([
      { loc: ['body', 'permissions'], msg: 'unknown field', type: 'extra_forbidden' },
    ]);
    const ok = await sb.call('POST', `/v1/admin/groups/${group}/api-keys`, {
      body: { name: 'ci', tenant_admin: false },
    });
    expect(ok.status).toBe(201);
  });

  it('DELETE /v1/admin/groups/{id} answers JSON', async () => {
    const g = await sb.call('POST', '/v1/admin/groups', { body: { name: 'Short-lived', description: '' } });
    const r = await sb.call('DELETE', `/v1/admin/groups/${g.body.id}`);
    expect([r.status, r.headers.get('content-type'), r.body]).toEqual([
      200,
      'application/json; charset=utf-8',
      { success: true },
    ]);
  });

  it('its /openapi.json lists exactly the public routes, with the public request bodies', async () => {
    const doc = (await sb.call('GET', '/openapi.json', { key: null })).body;
    expect(doc.openapi).toBe('3.1.0');
    expect([...routeKeysOf(doc)].sort()).toEqual([...publicRouteKeys()].sort());
    expect(bodyProperties(doc, 'post', '/v1/admin/groups/{id}/api-keys')).toEqual(['name', 'tenant_admin']);
    expect(bodyProperties(doc, 'post', '/v1/admin/system-keys')).toEqual([
      'expires_at',
      'name',
      'permissions',
      'tenant_admin',
    ]);
  });
});

describe('sandbox --api full', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  afterAll(() => sb.cleanup());

  it('its /openapi.json lists every /v1 route it serves, extension fields included', async () => {
    const doc = (await sb.call('GET', '/openapi.json', { key: null })).body;
    const keys = routeKeysOf(doc);
    for (const k of publicRouteKeys()) expect(keys.has(k), k).toBe(true);
    for (const k of [
      'GET /v1/admin/permissions',
      'POST /v1/admin/users',
      'PUT /v1/admin/groups/{}/members/{}',
      'GET /v1/admin/activity',
      'POST /v1/sandbox/act-as',
    ])
      expect(keys.has(k), k).toBe(true);
    expect(bodyProperties(doc, 'post', '/v1/admin/groups/{id}/api-keys')).toEqual([
      'expires_at',
      'name',
      'owner_id',
      'permissions',
      'tenant_admin',
    ]);
    expect(bodyProperties(doc, 'post', '/v1/admin/users')).toContain('kind');
    const activity = doc.paths['/v1/admin/activity'].get.parameters.map((p: { name: string }) => p.name);
    expect(activity).toContain('actor');
    expect(keys.has('GET /healthz') || keys.has('GET /openapi.json')).toBe(false);
  });

  it('answers a known path with another method 405 and an unknown one 404', async () => {
    const r = await sb.call('PATCH', '/v1/admin/roles');
    expect([r.status, r.body, r.headers.get('allow')]).toEqual([
      405,
      { detail: 'Method Not Allowed' },
      'GET, POST',
    ]);
    const u = await sb.call('GET', '/v1/nope');
    expect([u.status, u.body]).toEqual([404, { detail: 'Not Found' }]);
  });
});

describe('unknown-route variants and a hidden OpenAPI document', () => {
  it('html: an nginx 404 page for everything it does not serve', async () => {
    const sb = await startTestSandbox({ api: 'public', unknownRoutes: 'html' });
    try {
      for (const [m, p] of [
        ['GET', '/v1/admin/permissions'],
        ['GET', '/v1/admin/groups/x'],
      ]) {
        const r = await sb.call(m as string, p as string);
        expect(r.status).toBe(404);
        expect(r.headers.get('content-type')).toMatch(/^text\/html/);
        expect(r.text).toContain('<center>nginx</center>');
      }
      expect((await sb.call('GET', '/v1/admin/me')).status).toBe(200);
    } finally {
      await sb.cleanup();
    }
  });

  it('gateway-403: 403 without a FastAPI detail', async () => {
    const sb = await startTestSandbox({ api: 'public', unknownRoutes: 'gateway-403' });
    try {
      for (const [m, p] of [
        ['GET', '/v1/admin/activity'],
        ['GET', '/v1/admin/groups/x'],
      ]) {
        const r = await sb.call(m as string, p as string, { key: null });
        expect([r.status, r.body]).toEqual([403, { message: 'Forbidden' }]);
      }
    } finally {
      await sb.cleanup();
    }
  });

  it('--openapi off: /openapi.json is not found', async () => {
    const sb = await startTestSandbox({ api: 'public', openapi: false });
    try {
      const r = await sb.call('GET', '/openapi.json', { key: null });
      expect([r.status, r.body]).toEqual([404, { detail: 'Not Found' }]);
    } finally {
      await sb.cleanup();
    }
  });
});
