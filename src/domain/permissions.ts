// The permission catalogue the sandbox serves at GET /v1/admin/permissions. The CLI never treats
// these names as a closed enum: it reads the catalogue from whichever server it talks to.

export type PermissionScope = 'org' | 'workspace';

export interface PermissionInfo {
  name: string;
  scope: PermissionScope;
  description: string;
}

export const WORKSPACE_PERMISSIONS = [
  'flows_edit',
  'flows_delete',
  'flows_run',
  'flows_advanced',
  'agents_edit',
  'agents_delete',
  'agents_run',
  'agents_advanced',
  'kbs_edit',
  'kbs_delete',
  'kbs_query',
  'kbs_advanced',
  'integrations_edit',
  'users_edit',
  'users_delete',
  'workspace_admin',
] as const;

export const ORG_PERMISSIONS = [
  'users:read',
  'users:write',
  'users:delete',
  'workspace:read',
  'workspace:write',
  'org:read',
  'org:admin',
  'settings:read',
  'billing:manage',
  'providers:manage',
] as const;

/** Implies every other workspace permission in its workspace. */
export const WORKSPACE_ADMIN = 'workspace_admin';

const DESCRIPTIONS: Record<string, string> = {
  flows_edit: 'Create and edit flows',
  flows_delete: 'Delete flows',
  flows_run: 'Run flows',
  flows_advanced: 'Advanced flow settings',
  agents_edit: 'Create and edit agents',
  agents_delete: 'Delete agents',
  agents_run: 'Chat with and run agents',
  agents_advanced: 'Advanced agent settings',
  kbs_edit: 'Create and edit knowledge bases',
  kbs_delete: 'Delete knowledge bases',
  kbs_query: 'Query knowledge bases',
  kbs_advanced: 'Advanced knowledge base settings',
  integrations_edit: 'Manage integrations and credentials',
  users_edit: 'Add workspace members and change their roles',
  users_delete: 'Remove workspace members',
  workspace_admin: 'Administer the workspace (implies every workspace permission)',
  'users:read': 'List and read users',
  'users:write': 'Invite, update, suspend and reactivate users; manage memberships',
  'users:delete': 'Remove users from the organization',
  'workspace:read': 'List and read workspaces',
  'workspace:write': 'Create, update and delete workspaces',
  'org:read': 'Read organization details and the activity log',
  'org:admin': 'Administer the organization (roles, system keys)',
  'settings:read': 'Read organization settings',
  'billing:manage': 'Manage billing',
  'providers:manage': 'Manage model providers',
};

export function permissionCatalogue(): PermissionInfo[] {
  return [
    ...ORG_PERMISSIONS.map((name) => ({
      name,
      scope: 'org' as const,
      description: DESCRIPTIONS[name] ?? name,
    })),
    ...WORKSPACE_PERMISSIONS.map((name) => ({
      name,
      scope: 'workspace' as const,
      description: DESCRIPTIONS[name] ?? name,
    })),
  ];
}

const WS_SET: ReadonlySet<string> = new Set(WORKSPACE_PERMISSIONS);
const ORG_SET: ReadonlySet<string> = new Set(ORG_PERMISSIONS);

export function isWorkspacePermission(p: string): boolean {
  return WS_SET.has(p);
}

export function isOrgPermission(p: string): boolean {
  return ORG_SET.has(p);
}

/** `workspace_admin` implies all the others; returns a sorted, de-duplicated list. */
export function expandWorkspacePermissions(perms: Iterable<string>): string[] {
  const set = new Set<string>();
  for (const p of perms) {
    if (p === WORKSPACE_ADMIN) for (const q of WORKSPACE_PERMISSIONS) set.add(q);
    else if (WS_SET.has(p)) set.add(p);
  }
  return sortPermissions(set);
}

/** Expands `area:*` wildcards (and `*`) against the org catalogue. */
export function expandOrgPermissions(perms: Iterable<string>): string[] {
  const set = new Set<string>();
  for (const p of perms) {
    if (p === '*') for (const q of ORG_PERMISSIONS) set.add(q);
    else if (p.endsWith(':*')) {
      const area = p.slice(0, -1);
      for (const q of ORG_PERMISSIONS) if (q.startsWith(area)) set.add(q);
    } else if (ORG_SET.has(p)) set.add(p);
  }
  return sortPermissions(set);
}

const ORDER = new Map<string, number>([...ORG_PERMISSIONS, ...WORKSPACE_PERMISSIONS].map((p, i) => [p, i]));

/** Catalogue order, so output is stable and reads like the docs. */
export function sortPermissions(perms: Iterable<string>): string[] {
  return [...new Set(perms)].sort(
    (a, b) => (ORDER.get(a) ?? 1e6) - (ORDER.get(b) ?? 1e6) || (a < b ? -1 : a > b ? 1 : 0),
  );
}
