// Generated input against every write route of the sandbox: random JSON, the route's real field names
// with random-typed values, very long strings, control characters, unicode (lone surrogates included),
// nested arrays, out-of-range numbers, null, raw non-JSON bytes sent as application/json, other content
// types and huge bodies. Path parameters are real ids from a seeded sandbox or random strings.
// The contract (docs/quality.md, "The sandbox server"): never a 5xx; every error body is JSON with a
// `detail`; every response carries `x-request-id`. The server bugs the fuzz found (deep `definition`,
// JSON key_group on a live invitation, malformed or over-long path parameters, expiry formats, lone
// surrogates, a split invitation acceptance) have regression tests at the end of this file.
// NOXUS_FUZZ_STATS=1 prints the status histogram per route.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/sandbox/clock.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

// ---- the requests ------------------------------------------------------------------------------

interface Req {
  method: string;
  path: string;
  contentType?: string;
  body?: string | Uint8Array;
  idempotencyKey?: string;
}

interface Res {
  status: number;
  text: string;
  contentType: string;
  requestId: string | null;
}

let sbx: TestSandbox;
/** A status histogram, e.g. { 201: 30, 422: 50 }. */
type Histogram = Record<number, number>;

async function send(req: Req): Promise<Res> {
  const headers: Record<string, string> = { 'x-api-key': sbx.adminKey };
  if (req.contentType !== undefined) headers['content-type'] = req.contentType;
  if (req.idempotencyKey !== undefined) headers['idempotency-key'] = req.idempotencyKey;
  const r = await fetch(`${sbx.url}${req.path}`, { method: req.method, headers, body: req.body });
  return {
    status: r.status,
    text: await r.text(),
    contentType: r.headers.get('content-type') ?? '',
    requestId: r.headers.get('x-request-id'),
  };
}

function describeReq(req: Req): string {
  const b = req.body;
  let body: string;
  if (b === undefined) body = '(no body)';
  else if (typeof b === 'string')
    body = b.length > 1500 ? `${JSON.stringify(b.slice(0, 1500))}... (${b.length} chars)` : JSON.stringify(b);
  else body = `bytes(${b.length}) base64:${Buffer.from(b).toString('base64').slice(0, 2000)}`;
  return `${req.method} ${req.path}\n  content-type: ${req.contentType ?? '(none)'}${
    req.idempotencyKey ? `\n  idempotency-key: ${req.idempotencyKey}` : ''
  }\n  body: ${body}`;
}

/** The contract every response must meet; the message names the route and the body. */
function checkResponse(route: string, req: Req, res: Res, h: Histogram = {}): void {
  h[res.status] = (h[res.status] ?? 0) + 1;
  const where = `${describeReq(req)}\n  -> ${res.status} ${res.contentType}\n  response: ${res.text.slice(0, 800)}`;
  expect(res.status, `5xx from the sandbox:\n${where}`).toBeLessThan(500);
  expect(res.requestId, `no x-request-id:\n${where}`).toMatch(/^req_[A-Za-z0-9_-]+$/);
  if (route === 'POST /invite/:token' && res.contentType.startsWith('text/html')) {
    // The browser form answers HTML pages; errors raised before its handler (415, 413) are JSON.
    expect(res.text, `not an HTML page:\n${where}`).toMatch(/^<!doctype html>/);
    return;
  }
  if (res.status === 204) {
    expect(res.text, `204 with a body:\n${where}`).toBe('');
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    throw new Error(`response body is not JSON:\n${where}`);
  }
  if (res.status >= 400) {
    const detail = (parsed as { detail?: unknown } | null)?.detail;
    const ok =
      (typeof detail === 'string' && detail.length > 0) ||
      (Array.isArray(detail) &&
        detail.length > 0 &&
        detail.every(
          (d: { loc?: unknown; msg?: unknown; type?: unknown }) =>
            Array.isArray(d.loc) &&
            d.loc[0] === 'body' &&
            typeof d.msg === 'string' &&
            d.msg.length > 0 &&
            typeof d.type === 'string',
        ));
    expect(
      ok,
      `error without a usable detail (a string, or [{loc: ['body', ...], msg, type}]):\n${where}`,
    ).toBe(true);
  }
}

// ---- real ids ----------------------------------------------------------------------------------

interface Pools {
  userIds: string[];
  userEmails: string[];
  groupIds: string[];
  groupNames: string[];
  roleIds: string[];
  roleNames: string[];
  orgRoles: string[];
  wsRoles: string[];
  apiKeyIds: string[];
  systemKeyIds: string[];
  resources: Record<string, string[]>;
  tokens: string[];
  orgPerms: string[];
  wsPerms: string[];
}

/** The caller's own user, workspace and key: never fuzzed, or the fuzz would lock itself out. */
let protectedIds: { user: string; group: string; key: string };

const RESOURCE_KINDS = [
  { path: '/v1/workflows', run: 'run' },
  { path: '/v1/agents', run: 'run' },
  { path: '/v1/knowledge-bases', run: 'query' },
] as const;

async function getJson<T>(path: string): Promise<T> {
  const r = await sbx.call('GET', path);
  if (r.status !== 200) throw new Error(`GET ${path} -> ${r.status} ${r.text}`);
  return r.body as T;
}

function outboxTokens(): string[] {
  const dir = join(sbx.dataDir, 'outbox');
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    const m = /\/invite\/([A-Za-z0-9_-]{20,})$/m.exec(readFileSync(join(dir, f), 'utf8'));
    if (m?.[1]) out.push(m[1]);
  }
  return out;
}

async function loadPools(): Promise<Pools> {
  type Named = { id: string; name: string };
  const users = (await getJson<Array<{ id: string; email: string }>>('/v1/admin/users')).filter(
    (u) => u.id !== protectedIds.user,
  );
  const groups = (await getJson<Named[]>('/v1/admin/groups')).filter((g) => g.id !== protectedIds.group);
  const roles = await getJson<Array<Named & { scope: string }>>('/v1/admin/roles');
  const keys = (
    await getJson<{ items: Array<{ id: string }> }>('/v1/admin/api-keys?status=all&size=1000')
  ).items.filter((k) => k.id !== protectedIds.key);
  const systemKeys = await getJson<Array<{ id: string }>>('/v1/admin/system-keys');
  const perms = await getJson<Array<{ name: string; scope: string }>>('/v1/admin/permissions');
  const resources: Record<string, string[]> = {};
  for (const k of RESOURCE_KINDS) {
    resources[k.path] = (await getJson<{ items: Array<{ id: string }> }>(`${k.path}?size=1000`)).items.map(
      (r) => r.id,
    );
  }
  return {
    userIds: users.map((u) => u.id),
    userEmails: users.map((u) => u.email),
    groupIds: groups.map((g) => g.id),
    groupNames: groups.map((g) => g.name),
    roleIds: roles.map((r) => r.id),
    roleNames: roles.map((r) => r.name),
    orgRoles: roles.filter((r) => r.scope === 'org').flatMap((r) => [r.name, r.id]),
    wsRoles: roles.filter((r) => r.scope === 'workspace').flatMap((r) => [r.name, r.id]),
    apiKeyIds: keys.map((k) => k.id),
    systemKeyIds: systemKeys.map((k) => k.id),
    resources,
    tokens: outboxTokens(),
    orgPerms: perms.filter((p) => p.scope === 'org').map((p) => p.name),
    wsPerms: perms.filter((p) => p.scope === 'workspace').map((p) => p.name),
  };
}

// ---- generators --------------------------------------------------------------------------------

const codeUnits = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));

const controlChars = fc.string({
  unit: fc.oneof(codeUnits(0, 0x1f), codeUnits(0x7f, 0x9f)),
  minLength: 1,
  maxLength: 12,
});
const loneSurrogates = fc.string({ unit: codeUnits(0xd800, 0xdfff), minLength: 1, maxLength: 4 });

const weirdString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 8 }), controlChars, fc.string({ maxLength: 8 })).map((p) => p.join('')),
  fc.tuple(fc.string({ maxLength: 8 }), loneSurrogates, fc.string({ maxLength: 8 })).map((p) => p.join('')),
  fc.integer({ min: 1, max: 30_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 3_000 }).map((n) => '😀'.repeat(n)),
  fc.constantFrom(
    '',
    ' ',
    '   ',
    '\u00a0',
    '\u200b',
    '\ufeff',
    '\u2028',
    'e\u0301',
    'ǅ',
    'İstanbul',
    'ß',
    'Ａｄｍｉｎ',
    'a'.repeat(100),
    'a'.repeat(101),
    'a'.repeat(200),
    'a'.repeat(201),
    'null',
    '__proto__',
    'constructor',
    '%00',
    '\u0000',
    '../..',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    'ADA@EXAMPLE.COM',
    ' ada@example.com',
    'ada@example.com\n',
    '2099-01-01T00:00:00Z',
    '+275760-09-13T00:00:00.000Z',
    'Default',
    'DEFAULT',
  ),
);

const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.bigInt().map(String),
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1e-400',
    '-0',
    '0.0',
    '1.5',
    '-1',
    '2592001',
    '9007199254740993',
    '123456789012345678901234567890',
    '1.7976931348623157e308',
    '5e-324',
  ),
);

/** A nested array or object as raw JSON text, up to `maxDepth` levels (beyond what a stack likes). */
const deepText = (maxDepth: number): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.integer({ min: 1, max: maxDepth }),
      fc.constantFrom('[', '{"a":', '[{"b":'),
      fc.constantFrom('1', 'null', '[]', '{}', '"x"', '1e400'),
    )
    .map(([n, open, leaf]) => {
      const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]';
      return open.repeat(n) + leaf + close.repeat(n);
    });

/** Any JSON value as raw text (so that 1e400 and very deep nesting survive to the wire). */
const anyValueText = (maxDepth: number): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 3 },
    { arbitrary: weirdString.map((s) => JSON.stringify(s)), weight: 3 },
    { arbitrary: numberText, weight: 2 },
    { arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}'), weight: 2 },
    { arbitrary: deepText(maxDepth), weight: 1 },
    { arbitrary: fc.array(weirdString, { maxLength: 6 }).map((a) => JSON.stringify(a)), weight: 1 },
    {
      arbitrary: fc
        .dictionary(weirdString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 })
        .map((d) => JSON.stringify(d)),
      weight: 1,
    },
  );

/** Deep `definition` values overflow the stack (pinned below as a known bug); the fuzz stays under it. */
const MAX_DEPTH = 100_000;
const MAX_DEFINITION_DEPTH = 1_000;

const js = (a: fc.Arbitrary<unknown>): fc.Arbitrary<string> => a.map((v) => JSON.stringify(v));
/**
 * A field's value as JSON text. `clean`: values the route should accept (real ids, known names,
 * valid emails), so that bodies get past validation into the handlers; otherwise mixed with weird ones.
 */
type FieldGen = (p: Pools, clean: boolean) => fc.Arbitrary<string>;

const pick = (clean: boolean, good: fc.Arbitrary<unknown>, ...bad: fc.Arbitrary<unknown>[]) =>
  js(
    clean
      ? good
      : fc.oneof({ arbitrary: good, weight: 2 }, ...bad.map((arbitrary) => ({ arbitrary, weight: 1 }))),
  );
const fromPool = (xs: string[]) => (xs.length ? fc.constantFrom(...xs) : weirdString);

const validName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim().length > 0),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0),
);
const userRef: FieldGen = (p, c) => pick(c, fromPool([...p.userIds, ...p.userEmails]), weirdString);
const groupRef: FieldGen = (p, c) => pick(c, fromPool([...p.groupIds, ...p.groupNames]), weirdString);
const name: FieldGen = (_p, c) => pick(c, validName, weirdString);
const text: FieldGen = (_p, c) => pick(c, fc.string({ maxLength: 60 }), weirdString);
const bool: FieldGen = (_p, c) => pick(c, fc.boolean(), fc.constantFrom('true', 0, 1, null));
const email: FieldGen = (p, c) =>
  pick(
    c,
    fc.oneof(
      fc.emailAddress(),
      fc.string({ minLength: 1, maxLength: 20 }).map((s) => `${encodeURIComponent(s)}@fuzz.example.com`),
    ),
    // existing emails in another case: duplicates
    p.userEmails.length ? fc.constantFrom(...p.userEmails).map((e) => e.toUpperCase()) : weirdString,
    weirdString,
  );
const expiresAt: FieldGen = (_p, c) =>
  pick(
    c,
    fc.oneof(
      fc.constant(null),
      fc.integer({ min: 60, max: 400 * 86_400 }).map((s) => new Date(Date.now() + s * 1000).toISOString()),
    ),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    weirdString,
    fc.constantFrom('2099-12-31', 'tomorrow', '2099-02-30T00:00:00Z', '0', '-1'),
  );
const orgPermList: FieldGen = (p, c) =>
  pick(
    c,
    fc.array(fc.constantFrom(...p.orgPerms, 'users:*'), { minLength: 1, maxLength: 4 }),
    fc.array(fc.oneof(fc.constantFrom(...p.orgPerms, ...p.wsPerms, '*'), weirdString), { maxLength: 6 }),
  );
const wsPermList: FieldGen = (p, c) =>
  pick(
    c,
    fc.oneof(fc.array(fc.constantFrom(...p.wsPerms), { minLength: 1, maxLength: 4 }), fc.constant(null)),
    fc.array(fc.oneof(fc.constantFrom(...p.wsPerms, ...p.orgPerms), weirdString), { maxLength: 6 }),
  );
const rolePerms: FieldGen = (p, c) =>
  pick(
    c,
    fc.oneof(
      fc.dictionary(fc.constantFrom(...p.orgPerms), fc.boolean(), { minKeys: 1, maxKeys: 4 }),
      fc.dictionary(fc.constantFrom(...p.wsPerms), fc.boolean(), { minKeys: 1, maxKeys: 4 }),
    ),
    fc.dictionary(
      fc.oneof(fc.constantFrom(...p.orgPerms, ...p.wsPerms, 'users:*'), weirdString),
      fc.boolean(),
      {
        maxKeys: 8,
      },
    ),
  );
const orgRole: FieldGen = (p, c) => pick(c, fromPool(p.orgRoles), weirdString);
const wsRole: FieldGen = (p, c) => pick(c, fromPool(p.wsRoles), weirdString);
const workspaces: FieldGen = (p, c) =>
  fc
    .array(fc.tuple(groupRef(p, c), wsRole(p, c)), { maxLength: 3 })
    .map((ws) => `[${ws.map(([g, r]) => `{"group_id":${g},"role":${r}}`).join(',')}]`);
const consoleWorkspaces: FieldGen = (p, c) =>
  fc
    .array(fc.tuple(groupRef(p, c), wsRole(p, c)), { maxLength: 3 })
    .map((ws) => `[${ws.map(([g, r]) => `{"workspace":${g},"role":${r}}`).join(',')}]`);
const consoleUsers: FieldGen = (p, c) =>
  fc
    .array(fc.tuple(userRef(p, c), wsRole(p, c)), { maxLength: 3 })
    .map((us) => `[${us.map(([u, r]) => `{"user":${u},"role":${r}}`).join(',')}]`);
const overlap: FieldGen = (_p, c) =>
  c
    ? fc.integer({ min: 0, max: 86_400 }).map(String)
    : fc.oneof(fc.integer({ min: -5, max: 3_000_000 }).map(String), numberText);
const definition: FieldGen = (_p, c) =>
  c
    ? js(fc.object({ maxDepth: 3 }))
    : fc.oneof(
        js(fc.object({ maxDepth: 3 })),
        anyValueText(MAX_DEFINITION_DEPTH),
        deepText(MAX_DEFINITION_DEPTH),
      );
const resourceFields: Record<string, FieldGen> = {
  name,
  description: text,
  definition,
  type: (_p, c) => pick(c, fc.constantFrom('flow', 'agent_flow'), fc.constantFrom('x', 'FLOW', '')),
};

// ---- the routes --------------------------------------------------------------------------------

interface Route {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** Each `:param`, in order: where its real values come from. */
  params?: Array<(p: Pools) => string[]>;
  fields?: Record<string, FieldGen>;
  /** Fields that plausible bodies usually carry. */
  required?: string[];
}

const users = (p: Pools) => [...p.userIds, ...p.userEmails];
const groups = (p: Pools) => [...p.groupIds, ...p.groupNames];

function resourceRoutes(): Route[] {
  return RESOURCE_KINDS.flatMap((k): Route[] => {
    const ids = (p: Pools) => p.resources[k.path] ?? [];
    return [
      { method: 'POST', path: k.path, fields: resourceFields, required: ['name'] },
      { method: 'PATCH', path: `${k.path}/:id`, params: [ids], fields: resourceFields },
      { method: 'PUT', path: `${k.path}/:id`, params: [ids], fields: resourceFields },
      { method: 'POST', path: `${k.path}/:id/${k.run}`, params: [ids] },
    ];
  });
}

// Creations and updates first, destructive routes last, so that real ids stay available for longer.
const ROUTES: Route[] = [
  {
    method: 'POST',
    path: '/v1/admin/roles',
    fields: { name, description: text, permissions: rolePerms },
    required: ['name', 'permissions'],
  },
  {
    method: 'POST',
    path: '/v1/admin/users',
    fields: {
      email,
      name,
      display_name: name,
      avatar_url: text,
      org_role: orgRole,
      workspaces,
      kind: (_p, c) => pick(c, fc.constantFrom('human', 'service'), fc.constantFrom('robot', 'Human')),
      send_invitation: bool,
    },
    required: ['email', 'name'],
  },
  {
    method: 'PATCH',
    path: '/v1/admin/users/:id',
    params: [users],
    fields: {
      name,
      display_name: name,
      avatar_url: (p, c) => fc.oneof(text(p, c), fc.constant('null')),
      org_role: orgRole,
    },
  },
  { method: 'POST', path: '/v1/admin/users/:id/suspend', params: [users] },
  { method: 'POST', path: '/v1/admin/users/:id/reactivate', params: [users] },
  { method: 'POST', path: '/v1/admin/users/:id/invitation', params: [users] },
  { method: 'POST', path: '/v1/admin/users/:id/onboarding/tour', params: [users] },
  { method: 'POST', path: '/v1/admin/groups', fields: { name, description: text }, required: ['name'] },
  { method: 'PATCH', path: '/v1/admin/groups/:id', params: [groups], fields: { name, description: text } },
  {
    method: 'PATCH',
    path: '/v1/admin/roles/:id',
    params: [(p) => [...p.roleIds, ...p.roleNames]],
    fields: { name, description: text, permissions: rolePerms },
  },
  {
    method: 'PUT',
    path: '/v1/admin/groups/:id/members/:user_id',
    params: [groups, users],
    fields: { role: wsRole },
    required: ['role'],
  },
  {
    method: 'POST',
    path: '/v1/admin/groups/:id/api-keys',
    params: [groups],
    fields: {
      name,
      tenant_admin: bool,
      permissions: wsPermList,
      owner_id: (p, c) => fc.oneof(userRef(p, c), fc.constant('null')),
      expires_at: expiresAt,
    },
    required: ['name'],
  },
  {
    method: 'POST',
    path: '/v1/admin/transfers',
    fields: {
      from_user: userRef,
      to_user: userRef,
      resource_ids: (p, c) =>
        pick(
          c,
          fc.array(fromPool(Object.values(p.resources).flat()), { maxLength: 5 }),
          fc.array(weirdString, { maxLength: 5 }),
        ),
    },
    required: ['from_user', 'to_user'],
  },
  {
    method: 'POST',
    path: '/v1/admin/api-keys/:id/rotate',
    params: [(p) => p.apiKeyIds],
    fields: { overlap_seconds: overlap },
  },
  {
    method: 'POST',
    path: '/v1/admin/system-keys',
    fields: { name, permissions: orgPermList, tenant_admin: bool, expires_at: expiresAt },
    required: ['name', 'permissions'],
  },
  {
    method: 'POST',
    path: '/v1/admin/system-keys/:id/rotate',
    params: [(p) => p.systemKeyIds],
    fields: { overlap_seconds: overlap },
  },
  {
    method: 'POST',
    path: '/v1/sandbox/act-as',
    fields: { user_id: userRef, group_id: groupRef, name, permissions: wsPermList },
    required: ['user_id', 'group_id'],
  },
  ...resourceRoutes(),
  {
    method: 'POST',
    path: '/v1/invitations/:token/accept',
    params: [(p) => p.tokens],
    fields: {
      name,
      display_name: name,
      create_key: (p, c) =>
        fc
          .tuple(groupRef(p, c), fc.option(name(p, c), { nil: undefined }))
          .map(([g, n]) => `{"group_id":${g}${n === undefined ? '' : `,"name":${n}`}}`),
    },
  },
  {
    method: 'POST',
    path: '/invite/:token',
    params: [(p) => p.tokens],
    fields: { name, display_name: name, key_group: groupRef },
  },
  ...RESOURCE_KINDS.map(
    (k): Route => ({
      method: 'DELETE',
      path: `${k.path}/:id`,
      params: [(p) => p.resources[k.path] ?? []],
    }),
  ),
  { method: 'DELETE', path: '/v1/admin/groups/:id/members/:user_id', params: [groups, users] },
  { method: 'DELETE', path: '/v1/admin/api-keys/:id', params: [(p) => p.apiKeyIds] },
  { method: 'DELETE', path: '/v1/admin/system-keys/:id', params: [(p) => p.systemKeyIds] },
  { method: 'DELETE', path: '/v1/admin/roles/:id', params: [(p) => [...p.roleIds, ...p.roleNames]] },
  // Invitations are cancelled by invitation id, user id or email.
  { method: 'DELETE', path: '/v1/admin/invitations/:id', params: [users] },
  { method: 'DELETE', path: '/v1/admin/users/:id', params: [users] },
  { method: 'DELETE', path: '/v1/admin/groups/:id', params: [groups] },
  // The web console's stand-in (sandbox only).
  {
    method: 'POST',
    path: '/console/users',
    fields: { email, name, display_name: name, org_role: orgRole, workspaces: consoleWorkspaces },
    required: ['email', 'name'],
  },
  {
    method: 'POST',
    path: '/console/workspaces/:workspace/users',
    params: [groups],
    fields: { users: consoleUsers },
    required: ['users'],
  },
  { method: 'DELETE', path: '/console/api-keys/:id', params: [(p) => p.apiKeyIds] },
  { method: 'DELETE', path: '/console/users/:user', params: [users] },
];

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD). */
const pct = (s: string): string =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

// Fastify caps a path parameter at 100 characters and answers longer ones (and malformed %-escapes)
// itself, without `detail` or `x-request-id`: a known bug pinned below. Random parameters stay valid.
const randomParam: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.tuple(fc.string({ maxLength: 5 }), controlChars).map((p) => p.join('')),
    fc.constantFrom('.', '..', '%', '/', '?', '#', '@', 'a@b', ' ', 'null', '0', '-1', 'default-ish'),
  )
  .map(pct)
  .filter((s) => s.length <= 100);

const paramArb = (real: string[]): fc.Arbitrary<string> =>
  real.length
    ? fc.oneof(
        { arbitrary: fc.constantFrom(...real).map(pct), weight: 3 },
        { arbitrary: randomParam, weight: 1 },
      )
    : randomParam;

const objectText = (entries: Array<[string, string]>): string =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

/** `fields` as entries, each value plausible or random-typed; required fields present most of the time. */
function entriesArb(
  route: Route,
  p: Pools,
  mode: 'clean' | 'plausible' | 'random',
): fc.Arbitrary<Array<[string, string]>> {
  const names = Object.keys(route.fields ?? {});
  if (names.length === 0) return fc.constant([]);
  const depth = names.includes('definition') ? MAX_DEFINITION_DEPTH : MAX_DEPTH;
  const valueFor = (f: string): fc.Arbitrary<string> => {
    const gen = route.fields?.[f] as FieldGen;
    if (mode === 'clean') return gen(p, true);
    if (mode === 'plausible')
      return fc.oneof({ arbitrary: gen(p, false), weight: 4 }, { arbitrary: anyValueText(depth), weight: 1 });
    return anyValueText(depth);
  };
  return fc
    .tuple(
      fc.subarray(names),
      fc.nat(9).map((n) => (mode === 'clean' ? n > 0 : n > 4)),
      fc.tuple(...(names.map(valueFor) as [fc.Arbitrary<string>, ...fc.Arbitrary<string>[]])),
    )
    .map(([chosen, withRequired, values]) => {
      const keep = new Set(chosen);
      if (withRequired) for (const r of route.required ?? []) keep.add(r);
      return names.flatMap((n, i) => (keep.has(n) ? [[n, values[i] as string] as [string, string]] : []));
    });
}

function bodyArb(route: Route, p: Pools): fc.Arbitrary<Pick<Req, 'contentType' | 'body'>> {
  const json = (body: string | Uint8Array) => ({ contentType: 'application/json', body });
  const clean = entriesArb(route, p, 'clean');
  const plausible = entriesArb(route, p, 'plausible');
  const randomTyped = entriesArb(route, p, 'random');
  return fc.oneof(
    { arbitrary: clean.map((e) => json(objectText(e))), weight: 8 },
    { arbitrary: plausible.map((e) => json(objectText(e))), weight: 5 },
    { arbitrary: randomTyped.map((e) => json(objectText(e))), weight: 4 },
    {
      // an unknown field, a duplicated field, or a prototype-poisoning key next to real ones
      arbitrary: fc
        .tuple(
          plausible,
          fc.oneof(weirdString, fc.constantFrom('__proto__', 'constructor', 'extra')),
          anyValueText(50),
        )
        .map(([e, k, v]) => json(objectText([...e, [k, v], ...e.slice(0, 1)]))),
      weight: 2,
    },
    { arbitrary: fc.jsonValue().map((v) => json(JSON.stringify(v) ?? 'null')), weight: 3 },
    { arbitrary: anyValueText(MAX_DEPTH).map(json), weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 600 }).map(json), weight: 3 },
    {
      // valid JSON cut short, or with a stray byte inside
      arbitrary: fc
        .tuple(plausible, fc.nat(), fc.constantFrom('', '\u0000', '\\', '"', ',', '\ud800'))
        .map(([e, at, junk]) => {
          const t = objectText(e);
          const i = at % Math.max(1, t.length);
          return json(t.slice(0, i) + junk + (junk === '' ? '' : t.slice(i)));
        }),
      weight: 2,
    },
    {
      arbitrary: fc.constantFrom<Pick<Req, 'contentType' | 'body'>>(
        {},
        { contentType: 'application/json' },
        { contentType: 'application/json', body: '' },
        { contentType: 'application/json', body: 'null' },
        { contentType: 'application/json', body: ' \n\t ' },
        { contentType: 'application/json', body: '\ufeff{}' },
        { contentType: 'application/json; charset=utf-16', body: '{}' },
        { contentType: 'application/json; charset=latin1', body: '{"name":"caf\u00e9"}' },
      ),
      weight: 1,
    },
    {
      // other content types: form posts, plain text, anything
      arbitrary: fc
        .tuple(
          plausible,
          fc.constantFrom(
            'application/x-www-form-urlencoded',
            'text/plain',
            'text/html',
            'multipart/form-data; boundary=x',
            'application/xml',
            'application/octet-stream',
            '',
            ';;;',
            'application/json, text/plain',
          ),
        )
        .map(([e, ct]) => ({
          contentType: ct,
          body: new URLSearchParams(
            e.map(([k, v]): [string, string] => [k, v.replace(/^"|"$/g, '')]),
          ).toString(),
        })),
      weight: 1,
    },
  );
}

function requestArb(route: Route, p: Pools): fc.Arbitrary<Req> {
  const realParams = (route.params ?? []).map((f) => f(p));
  // A valid invitation token with a JSON body whose key_group is not a string answers 500 after the
  // invitation is consumed: a known bug pinned below. Real tokens get form bodies (strings) only.
  const formOnlyWithRealToken = route.path === '/invite/:token';
  return fc
    .tuple(
      fc.tuple(...realParams.map((real) => paramArb(real))),
      bodyArb(route, p),
      // now and then an Idempotency-Key, from a small set so that keys get reused across routes
      fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 9 },
        {
          arbitrary: fc.constantFrom('idem-a', 'idem-b', 'idem-c', 'x'.repeat(200), 'x'.repeat(201)),
          weight: 1,
        },
      ),
    )
    .map(([params, body, idem]) => {
      let i = 0;
      const path = route.path.replace(/:[a-z_]+/g, () => params[i++] as string);
      const req: Req = { method: route.method, path, ...body };
      // fast-check prints counterexamples with this: bodies can be a megabyte long.
      Object.defineProperty(req, fc.toStringMethod, { value: () => describeReq(req), enumerable: false });
      if (idem !== undefined && route.method === 'POST') req.idempotencyKey = idem;
      if (
        formOnlyWithRealToken &&
        p.tokens.some((t) => path.includes(t)) &&
        req.contentType?.startsWith('application/json')
      ) {
        req.contentType = 'application/x-www-form-urlencoded';
        req.body = typeof req.body === 'string' ? req.body : '';
      }
      return req;
    });
}

/** Write routes as Fastify registered them, read from printRoutes(). */
function registeredWriteRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    stack.push(m[2] as string);
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) {
      if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) out.push(`${method} ${stack.join('')}`);
    }
  }
  return out.sort();
}

const RUNS_PER_ROUTE = 80;

// Each route is fuzzed once and its histogram kept, so that a test run alone (-t) fuzzes what it
// needs and a full run does not fuzz twice; no test reads what another test left behind.
const fuzzed = new Map<string, Promise<Histogram>>();
function fuzzRoute(route: (typeof ROUTES)[number]): Promise<Histogram> {
  const label = `${route.method} ${route.path}`;
  let run = fuzzed.get(label);
  if (!run) {
    run = (async () => {
      const h: Histogram = {};
      const pools = await loadPools();
      await fc.assert(
        fc.asyncProperty(requestArb(route, pools), async (req) => {
          checkResponse(label, req, await send(req), h);
        }),
        { numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
      return h;
    })();
    fuzzed.set(label, run);
  }
  return run;
}
const requests = (h: Histogram) => Object.values(h).reduce((a, b) => a + b, 0);

describe('sandbox write routes under generated input', () => {
  beforeAll(async () => {
    sbx = await startTestSandbox({ seed: 'demo' });
    const me = await sbx.call('GET', '/v1/admin/me');
    expect(me.status).toBe(200);
    protectedIds = { user: me.body.holder.id, group: me.body.group_id, key: me.body.id };
    // Real ids for the routes the demo seed leaves empty: deletable custom roles, resources in the
    // admin key's own workspace, more invitation tokens.
    const created = [
      await sbx.call('POST', '/v1/admin/roles', {
        body: { name: 'Fuzz Org Role', permissions: { 'users:read': true } },
      }),
      await sbx.call('POST', '/v1/admin/roles', {
        body: { name: 'Fuzz WS Role', permissions: { flows_run: true } },
      }),
    ];
    for (const k of RESOURCE_KINDS) {
      for (let i = 0; i < 4; i++)
        created.push(await sbx.call('POST', k.path, { body: { name: `fuzz ${i}` } }));
    }
    for (let i = 0; i < 6; i++) {
      created.push(
        await sbx.call('POST', '/v1/admin/users', {
          body: { email: `invitee${i}@example.com`, name: `Invitee ${i}` },
        }),
      );
    }
    for (const r of created) expect(r.status, r.text).toBe(201);
  });

  afterAll(async () => {
    await sbx?.cleanup();
    const stats: Record<string, Histogram> = {};
    for (const [label, run] of fuzzed) stats[label] = await run.catch(() => ({}));
    process.stdout.write(
      `fuzz: ${Object.values(stats)
        .map(requests)
        .reduce((a, b) => a + b, 0)} generated requests\n`,
    );
    if (process.env.NOXUS_FUZZ_STATS) process.stdout.write(`${JSON.stringify(stats, null, 1)}\n`);
  });

  it('fuzzes exactly the write routes the server registers', () => {
    const registered = registeredWriteRoutes(sbx.sandbox.app.printRoutes({ commonPrefix: false }));
    expect(registered.length).toBeGreaterThan(30);
    expect([...ROUTES.map((r) => `${r.method} ${r.path}`)].sort()).toEqual(registered);
  });

  for (const route of ROUTES) {
    const label = `${route.method} ${route.path}`;
    it(`${label}: never a 5xx, always a detail and a request id`, async () => {
      const h = await fuzzRoute(route);
      // The fuzz must not lock itself out: the admin key still answers.
      const me = await sbx.call('GET', '/v1/admin/me');
      expect(me.status, me.text).toBe(200);
      expect(requests(h)).toBe(RUNS_PER_ROUTE);
      // Not every answer was an authorization failure: the fuzz reached the handler.
      expect(
        Object.keys(h).filter((s) => s !== '401' && s !== '403').length,
        JSON.stringify(h),
      ).toBeGreaterThan(0);
    });
  }

  it('answers a body over the 1 MiB limit with 413 and a detail, on every write route', async () => {
    const big = `{"name":"${'x'.repeat(1024 * 1024)}"}`;
    for (const route of ROUTES) {
      const path = route.path.replace(/:[a-z_]+/g, 'some-id');
      const req: Req = { method: route.method, path, contentType: 'application/json', body: big };
      const res = await send(req);
      checkResponse(`${route.method} ${route.path}`, req, res);
      expect(res.status, describeReq(req)).toBe(413);
    }
  });

  it('generated a few thousand requests, most of them reaching past validation', async () => {
    const all: Histogram[] = [];
    for (const route of ROUTES) all.push(await fuzzRoute(route));
    const count = (pred: (s: number) => boolean) =>
      all.reduce((n, h) => n + Object.entries(h).reduce((a, [s, c]) => a + (pred(Number(s)) ? c : 0), 0), 0);
    expect(count(() => true)).toBe(ROUTES.length * RUNS_PER_ROUTE);
    expect(count((s) => s >= 500)).toBe(0);
    expect(count((s) => s >= 200 && s < 300)).toBeGreaterThan(200);
    expect(count((s) => s === 404)).toBeGreaterThan(100);
    expect(count((s) => s === 409)).toBeGreaterThan(10);
    expect(count((s) => s === 422)).toBeGreaterThan(500);
  }, 600_000);
});

// Regression tests for server bugs the fuzz found.
describe('bugs found by the fuzz (fixed)', () => {
  let t: TestSandbox;
  const raw = async (method: string, path: string, body?: string, contentType = 'application/json') => {
    const r = await fetch(`${t.url}${path}`, {
      method,
      headers: { 'x-api-key': t.adminKey, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body,
    });
    return { status: r.status, text: await r.text(), requestId: r.headers.get('x-request-id') };
  };
  const invite = async (email: string): Promise<string> => {
    const r = await t.call('POST', '/v1/admin/users', { body: { email, name: 'Pinned Invitee' } });
    expect(r.status, r.text).toBe(201);
    const dir = join(t.dataDir, 'outbox');
    const file = readdirSync(dir).find((f) => f.endsWith(`-${email}.eml`));
    const token = file && /\/invite\/([A-Za-z0-9_-]{20,})$/m.exec(readFileSync(join(dir, file), 'utf8'))?.[1];
    if (!token) throw new Error(`no invitation mail for ${email}`);
    return token;
  };

  beforeAll(async () => {
    t = await startTestSandbox({ seed: 'demo' });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('a deeply nested `definition` is refused, not answered 500 (JSON.stringify overflows the stack)', async () => {
    // POST|PATCH|PUT /v1/{workflows,agents,knowledge-bases}: 100 000 levels fit in 600 kB, under the body limit.
    const deep = `{"name":"deep","definition":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    for (const k of RESOURCE_KINDS) {
      const made = await t.call('POST', k.path, { body: { name: 'shallow' } });
      expect(made.status, made.text).toBe(201);
      for (const [method, path] of [
        ['POST', k.path],
        ['PATCH', `${k.path}/${made.body.id}`],
        ['PUT', `${k.path}/${made.body.id}`],
      ] as const) {
        const r = await raw(method, path, deep);
        expect(r.status, `${method} ${path} -> ${r.status} ${r.text}`).toBeLessThan(500);
        expect(JSON.parse(r.text).detail).toBeTruthy();
      }
    }
  });

  it('POST /invite/:token with a JSON key_group that is not a string: no 500, invitation not consumed', async () => {
    const token = await invite('pinned-keygroup@example.com');
    const r = await raw('POST', `/invite/${token}`, '{"key_group":{"a":1}}');
    // today: 500 {"detail":"internal error ..."} (RangeError: Too few parameter values were provided,
    // in Store.group via requireGroup), after acceptInvitation already committed
    expect(r.status, r.text).toBeLessThan(500);
    expect((await t.call('GET', `/v1/invitations/${token}`)).status).toBe(200);
  });

  it('accepting an invitation with create_key for a missing workspace changes nothing (one transaction)', async () => {
    const token = await invite('pinned-createkey@example.com');
    const r = await t.call('POST', `/v1/invitations/${token}/accept`, {
      key: null,
      body: { create_key: { group_id: 'no-such-workspace' } },
    });
    expect(r.status, r.text).toBe(404);
    // today: the invitation is used and the account active although the caller got a 404
    const again = await t.call('GET', `/v1/invitations/${token}`, { key: null });
    expect(again.status, again.text).toBe(200);
    const u = await t.call('GET', '/v1/admin/users/pinned-createkey@example.com');
    expect(u.body.status).toBe('invited');
  });

  it('a malformed %-escape or a path parameter over 100 characters gets `detail` and `x-request-id`', async () => {
    // today: Fastify's own 400 FST_ERR_BAD_URL / 414 FST_ERR_MAX_PARAM_LENGTH body
    // {"error","code","message","statusCode"}, no detail, no x-request-id (onRequest never ran)
    for (const path of ['/v1/admin/groups/%ZZ', `/v1/admin/groups/${'g'.repeat(101)}`]) {
      const r = await raw('PATCH', path, '{}');
      expect(r.status, r.text).toBeLessThan(500);
      expect(r.requestId ?? '(none)', `${path}: ${r.text}`).toMatch(/^req_/);
      expect(JSON.parse(r.text).detail, `${path}: ${r.text}`).toBeTruthy();
    }
  });

  it('a system key with an expanded-year expires_at that passed the "future" check is usable', async () => {
    const r = await t.call('POST', '/v1/admin/system-keys', {
      body: { name: 'far future', permissions: ['org:read'], expires_at: '+275760-09-13T00:00:00.000Z' },
    });
    // Either refuse it (422) or honour it; today: 201 with status "expired" (string comparison of
    // '+275760-...' with '2026-...'), and the key is refused with 401.
    if (r.status === 422) return;
    expect(r.status, r.text).toBe(201);
    expect(r.body.status).toBe('active');
    expect((await t.call('GET', '/v1/admin/activity', { key: r.body.value })).status).toBe(200);
  });

  it('a system key whose expires_at is an RFC 1123 date stops working at that time', async () => {
    // Its own sandbox on a manual clock: the expiry is reached by moving the clock, not by waiting.
    const clock = manualClock('2030-01-01T00:00:00Z');
    const c = await startTestSandbox({ clock });
    try {
      const expires = new Date(clock().getTime() + 2000);
      const r = await c.call('POST', '/v1/admin/system-keys', {
        body: { name: 'short lived', permissions: ['org:read'], expires_at: expires.toUTCString() },
      });
      if (r.status === 422) return; // refusing a non-ISO date is fine too
      expect(r.status, r.text).toBe(201);
      clock.advance(1999);
      expect((await c.call('GET', '/v1/admin/activity', { key: r.body.value })).status).toBe(200);
      clock.advance(1);
      // was: 200, the key never expired ('Sat, ...' > '2026-...' as strings)
      expect((await c.call('GET', '/v1/admin/activity', { key: r.body.value })).status).toBe(401);
    } finally {
      await c.cleanup();
    }
  });

  it('a name with a lone surrogate is refused or stored exactly as sent', async () => {
    const name = 'pinned \ud800 group';
    const r = await t.call('POST', '/v1/admin/groups', { body: { name } });
    if (r.status === 422) return;
    expect(r.status, r.text).toBe(201);
    // today: stored as the WTF-8 bytes ED A0 80 and read back as three U+FFFD
    expect(r.body.name).toBe(name);
    expect((await t.call('GET', `/v1/admin/groups/${r.body.id}`)).body.name).toBe(name);
  });
});
