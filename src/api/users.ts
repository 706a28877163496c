import { notAvailableMessage } from '../domain/features.js';
import { NotAvailableError } from '../errors.js';
import type { ApiClient } from './client.js';
import { listAll } from './paging.js';
import type { ApiReason } from './reasons.js';
import { bool, type Check, item, nullable, obj, opt, str } from './schema.js';

export type UserStatus = 'invited' | 'active' | 'suspended' | 'removed';

/** Confirmed fields: id, email, display_name, tenant_admin, is_active. The rest are sandbox/extension fields. */
export interface User {
  id: string;
  email: string;
  display_name: string;
  tenant_admin: boolean;
  is_active: boolean;
  name?: string;
  avatar_url?: string | null;
  status?: UserStatus;
  kind?: 'human' | 'service';
  org_role?: { id: string; name: string } | null;
  created_at?: string;
  accepted_at?: string | null;
  last_active_at?: string | null;
  suspended_at?: string | null;
  removed_at?: string | null;
  invitation?: {
    id: string;
    created_at: string;
    expires_at: string;
    /** Sandbox extension: the email's delivery through the server's outbox. */
    delivery?: { state: DeliveryState; attempts: number; last_error: string | null; sent_at: string | null };
  };
  changed?: boolean | string[];
}

export type DeliveryState = 'pending' | 'sent' | 'failed';

export interface Delivery {
  invitation_id: string;
  expires_at: string;
  delivered_to: string;
  /** Sandbox extension; absent from servers that send synchronously. */
  state?: DeliveryState;
  attempts?: number;
  last_error?: string | null;
}

export interface CreateUserBody {
  email: string;
  name: string;
  display_name?: string;
  avatar_url?: string;
  org_role?: string;
  workspaces?: Array<{ group_id: string; role: string; reason?: string; expires_at?: string }>;
  kind?: 'human' | 'service';
  send_invitation?: boolean;
}

/** The confirmed fields; a row must say whether the user is active (is_active, or the extension's status). */
const userShape: Check<User> = (v, at) => {
  const u = obj({
    id: str,
    email: str,
    display_name: opt(str, ''),
    tenant_admin: opt(bool, false),
    is_active: opt(bool),
    status: opt(str),
    kind: opt(str),
    name: opt(str),
    org_role: opt(nullable(obj({ id: str, name: str }))),
  })(v, at);
  if (u.is_active === undefined && u.status === undefined)
    return bool(undefined, at ? `${at}.is_active` : 'is_active') as never;
  return { ...u, is_active: u.is_active ?? u.status === 'active' } as unknown as User;
};

export interface UserFilter {
  /** `inactive`: anyone not active (the public API only says is_active). */
  status?: UserStatus | 'inactive';
  kind?: 'human' | 'service';
  group_id?: string;
  /** A filter the data cannot decide is an error (exit 8) instead of a best guess. */
  strict?: boolean;
}

/** The confirmed endpoint returns a plain array; filters are an extension the server may ignore. */
export async function listUsers(client: ApiClient, f: UserFilter = {}): Promise<User[]> {
  const rows = await listAll<User>(
    client,
    '/v1/admin/users',
    { status: f.status === 'inactive' ? undefined : f.status, kind: f.kind, group_id: f.group_id },
    { pageSize: 500, item: item(userShape) },
  );
  return filterUsers(rows, f);
}

/**
 * Applies the filters again locally, so that a server that ignores them (the public API does) gives
 * right results anyway. The public API's users carry only is_active: active/inactive can be told
 * apart, invited/suspended/removed cannot, and service accounts do not exist there.
 */
function filterUsers(rows: User[], f: UserFilter): User[] {
  const knowsStatus = rows.every((u) => u.status !== undefined);
  if (f.strict && f.status && !knowsStatus && !['active', 'inactive'].includes(f.status)) {
    throw new NotAvailableError(
      `user status "${f.status}" is not available on this server: its users only say whether they are active`,
      {
        data: { feature: 'users.suspend' },
        reason: { kind: 'status_filter_unsupported' } satisfies ApiReason,
      },
    );
  }
  if (f.strict && f.kind === 'service' && rows.some((u) => u.kind === undefined)) {
    throw new NotAvailableError(notAvailableMessage('service-accounts'), {
      data: { feature: 'service-accounts' },
    });
  }
  const statusOf = (u: User): string => u.status ?? (u.is_active ? 'active' : 'inactive');
  return rows.filter((u) => {
    if (f.kind && (u.kind ?? 'human') !== f.kind) return false;
    if (!f.status) return true;
    const st = statusOf(u);
    if (f.status === 'inactive') return st !== 'active' && st !== 'removed';
    // Lenient (internal) use: a public server's inactive user is the closest thing to suspended.
    if (f.status === 'suspended' && st === 'inactive') return true;
    return st === f.status;
  });
}

const x = { extension: true } as const;
const enc = encodeURIComponent;

export const getUser = (c: ApiClient, id: string) => c.get<User>(`/v1/admin/users/${enc(id)}`, undefined, x);
export const createUser = (c: ApiClient, body: CreateUserBody, idempotencyKey?: string) =>
  c.post<User & { invitation?: Delivery }>('/v1/admin/users', body, { ...x, idempotencyKey });
export const updateUser = (
  c: ApiClient,
  id: string,
  body: { name?: string; display_name?: string; avatar_url?: string | null; org_role?: string },
) => c.patch<User & { changed: string[] }>(`/v1/admin/users/${enc(id)}`, body, x);
export const suspendUser = (c: ApiClient, id: string, idempotencyKey?: string) =>
  c.post<User & { changed: boolean }>(`/v1/admin/users/${enc(id)}/suspend`, undefined, {
    ...x,
    idempotencyKey,
  });
export const reactivateUser = (c: ApiClient, id: string, idempotencyKey?: string) =>
  c.post<User & { changed: boolean }>(`/v1/admin/users/${enc(id)}/reactivate`, undefined, {
    ...x,
    idempotencyKey,
  });
export const removeUser = (c: ApiClient, id: string) =>
  c.delete<User & { changed: boolean; revoked_keys: string[] }>(`/v1/admin/users/${enc(id)}`, x);
export const resendInvitation = (c: ApiClient, id: string) =>
  c.post<User & { invitation: Delivery }>(`/v1/admin/users/${enc(id)}/invitation`, undefined, x);

export interface OnboardingStep {
  step: string;
  title: string;
  done: boolean;
  at: string | null;
  optional?: boolean;
  detail?: string;
}
export interface Onboarding {
  user: User;
  steps: OnboardingStep[];
  pending: string[];
  complete: boolean;
}
export const getOnboarding = (c: ApiClient, id: string) =>
  c.get<Onboarding>(`/v1/admin/users/${enc(id)}/onboarding`, undefined, x);

export interface AccessKey {
  id: string;
  name: string;
  group_id?: string | null;
  group_name?: string | null;
  permissions: string[] | null;
  effective_permissions?: string[];
  restricted?: boolean;
  holder_email?: string | null;
  owner_id?: string | null;
  last_used_at: string | null;
  status: string;
  tenant_admin?: boolean;
}

export interface AccessResource {
  id: string;
  resource_type: 'workflow' | 'agent' | 'knowledge_base';
  type: string;
  group_id: string;
  name: string;
  owner_id: string;
  owner_email: string | null;
}

/** Everything an offboarding review needs about one user (extension endpoint). */
export interface Access {
  user: User;
  org_role: string | null;
  org_admin: boolean;
  workspaces: Array<{
    group_id: string;
    group_name: string;
    role: string;
    via: string;
    reason?: string | null;
    expires_at?: string | null;
  }>;
  keys_held: AccessKey[];
  service_account_keys_created: AccessKey[];
  system_keys_created: AccessKey[];
  resources_owned: AccessResource[];
  invitations_pending: Array<{
    id: string;
    user_id: string;
    email: string;
    created_at: string;
    expires_at: string;
  }>;
  last_activity_at: string | null;
  activity_count: number;
}

export const getAccess = (c: ApiClient, id: string) =>
  c.get<Access>(`/v1/admin/users/${enc(id)}/access`, undefined, x);

export const transferResources = (
  c: ApiClient,
  body: { from_user: string; to_user: string; resource_ids?: string[] },
  idempotencyKey?: string,
) =>
  c.post<{
    from_user: string;
    to_user: string;
    transferred: Array<{ id: string; type: string; group_id: string; name: string }>;
  }>('/v1/admin/transfers', body, { ...x, idempotencyKey });
