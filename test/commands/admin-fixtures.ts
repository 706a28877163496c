// Wire-shaped users, roles and invitations for the in-process users/roles/invitations tests, and
// helpers that intercept the reads every such command starts with.
import type { Invitation } from '../../src/api/invitations.js';
import type { Role } from '../../src/api/roles.js';
import type { User } from '../../src/api/users.js';
import { json, type MockServer, mockServer } from './mock.js';

export const ROLES: Role[] = [
  { id: 'org_admin', name: 'Org Admin', permissions: { 'org:admin': true }, scope: 'org', builtin: true },
  { id: 'org_base', name: 'Org Base', permissions: { 'org:read': true }, scope: 'org', builtin: true },
  { id: 'ws_reader', name: 'Reader', permissions: { flows_run: true }, scope: 'workspace', builtin: true },
  {
    id: 'ws_editor',
    name: 'Editor',
    permissions: { flows_run: true, flows_edit: true },
    scope: 'workspace',
    builtin: true,
  },
  {
    id: 'r-runner',
    name: 'Flow Runner',
    description: 'runs flows',
    permissions: { flows_run: true, kbs_query: true },
    scope: 'workspace',
    builtin: false,
  },
];

const user = (id: string, email: string, extra: Partial<User>): User => ({
  id,
  email,
  name: email.split('@')[0],
  display_name: email.split('@')[0] as string,
  tenant_admin: false,
  is_active: true,
  status: 'active',
  kind: 'human',
  org_role: { id: 'org_base', name: 'Org Base' },
  ...extra,
});

export const OWNER = user('u-owner', 'owner@example.com', {
  tenant_admin: true,
  org_role: { id: 'org_admin', name: 'Org Admin' },
});
export const KEN = user('u-ken', 'ken@example.com', {});
export const IVY = user('u-ivy', 'ivy@example.com', { status: 'invited', is_active: false });
export const TIM = user('u-tim', 'tim@example.com', { status: 'suspended', is_active: false });
export const USERS = [OWNER, KEN, IVY, TIM];

export const GROUPS = [
  { id: 'g-mkt', name: 'Marketing', description: '' },
  { id: 'g-sup', name: 'Support', description: '' },
];

export const CATALOGUE = [
  { name: 'flows_run', scope: 'workspace', description: 'Run flows' },
  { name: 'flows_edit', scope: 'workspace', description: 'Edit flows' },
  { name: 'kbs_query', scope: 'workspace', description: 'Query knowledge bases' },
  { name: 'agents_run', scope: 'workspace', description: 'Run agents' },
  { name: 'org:read', scope: 'org', description: 'Read the organization' },
  { name: 'org:admin', scope: 'org', description: 'Administer the organization' },
];

const at = (path: string) => (p: string) => p.split('?')[0] === path;

export const onUsers = (s: MockServer, users: User[] = USERS) =>
  s.pool.intercept({ path: at('/v1/admin/users'), method: 'GET' }).reply(200, users, json);
export const onRoles = (s: MockServer, roles: Role[] = ROLES) =>
  s.pool.intercept({ path: at('/v1/admin/roles'), method: 'GET' }).reply(200, roles, json);
export const onGroups = (s: MockServer) =>
  s.pool.intercept({ path: at('/v1/admin/groups'), method: 'GET' }).reply(200, GROUPS, json);
export const onCatalogue = (s: MockServer) =>
  s.pool.intercept({ path: '/v1/admin/permissions', method: 'GET' }).reply(200, CATALOGUE, json);
export const onInvitations = (s: MockServer, items: Invitation[]) =>
  s.pool.intercept({ path: at('/v1/admin/invitations'), method: 'GET' }).reply(200, items, json);

/** `GET /v1/admin/me` for a key held by `holder` (owner@example.com by default). */
export const onMe = (s: MockServer, holder: User = OWNER) =>
  s.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(
    200,
    {
      id: 'k-ops',
      name: 'ops',
      tenant_admin: true,
      value: 'noxus_…cdef',
      holder: {
        id: holder.id,
        email: holder.email,
        display_name: holder.display_name,
        kind: 'human',
        org_admin: holder.tenant_admin,
        org_role: holder.org_role?.name ?? null,
      },
      expires_at: null,
    },
    json,
  );

/** An error reply as FastAPI sends it. */
export const detail = (text: string) => ({ detail: text });

/** Every request the mock answered, as `METHOD path` (query strings dropped), in order. */
export function calls(s: MockServer): string[] {
  return (
    s.agent
      .getCallHistory()
      ?.calls()
      .map((c) => `${c.method} ${c.path.split('?')[0]}`) ?? []
  );
}

/** A mock server that records its calls (see `calls`). */
export function recordingServer(features: 'all' | 'public' = 'all'): MockServer {
  const s = mockServer({ features });
  s.agent.enableCallHistory();
  return s;
}

/** Only reads were made. */
export const readsOnly = (s: MockServer) => calls(s).every((c) => c.startsWith('GET '));

/** Server refusals and the exit code and line each maps to (src/main.ts). */
export const REFUSALS = [
  {
    status: 403,
    text: 'missing org:admin',
    code: 6,
    line: 'error: permission denied (HTTP 403): missing org:admin (request id req-mock)\n',
  },
  {
    status: 404,
    text: 'no such thing',
    code: 5,
    line: 'error: not found (HTTP 404): no such thing (request id req-mock)\n',
  },
  {
    status: 409,
    text: 'the last active org admin must stay',
    code: 7,
    line: 'error: conflict (HTTP 409): the last active org admin must stay (request id req-mock)\n',
  },
] as const;

/** The first line of the exit-8 message for a feature the server lacks. */
export const notHere = (title: string) =>
  `error: ${title} is not available on this server (absent in this test)\n`;
