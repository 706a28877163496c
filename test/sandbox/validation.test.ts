// Bad input gets a precise 4xx (422 with a field-level detail, 413, 415) and changes nothing:
// users, workspaces, members, roles, keys, resources and the activity log are compared before and
// after every case. Unicode is accepted and round-trips.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** A JSON body, typed as the sandbox helper types it. */
type Json = Awaited<ReturnType<TestSandbox['call']>>['body'];

let sbx: TestSandbox;
const ids: Record<string, string> = {};
let inviteToken = '';

interface Case {
  name: string;
  method: string;
  path: () => string;
  /** A string is sent as is (with a JSON content type unless `contentType` says otherwise). */
  body?: unknown;
  contentType?: string;
  key?: string | null;
  status: number;
  /** The exact detail, or a check of it. */
  detail: unknown | ((detail: Json) => void);
}

/** A 422 detail with one entry; msg matched exactly (string) or by pattern. */
const one = (loc: Array<string | number>, type: string, msg?: string | RegExp) => (detail: Json) => {
  expect(Array.isArray(detail), JSON.stringify(detail)).toBe(true);
  expect(detail).toHaveLength(1);
  expect(detail[0].loc).toEqual(loc);
  expect(detail[0].type).toBe(type);
  expect(typeof detail[0].msg).toBe('string');
  if (typeof msg === 'string') expect(detail[0].msg).toBe(msg);
  else if (msg) expect(detail[0].msg).toMatch(msg);
};

const long = (n: number, c = 'a') => c.repeat(n);
const MB = 1024 * 1024;

const cases: Case[] = [
  // ---- malformed JSON ----
  {
    name: 'truncated JSON',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: '{"email": "a@example.com", "name": ',
    status: 422,
    detail: one(['body'], 'json_invalid', /^invalid JSON body: /),
  },
  {
    name: 'not JSON at all, sent as JSON',
    method: 'POST',
    path: () => '/v1/admin/groups',
    body: 'name=Ops',
    status: 422,
    detail: one(['body'], 'json_invalid', /^invalid JSON body: /),
  },
  {
    name: 'an empty body sent as JSON',
    method: 'POST',
    path: () => '/v1/admin/roles',
    body: '',
    status: 422,
    detail: one(['body'], 'json_invalid', /Body cannot be empty/),
  },
  {
    name: 'a JSON array instead of an object',
    method: 'POST',
    path: () => '/v1/admin/groups',
    body: '[{"name": "Ops"}]',
    status: 422,
    detail: one(['body'], 'type', 'must be object'),
  },
  {
    name: 'JSON null instead of an object',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: 'null',
    status: 422,
    detail: one(['body'], 'type', 'must be object'),
  },
  {
    name: 'a __proto__ key (prototype poisoning)',
    method: 'POST',
    path: () => '/v1/admin/groups',
    body: '{"name": "Poison", "__proto__": {"admin": true}}',
    status: 422,
    detail: one(['body'], 'json_invalid'),
  },
  {
    name: 'an unsupported content type',
    method: 'POST',
    path: () => '/v1/admin/groups',
    body: '<group name="Ops"/>',
    contentType: 'application/xml',
    status: 415,
    detail: 'unsupported content type; send application/json',
  },
  {
    name: 'a required field missing',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: 'nameless@example.com' },
    status: 422,
    detail: [{ loc: ['body', 'name'], msg: 'field required', type: 'missing' }],
  },

  // ---- unknown fields ----
  {
    name: 'an unknown field on a workspace',
    method: 'POST',
    path: () => '/v1/admin/groups',
    body: { name: 'Colourful', description: '', color: 'red' },
    status: 422,
    detail: [{ loc: ['body', 'color'], msg: 'unknown field', type: 'extra_forbidden' }],
  },
  {
    name: 'an unknown field on a user',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: 'extra@example.com', name: 'Extra', role: 'Editor' },
    status: 422,
    detail: [{ loc: ['body', 'role'], msg: 'unknown field', type: 'extra_forbidden' }],
  },
  {
    name: 'an unknown field nested in workspaces[0]',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: {
      email: 'nested@example.com',
      name: 'Nested',
      workspaces: [{ group_id: 'Ops', role: 'Reader', admin: true }],
    },
    status: 422,
    detail: [{ loc: ['body', 'workspaces', 0, 'admin'], msg: 'unknown field', type: 'extra_forbidden' }],
  },
  {
    name: 'status is not a field of PATCH /users',
    method: 'PATCH',
    path: () => `/v1/admin/users/${ids.pat}`,
    body: { status: 'active' },
    status: 422,
    detail: [{ loc: ['body', 'status'], msg: 'unknown field', type: 'extra_forbidden' }],
  },
  {
    name: 'an unknown field on a key',
    method: 'POST',
    path: () => `/v1/admin/groups/${ids.ops}/api-keys`,
    body: { name: 'scoped', scopes: ['flows_run'] },
    status: 422,
    detail: [{ loc: ['body', 'scopes'], msg: 'unknown field', type: 'extra_forbidden' }],
  },
  {
    name: 'owner_id cannot be set on a workflow',
    method: 'POST',
    path: () => '/v1/workflows',
    body: { name: 'mine', owner_id: 'someone' },
    status: 422,
    detail: [{ loc: ['body', 'owner_id'], msg: 'unknown field', type: 'extra_forbidden' }],
  },

  // ---- wrong types ----
  {
    name: 'a number for a name',
    method: 'POST',
    path: () => '/v1/admin/groups',
    body: { name: 42 },
    status: 422,
    detail: one(['body', 'name'], 'type', 'must be string'),
  },
  {
    name: 'an array for an email',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: ['a@example.com'], name: 'A' },
    status: 422,
    detail: one(['body', 'email'], 'type', 'must be string'),
  },
  {
    name: 'a string for a permission list',
    method: 'POST',
    path: () => '/v1/admin/system-keys',
    body: { name: 'reader', permissions: 'org:read' },
    status: 422,
    detail: one(['body', 'permissions'], 'type', 'must be array'),
  },
  {
    name: 'a string for a role permission flag',
    method: 'POST',
    path: () => '/v1/admin/roles',
    body: { name: 'Runner', permissions: { flows_run: 'yes' } },
    status: 422,
    detail: one(['body', 'permissions', 'flows_run'], 'type', 'must be boolean'),
  },
  {
    name: 'a string for tenant_admin (no coercion)',
    method: 'POST',
    path: () => `/v1/admin/groups/${ids.ops}/api-keys`,
    body: { name: 'k', tenant_admin: 'true' },
    status: 422,
    detail: one(['body', 'tenant_admin'], 'type', 'must be boolean'),
  },
  {
    name: 'null for a role',
    method: 'PUT',
    path: () => `/v1/admin/groups/${ids.ops}/members/${ids.pat}`,
    body: { role: null },
    status: 422,
    detail: one(['body', 'role'], 'type', 'must be string'),
  },
  {
    name: 'a string for overlap_seconds',
    method: 'POST',
    path: () => `/v1/admin/api-keys/${ids.key}/rotate`,
    body: { overlap_seconds: '60' },
    status: 422,
    detail: one(['body', 'overlap_seconds'], 'type', 'must be integer'),
  },
  {
    name: 'a negative overlap_seconds',
    method: 'POST',
    path: () => `/v1/admin/api-keys/${ids.key}/rotate`,
    body: { overlap_seconds: -1 },
    status: 422,
    detail: one(['body', 'overlap_seconds'], 'minimum', 'must be >= 0'),
  },
  {
    name: 'a page that is not a number',
    method: 'GET',
    path: () => '/v1/admin/users?page=abc',
    status: 422,
    detail: one(['query', 'page'], 'type', 'must be integer'),
  },
  {
    name: 'a page size of 0 and of 5000',
    method: 'GET',
    path: () => '/v1/admin/users?size=0&page_size=5000',
    status: 422,
    detail: (d: Json) =>
      expect(d).toEqual([
        { loc: ['query', 'size'], msg: 'must be >= 1', type: 'minimum' },
        { loc: ['query', 'page_size'], msg: 'must be <= 1000', type: 'maximum' },
      ]),
  },
  {
    name: 'a since that is not a date',
    method: 'GET',
    path: () => '/v1/admin/activity?since=yesterday',
    status: 422,
    detail: [{ loc: ['query', 'since'], msg: 'since must be an ISO 8601 date-time', type: 'value_error' }],
  },
  {
    name: 'an unknown activity action',
    method: 'GET',
    path: () => '/v1/admin/activity?action=explode',
    status: 422,
    detail: one(['query', 'action'], 'enum'),
  },

  // ---- very long strings ----
  {
    name: 'a 10,000-character workspace name',
    method: 'POST',
    path: () => '/v1/admin/groups',
    body: { name: long(10_000) },
    status: 422,
    detail: one(['body', 'name'], 'maxLength', 'must NOT have more than 500 characters'),
  },
  {
    name: 'a 10,000-character user name',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: 'long@example.com', name: long(10_000) },
    status: 422,
    detail: one(['body', 'name'], 'maxLength'),
  },
  {
    name: 'a 10,000-character email',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: `${long(10_000)}@example.com`, name: 'Long' },
    status: 422,
    detail: one(['body', 'email'], 'maxLength'),
  },
  {
    name: 'a 255-character email (over the RFC limit, under the schema limit)',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: `${long(243)}@example.com`, name: 'Long' },
    status: 422,
    detail: one(['body', 'email'], 'value_error.email', 'email must be at most 254 characters'),
  },
  {
    name: 'a 10,000-character role description',
    method: 'POST',
    path: () => '/v1/admin/roles',
    body: { name: 'Verbose', permissions: { flows_run: true }, description: long(10_000) },
    status: 422,
    detail: one(['body', 'description'], 'maxLength'),
  },
  {
    name: 'a 10,001-character workflow description',
    method: 'POST',
    path: () => '/v1/workflows',
    body: { name: 'Verbose', description: long(10_001) },
    status: 422,
    detail: one(['body', 'description'], 'maxLength'),
  },
  {
    name: 'a 101-character workspace rename',
    method: 'PATCH',
    path: () => `/v1/admin/groups/${ids.ops}`,
    body: { name: long(101, 'n') },
    status: 422,
    detail: [{ loc: ['body', 'name'], msg: 'name must be at most 100 characters', type: 'value_error' }],
  },
  {
    name: 'a 201-character display name',
    method: 'PATCH',
    path: () => `/v1/admin/users/${ids.pat}`,
    body: { display_name: long(201, 'd') },
    status: 422,
    detail: [
      {
        loc: ['body', 'display_name'],
        msg: 'display_name must be at most 200 characters',
        type: 'value_error',
      },
    ],
  },
  {
    name: 'a blank name',
    method: 'POST',
    path: () => '/v1/admin/groups',
    body: { name: '   ' },
    status: 422,
    detail: [{ loc: ['body', 'name'], msg: 'name must not be empty', type: 'value_error' }],
  },

  // ---- control characters ----
  ...(
    [
      ['a NUL in a workspace name', 'POST', () => '/v1/admin/groups', { name: 'Ops\u0000' }, 'name'],
      [
        'a newline in a user name',
        'POST',
        () => '/v1/admin/users',
        { email: 'eve@example.com', name: 'Eve\nEvil' },
        'name',
      ],
      [
        'an escape sequence in a system key name',
        'POST',
        () => '/v1/admin/system-keys',
        { name: 'key\u001b[31m', permissions: ['org:read'] },
        'name',
      ],
      [
        'a DEL in a key name',
        'POST',
        () => `/v1/admin/groups/${ids.ops}/api-keys`,
        { name: 'k\u007f' },
        'name',
      ],
      [
        'a C1 control in a display name',
        'PATCH',
        () => `/v1/admin/users/${ids.pat}`,
        { display_name: 'Pat\u0085' },
        'display_name',
      ],
      [
        'a carriage return in a role name',
        'POST',
        () => '/v1/admin/roles',
        { name: 'Role\r', permissions: { flows_run: true } },
        'name',
      ],
      ['a bell in a workflow name', 'POST', () => '/v1/workflows', { name: 'flow\u0007' }, 'name'],
      [
        'a NUL in an accepted name',
        'POST',
        () => `/v1/invitations/${inviteToken}/accept`,
        { name: 'Pat\u0000' },
        'name',
      ],
    ] as const
  ).map(
    ([name, method, path, body, field]): Case => ({
      name,
      method,
      path,
      body,
      key: path().startsWith('/v1/invitations/') ? null : undefined,
      status: 422,
      detail: [
        { loc: ['body', field], msg: `${field} must not contain control characters`, type: 'value_error' },
      ],
    }),
  ),
  {
    name: 'a tab in an email',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: 'eve\t@example.com', name: 'Eve' },
    status: 422,
    detail: [
      { loc: ['body', 'email'], msg: 'email must not contain control characters', type: 'value_error.email' },
    ],
  },
  {
    name: 'an email without a domain',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: 'eve@localhost', name: 'Eve' },
    status: 422,
    detail: [
      {
        loc: ['body', 'email'],
        msg: 'email "eve@localhost" is not a valid email address',
        type: 'value_error.email',
      },
    ],
  },

  // ---- huge bodies ----
  {
    name: 'a body over 1 MB',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: 'huge@example.com', name: long(MB + 10) },
    status: 413,
    detail: 'request body larger than 1048576 bytes',
  },
  {
    name: 'a 2 MB workflow definition',
    method: 'POST',
    path: () => '/v1/workflows',
    body: { name: 'big', definition: { blob: long(2 * MB, 'x') } },
    status: 413,
    detail: 'request body larger than 1048576 bytes',
  },

  // ---- unknown roles and permissions, with close matches ----
  {
    name: 'a misspelled org role',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: 'typo@example.com', name: 'Typo', org_role: 'Org Admn' },
    status: 422,
    detail: one(
      ['body', 'org_role'],
      'unknown_role',
      /^unknown org role "Org Admn"; did you mean Org Admin\?/,
    ),
  },
  {
    name: 'a misspelled workspace role in workspaces[0]',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: 'typo@example.com', name: 'Typo', workspaces: [{ group_id: 'Ops', role: 'Editr' }] },
    status: 422,
    detail: one(['body', 'workspaces', 0, 'role'], 'unknown_role', /did you mean Editor\?/),
  },
  {
    name: 'a misspelled member role',
    method: 'PUT',
    path: () => `/v1/admin/groups/${ids.ops}/members/${ids.pat}`,
    body: { role: 'Reder' },
    status: 422,
    detail: one(['body', 'role'], 'unknown_role', /^unknown workspace role "Reder"; did you mean Reader\?/),
  },
  {
    name: 'a workspace role given as org role',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: 'scope@example.com', name: 'Scope', org_role: 'Editor' },
    status: 422,
    detail: one(['body', 'org_role'], 'wrong_role_scope', /^"Editor" is a workspace role/),
  },
  {
    name: 'an unknown workspace in workspaces[0]',
    method: 'POST',
    path: () => '/v1/admin/users',
    body: { email: 'where@example.com', name: 'Where', workspaces: [{ group_id: 'Opps', role: 'Reader' }] },
    status: 422,
    detail: [
      {
        loc: ['body', 'workspaces', 0, 'group_id'],
        msg: 'unknown workspace "Opps"',
        type: 'unknown_workspace',
      },
    ],
  },
  {
    name: 'a misspelled permission in a role',
    method: 'POST',
    path: () => '/v1/admin/roles',
    body: { name: 'Typo role', permissions: { flows_edti: true, flows_run: true } },
    status: 422,
    detail: [
      {
        loc: ['body', 'permissions'],
        msg: 'unknown permission "flows_edti" (did you mean flows_edit?)',
        type: 'unknown_permission',
      },
    ],
  },
  {
    name: 'a role mixing org and workspace permissions',
    method: 'POST',
    path: () => '/v1/admin/roles',
    body: { name: 'Mixed', permissions: { 'users:read': true, flows_run: true } },
    status: 422,
    detail: one(
      ['body', 'permissions'],
      'value_error',
      /^a role is either an organization role or a workspace role/,
    ),
  },
  {
    name: 'a role granting nothing',
    method: 'POST',
    path: () => '/v1/admin/roles',
    body: { name: 'Empty', permissions: { flows_run: false } },
    status: 422,
    detail: one(['body', 'permissions'], 'value_error', 'a role must grant at least one known permission'),
  },
  {
    name: 'a misspelled org permission on a system key',
    method: 'POST',
    path: () => '/v1/admin/system-keys',
    body: { name: 'typo', permissions: ['users:reed'] },
    status: 422,
    detail: one(
      ['body', 'permissions'],
      'unknown_permission',
      'unknown org permission "users:reed" (did you mean users:read?)',
    ),
  },
  {
    name: 'a workspace permission on a system key',
    method: 'POST',
    path: () => '/v1/admin/system-keys',
    body: { name: 'ws', permissions: ['flows_run'] },
    status: 422,
    detail: one(
      ['body', 'permissions'],
      'unknown_permission',
      /^unknown org permission "flows_run" \(a workspace permission; system keys take org permissions\)/,
    ),
  },
  {
    name: 'a misspelled permission on a key restriction',
    method: 'POST',
    path: () => `/v1/admin/groups/${ids.ops}/api-keys`,
    body: { name: 'typo', permissions: ['flows_rnu'] },
    status: 422,
    detail: one(
      ['body', 'permissions'],
      'unknown_permission',
      'unknown permission "flows_rnu" (did you mean flows_run?)',
    ),
  },
  {
    name: 'an expires_at that is not a date',
    method: 'POST',
    path: () => `/v1/admin/groups/${ids.ops}/api-keys`,
    body: { name: 'when', expires_at: 'next tuesday' },
    status: 422,
    detail: one(
      ['body', 'expires_at'],
      'value_error',
      'expires_at must be an ISO 8601 date-time with a time zone, e.g. 2027-01-31T00:00:00Z',
    ),
  },
  {
    name: 'an invalid body without a key is 401, not 422',
    method: 'POST',
    path: () => '/v1/admin/groups',
    body: { name: 42, color: 'red' },
    key: null,
    status: 401,
    detail: 'missing API key: send it in the X-API-Key header',
  },
];

interface Snapshot {
  users: unknown;
  groups: unknown;
  members: unknown;
  roles: unknown;
  keys: unknown;
  systemKeys: unknown;
  workflows: unknown;
  activity: number;
}

async function get(path: string): Promise<Json> {
  const r = await sbx.call('GET', path);
  expect(r.status, `${path}: ${r.text}`).toBe(200);
  return r.body;
}

/** Everything a bad request could have touched, without the fields that reading itself moves. */
async function snapshot(): Promise<Snapshot> {
  const keys = await get('/v1/admin/api-keys?status=all&size=1000');
  return {
    users: (await get('/v1/admin/users')).map(({ last_active_at: _l, ...u }: Record<string, unknown>) => u),
    groups: await get('/v1/admin/groups'),
    members: await get(`/v1/admin/groups/${ids.ops}/members`),
    roles: await get('/v1/admin/roles'),
    keys: keys.items.map(({ last_used_at: _l, ...k }: Record<string, unknown>) => k),
    systemKeys: (await get('/v1/admin/system-keys')).map(
      ({ last_used_at: _l, ...k }: Record<string, unknown>) => k,
    ),
    workflows: await get('/v1/workflows?size=1000'),
    activity: (await get('/v1/admin/activity?size=1')).total,
  };
}

beforeAll(async () => {
  sbx = await startTestSandbox();
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await sbx.call(method, path, { body });
    expect(r.status, r.text).toBeLessThan(300);
    return r.body;
  };
  ids.ops = (await ok('POST', '/v1/admin/groups', { name: 'Ops', description: 'operations' })).id;
  const pat = await ok('POST', '/v1/admin/users', {
    email: 'pat@example.com',
    name: 'Pat',
    workspaces: [{ group_id: 'Ops', role: 'Reader' }],
  });
  ids.pat = pat.id;
  const eml = readFileSync((pat.invitation.delivered_to as string).slice('outbox:'.length), 'utf8').replace(
    /=\r?\n/g,
    '',
  );
  inviteToken = /\/invite\/([0-9A-Za-z]+)/.exec(eml)?.[1] as string;
  expect(inviteToken).toMatch(/^[0-9A-Za-z]{43}$/);
  ids.key = (await ok('POST', `/v1/admin/groups/${ids.ops}/api-keys`, { name: 'to rotate' })).id;
  await ok('POST', '/v1/workflows', { name: 'existing flow' });
});
afterAll(async () => {
  await sbx.cleanup();
});

describe('bad input: a precise 4xx, and nothing changes', () => {
  // Each case's after-state is the next case's before-state, so one failure does not cascade.
  let before: Snapshot;
  beforeAll(async () => {
    before = await snapshot();
  });

  for (const c of cases) {
    it(`${c.name}: ${c.status}`, async () => {
      const headers: Record<string, string> = {};
      if (c.contentType) headers['content-type'] = c.contentType;
      const r = await sbx.call(c.method, c.path(), { body: c.body, key: c.key, headers });
      expect(r.status, r.text.slice(0, 500)).toBe(c.status);
      expect(r.headers.get('x-request-id')).toMatch(/^req_/);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(r.body)).toEqual(['detail']);
      if (typeof c.detail === 'function') c.detail(r.body.detail);
      else expect(r.body.detail).toEqual(c.detail);
      const expected = before;
      before = await snapshot();
      expect(before).toEqual(expected);
    });
  }

  it('the invitation used above is still valid (the rejected accept did not use it)', async () => {
    const r = await sbx.call('GET', `/v1/invitations/${inviteToken}`, { key: null });
    expect(r.status).toBe(200);
    expect(r.body.email).toBe('pat@example.com');
  });
});

describe('unicode is data, not an error', () => {
  it('a workspace name in several scripts with an emoji round-trips and is found by name', async () => {
    const name = 'Ünïcödé 工作区 🚀 مرحبا';
    const r = await sbx.call('POST', '/v1/admin/groups', { body: { name, description: 'ç’est «ça» — ok' } });
    expect(r.status).toBe(201);
    expect(r.body.name).toBe(name);
    const byId = await sbx.call('GET', `/v1/admin/groups/${r.body.id}`);
    expect(byId.body).toMatchObject({ name, description: 'ç’est «ça» — ok' });
    const byName = await sbx.call('GET', `/v1/admin/groups/${encodeURIComponent(name)}`);
    expect(byName.status).toBe(200);
    expect(byName.body.id).toBe(r.body.id);
  });

  it('names that differ only in Unicode normalization or case are the same name (409)', async () => {
    expect((await sbx.call('POST', '/v1/admin/groups', { body: { name: 'Café' } })).status).toBe(201);
    const nfd = await sbx.call('POST', '/v1/admin/groups', { body: { name: 'Cafe\u0301' } });
    expect(nfd.status).toBe(409);
    expect(nfd.body.detail).toContain('a workspace named "Café" already exists');
    expect((await sbx.call('POST', '/v1/admin/groups', { body: { name: 'CAFÉ' } })).status).toBe(409);
  });

  it('a length limit counts characters, not UTF-16 units', async () => {
    const ok = await sbx.call('POST', '/v1/admin/groups', { body: { name: '🚀'.repeat(100) } });
    expect(ok.status).toBe(201);
    const tooLong = await sbx.call('POST', '/v1/admin/groups', { body: { name: '🎉'.repeat(101) } });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.detail[0].msg).toBe('name must be at most 100 characters');
  });

  it('an international email and name are accepted; the same email in upper case is a duplicate', async () => {
    const r = await sbx.call('POST', '/v1/admin/users', {
      body: { email: 'zoë@exämple.com', name: 'Zoë Ødegård 张伟', send_invitation: false },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      email: 'zoë@exämple.com',
      name: 'Zoë Ødegård 张伟',
      display_name: 'Zoë Ødegård 张伟',
    });
    const dup = await sbx.call('POST', '/v1/admin/users', {
      body: { email: 'ZOË@EXÄMPLE.COM', name: 'Zoe' },
    });
    expect(dup.status).toBe(409);
    expect(dup.body.user_id).toBe(r.body.id);
    const found = await sbx.call('GET', `/v1/admin/users/${encodeURIComponent('Zoë@Exämple.com')}`);
    expect(found.body.id).toBe(r.body.id);
  });

  it('a custom role with a unicode name can be used by that name', async () => {
    const role = await sbx.call('POST', '/v1/admin/roles', {
      body: { name: 'Lecteur éclairé', permissions: { flows_run: true, kbs_query: true } },
    });
    expect(role.status).toBe(201);
    const m = await sbx.call('PUT', `/v1/admin/groups/${ids.ops}/members/${ids.pat}`, {
      body: { role: 'LECTEUR ÉCLAIRÉ' },
    });
    expect(m.status).toBe(200);
    expect(m.body.role).toEqual({ id: role.body.id, name: 'Lecteur éclairé' });
  });
});
