import type { ApiClient } from './client.js';

/** A personal key minted for a user by the sandbox (extension endpoint POST /v1/sandbox/act-as). */
export interface ActAsKey {
  id: string;
  name: string;
  /** The secret, shown once. */
  value: string;
  group_name: string;
  holder_email: string;
  effective_permissions: string[];
}

export interface ActAsRequest {
  /** A user id or email. */
  user_id: string;
  /** A workspace name or id. */
  group_id: string;
  name?: string;
  permissions?: string[];
  tenant_admin?: boolean;
}

export const actAs = (c: ApiClient, body: ActAsRequest) =>
  c.post<ActAsKey>('/v1/sandbox/act-as', body, { extension: true });
