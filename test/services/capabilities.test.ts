import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { FEATURES, type FeatureId } from '../../src/domain/features.js';
import { NotAvailableError } from '../../src/errors.js';
import {
  COMMANDS,
  classifyProbe,
  discoverCapabilities,
  parseOpenApi,
  publicVerdict,
  statesFromOpenApi,
} from '../../src/services/capabilities.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const BASE = 'https://api.noxus.test';
const KEY = 'noxus_CapsTestKey0123456789';
const JSON_H = { 'content-type': 'application/json' };
const ME = { id: 'k1', name: 'admin', tenant_admin: true, value: 'noxus_***' };

/** The public API as an OpenAPI document: keys are created with {name, tenant_admin} only. */
function publicDoc(keyBodyProps: string[] = ['name', 'tenant_admin']) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const f of FEATURES) {
    if (!f.public) continue;
    for (const r of f.routes) {
      const [m, p] = r.split(' ') as [string, string];
      paths[p] ??= {};
      (paths[p] as Record<string, unknown>)[m.toLowerCase()] = { responses: {} };
    }
  }
  paths['/v1/admin/groups/{group_id}/api-keys'] = {
    post: {
      requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/KeyIn' } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Noxus', version: '2.4.1' },
    paths,
    components: {
      schemas: {
        KeyIn: {
          allOf: [{ properties: Object.fromEntries(keyBodyProps.map((n) => [n, { type: 'string' }])) }],
        },
      },
    },
  };
}

function mock() {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  const client = new ApiClient({ baseUrl: BASE, apiKey: KEY, dispatcher: agent, sleep: async () => {} });
  return { agent, pool: agent.get(BASE), client };
}

const tmpCache = () => join(mkdtempSync(join(tmpdir(), 'noxus-caps-')), 'capabilities.json');

describe('capabilities from /openapi.json', () => {
  it('reads routes and the request-body fields of features that add fields', async () => {
    const { agent, pool, client } = mock();
    pool.intercept({ path: '/openapi.json', method: 'GET' }).reply(200, publicDoc(), { headers: JSON_H });
    pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, ME, { headers: JSON_H });
    const caps = await discoverCapabilities({ client, server: BASE, profileName: 'p', apiKey: KEY });
    agent.assertNoPendingInterceptors();
    expect(caps.source).toBe('openapi');
    expect(caps.extra.fingerprint).toMatch(/^2\.4\.1:[0-9a-f]{16}$/);
    expect(caps.has('keys.create')).toBe(true);
    expect(caps.has('keys.restrict')).toBe(false);
    expect(caps.reason('keys.restrict')).toBe(
      'POST /v1/admin/groups/{group_id}/api-keys takes no permissions in /openapi.json',
    );
    expect(caps.reason('members.list')).toBe('/openapi.json has no GET /v1/admin/groups/{group_id}/members');
    expect(caps.missing(['keys.create', 'keys.owner', 'users.list', 'activity'])).toEqual([
      'keys.owner',
      'activity',
    ]);
    let err: unknown;
    try {
      caps.require('keys.restrict');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotAvailableError);
    const n = err as NotAvailableError;
    expect(n.exitCode).toBe(8);
    expect(n.message).toBe(
      'restricted keys are not available on this server (POST /v1/admin/groups/{group_id}/api-keys takes no permissions in /openapi.json)',
    );
    expect(n.data).toEqual({ feature: 'keys.restrict' });
    expect(n.hint).toBe(
      'in the Noxus web console: Workspace Control → API keys → Restrict permissions\nnoxus doctor lists what this server supports',
    );
  });

  it('a body schema with the extension field makes the feature available', () => {
    const routes = parseOpenApi(publicDoc(['name', 'tenant_admin', 'permissions', 'expires_at']));
    const states = statesFromOpenApi(routes as Map<string, Set<string>>);
    expect(states.get('keys.restrict')).toEqual({ available: true, reason: 'listed in /openapi.json' });
    expect(states.get('keys.expiry')?.available).toBe(true);
    expect(states.get('keys.owner')?.available).toBe(false);
  });

  it('parameter names do not matter and garbage documents are refused', () => {
    const routes = parseOpenApi({ paths: { '/v1/admin/groups/{id}/members': { get: {} }, bad: 1 } });
    expect([...(routes?.keys() ?? [])]).toEqual(['GET /v1/admin/groups/{}/members']);
    expect(parseOpenApi([1, 2, 3])).toBeUndefined();
    expect(parseOpenApi({ paths: 'x' })).toBeUndefined();
    expect(parseOpenApi(null)).toBeUndefined();
  });
});

describe('capabilities by probing', () => {
  const probes = [
    '/v1/admin/permissions',
    '/v1/admin/api-keys?size=1',
    '/v1/admin/activity?size=1',
    '/v1/admin/users/u1/access',
    '/v1/admin/groups/g1/members?size=1',
  ];

  function publicServer(unknown: { status: number; body: string; type: string }) {
    const m = mock();
    const miss = () => m.pool.intercept({ path: /.*/, method: 'GET' });
    m.pool.intercept({ path: '/openapi.json', method: 'GET' }).reply(unknown.status, unknown.body, {
      headers: { 'content-type': unknown.type },
    });
    m.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, ME, { headers: JSON_H });
    m.pool
      .intercept({ path: '/v1/admin/users?size=1', method: 'GET' })
      .reply(200, [{ id: 'u1', email: 'a@x.io', display_name: 'A', tenant_admin: true, is_active: true }], {
        headers: JSON_H,
      });
    m.pool
      .intercept({ path: '/v1/admin/groups', method: 'GET' })
      .reply(200, [{ id: 'g1', name: 'Main', description: '' }], { headers: JSON_H });
    for (const p of probes) {
      m.pool
        .intercept({ path: p, method: 'GET' })
        .reply(unknown.status, unknown.body, { headers: { 'content-type': unknown.type } });
    }
    void miss;
    return m;
  }

  it.each([
    [
      'FastAPI 404',
      { status: 404, body: '{"detail":"Not Found"}', type: 'application/json' },
      'answered 404 Not Found',
    ],
    [
      'an nginx HTML page',
      { status: 404, body: '<html>404</html>', type: 'text/html' },
      'answered 404 with an HTML page',
    ],
    [
      'a gateway 403',
      { status: 403, body: '{"message":"Forbidden"}', type: 'application/json' },
      'answered 403 without a FastAPI body (a gateway refusing unknown routes)',
    ],
  ])(
    'a public-only server behind %s: public features assumed, extensions missing',
    async (_n, unknown, why) => {
      const { agent, client } = publicServer(unknown);
      const caps = await discoverCapabilities({ client, server: BASE, profileName: 'p', apiKey: KEY });
      agent.assertNoPendingInterceptors();
      expect(caps.source).toBe('probe');
      for (const f of FEATURES) expect([f.id, caps.has(f.id as FeatureId)]).toEqual([f.id, f.public]);
      expect(caps.reason('users.remove')).toBe(`GET /v1/admin/users/u1/access ${why}`);
      expect(caps.reason('users.list')).toBe('public API (assumed)');
    },
  );

  it('classifies what a probe answer says about a route', () => {
    expect(classifyProbe('GET /x', 404, 'application/json', '{"detail":"user not found"}').present).toBe(
      true,
    );
    expect(classifyProbe('GET /x', 405, 'application/json', '{"detail":"Method Not Allowed"}').present).toBe(
      false,
    );
    expect(classifyProbe('GET /x', 403, 'application/json', '{"detail":"missing users:read"}')).toEqual({
      present: true,
      reason: 'GET /x answered 403 to this key (missing users:read)',
    });
    expect(classifyProbe('GET /x', 500, 'text/plain', 'oops').present).toBe(false);
    expect(classifyProbe('GET /x', 404, 'application/json', 'garbage').present).toBe(false);
  });
});

describe('the capability cache', () => {
  it('is used within its TTL for the same profile, server and key; refreshed otherwise', async () => {
    const file = tmpCache();
    let now = 1_000_000;
    const first = mock();
    first.pool
      .intercept({ path: '/openapi.json', method: 'GET' })
      .reply(200, publicDoc(), { headers: JSON_H });
    first.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, ME, { headers: JSON_H });
    const base = { server: BASE, profileName: 'p', apiKey: KEY, cacheFile: file, now: () => now };
    await discoverCapabilities({ ...base, client: first.client });
    first.agent.assertNoPendingInterceptors();
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toEqual([`p ${BASE}`]);
    expect(readFileSync(file, 'utf8')).not.toContain(KEY);

    // No interceptors and no network: any request would fail.
    const offline = mock();
    now += 60_000;
    const cached = await discoverCapabilities({ ...base, client: offline.client });
    expect(cached.source).toBe('cache');
    expect(cached.has('keys.restrict')).toBe(false);
    expect(cached.extra.fingerprint).toMatch(/^2\.4\.1:/);
    expect(cached.extra.key?.tenant_admin).toBe(true);

    // Expired, or another key: discovered again.
    for (const o of [{ now: () => now + 25 * 3600_000 }, { apiKey: 'noxus_other' }, { refresh: true }]) {
      const again = mock();
      again.pool
        .intercept({ path: '/openapi.json', method: 'GET' })
        .reply(200, publicDoc(['name', 'tenant_admin', 'permissions']), { headers: JSON_H });
      again.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, ME, { headers: JSON_H });
      const fresh = await discoverCapabilities({ ...base, ...o, client: again.client });
      again.agent.assertNoPendingInterceptors();
      expect(fresh.source).toBe('openapi');
      expect(fresh.has('keys.restrict')).toBe(true);
    }
  });
});

describe('COMMANDS', () => {
  it('marks the three guided commands and knows the public verdicts', () => {
    expect(
      Object.entries(COMMANDS)
        .filter(([, c]) => c.guided)
        .map(([n]) => n),
    ).toEqual(['users add', 'ws add-member', 'offboard']);
    expect(publicVerdict('keys create')).toBe('works');
    expect(publicVerdict('keys system rotate')).toBe('works');
    expect(publicVerdict('users add')).toBe('guided');
    expect(publicVerdict('activity')).toBe('not available');
  });
});

describe('against a real sandbox (full extended API)', () => {
  let served: TestSandbox;
  let hidden: TestSandbox;
  beforeAll(async () => {
    [served, hidden] = await Promise.all([
      startTestSandbox({ seed: 'demo' }),
      startTestSandbox({ seed: 'demo', openapi: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([served?.cleanup(), hidden?.cleanup()]);
  });

  it.each([
    ['its /openapi.json', () => served, 'openapi'],
    ['probing, /openapi.json hidden', () => hidden, 'probe'],
  ])('finds every feature from %s', async (_n, sbx, source) => {
    const s = sbx();
    const client = new ApiClient({ baseUrl: s.url, apiKey: s.adminKey });
    const caps = await discoverCapabilities({ client, server: s.url, profileName: 'p', apiKey: s.adminKey });
    await client.close();
    expect(caps.source).toBe(source);
    expect(
      FEATURES.filter((f) => !caps.has(f.id as FeatureId)).map((f) => [f.id, caps.reason(f.id as FeatureId)]),
    ).toEqual([]);
    expect(caps.extra.key?.tenant_admin).toBe(true);
  });
});
