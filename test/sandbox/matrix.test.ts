// The authorization matrix: built-in roles × every route of the sandbox, allowed and denied.
// The expected table below is written out by hand from semantics.md and src/sandbox/routes/*.ts;
// the sandbox is the demo organization, W is its Engineering workspace (Linus Admin, Margaret
// Editor, Ken Reader).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE_PERMISSIONS } from '../../src/domain/permissions.js';
import { manualClock } from '../../src/sandbox/clock.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** A JSON body, typed as the sandbox helper types it. */
type Json = Awaited<ReturnType<TestSandbox['call']>>['body'];

const PRINCIPALS = [
  'admin', // the owner's tenant-admin key (Org Admin)
  'adminPersonal', // Ada (Org Admin), a personal key in W without tenant_admin
  'wsAdmin', // Linus (Org Base), Admin in W
  'editor', // Margaret (Org Base), Editor in W
  'reader', // Ken (Org Base), Reader in W
  'restricted', // Linus's key in W restricted to flows_run
  'outsider', // Katherine (Org Base), Editor in Support, no role in W; her key is a Support key
  'orphan', // Radia's key in W, minted while she was Reader there; she has since left W
  'system', // system key with users:read, workspace:read, org:read
] as const;
type P = (typeof PRINCIPALS)[number];

const UNAUTHENTICATED = ['none', 'bogus', 'revoked', 'expired', 'suspended'] as const;
type U = (typeof UNAUTHENTICATED)[number];

interface Deny {
  deny: string[];
}
/** An allowed call's exact status (404/409/422 mean "passed authorization"), or a 403 naming what is missing. */
type Expect = number | Deny;
const no = (...missing: string[]): Deny => ({ deny: missing });

interface Call {
  path: string;
  body?: unknown;
}
interface Route {
  method: string;
  name: string;
  prepare: (p: P | U) => Promise<Call> | Call;
  expect: Record<P, Expect>;
}

let sbx: TestSandbox;
const keys = {} as Record<P | U, string | null>;
const ids: Record<string, string> = {};
const holderOf: Partial<Record<P, string>> = {};
let n = 0;
const uniq = (prefix: string) => `${prefix}${++n}`;

async function ok(method: string, path: string, body?: unknown, key?: string): Promise<Json> {
  const r = await sbx.call(method, path, { body, key });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${r.text}`);
  return r.body;
}

async function actAs(
  email: string,
  group: string,
  permissions?: string[],
): Promise<{ id: string; value: string }> {
  return ok('POST', '/v1/sandbox/act-as', { user_id: email, group_id: group, permissions });
}

// Fresh targets, made with the owner's key, so that an allowed change never disturbs another row.
const fresh = {
  user: async () =>
    (
      await ok('POST', '/v1/admin/users', {
        email: `${uniq('t')}@example.com`,
        name: 'Target',
        send_invitation: false,
      })
    ).id as string,
  role: async () =>
    (await ok('POST', '/v1/admin/roles', { name: uniq('Role '), permissions: { flows_run: true } })).id,
  group: async () => (await ok('POST', '/v1/admin/groups', { name: uniq('Group '), description: '' })).id,
  member: async () => {
    const id = await fresh.user();
    await ok('PUT', `/v1/admin/groups/${ids.W}/members/${id}`, { role: 'Reader' });
    return id;
  },
  margaretKey: async () => (await actAs('margaret@example.com', 'Engineering')).id,
  systemKey: async () =>
    (await ok('POST', '/v1/admin/system-keys', { name: uniq('sys '), permissions: ['org:read'] }))
      .id as string,
  resource: async (kind: string) =>
    (await ok('POST', `/v1/${kind}`, { name: uniq('res ') }, keys.adminPersonal as string)).id as string,
};

const ALL_WS = [...WORKSPACE_PERMISSIONS];

const self = (p: P | U): string => holderOf[p as P] ?? ids.alan!;

// Columns: admin, adminPersonal, wsAdmin, editor, reader, restricted, outsider, orphan, system.
function row(...cells: Expect[]): Record<P, Expect> {
  expect(cells).toHaveLength(PRINCIPALS.length);
  return Object.fromEntries(PRINCIPALS.map((p, i) => [p, cells[i]])) as Record<P, Expect>;
}
const all = (e: Expect) => row(...PRINCIPALS.map(() => e));
const onlyAdmin = (status: number, perm: string) => row(status, ...PRINCIPALS.slice(1).map(() => no(perm)));
const adminAndSystem = (status: number, perm: string) =>
  row(status, no(perm), no(perm), no(perm), no(perm), no(perm), no(perm), no(perm), status);

function routes(): Route[] {
  const r: Route[] = [
    { method: 'GET', name: '/v1/nodes', prepare: () => ({ path: '/v1/nodes' }), expect: all(200) },
    { method: 'GET', name: '/v1/admin/me', prepare: () => ({ path: '/v1/admin/me' }), expect: all(200) },
    {
      method: 'GET',
      name: '/v1/admin/permissions',
      prepare: () => ({ path: '/v1/admin/permissions' }),
      expect: all(200),
    },
    {
      method: 'GET',
      name: '/v1/admin/roles',
      prepare: () => ({ path: '/v1/admin/roles' }),
      expect: all(200),
    },
    {
      method: 'GET',
      name: '/v1/admin/roles/{id}',
      prepare: () => ({ path: '/v1/admin/roles/Editor' }),
      expect: all(200),
    },
    {
      method: 'POST',
      name: '/v1/admin/roles',
      prepare: () => ({
        path: '/v1/admin/roles',
        body: { name: uniq('New role '), permissions: { kbs_query: true } },
      }),
      expect: onlyAdmin(201, 'org:admin'),
    },
    {
      method: 'DELETE',
      name: '/v1/admin/roles/{id}',
      prepare: async () => ({ path: `/v1/admin/roles/${await fresh.role()}` }),
      expect: onlyAdmin(200, 'org:admin'),
    },
    {
      method: 'GET',
      name: '/v1/admin/users',
      prepare: () => ({ path: '/v1/admin/users' }),
      // Workspace admins (users_edit in their key's workspace) may list users to add them.
      expect: row(
        200,
        200,
        200,
        no('users:read'),
        no('users:read'),
        no('users:read'),
        no('users:read'),
        no('users:read'),
        200,
      ),
    },
    {
      method: 'POST',
      name: '/v1/admin/users',
      prepare: () => ({
        path: '/v1/admin/users',
        body: { email: `${uniq('new')}@example.com`, name: 'New person', send_invitation: false },
      }),
      expect: onlyAdmin(201, 'users:write'),
    },
    {
      method: 'GET',
      name: '/v1/admin/users/{other}',
      prepare: () => ({ path: `/v1/admin/users/${ids.alan}` }),
      expect: adminAndSystem(200, 'users:read'),
    },
    {
      method: 'GET',
      name: '/v1/admin/users/{self}',
      prepare: (p) => ({ path: `/v1/admin/users/${self(p)}` }),
      expect: all(200),
    },
    {
      method: 'PATCH',
      name: '/v1/admin/users/{id}',
      prepare: () => ({ path: `/v1/admin/users/${ids.alan}`, body: { display_name: 'Alan' } }),
      expect: onlyAdmin(200, 'users:write'),
    },
    {
      method: 'DELETE',
      name: '/v1/admin/users/{id}',
      prepare: async () => ({ path: `/v1/admin/users/${await fresh.user()}` }),
      expect: onlyAdmin(200, 'users:delete'),
    },
    {
      method: 'POST',
      name: '/v1/admin/users/{id}/suspend',
      prepare: async () => ({ path: `/v1/admin/users/${await fresh.user()}/suspend` }),
      expect: onlyAdmin(200, 'users:write'),
    },
    {
      method: 'POST',
      name: '/v1/admin/users/{id}/reactivate',
      prepare: async () => {
        const id = await fresh.user();
        await ok('POST', `/v1/admin/users/${id}/suspend`);
        return { path: `/v1/admin/users/${id}/reactivate` };
      },
      expect: onlyAdmin(200, 'users:write'),
    },
    {
      method: 'POST',
      name: '/v1/admin/users/{id}/invitation',
      prepare: async () => ({ path: `/v1/admin/users/${await fresh.user()}/invitation` }),
      expect: onlyAdmin(200, 'users:write'),
    },
    {
      method: 'GET',
      name: '/v1/admin/users/{id}/access',
      prepare: () => ({ path: `/v1/admin/users/${ids.alan}/access` }),
      expect: adminAndSystem(200, 'users:read'),
    },
    {
      method: 'GET',
      name: '/v1/admin/users/{other}/onboarding',
      prepare: () => ({ path: `/v1/admin/users/${ids.alan}/onboarding` }),
      expect: adminAndSystem(200, 'users:read'),
    },
    {
      method: 'GET',
      name: '/v1/admin/users/{self}/onboarding',
      prepare: (p) => ({ path: `/v1/admin/users/${self(p)}/onboarding` }),
      expect: all(200),
    },
    {
      method: 'POST',
      name: '/v1/admin/users/{other}/onboarding/tour',
      prepare: () => ({ path: `/v1/admin/users/${ids.alan}/onboarding/tour` }),
      expect: onlyAdmin(200, 'users:write'),
    },
    {
      method: 'POST',
      name: '/v1/admin/users/{self}/onboarding/tour',
      prepare: (p) => ({ path: `/v1/admin/users/${self(p)}/onboarding/tour` }),
      // A system key has no self.
      expect: row(200, 200, 200, 200, 200, 200, 200, 200, no('users:write')),
    },
    {
      method: 'GET',
      name: '/v1/admin/groups',
      prepare: () => ({ path: '/v1/admin/groups' }),
      expect: all(200),
    },
    {
      method: 'GET',
      name: '/v1/admin/groups/{W}',
      prepare: () => ({ path: `/v1/admin/groups/${ids.W}` }),
      expect: row(200, 200, 200, 200, 200, 200, no('workspace:read'), no('workspace:read'), 200),
    },
    {
      method: 'POST',
      name: '/v1/admin/groups',
      prepare: () => ({ path: '/v1/admin/groups', body: { name: uniq('Team '), description: 'new' } }),
      expect: onlyAdmin(201, 'workspace:write'),
    },
    {
      method: 'PATCH',
      name: '/v1/admin/groups/{W}',
      prepare: () => ({
        path: `/v1/admin/groups/${ids.W}`,
        body: { description: 'Engineering team workspace' },
      }),
      expect: onlyAdmin(200, 'workspace:write'),
    },
    {
      method: 'DELETE',
      name: '/v1/admin/groups/{id}',
      prepare: async () => ({ path: `/v1/admin/groups/${await fresh.group()}` }),
      expect: onlyAdmin(200, 'workspace:write'),
    },
    {
      method: 'GET',
      name: '/v1/admin/groups/{W}/members',
      prepare: () => ({ path: `/v1/admin/groups/${ids.W}/members` }),
      expect: row(200, 200, 200, 200, 200, 200, no('workspace:read'), no('workspace:read'), 200),
    },
    {
      method: 'PUT',
      name: '/v1/admin/groups/{W}/members/{user}',
      prepare: async () => ({
        path: `/v1/admin/groups/${ids.W}/members/${await fresh.user()}`,
        body: { role: 'Reader' },
      }),
      expect: row(
        201,
        201,
        201,
        no('users_edit'),
        no('users_edit'),
        no('users_edit'),
        no('users:write'),
        no('users_edit'),
        no('users:write'),
      ),
    },
    {
      method: 'DELETE',
      name: '/v1/admin/groups/{W}/members/{user}',
      prepare: async () => ({ path: `/v1/admin/groups/${ids.W}/members/${await fresh.member()}` }),
      expect: row(
        200,
        200,
        200,
        no('users_delete'),
        no('users_delete'),
        no('users_delete'),
        no('users:write'),
        no('users_delete'),
        no('users:write'),
      ),
    },
    {
      method: 'POST',
      name: '/v1/admin/transfers',
      prepare: () => ({ path: '/v1/admin/transfers', body: { from_user: ids.alan, to_user: ids.radia } }),
      expect: onlyAdmin(200, 'users:write'),
    },
    {
      method: 'GET',
      name: '/v1/admin/activity',
      prepare: () => ({ path: '/v1/admin/activity?size=5' }),
      expect: adminAndSystem(200, 'org:read'),
    },
    {
      method: 'POST',
      name: '/v1/admin/groups/{W}/api-keys',
      prepare: () => ({ path: `/v1/admin/groups/${ids.W}/api-keys`, body: { name: uniq('key ') } }),
      // Anyone with a role in W makes their own key there; the orphan has no role left (403 from the
      // model: nothing to bound the key by).
      expect: row(201, 201, 201, 201, 201, 201, no('users:write'), no(), no('users:write')),
    },
    {
      method: 'GET',
      name: '/v1/admin/api-keys',
      prepare: () => ({ path: '/v1/admin/api-keys' }),
      expect: all(200),
    },
    {
      method: 'GET',
      name: "/v1/admin/api-keys/{Margaret's W key}",
      prepare: () => ({ path: `/v1/admin/api-keys/${ids.margaretKey}` }),
      // Keys a principal may not see are 404, not 403.
      expect: row(200, 200, 200, 200, 404, 404, 404, 404, 200),
    },
    {
      method: 'DELETE',
      name: "/v1/admin/api-keys/{Margaret's W key}",
      prepare: async () => ({ path: `/v1/admin/api-keys/${await fresh.margaretKey()}` }),
      // The holder may always revoke their own key (revoking only takes power away).
      expect: row(200, 200, 200, 200, 404, 404, 404, 404, no('users:write')),
    },
    {
      method: 'POST',
      name: "/v1/admin/api-keys/{Margaret's W key}/rotate",
      prepare: async () => ({ path: `/v1/admin/api-keys/${await fresh.margaretKey()}/rotate`, body: {} }),
      // Between two keys of one holder the restrictions are compared (D3 b): both are unrestricted.
      expect: row(201, 201, 201, 201, 404, 404, 404, 404, no('users:write')),
    },
    {
      method: 'GET',
      name: '/v1/admin/system-keys',
      prepare: () => ({ path: '/v1/admin/system-keys' }),
      expect: onlyAdmin(200, 'org:admin'),
    },
    {
      method: 'POST',
      name: '/v1/admin/system-keys',
      prepare: () => ({
        path: '/v1/admin/system-keys',
        body: { name: uniq('sys '), permissions: ['org:read'] },
      }),
      expect: onlyAdmin(201, 'org:admin'),
    },
    {
      method: 'DELETE',
      name: '/v1/admin/system-keys/{id}',
      prepare: async () => ({ path: `/v1/admin/system-keys/${await fresh.systemKey()}` }),
      expect: onlyAdmin(200, 'org:admin'),
    },
    {
      method: 'POST',
      name: '/v1/admin/system-keys/{id}/rotate',
      prepare: async () => ({ path: `/v1/admin/system-keys/${await fresh.systemKey()}/rotate`, body: {} }),
      expect: onlyAdmin(201, 'org:admin'),
    },
    {
      method: 'POST',
      name: '/v1/sandbox/act-as',
      prepare: () => ({ path: '/v1/sandbox/act-as', body: { user_id: ids.alan, group_id: 'Support' } }),
      expect: onlyAdmin(201, 'org:admin'),
    },
  ];

  // Workspace resources act in the key's own workspace: the owner's key is a Default key and the
  // outsider's a Support key, so W's resources are 404 to them once authorization has passed.
  const kinds = [
    { path: 'workflows', read: 'flows_run', edit: 'flows_edit', del: 'flows_delete', run: 'run' },
    { path: 'agents', read: 'agents_run', edit: 'agents_edit', del: 'agents_delete', run: 'run' },
    { path: 'knowledge-bases', read: 'kbs_query', edit: 'kbs_edit', del: 'kbs_delete', run: 'query' },
  ];
  for (const k of kinds) {
    // The restricted key (flows_run) reads and runs flows only.
    const restrictedRead = k.read === 'flows_run' ? 200 : no(k.read);
    const target = () => ids[k.path] as string;
    r.push(
      {
        method: 'GET',
        name: `/v1/${k.path}`,
        prepare: () => ({ path: `/v1/${k.path}` }),
        expect: row(200, 200, 200, 200, 200, restrictedRead, 200, no(k.read), no(k.read)),
      },
      {
        method: 'GET',
        name: `/v1/${k.path}/{id}`,
        prepare: () => ({ path: `/v1/${k.path}/${target()}` }),
        expect: row(404, 200, 200, 200, 200, restrictedRead, 404, no(k.read), no(k.read)),
      },
      {
        method: 'POST',
        name: `/v1/${k.path}`,
        prepare: () => ({ path: `/v1/${k.path}`, body: { name: uniq('made ') } }),
        expect: row(201, 201, 201, 201, no(k.edit), no(k.edit), 201, no(k.edit), no(k.edit)),
      },
      {
        method: 'PATCH',
        name: `/v1/${k.path}/{id}`,
        prepare: () => ({ path: `/v1/${k.path}/${target()}`, body: { description: 'patched' } }),
        expect: row(404, 200, 200, 200, no(k.edit), no(k.edit), 404, no(k.edit), no(k.edit)),
      },
      {
        method: 'PUT',
        name: `/v1/${k.path}/{id}`,
        prepare: () => ({
          path: `/v1/${k.path}/${target()}`,
          body: { name: 'replaced', description: 'put' },
        }),
        expect: row(404, 200, 200, 200, no(k.edit), no(k.edit), 404, no(k.edit), no(k.edit)),
      },
      {
        method: 'DELETE',
        name: `/v1/${k.path}/{id}`,
        prepare: async () => ({ path: `/v1/${k.path}/${await fresh.resource(k.path)}` }),
        expect: row(404, 204, 204, 204, no(k.del), no(k.del), 404, no(k.del), no(k.del)),
      },
      {
        method: 'POST',
        name: `/v1/${k.path}/{id}/${k.run}`,
        prepare: () => ({ path: `/v1/${k.path}/${target()}/${k.run}` }),
        expect: row(404, 200, 200, 200, 200, restrictedRead, 404, no(k.read), no(k.read)),
      },
    );
  }
  return r;
}

// The sandbox's time stands still unless the test moves it: the expired key expires by moving the
// clock past its expiry, not by waiting.
const clock = manualClock(new Date());

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo', clock });
  const W = (await ok('GET', '/v1/admin/groups/Engineering')).id as string;
  ids.W = W;
  const expiresAt = new Date(clock().getTime() + 1000).toISOString();
  const expiring = await ok('POST', `/v1/admin/groups/${W}/api-keys`, {
    name: 'expiring',
    expires_at: expiresAt,
  });
  for (const email of ['alan', 'radia', 'ada', 'linus', 'margaret', 'ken', 'katherine', 'dennis']) {
    ids[email] = (await ok('GET', `/v1/admin/users/${email}@example.com`)).id;
  }
  keys.admin = sbx.adminKey;
  holderOf.admin = (await ok('GET', '/v1/admin/me')).holder.id;
  keys.adminPersonal = (await actAs('ada@example.com', 'Engineering')).value;
  holderOf.adminPersonal = ids.ada;
  keys.wsAdmin = (await actAs('linus@example.com', 'Engineering')).value;
  holderOf.wsAdmin = ids.linus;
  keys.editor = (await actAs('margaret@example.com', 'Engineering')).value;
  holderOf.editor = ids.margaret;
  keys.reader = (await actAs('ken@example.com', 'Engineering')).value;
  holderOf.reader = ids.ken;
  keys.restricted = (await actAs('linus@example.com', 'Engineering', ['flows_run'])).value;
  holderOf.restricted = ids.linus;
  keys.outsider = (await actAs('katherine@example.com', 'Support')).value;
  holderOf.outsider = ids.katherine;
  await ok('PUT', `/v1/admin/groups/${W}/members/${ids.radia}`, { role: 'Reader' });
  keys.orphan = (await actAs('radia@example.com', 'Engineering')).value;
  holderOf.orphan = ids.radia;
  await ok('DELETE', `/v1/admin/groups/${W}/members/${ids.radia}`);
  keys.system = (
    await ok('POST', '/v1/admin/system-keys', {
      name: 'auditor',
      permissions: ['users:read', 'workspace:read', 'org:read'],
    })
  ).value;

  ids.margaretKey = (await actAs('margaret@example.com', 'Engineering')).id;
  for (const kind of ['workflows', 'agents', 'knowledge-bases']) ids[kind] = await fresh.resource(kind);

  keys.none = null;
  keys.bogus = `noxus_${'x'.repeat(43)}`;
  const revoked = await actAs('alan@example.com', 'Support');
  await ok('DELETE', `/v1/admin/api-keys/${revoked.id}`);
  keys.revoked = revoked.value;
  keys.suspended = (await actAs('dennis@example.com', 'Marketing')).value;
  await ok('POST', `/v1/admin/users/${ids.dennis}/suspend`);
  keys.expired = expiring.value;
  clock.advance(1000);
});

afterAll(async () => {
  await sbx.cleanup();
});

describe('built-in roles × routes', () => {
  for (const route of routes()) {
    it(`${route.method} ${route.name}`, async () => {
      const mismatches: string[] = [];
      for (const p of PRINCIPALS) {
        const call = await route.prepare(p);
        const r = await sbx.call(route.method, call.path, { key: keys[p], body: call.body });
        const want = route.expect[p];
        if (typeof want === 'number') {
          if (r.status !== want)
            mismatches.push(`${p}: want ${want}, got ${r.status} ${r.text.slice(0, 200)}`);
        } else if (
          r.status !== 403 ||
          typeof r.body?.detail !== 'string' ||
          r.body.detail.length === 0 ||
          JSON.stringify(r.body.missing) !== JSON.stringify(want.deny)
        ) {
          mismatches.push(
            `${p}: want 403 missing ${JSON.stringify(want.deny)}, got ${r.status} ${r.text.slice(0, 200)}`,
          );
        }
      }
      expect(mismatches).toEqual([]);
    });
  }
});

describe('unauthenticated callers', () => {
  const why: Record<U, RegExp> = {
    none: /^missing API key: send it in the X-API-Key header$/,
    bogus: /^invalid API key$/,
    revoked: /^API key revoked \(revoked\)$/,
    expired: /^API key expired at \d{4}-/,
    suspended: /^key holder is not active \(dennis@example\.com is suspended\)$/,
  };
  for (const u of UNAUTHENTICATED) {
    it(`${u}: 401 {detail} on every route`, async () => {
      const mismatches: string[] = [];
      for (const route of routes()) {
        const call = await route.prepare(u);
        const r = await sbx.call(route.method, call.path, { key: keys[u], body: call.body });
        if (r.status !== 401 || !why[u].test(r.body?.detail ?? '') || !r.headers.get('x-request-id'))
          mismatches.push(`${route.method} ${route.name}: ${r.status} ${r.text.slice(0, 200)}`);
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('Bearer with a revoked key is 401 too', async () => {
    const r = await sbx.call('GET', '/v1/admin/me', {
      key: null,
      headers: { authorization: `Bearer ${keys.revoked}` },
    });
    expect(r.status).toBe(401);
  });

  it('the health check and invitation routes need no key', async () => {
    const health = await sbx.call('GET', '/healthz', { key: null });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true, organization: 'Noxus Sandbox' });
    const inv = await sbx.call('GET', '/v1/invitations/not-a-token', { key: null });
    expect(inv.status).toBe(404);
    expect(inv.body.detail).toMatch(/^invitation not found/);
    const accept = await sbx.call('POST', '/v1/invitations/not-a-token/accept', { key: null, body: {} });
    expect(accept.status).toBe(404);
  });
});

describe('what each principal sees', () => {
  const names = async (p: P) =>
    ((await sbx.call('GET', '/v1/admin/groups', { key: keys[p] })).body as Array<{ name: string }>).map(
      (g) => g.name,
    );

  it('GET /v1/admin/groups: all for org readers, the own workspace for others, nothing without a role', async () => {
    const everything = await names('admin');
    expect(everything).toEqual(
      expect.arrayContaining(['Default', 'Engineering', 'Finance', 'Marketing', 'Support']),
    );
    expect(await names('system')).toEqual(everything);
    for (const p of ['adminPersonal', 'wsAdmin', 'editor', 'reader', 'restricted'] as const)
      expect(await names(p)).toEqual(['Engineering']);
    expect(await names('outsider')).toEqual(['Support']);
    expect(await names('orphan')).toEqual([]);
  });

  it('GET /v1/admin/api-keys: a Reader sees only the keys they hold', async () => {
    const r = await sbx.call('GET', '/v1/admin/api-keys', { key: keys.reader });
    expect(r.status).toBe(200);
    expect(r.body.items.length).toBeGreaterThan(0);
    for (const k of r.body.items) expect(k.holder_id).toBe(ids.ken);
    const admin = await sbx.call('GET', `/v1/admin/api-keys?holder_id=${ids.ken}`);
    expect(r.body.total).toBe(admin.body.total);
  });

  it('a denial says whether the role or the restriction refused it', async () => {
    const byRole = await sbx.call('POST', '/v1/workflows', { key: keys.reader, body: { name: 'x' } });
    expect(byRole.status).toBe(403);
    expect(byRole.body).toMatchObject({ missing: ['flows_edit'], denied_by: 'role' });
    expect(byRole.body.detail).toContain('ken@example.com does not have it in this workspace');
    const byRestriction = await sbx.call('POST', '/v1/workflows', {
      key: keys.restricted,
      body: { name: 'x' },
    });
    expect(byRestriction.status).toBe(403);
    expect(byRestriction.body).toMatchObject({ missing: ['flows_edit'], denied_by: 'restriction' });
    const sys = await sbx.call('GET', '/v1/workflows', { key: keys.system });
    expect(sys.body.detail).toContain('a system key has no workspace');
  });

  it('a key minted through the restricted key inherits its restriction', async () => {
    const r = await sbx.call('POST', `/v1/admin/groups/${ids.W}/api-keys`, {
      key: keys.restricted,
      body: { name: 'child' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      restricted: true,
      permissions: ['flows_run'],
      effective_permissions: ['flows_run'],
    });
  });

  it('without users:read, a user lookup is 403 whether or not the user exists (no enumeration)', async () => {
    for (const ref of ['nobody@example.com', 'alan@example.com', '00000000-0000-0000-0000-000000000000']) {
      const r = await sbx.call('GET', `/v1/admin/users/${ref}`, { key: keys.editor });
      expect(r.status).toBe(403);
      expect(r.body.missing).toEqual(['users:read']);
      const o = await sbx.call('GET', `/v1/admin/users/${ref}/onboarding`, { key: keys.editor });
      expect(o.status).toBe(403);
    }
    expect((await sbx.call('GET', '/v1/admin/users/nobody@example.com')).status).toBe(404);
  });
});

describe('no escalation through keys', () => {
  it('a key without org powers cannot mint a tenant-admin key, even for an org admin', async () => {
    const r = await sbx.call('POST', `/v1/admin/groups/${ids.W}/api-keys`, {
      key: keys.adminPersonal,
      body: { name: 'escalate', tenant_admin: true },
    });
    expect(r.status).toBe(403);
    expect(r.body.missing).toEqual(['org:admin']);
    const ok2 = await sbx.call('POST', `/v1/admin/groups/${ids.W}/api-keys`, {
      body: { name: 'owner tenant admin', tenant_admin: true },
    });
    expect(ok2.status).toBe(201);
    expect(ok2.body.tenant_admin).toBe(true);
  });

  it('a restricted key cannot rotate a broader key of its holder, but can rotate itself', async () => {
    const broad = await actAs('linus@example.com', 'Engineering');
    const r = await sbx.call('POST', `/v1/admin/api-keys/${broad.id}/rotate`, {
      key: keys.restricted,
      body: {},
    });
    expect(r.status).toBe(403);
    expect(r.body.denied_by).toBe('restriction');
    expect(r.body.missing).toContain('flows_edit');
    expect(r.body.missing).not.toContain('flows_run');
    expect((await sbx.call('GET', '/v1/admin/me', { key: broad.value })).status).toBe(200);

    const mine = await actAs('linus@example.com', 'Engineering', ['flows_run']);
    const rot = await sbx.call('POST', `/v1/admin/api-keys/${mine.id}/rotate`, { key: mine.value, body: {} });
    expect(rot.status).toBe(201);
    expect(rot.body.permissions).toEqual(['flows_run']);
  });

  it("a personal key cannot rotate its holder's key of another workspace, but may revoke it", async () => {
    const support = await actAs('margaret@example.com', 'Support');
    const r = await sbx.call('POST', `/v1/admin/api-keys/${support.id}/rotate`, {
      key: keys.editor,
      body: {},
    });
    // The calling key has no permission in Support, so it holds less than the key there (D2, D3).
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe(
      `missing permission ${ALL_WS.join(', ')}: the calling key cannot rotate a key that holds more than it does`,
    );
    // Revoking only takes power away: the holder may always revoke their own key.
    const del = await sbx.call('DELETE', `/v1/admin/api-keys/${support.id}`, { key: keys.editor });
    expect(del.status).toBe(200);
    expect(del.body.status).toBe('revoked');
  });

  it('a system key cannot make system keys, not even by rotation', async () => {
    const orgAdminKey = (
      await ok('POST', '/v1/admin/system-keys', { name: 'org admin sys', permissions: ['org:admin'] })
    ).value as string;
    const target = await fresh.systemKey();
    const rot = await sbx.call('POST', `/v1/admin/system-keys/${target}/rotate`, {
      key: orgAdminKey,
      body: {},
    });
    expect(rot.status).toBe(403);
    expect(rot.body.missing).toEqual(['org:admin']);
    const create = await sbx.call('POST', '/v1/admin/system-keys', {
      key: orgAdminKey,
      body: { name: 'child', permissions: ['org:read'] },
    });
    expect(create.status).toBe(403);
    const list = (await ok('GET', '/v1/admin/system-keys')) as Array<{ id: string; status: string }>;
    expect(list.find((k) => k.id === target)?.status).toBe('active');
  });

  it('users:write alone cannot make or unmake an org admin', async () => {
    const hr = (await ok('POST', '/v1/admin/system-keys', { name: 'hr sync', permissions: ['users:write'] }))
      .value as string;
    const made = await sbx.call('POST', '/v1/admin/users', {
      key: hr,
      body: { email: 'boss@example.com', name: 'Boss', org_role: 'Org Admin', send_invitation: false },
    });
    expect(made.status).toBe(403);
    expect(made.body.missing).toEqual(['org:admin']);
    expect((await sbx.call('GET', '/v1/admin/users/boss@example.com')).status).toBe(404);

    const base = await sbx.call('POST', '/v1/admin/users', {
      key: hr,
      body: { email: 'staff@example.com', name: 'Staff', org_role: 'Org Base', send_invitation: false },
    });
    expect(base.status).toBe(201);
    const promote = await sbx.call('PATCH', `/v1/admin/users/${base.body.id}`, {
      key: hr,
      body: { org_role: 'org_admin' },
    });
    expect(promote.status).toBe(403);
    const demote = await sbx.call('PATCH', `/v1/admin/users/${ids.ada}`, {
      key: hr,
      body: { org_role: 'Org Base' },
    });
    expect(demote.status).toBe(403);
    expect((await ok('GET', `/v1/admin/users/${ids.ada}`)).tenant_admin).toBe(true);
    const rename = await sbx.call('PATCH', `/v1/admin/users/${ids.ada}`, {
      key: hr,
      body: { display_name: 'Ada L.' },
    });
    expect(rename.status).toBe(200);
  });
});
