import type { ApiClient } from './client.js';
import { listAll } from './paging.js';

export type InvitationStatus = 'pending' | 'accepted' | 'expired' | 'cancelled';

/** Extension endpoint (docs/api.md, Invitations). */
export interface Invitation {
  id: string;
  user_id: string;
  email: string;
  status: InvitationStatus;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  cancelled_at: string | null;
  delivery?: { state: string; attempts: number; last_error: string | null; sent_at: string | null };
  changed?: boolean;
}

const x = { extension: true } as const;

export const listInvitations = (c: ApiClient, status: InvitationStatus | 'all') =>
  listAll<Invitation>(c, '/v1/admin/invitations', { status }, { extension: true, pageSize: 500 });
export const cancelInvitation = (c: ApiClient, id: string) =>
  c.delete<Invitation>(`/v1/admin/invitations/${encodeURIComponent(id)}`, x);
