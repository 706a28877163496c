import {
  expandOrgPermissions,
  ORG_PERMISSIONS,
  type PermissionScope,
  WORKSPACE_PERMISSIONS,
} from './permissions.js';

export interface RoleDef {
  id: string;
  name: string;
  scope: PermissionScope;
  description: string;
  permissions: string[];
  builtin: boolean;
}

export const ORG_ADMIN_ROLE_ID = 'org_admin';
export const ORG_BASE_ROLE_ID = 'org_base';
export const WS_ADMIN_ROLE_ID = 'ws_admin';
export const WS_EDITOR_ROLE_ID = 'ws_editor';
export const WS_READER_ROLE_ID = 'ws_reader';

export const BUILTIN_ROLES: readonly RoleDef[] = [
  {
    id: ORG_ADMIN_ROLE_ID,
    name: 'Org Admin',
    scope: 'org',
    description: 'All organization permissions; admin on every workspace',
    permissions: [...ORG_PERMISSIONS],
    builtin: true,
  },
  {
    id: ORG_BASE_ROLE_ID,
    name: 'Org Base',
    scope: 'org',
    description: 'Read users and workspaces, create workspaces, read the organization and its settings',
    permissions: ['users:read', 'workspace:read', 'workspace:write', 'org:read', 'settings:read'],
    builtin: true,
  },
  {
    id: WS_ADMIN_ROLE_ID,
    name: 'Admin',
    scope: 'workspace',
    description: 'Everything in the workspace, including workspace_admin',
    permissions: [...WORKSPACE_PERMISSIONS],
    builtin: true,
  },
  {
    id: WS_EDITOR_ROLE_ID,
    name: 'Editor',
    scope: 'workspace',
    description: 'Build and run flows, agents and knowledge bases',
    permissions: [
      'flows_edit',
      'flows_delete',
      'flows_run',
      'agents_edit',
      'agents_delete',
      'agents_run',
      'kbs_edit',
      'kbs_delete',
      'kbs_query',
    ],
    builtin: true,
  },
  {
    id: WS_READER_ROLE_ID,
    name: 'Reader',
    scope: 'workspace',
    description: 'Run flows and agents, query knowledge bases',
    permissions: ['flows_run', 'agents_run', 'kbs_query'],
    builtin: true,
  },
];

/** An org role makes its holder an org admin when it grants `org:admin`. */
export function isAdminOrgRole(role: Pick<RoleDef, 'permissions' | 'scope'> | undefined): boolean {
  return !!role && role.scope === 'org' && expandOrgPermissions(role.permissions).includes('org:admin');
}
