import type { ApiClient } from './client.js';
import { listAll } from './paging.js';

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
}

export interface MembershipChange {
  group_id: string;
  user_id: string;
  email: string;
  role: { id: string; name: string };
  created: boolean;
  changed: boolean;
}

const x = { extension: true } as const;
const enc = encodeURIComponent;

export const listGroups = (c: ApiClient) => listAll<Group>(c, '/v1/admin/groups');
export const getGroup = (c: ApiClient, id: string) =>
  c.get<Group>(`/v1/admin/groups/${enc(id)}`, undefined, x);
export const createGroup = (c: ApiClient, body: { name: string; description: string }) =>
  c.post<Group>('/v1/admin/groups', body);
export const deleteGroup = (c: ApiClient, id: string) => c.delete<unknown>(`/v1/admin/groups/${enc(id)}`);
export const listMembers = (c: ApiClient, id: string) =>
  listAll<Member>(c, `/v1/admin/groups/${enc(id)}/members`, {}, { extension: true, pageSize: 500 });
export const setMember = (c: ApiClient, groupId: string, userId: string, role: string) =>
  c.put<MembershipChange>(`/v1/admin/groups/${enc(groupId)}/members/${enc(userId)}`, { role }, x);
export const removeMember = (c: ApiClient, groupId: string, userId: string) =>
  c.delete<{ removed: boolean }>(`/v1/admin/groups/${enc(groupId)}/members/${enc(userId)}`, x);
