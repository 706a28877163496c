import type { ApiClient } from './client.js';
import { iteratePages, listAll } from './paging.js';
import { item, nullable, obj, opt, parse, str } from './schema.js';

/** A workspace; "group" on the wire. */
export interface Group {
  id: string;
  name: string;
  description: string;
  created_at?: string;
}

export interface Member {
  user_id: string;
  email: string;
  display_name: string;
  kind?: string;
  status?: string;
  role: { id: string; name: string };
  via: 'membership' | 'org_admin';
  since?: string;
  /** Why the grant was given and when it lapses (extension `members.terms`; null when absent). */
  reason?: string | null;
  expires_at?: string | null;
}

/** Reason and expiry of a grant: omitted keeps the current value, null clears it. */
export interface GrantTerms {
  reason?: string | null;
  expires_at?: string | null;
}

export interface MembershipChange {
  group_id: string;
  user_id: string;
  email: string;
  role: { id: string; name: string };
  reason?: string | null;
  expires_at?: string | null;
  created: boolean;
  changed: boolean;
}

const x = { extension: true } as const;
const enc = encodeURIComponent;

const groupShape = obj({
  id: str,
  name: str,
  description: opt(str, ''),
  created_at: opt(str),
});
const memberShape = obj({
  user_id: str,
  email: str,
  display_name: opt(str, ''),
  role: obj({ id: str, name: str }),
  via: opt(str, 'membership'),
  reason: nullable(str),
  expires_at: nullable(str),
});

export const listGroups = (c: ApiClient) =>
  listAll<Group>(c, '/v1/admin/groups', {}, { item: item(groupShape) });
export const createGroup = async (
  c: ApiClient,
  body: { name: string; description: string },
  idempotencyKey?: string,
) =>
  parse(
    'POST /v1/admin/groups',
    groupShape,
    await c.post<unknown>('/v1/admin/groups', body, { idempotencyKey }),
  ) as Group;
export const deleteGroup = (c: ApiClient, id: string) => c.delete<unknown>(`/v1/admin/groups/${enc(id)}`);
export const listMembers = (c: ApiClient, id: string) =>
  listAll<Member>(
    c,
    `/v1/admin/groups/${enc(id)}/members`,
    {},
    { extension: true, pageSize: 500, item: item(memberShape) },
  );
/** The members of a workspace page by page, as they arrive (a large export never holds them all). */
export const memberPages = (c: ApiClient, id: string, pageSize = 500) =>
  iteratePages<Member>(
    c,
    `/v1/admin/groups/${enc(id)}/members`,
    {},
    { extension: true, pageSize, item: item(memberShape) },
  );
export const setMember = (
  c: ApiClient,
  groupId: string,
  userId: string,
  role: string,
  terms: GrantTerms = {},
) =>
  c.put<MembershipChange>(`/v1/admin/groups/${enc(groupId)}/members/${enc(userId)}`, { role, ...terms }, x);
export const removeMember = (c: ApiClient, groupId: string, userId: string) =>
  c.delete<{ removed: boolean }>(`/v1/admin/groups/${enc(groupId)}/members/${enc(userId)}`, x);
export const updateGroup = async (c: ApiClient, id: string, body: { name?: string; description?: string }) =>
  parse(
    'PATCH /v1/admin/groups/{id}',
    groupShape,
    await c.patch<unknown>(`/v1/admin/groups/${enc(id)}`, body, x),
  ) as Group;
