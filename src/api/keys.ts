import type { ApiClient } from './client.js';
import { listAll } from './paging.js';
import { arr, bool, item, nullable, obj, opt, parse, str } from './schema.js';

export interface Clip {
  permission: string;
  reason: string;
  code?: string;
}

/** A workspace key as the extended API shows it (the confirmed API only has create). */
export interface ApiKey {
  id: string;
  name: string;
  kind: 'workspace';
  group_id: string | null;
  group_name?: string | null;
  tenant_admin: boolean;
  restricted: boolean;
  permissions: string[] | null;
  baseline_permissions?: string[];
  effective_permissions: string[];
  clipped: Clip[];
  degraded: boolean;
  created_by: string | null;
  created_by_email?: string | null;
  owner_id: string | null;
  holder_id: string | null;
  holder_email?: string | null;
  holder_kind?: string | null;
  holder_status?: string | null;
  holder_role?: string | null;
  value: string;
  status: 'active' | 'revoked' | 'expired';
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  rotated_from?: string | null;
}

export interface SystemKey {
  id: string;
  name: string;
  kind: 'system';
  tenant_admin: boolean;
  permissions: string[];
  created_by: string | null;
  created_by_email?: string | null;
  value: string;
  status: 'active' | 'revoked' | 'expired';
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  rotated_from?: string | null;
}

export interface CreateKeyBody {
  name: string;
  tenant_admin?: boolean;
  permissions?: string[] | null;
  owner_id?: string | null;
  expires_at?: string | null;
}

export interface KeyFilter {
  group_id?: string;
  created_by?: string;
  owner_id?: string;
  holder_id?: string;
  status?: 'active' | 'revoked' | 'expired' | 'all';
  degraded?: boolean;
}

const x = { extension: true } as const;
const enc = encodeURIComponent;

/** A new key: the secret in `value` is what matters; everything else may be missing on the public API. */
const createdKeyShape = obj({
  id: str,
  name: opt(str, ''),
  value: str,
  tenant_admin: opt(bool, false),
  permissions: opt(nullable(arr(str)), null),
  effective_permissions: opt(arr(str)),
});
/** `permissions` may be null or absent (the SDK types it optional): read as "none listed". */
const systemKeyShape = obj({
  id: str,
  name: opt(str, ''),
  kind: opt(str, 'system'),
  tenant_admin: opt(bool, false),
  permissions: opt(arr(str), []),
  created_by: opt(nullable(str), null),
  value: opt(str, ''),
  status: opt(str),
  created_at: opt(str, ''),
  last_used_at: opt(nullable(str), null),
  expires_at: opt(nullable(str), null),
  revoked_at: opt(nullable(str), null),
});
const apiKeyShape = obj({
  id: str,
  name: str,
  group_id: opt(nullable(str), null),
  tenant_admin: opt(bool, false),
  restricted: opt(bool, false),
  permissions: opt(nullable(arr(str)), null),
  effective_permissions: opt(arr(str), []),
  clipped: opt(arr(obj({ permission: str, reason: str })), []),
  degraded: opt(bool, false),
  status: str,
});

export const createKey = async (
  c: ApiClient,
  groupId: string,
  body: CreateKeyBody,
  idempotencyKey?: string,
) =>
  parse(
    'POST /v1/admin/groups/{id}/api-keys',
    createdKeyShape,
    await c.post<unknown>(`/v1/admin/groups/${enc(groupId)}/api-keys`, body, { idempotencyKey }),
  ) as unknown as ApiKey;
export const listKeys = (c: ApiClient, f: KeyFilter = {}) =>
  listAll<ApiKey>(
    c,
    '/v1/admin/api-keys',
    { ...f, degraded: f.degraded === undefined ? undefined : String(f.degraded) } as Record<
      string,
      string | undefined
    >,
    { extension: true, pageSize: 500, item: item(apiKeyShape) },
  );
export const getKey = async (c: ApiClient, id: string) =>
  parse(
    'GET /v1/admin/api-keys/{id}',
    apiKeyShape,
    await c.get<unknown>(`/v1/admin/api-keys/${enc(id)}`, undefined, x),
  ) as unknown as ApiKey;
export const revokeKey = (c: ApiClient, id: string) =>
  c.delete<ApiKey & { changed: boolean }>(`/v1/admin/api-keys/${enc(id)}`, x);
/** `expiresAt` (extension): the new key's expiry, null for none; left out, the server keeps the old key's. */
export const rotateKey = (
  c: ApiClient,
  id: string,
  overlapSeconds: number,
  idempotencyKey?: string,
  expiresAt?: string | null,
) =>
  c.post<ApiKey & { replaces: ApiKey }>(
    `/v1/admin/api-keys/${enc(id)}/rotate`,
    { overlap_seconds: overlapSeconds, ...(expiresAt !== undefined ? { expires_at: expiresAt } : {}) },
    { ...x, idempotencyKey },
  );

export const listSystemKeys = (c: ApiClient) =>
  listAll<SystemKey>(c, '/v1/admin/system-keys', {}, { item: item(systemKeyShape) });
export const createSystemKey = async (
  c: ApiClient,
  body: { name: string; permissions: string[]; tenant_admin: boolean; expires_at?: string | null },
  idempotencyKey?: string,
) =>
  parse(
    'POST /v1/admin/system-keys',
    createdKeyShape,
    await c.post<unknown>('/v1/admin/system-keys', body, { idempotencyKey }),
  ) as unknown as SystemKey;
export const revokeSystemKey = (c: ApiClient, id: string) =>
  c.delete<{ success: boolean }>(`/v1/admin/system-keys/${enc(id)}`);
export const rotateSystemKey = (c: ApiClient, id: string, overlapSeconds: number, idempotencyKey?: string) =>
  c.post<SystemKey & { replaces: SystemKey }>(
    `/v1/admin/system-keys/${enc(id)}/rotate`,
    { overlap_seconds: overlapSeconds },
    { ...x, idempotencyKey },
  );
