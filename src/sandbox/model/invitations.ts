// The invitation outbox. An invitation is written with delivery_state 'pending' in the transaction
// that creates (or re-invites) the user; delivery happens after the commit, by the request that
// created it and by a loop that picks up whatever is still pending (after a crash, after a mail
// server refused). It is marked 'sent' only once the SMTP server (or the .eml outbox) accepted it.
//
// The accept token is minted for each attempt, just before sending, and only its hash is kept: no
// token rests in the database. If the process dies after the SMTP server accepted a message but
// before 'sent' was written, the next attempt sends a second email with a new token (the first
// link then answers "not found"): delivery is at least once, and exactly once unless the crash
// falls in that window.

import { conflict, HttpError, notFound } from '../errors.js';
import { hashSecret, newId, newToken } from '../secrets.js';
import type { InvitationRow, UserRow } from '../store.js';
import { Aggregate } from './base.js';
import type { Actor } from './types.js';

const INVITATION_TTL_MS = 7 * 86_400_000;
export const DELIVERY_MAX_ATTEMPTS = 5;
const RETRY_BASE_MS = 2_000;
const RETRY_MAX_MS = 60_000;

export type DeliveryState = 'pending' | 'sent' | 'failed';
export type InvitationStatus = 'pending' | 'accepted' | 'expired' | 'cancelled';

interface OutboxRow extends InvitationRow {
  delivery_state: DeliveryState;
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
  next_attempt_at: string | null;
}

export interface DeliveryView {
  invitation_id: string;
  expires_at: string;
  state: DeliveryState;
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
  /** Where it went once sent, otherwise what happened in words (kept for older clients). */
  delivered_to: string;
}

export class Invitations extends Aggregate {
  private readonly inFlight = new Map<string, Promise<DeliveryView>>();

  /** In the caller's transaction: withdraws earlier links and records a pending delivery. */
  issue(actor: Actor, userId: string): { id: string; expires_at: string } {
    const t = this.now();
    this.store.run(
      'UPDATE invitations SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL',
      t,
      userId,
    );
    const id = newId();
    const expires = new Date(
      this.m.clock().getTime() + (this.m.opts.invitationTtlMs ?? INVITATION_TTL_MS),
    ).toISOString();
    // The placeholder hash matches no token anyone holds; each delivery attempt mints the real one.
    this.store.run(
      `INSERT INTO invitations(id, token_hash, user_id, invited_by, created_at, expires_at, delivery_state, next_attempt_at)
       VALUES (?,?,?,?,?,?,'pending',?)`,
      id,
      hashSecret(newToken()),
      userId,
      actor.userId,
      t,
      expires,
      t,
    );
    this.m.audit(actor, 'create', 'invitation', id, null, { user_id: userId, expires_at: expires });
    return { id, expires_at: expires };
  }

  row(id: string): OutboxRow | undefined {
    return this.store.get<OutboxRow>('SELECT * FROM invitations WHERE id = ?', id);
  }

  view(r: OutboxRow, email?: string): DeliveryView {
    const resend = email ? `; resend with: noxus users resend-invite ${email}` : '';
    return {
      invitation_id: r.id,
      expires_at: r.expires_at,
      state: r.delivery_state,
      attempts: r.attempts,
      last_error: r.last_error,
      sent_at: r.sent_at,
      delivered_to:
        r.delivery_state === 'sent'
          ? (r.delivery ?? 'sent')
          : r.delivery_state === 'failed'
            ? r.last_error === 'no mailer configured'
              ? 'not sent (no mailer configured)'
              : `failed: ${r.last_error ?? 'unknown error'}${resend}`
            : r.attempts === 0
              ? 'pending delivery'
              : `pending delivery (attempt ${r.attempts} failed: ${r.last_error}; retrying)`,
    };
  }

  /** The delivery of a user's latest invitation, for the user view and onboarding. */
  latestOf(userId: string): OutboxRow | undefined {
    return this.store.get<OutboxRow>(
      'SELECT * FROM invitations WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
      userId,
    );
  }

  /** An invitation as an administrator lists it: its state from the row and the clock. */
  listView(r: OutboxRow & { email: string }) {
    return {
      id: r.id,
      user_id: r.user_id,
      email: r.email,
      status: this.statusOf(r),
      invited_by: r.invited_by,
      created_at: r.created_at,
      expires_at: r.expires_at,
      accepted_at: r.used_at,
      cancelled_at: r.revoked_at,
      delivery: {
        state: r.delivery_state,
        attempts: r.attempts,
        last_error: r.last_error,
        sent_at: r.sent_at,
      },
    };
  }

  private statusOf(r: OutboxRow): InvitationStatus {
    if (r.used_at) return 'accepted';
    if (r.revoked_at) return 'cancelled';
    return r.expires_at <= this.now() ? 'expired' : 'pending';
  }

  /** Newest first; `pending` by default (accepted, expired, cancelled or all on request). */
  list(status: InvitationStatus | 'all' = 'pending') {
    const rows = this.store.all<OutboxRow & { email: string }>(
      `SELECT i.*, u.email FROM invitations i JOIN users u ON u.id = i.user_id
       ORDER BY i.created_at DESC, i.rowid DESC`,
    );
    return rows.map((r) => this.listView(r)).filter((v) => status === 'all' || v.status === status);
  }

  /**
   * Withdraws an invitation by its id, or a user's pending one by user id or email: its link stops
   * working at once (the accept page answers 410) and the outbox no longer sends it. The user stays
   * invited without a link; \`POST /v1/admin/users/{id}/invitation\` sends a new one.
   */
  cancel(actor: Actor, ref: string) {
    return this.store.tx(() => {
      let r = this.row(ref);
      if (!r) {
        const user = this.m.findUser(ref);
        const pending = user && this.store.pendingInvitation(user.id);
        if (!user) throw notFound(`invitation ${ref}`);
        if (!pending) throw notFound(`pending invitation for ${user.email}`);
        r = this.row(pending.id) as OutboxRow;
      }
      const email = (this.store.user(r.user_id) as UserRow).email;
      if (r.used_at) throw conflict(`the invitation of ${email} was already accepted on ${r.used_at}`);
      if (r.revoked_at) return { invitation: this.listView({ ...r, email }), changed: false };
      const t = this.now();
      this.store.run('UPDATE invitations SET revoked_at = ?, next_attempt_at = NULL WHERE id = ?', t, r.id);
      this.m.audit(actor, 'delete', 'invitation', r.id, null, { user_id: r.user_id, email });
      return { invitation: this.listView({ ...(this.row(r.id) as OutboxRow), email }), changed: true };
    });
  }

  /** Sends one pending invitation now; a second caller for the same one waits for the first. */
  deliver(id: string): Promise<DeliveryView> {
    const running = this.inFlight.get(id);
    if (running) return running;
    const p = this.attempt(id).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, p);
    return p;
  }

  /** Every pending invitation whose next attempt is due; returns how many were attempted. */
  async deliverDue(limit = 16): Promise<number> {
    const t = this.now();
    const due = this.store.all<{ id: string }>(
      `SELECT id FROM invitations WHERE delivery_state = 'pending' AND used_at IS NULL AND revoked_at IS NULL
         AND expires_at > ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
       ORDER BY created_at LIMIT ?`,
      t,
      t,
      limit,
    );
    const todo = due.filter((d) => !this.inFlight.has(d.id));
    await Promise.all(todo.map((d) => this.deliver(d.id)));
    return todo.length;
  }

  /** Resolves once no delivery is running, or after `maxMs` (a hung mail server must not block a stop). */
  async idle(maxMs = 5_000): Promise<void> {
    const until = Date.now() + maxMs;
    while (this.inFlight.size && Date.now() < until) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight.values()]),
        new Promise((r) => {
          timer = setTimeout(r, Math.max(0, until - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
  }

  private async attempt(id: string): Promise<DeliveryView> {
    const prepared = this.store.tx(() => {
      const r = this.row(id);
      if (!r) throw new HttpError(404, `invitation ${id} not found`);
      const user = this.store.user(r.user_id) as UserRow;
      if (r.delivery_state !== 'pending' || r.used_at || r.revoked_at || r.expires_at <= this.now())
        return { r, user };
      if (!this.m.opts.mailer) {
        this.store.run(
          "UPDATE invitations SET delivery_state = 'failed', last_error = 'no mailer configured' WHERE id = ?",
          id,
        );
        return { r: this.row(id) as OutboxRow, user };
      }
      const token = newToken();
      this.store.run(
        'UPDATE invitations SET token_hash = ?, attempts = attempts + 1 WHERE id = ?',
        hashSecret(token),
        id,
      );
      return { r: this.row(id) as OutboxRow, user, token };
    });
    const { r, user } = prepared;
    if (!('token' in prepared) || !prepared.token || !this.m.opts.mailer) return this.view(r, user.email);
    const inviter = r.invited_by ? this.store.user(r.invited_by) : undefined;
    const grants = this.m.isOrgAdmin(user)
      ? [{ workspace: 'every workspace', role: 'Admin (org admin)' }]
      : this.store.membershipsOfUser(user.id).map((m) => ({
          workspace: this.store.group(m.group_id)?.name ?? m.group_id,
          role: this.store.role(m.role_id)?.name ?? m.role_id,
        }));
    let sentTo: string | undefined;
    let error: string | undefined;
    try {
      sentTo = await this.m.opts.mailer.sendInvitation({
        to: user.email,
        toName: user.display_name,
        inviter: inviter?.email ?? 'an administrator',
        organization: this.m.organizationName(),
        acceptUrl: `${this.m.opts.publicUrl()}/invite/${prepared.token}`,
        expiresAt: r.expires_at,
        grants,
        orgRole: this.store.role(user.org_role_id)?.name ?? user.org_role_id,
      });
    } catch (e) {
      error = (e as Error).message || String(e);
    }
    const t = this.now();
    if (sentTo !== undefined) {
      this.store.run(
        "UPDATE invitations SET delivery_state = 'sent', delivery = ?, sent_at = ?, last_error = NULL, next_attempt_at = NULL WHERE id = ?",
        sentTo,
        t,
        id,
      );
    } else {
      const max = this.m.opts.deliveryAttempts ?? DELIVERY_MAX_ATTEMPTS;
      const wait = Math.min(
        RETRY_MAX_MS,
        (this.m.opts.deliveryRetryMs ?? RETRY_BASE_MS) * 2 ** (r.attempts - 1),
      );
      this.store.run(
        'UPDATE invitations SET delivery_state = ?, last_error = ?, next_attempt_at = ? WHERE id = ?',
        r.attempts >= max ? 'failed' : 'pending',
        error ?? 'unknown error',
        new Date(this.m.clock().getTime() + wait).toISOString(),
        id,
      );
    }
    return this.view(this.row(id) as OutboxRow, user.email);
  }
}
