import type { Clock } from '../clock.js';

export interface Actor {
  userId: string | null;
  email: string | null;
  keyId: string | null;
  requestId?: string;
  route?: string;
  method?: string;
  /** The request's Idempotency-Key as stored (a derived value, never the key). */
  idempotency?: string;
}

export interface InvitationMail {
  to: string;
  toName: string;
  inviter: string;
  organization: string;
  acceptUrl: string;
  expiresAt: string;
  grants: Array<{ workspace: string; role: string }>;
  orgRole: string;
}

export interface Mailer {
  sendInvitation(mail: InvitationMail): Promise<string>;
}

export interface ModelOptions {
  publicUrl: () => string;
  mailer?: Mailer;
  invitationTtlMs?: number;
  clock?: Clock;
  /** Invitation delivery attempts before the state becomes 'failed' (default 5). */
  deliveryAttempts?: number;
  /** First wait before retrying a failed delivery; doubles each attempt (default 2 s). */
  deliveryRetryMs?: number;
}
