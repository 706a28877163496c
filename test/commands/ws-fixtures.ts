// A small organization in wire shapes, and the interceptors the ws and service-accounts command
// tests need: every request a command makes must be one a test expects.
import { json, type MockServer } from './mock.js';

export const ROLES = [
  { id: 'org_admin', name: 'Org Admin', scope: 'org', permissions: ['org:admin'] },
  { id: 'org_base', name: 'Org Base', scope: 'org', permissions: ['users:read', 'workspace:read'] },
  { id: 'ws_admin', name: 'Admin', scope: 'workspace', permissions: ['workspace_admin'] },
  { id: 'ws_editor', name: 'Editor', scope: 'workspace', permissions: ['flows_run', 'flows_edit'] },
  { id: 'ws_reader', name: 'Reader', scope: 'workspace', permissions: ['flows_run'] },
];

export const MKT = {
  id: 'g_mkt',
  name: 'Marketing',
  description: 'campaigns',
  created_at: '2026-01-02T03:04:05Z',
};
export const ENG = { id: 'g_eng', name: 'Engineering', description: '', created_at: '2026-01-03T00:00:00Z' };
export const GROUPS = [MKT, ENG];

const user = (id: string, email: string, name: string, org: 'org_admin' | 'org_base', extra = {}) => ({
  id,
  email,
  display_name: name.split(' ')[0] as string,
  name,
  status: 'active',
  kind: 'human',
  tenant_admin: org === 'org_admin',
  org_role: { id: org, name: org === 'org_admin' ? 'Org Admin' : 'Org Base' },
  ...extra,
});

export const ADA = user('u_ada', 'ada@example.com', 'Ada Admin', 'org_admin');
export const BOB = user('u_bob', 'bob@example.com', 'Bob Builder', 'org_base');
export const CY = user('u_cy', 'cy@example.com', 'Cy Young', 'org_base');
/** Demoted to Org Base while the wire's tenant_admin flag still says admin: the role decides. */
export const LAG = user('u_lag', 'lag@example.com', 'Lag Flag', 'org_base', { tenant_admin: true });
export const BOT = user('u_bot', 'ci@service-accounts.noxus.local', 'CI deploy', 'org_base', {
  kind: 'service',
});
export const USERS = [ADA, BOB, CY, LAG, BOT];

export const member = (
  u: { id: string; email: string; display_name: string },
  role: string,
  via = 'membership',
) => ({
  user_id: u.id,
  email: u.email,
  display_name: u.display_name,
  role: { id: role, name: ROLES.find((r) => r.id === role)?.name ?? role },
  via,
});
/** Marketing: Ada through her org role, Bob as Editor. */
export const MKT_MEMBERS = [member(ADA, 'ws_admin', 'org_admin'), member(BOB, 'ws_editor')];

const pathIs = (p: string) => (path: string) => path.split('?')[0] === p;

export function reply(server: MockServer, method: string, path: string, status: number, body: unknown) {
  server.pool.intercept({ path: pathIs(path), method }).reply(status, body as object, json);
}

export const getRoles = (s: MockServer) => reply(s, 'GET', '/v1/admin/roles', 200, ROLES);
export const getGroups = (s: MockServer, groups: unknown[] = GROUPS) =>
  reply(s, 'GET', '/v1/admin/groups', 200, groups);
export const getUsers = (s: MockServer, users: unknown[] = USERS) =>
  reply(s, 'GET', '/v1/admin/users', 200, users);
export const getMembers = (s: MockServer, group = MKT, members: unknown[] = MKT_MEMBERS) =>
  reply(s, 'GET', `/v1/admin/groups/${group.id}/members`, 200, members);

export const problem = (status: number, detail: string) => ({ detail, status });

/** The parsed --json envelope of a run's stdout. */
export const envelope = (stdout: string) =>
  JSON.parse(stdout) as Record<string, unknown> & { items: unknown[] };
