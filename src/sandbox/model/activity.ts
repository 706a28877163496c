// The activity log: one entry per change, written in the same transaction as the change.

import { newId } from '../secrets.js';
import { toActivity } from '../store.js';
import { Aggregate } from './base.js';
import type { Actor } from './types.js';

export class ActivityLog extends Aggregate {
  audit(
    actor: Actor,
    action: 'create' | 'update' | 'delete' | 'execute' | 'login' | 'lapse',
    resourceType: string,
    resourceId: string | null,
    groupId: string | null,
    summary: Record<string, unknown> = {},
    /** When it happened, if not now: a lapse is dated at the expiry, not at the sweep that saw it. */
    at: string = this.now(),
  ): void {
    this.store.run(
      `INSERT INTO activity(id, at, actor_user_id, actor_email, actor_key_id, action, resource_type, resource_id,
         group_id, summary, request_id, route, method) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      newId(),
      at,
      actor.userId,
      actor.email,
      actor.keyId,
      action,
      resourceType,
      resourceId,
      groupId,
      JSON.stringify(summary),
      actor.requestId ?? null,
      actor.route ?? null,
      actor.method ?? null,
    );
  }

  activity(q: {
    actor?: string;
    action?: string;
    resource_type?: string;
    resource_id?: string;
    group_id?: string;
    since?: string;
    until?: string;
    offset: number;
    limit: number;
  }) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.actor) {
      const u = this.m.findUser(q.actor);
      where.push('(actor_user_id = ? OR actor_key_id = ? OR actor_email = ?)');
      params.push(u?.id ?? q.actor, q.actor, u?.email ?? q.actor);
    }
    for (const f of ['action', 'resource_type', 'resource_id', 'group_id'] as const) {
      if (q[f]) {
        where.push(`${f} = ?`);
        params.push(q[f]);
      }
    }
    if (q.since) {
      where.push('at >= ?');
      params.push(q.since);
    }
    if (q.until) {
      where.push('at < ?');
      params.push(q.until);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (
      this.store.get<{ n: number }>(`SELECT COUNT(*) n FROM activity ${clause}`, ...params) as { n: number }
    ).n;
    const rows = this.store
      .all(
        `SELECT * FROM activity ${clause} ORDER BY seq DESC LIMIT ? OFFSET ?`,
        ...params,
        q.limit,
        q.offset,
      )
      .map(toActivity)
      .map(({ seq: _seq, ...rest }) => rest);
    return { rows, total };
  }
}
