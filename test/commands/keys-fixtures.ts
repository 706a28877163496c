// Wire replies for the keys, auth and profiles command tests: one organization with an org admin
// (the caller), a Reader service account and an Engineering workspace, shaped as src/api/*.ts reads them.
import type { MockServer } from './mock.js';
import { json } from './mock.js';

/** Matches a request path whatever its query (paging adds page, size, page_size). */
export const at =
  (path: string) =>
  (p: string): boolean =>
    p.split('?')[0] === path;

export const SECRET = 'noxus_sk_live_abcdefghijklmnop0123456789';
export const ENG = { id: 'g-eng', name: 'Engineering', description: '' };
export const ADMIN = {
  id: 'u-admin',
  email: 'admin@example.com',
  display_name: 'Admin',
  kind: 'human',
  org_role: 'Org Admin',
  org_admin: true,
};
export const BOT = {
  id: 'u-bot',
  email: 'bot@service.example.com',
  display_name: 'Bot',
  status: 'active',
  kind: 'service',
};
export const PERSON = {
  id: 'u-ada',
  email: 'ada@example.com',
  display_name: 'Ada',
  status: 'active',
  kind: 'human',
};
export const me = {
  id: 'k-me',
  name: 'admin laptop',
  tenant_admin: true,
  value: 'noxus_…wxyz',
  kind: 'workspace',
  group_id: null,
  group_name: null,
  restricted: false,
  restriction: null,
  holder: ADMIN,
  expires_at: null,
};
export const catalogue = [
  { name: 'flows_run', scope: 'workspace', description: 'Run flows' },
  { name: 'flows_edit', scope: 'workspace', description: 'Edit flows' },
  { name: 'kbs_query', scope: 'workspace', description: 'Query knowledge bases' },
  { name: 'org:read', scope: 'org', description: 'Read the organization' },
  { name: 'settings:read', scope: 'org', description: 'Read settings' },
];
export const roles = [
  {
    id: 'r-reader',
    name: 'Reader',
    scope: 'workspace',
    permissions: ['flows_run', 'agents_run', 'kbs_query'],
  },
  { id: 'r-orgadmin', name: 'Org Admin', scope: 'org', permissions: ['org:admin'] },
];
export const members = [
  {
    user_id: BOT.id,
    email: BOT.email,
    display_name: 'Bot',
    role: { id: 'r-reader', name: 'Reader' },
    via: 'membership',
  },
  {
    user_id: ADMIN.id,
    email: ADMIN.email,
    display_name: 'Admin',
    role: { id: 'r-orgadmin', name: 'Org Admin' },
    via: 'org_admin',
  },
];

/** A workspace key as GET /v1/admin/api-keys shows it. */
export function apiKey(over: Record<string, unknown> = {}) {
  return {
    id: 'k-1',
    name: 'deploy',
    kind: 'workspace',
    group_id: ENG.id,
    group_name: ENG.name,
    tenant_admin: false,
    restricted: true,
    permissions: ['flows_run'],
    effective_permissions: ['flows_run'],
    clipped: [],
    degraded: false,
    created_by: ADMIN.id,
    owner_id: BOT.id,
    holder_id: BOT.id,
    holder_email: BOT.email,
    holder_kind: 'service',
    value: 'noxus_…6789',
    status: 'active',
    created_at: '2026-11-01T00:00:00.000Z',
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
    rotated_from: null,
    ...over,
  };
}

/** Replies to the reads every `keys create` makes: catalogue, workspaces, caller, members, roles, users. */
export function createReads(
  s: MockServer,
  o: { users?: boolean; members?: boolean; me?: boolean } = {},
): void {
  s.pool.intercept({ path: '/v1/admin/permissions', method: 'GET' }).reply(200, catalogue, json);
  s.pool.intercept({ path: at('/v1/admin/groups'), method: 'GET' }).reply(200, [ENG], json);
  if (o.me !== false) s.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
  if (o.users)
    s.pool.intercept({ path: at('/v1/admin/users'), method: 'GET' }).reply(200, [BOT, PERSON], json);
  if (o.members !== false) {
    s.pool
      .intercept({ path: at(`/v1/admin/groups/${ENG.id}/members`), method: 'GET' })
      .reply(200, members, json);
    s.pool.intercept({ path: at('/v1/admin/roles'), method: 'GET' }).reply(200, roles, json);
  }
}
