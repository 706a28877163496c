import type { ApiClient } from './client.js';
import { listAll } from './paging.js';

export interface Role {
  id: string;
  name: string;
  description?: string;
  /** The confirmed API uses a map of permission → granted. */
  permissions: Record<string, boolean> | string[];
  scope?: 'org' | 'workspace';
  builtin?: boolean;
}

export interface PermissionInfo {
  name: string;
  scope: 'org' | 'workspace';
  description: string;
}

const x = { extension: true } as const;

export function grantedPermissions(r: Role): string[] {
  return Array.isArray(r.permissions)
    ? r.permissions
    : Object.keys(r.permissions).filter((p) => (r.permissions as Record<string, boolean>)[p]);
}

/** A role's scope; servers that do not say are inferred from the permission names (org ones contain ':'). */
export function roleScope(r: Role): 'org' | 'workspace' {
  if (r.scope) return r.scope;
  const granted = grantedPermissions(r);
  return granted.length > 0 && granted.every((p) => p.includes(':')) ? 'org' : 'workspace';
}

export const listRoles = (c: ApiClient) => listAll<Role>(c, '/v1/admin/roles');
export const getRole = (c: ApiClient, id: string) =>
  c.get<Role>(`/v1/admin/roles/${encodeURIComponent(id)}`, undefined, x);
export const createRole = (
  c: ApiClient,
  body: { name: string; description: string; permissions: Record<string, boolean> },
) => c.post<Role>('/v1/admin/roles', body);
export const deleteRole = (c: ApiClient, id: string) =>
  c.delete<Role>(`/v1/admin/roles/${encodeURIComponent(id)}`);
export const listPermissions = (c: ApiClient) =>
  c.get<PermissionInfo[]>('/v1/admin/permissions', undefined, x);
