import type { ApiClient } from './client.js';

import { listAll } from './paging.js';
import { arr, bool, item, obj, oneOf, opt, parse, record, str, unknownValue } from './schema.js';

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

/** Role contents and `builtin` are optional in the SDK's model: absent or null is "no permissions" / "unknown". */
export const roleShape = obj({
  id: str,
  name: str,
  description: opt(str),
  permissions: opt(oneOf(arr(str), record(unknownValue), 'a list or a map'), {}),
  scope: opt(str),
  builtin: opt(bool),
});
const permissionShape = obj({ name: str, scope: str, description: opt(str, '') });

export const listRoles = (c: ApiClient) => listAll<Role>(c, '/v1/admin/roles', {}, { item: item(roleShape) });
export const createRole = async (
  c: ApiClient,
  body: { name: string; description: string; permissions: Record<string, boolean> },
  idempotencyKey?: string,
) =>
  parse(
    'POST /v1/admin/roles',
    roleShape,
    await c.post<unknown>('/v1/admin/roles', body, { idempotencyKey }),
  ) as Role;
export const deleteRole = (c: ApiClient, id: string) =>
  c.delete<Role>(`/v1/admin/roles/${encodeURIComponent(id)}`);
export const listPermissions = async (c: ApiClient) =>
  parse(
    'GET /v1/admin/permissions',
    arr(permissionShape),
    await c.get<unknown>('/v1/admin/permissions', undefined, x),
  ) as PermissionInfo[];
export const updateRole = async (
  c: ApiClient,
  id: string,
  body: { name?: string; description?: string; permissions?: Record<string, boolean> },
) =>
  parse(
    'PATCH /v1/admin/roles/{id}',
    roleShape,
    await c.patch<unknown>(`/v1/admin/roles/${encodeURIComponent(id)}`, body, x),
  ) as Role;
