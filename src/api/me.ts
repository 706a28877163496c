import type { ApiClient } from './client.js';
import { arr, bool, nullable, obj, opt, parse, str } from './schema.js';

/** GET /v1/admin/me: confirmed fields first, sandbox extensions optional. */
export interface Me {
  id: string;
  name: string;
  tenant_admin: boolean;
  value: string;
  permissions?: string[];
  kind?: 'workspace' | 'system';
  group_id?: string | null;
  group_name?: string | null;
  restricted?: boolean;
  restriction?: string[] | null;
  effective_permissions?: string[];
  org_permissions?: string[];
  holder?: {
    id: string;
    email: string;
    display_name: string;
    kind: string;
    org_role: string | null;
    org_admin: boolean;
  } | null;
  expires_at?: string | null;
  organization?: string;
}

const holder = obj({
  id: str,
  email: opt(str, ''),
  display_name: opt(str, ''),
  kind: opt(str, 'human'),
  org_role: opt(nullable(str), null),
  org_admin: opt(bool, false),
});

/** The public fields are required; `permissions` and every extension may be absent or null. */
const meShape = obj({
  id: str,
  name: opt(str, ''),
  tenant_admin: bool,
  value: opt(str, ''),
  permissions: opt(arr(str)),
  kind: opt(str),
  group_id: nullable(str),
  group_name: nullable(str),
  restricted: opt(bool),
  restriction: nullable(arr(str)),
  effective_permissions: opt(arr(str)),
  org_permissions: opt(arr(str)),
  holder: nullable(holder),
  expires_at: nullable(str),
  organization: opt(str),
});

export async function getMe(client: ApiClient): Promise<Me> {
  return parse('GET /v1/admin/me', meShape, await client.get<unknown>('/v1/admin/me')) as Me;
}
