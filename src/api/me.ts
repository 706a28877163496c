import type { ApiClient } from './client.js';

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

export function getMe(client: ApiClient): Promise<Me> {
  return client.get<Me>('/v1/admin/me');
}
