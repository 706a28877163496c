// A small organization as a Noxus server sends it, for the in-process `review` command tests: the
// replies every export asks for, registered on a MockAgent pool.
import type { MockServer } from './mock.js';
import { json } from './mock.js';

export const WS = [
  { id: 'w-sales', name: 'Sales', description: '' },
  { id: 'w-eng', name: 'Engineering', description: '' },
];

export const ROLES = [
  { id: 'org_admin', name: 'Org Admin', scope: 'org', permissions: ['org:admin', 'org:read'] },
  { id: 'org_base', name: 'Org Base', scope: 'org', permissions: ['org:read'] },
  // A custom org role granting org:admin makes its holders org admins (domain/identity decides).
  { id: 'r-root', name: 'Root', scope: 'org', permissions: { 'org:admin': true, 'org:read': true } },
  { id: 'ws_reader', name: 'Reader', scope: 'workspace', permissions: ['flows_view'] },
  { id: 'ws_editor', name: 'Editor', scope: 'workspace', permissions: ['flows_run', 'flows_view'] },
];

const user = (id: string, email: string, over: Record<string, unknown> = {}) => ({
  id,
  email,
  display_name: email.split('@')[0],
  name: `Name ${id}`,
  tenant_admin: false,
  is_active: true,
  status: 'active',
  kind: 'human',
  org_role: { id: 'org_base', name: 'Org Base' },
  created_at: '2026-01-01T00:00:00.000Z',
  last_active_at: '2026-11-20T10:11:12.000Z',
  ...over,
});

/** Page 1 and page 2 of the user list: the export reads them in turn. */
export const USERS_PAGE_1 = [
  user('u3', 'zed@example.com', { org_role: { id: 'r-root', name: 'Root' } }),
  user('u1', 'Ada@example.com', { tenant_admin: true, org_role: { id: 'org_admin', name: 'Org Admin' } }),
  user('u9', 'gone@example.com', { status: 'removed', is_active: false }),
];
export const USERS_PAGE_2 = [
  user('u2', 'bot@example.com', { kind: 'service' }),
  user('u4', 'new@example.com', {
    status: 'invited',
    last_active_at: null,
    invitation: { id: 'i1', created_at: '2026-11-01T00:00:00.000Z', expires_at: '2026-11-08T00:00:00.000Z' },
  }),
];

const member = (
  user_id: string,
  email: string,
  role: string,
  via = 'membership',
  terms: { reason: string | null; expires_at: string | null } = { reason: null, expires_at: null },
) => ({
  user_id,
  email,
  display_name: email,
  role: { id: role, name: role },
  via,
  since: '2026-02-01T00:00:00.000Z',
  ...terms,
});
export const MEMBERS: Record<string, unknown[]> = {
  'w-sales': [
    member('u3', 'zed@example.com', 'Admin', 'org_admin'),
    member('u2', 'bot@example.com', 'Editor', 'membership', {
      reason: 'sales sync',
      expires_at: '2027-03-01T00:00:00.000Z',
    }),
    member('u1', 'Ada@example.com', 'Admin', 'org_admin'),
  ],
  'w-eng': [
    member('u2', 'bot@example.com', 'Reader'),
    member('u1', 'Ada@example.com', 'Admin', 'org_admin'),
    member('u3', 'zed@example.com', 'Admin', 'org_admin'),
  ],
};

export const KEYS = [
  {
    id: 'k1',
    name: 'ci deploy',
    kind: 'workspace',
    group_id: 'w-eng',
    group_name: 'Engineering',
    tenant_admin: false,
    restricted: true,
    permissions: ['flows_run'],
    effective_permissions: ['flows_run'],
    clipped: [],
    degraded: false,
    created_by: 'u2',
    created_by_email: 'bot@example.com',
    owner_id: 'u2',
    holder_id: 'u2',
    holder_email: 'bot@example.com',
    holder_kind: 'service',
    value: 'noxus_…abcd',
    status: 'active',
    created_at: '2026-10-01T00:00:00.000Z',
    last_used_at: '2026-11-28T08:00:00.000Z',
    expires_at: null,
    revoked_at: null,
  },
  { ...{ id: 'k0', name: 'old', status: 'revoked', group_id: 'w-eng' } },
];

export const SYSTEM_KEYS = [
  {
    id: 's1',
    name: 'billing export',
    kind: 'system',
    tenant_admin: false,
    permissions: ['settings:read', 'org:read'],
    created_by: 'u1',
    value: 'noxus_…efgh',
    status: 'active',
    created_at: '2026-03-01T00:00:00.000Z',
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
  },
];

const query = (p: string) => new URLSearchParams(p.slice(p.indexOf('?') + 1));

/** The replies one export reads; `members: false` for a server without member lists (none asked). */
export function interceptExport(server: MockServer, o: { members?: boolean; keys?: boolean } = {}): void {
  const get = (path: (p: string) => boolean, body: unknown) =>
    server.pool.intercept({ path, method: 'GET' }).reply(200, body as object, json);
  get((p) => p.startsWith('/v1/admin/roles'), ROLES);
  get((p) => p.startsWith('/v1/admin/groups?'), WS);
  if (o.keys !== false) get((p) => p.startsWith('/v1/admin/api-keys?'), KEYS);
  get((p) => p.startsWith('/v1/admin/system-keys'), SYSTEM_KEYS);
  get((p) => p === '/v1/admin/me', { id: 'k-me', name: 'me', tenant_admin: true, organization: 'Acme' });
  const page = (n: number, items: unknown[]) => ({ items, total: 5, page: n, size: 1000, pages: 2 });
  get((p) => p.startsWith('/v1/admin/users?') && query(p).get('page') === '1', page(1, USERS_PAGE_1));
  get((p) => p.startsWith('/v1/admin/users?') && query(p).get('page') === '2', page(2, USERS_PAGE_2));
  if (o.members !== false)
    for (const [id, items] of Object.entries(MEMBERS))
      get((p) => p.startsWith(`/v1/admin/groups/${id}/members?`), items);
}
