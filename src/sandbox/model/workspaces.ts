import { isAdminOrgRole } from '../../domain/roles.js';
import { nameProblem } from '../../domain/validate.js';
import { conflict, notFound, unprocessable } from '../errors.js';
import { newId } from '../secrets.js';
import { type GroupRow, liveMembership, type MembershipRow, type UserRow } from '../store.js';
import { Aggregate } from './base.js';
import { normalizeExpiry } from './expiry.js';
import type { Actor } from './types.js';

/** How many workspaces' member lists are kept between pages (a review reads 8 at a time). */
const MEMBER_CACHE_GROUPS = 16;
const emailOrder = new Intl.Collator();

export interface MemberRow {
  user_id: string;
  email: string;
  display_name: string;
  kind: UserRow['kind'];
  status: UserRow['status'];
  role: { id: string; name: string };
  via: 'membership' | 'org_admin';
  since: string;
  reason: string | null;
  expires_at: string | null;
}

/** A grant's extension fields as sent: absent keeps what the grant has, null clears it. */
export interface GrantTerms {
  reason?: string | null;
  expires_at?: string | null;
}

export const MAX_REASON_LENGTH = 500;

/** The actor of what the sandbox does by itself (a grant lapsing). */
const SYSTEM: Actor = { userId: null, email: 'system', keyId: null };

/** Checks a grant's reason (a name: no control, bidi or zero-width characters) and expiry (future). */
export function checkGrantTerms(terms: GrantTerms, now: Date, loc: Array<string | number>): GrantTerms {
  const out: GrantTerms = {};
  if (terms.reason !== undefined) {
    const p = terms.reason === null ? undefined : nameProblem(terms.reason, MAX_REASON_LENGTH);
    if (p) throw unprocessable([...loc, 'reason'], `reason ${p}`);
    out.reason = terms.reason;
  }
  if (terms.expires_at !== undefined) {
    out.expires_at = normalizeExpiry(terms.expires_at, now, [...loc, 'expires_at']);
  }
  return out;
}

export class Workspaces extends Aggregate {
  findGroup(ref: string): GroupRow | undefined {
    return this.store.group(ref) ?? this.store.groupByName(ref);
  }

  requireGroup(ref: string): GroupRow {
    const g = this.findGroup(ref);
    if (!g) throw notFound(`workspace ${ref}`);
    return g;
  }

  groupView(g: GroupRow) {
    return { id: g.id, name: g.name, description: g.description, created_at: g.created_at };
  }

  createGroup(actor: Actor, body: { name: string; description?: string }) {
    const p = nameProblem(body.name, 100);
    if (p) throw unprocessable(['body', 'name'], `name ${p}`);
    return this.store.tx(() => {
      const dup = this.store.groupByName(body.name);
      if (dup) throw conflict(`a workspace named "${dup.name}" already exists (id ${dup.id})`);
      const id = newId();
      this.store.run(
        'INSERT INTO groups(id, name, name_norm, description, created_by, created_at) VALUES (?,?,?,?,?,?)',
        id,
        body.name,
        body.name.normalize('NFC').toLowerCase(),
        body.description ?? '',
        actor.userId,
        this.now(),
      );
      this.m.audit(actor, 'create', 'workspace', id, id, { name: body.name });
      return this.store.group(id) as GroupRow;
    });
  }

  updateGroup(actor: Actor, ref: string, body: { name?: string; description?: string }) {
    if (body.name !== undefined) {
      const p = nameProblem(body.name, 100);
      if (p) throw unprocessable(['body', 'name'], `name ${p}`);
    }
    return this.store.tx(() => {
      const g = this.requireGroup(ref);
      if (body.name && body.name !== g.name) {
        const dup = this.store.groupByName(body.name);
        if (dup && dup.id !== g.id) throw conflict(`a workspace named "${dup.name}" already exists`);
      }
      this.store.run(
        'UPDATE groups SET name = ?, name_norm = ?, description = ? WHERE id = ?',
        body.name ?? g.name,
        (body.name ?? g.name).normalize('NFC').toLowerCase(),
        body.description ?? g.description,
        g.id,
      );
      this.m.audit(actor, 'update', 'workspace', g.id, g.id, { before: this.groupView(g), after: body });
      return this.store.group(g.id) as GroupRow;
    });
  }

  deleteGroup(actor: Actor, ref: string) {
    return this.store.tx(() => {
      const g = this.requireGroup(ref);
      const t = this.now();
      const keys = this.store.all<{ id: string }>(
        'SELECT id FROM api_keys WHERE group_id = ? AND revoked_at IS NULL',
        g.id,
      );
      this.store.run(
        "UPDATE api_keys SET revoked_at = ?, revoked_reason = 'workspace deleted' WHERE group_id = ? AND revoked_at IS NULL",
        t,
        g.id,
      );
      const resources = this.store.get<{ n: number }>(
        'SELECT COUNT(*) n FROM resources WHERE group_id = ?',
        g.id,
      )?.n;
      this.store.run('DELETE FROM groups WHERE id = ?', g.id);
      this.m.audit(actor, 'delete', 'workspace', g.id, g.id, {
        name: g.name,
        revoked_keys: keys.map((k) => k.id),
        deleted_resources: resources,
      });
      return g;
    });
  }

  members(groupId: string) {
    const g = this.requireGroup(groupId);
    const version = this.store.version();
    const now = this.now();
    const hit = this.memberCache.get(g.id);
    if (hit && hit.version === version && (hit.validUntil === null || now < hit.validUntil)) {
      return { group: g, members: hit.members };
    }
    const built = this.buildMembers(g.id, now);
    this.memberCache.delete(g.id);
    this.memberCache.set(g.id, { version, ...built });
    // A reader pages through a few workspaces at a time; older lists go first.
    for (const id of this.memberCache.keys()) {
      if (this.memberCache.size <= MEMBER_CACHE_GROUPS) break;
      this.memberCache.delete(id);
    }
    return { group: g, members: built.members };
  }

  /**
   * Members pages are slices of one sorted list; building it reads every membership of the
   * workspace, so it is kept until the data changes (the store's version) or its first grant
   * expires, and each page is then a slice.
   */
  private readonly memberCache = new Map<
    string,
    { version: string; validUntil: string | null; members: MemberRow[] }
  >();

  private buildMembers(groupId: string, now: string): { validUntil: string | null; members: MemberRow[] } {
    // Only the columns a member row shows: the whole user row, 2,000 times, was most of the cost.
    const explicit = this.store.all<
      Pick<UserRow, 'id' | 'email' | 'display_name' | 'kind' | 'status'> & {
        role_id: string;
        m_updated: string;
        m_reason: string | null;
        m_expires: string | null;
      }
    >(
      `SELECT u.id, u.email, u.display_name, u.kind, u.status, m.role_id, m.updated_at AS m_updated,
         m.reason AS m_reason, m.expires_at AS m_expires FROM memberships m
       JOIN users u ON u.id = m.user_id WHERE m.group_id = ? AND u.status != 'removed' AND ${liveMembership('m')}`,
      groupId,
      now,
    );
    const roles = new Map(this.store.roles().map((r) => [r.id, r]));
    const adminRoles = [...roles.values()].filter((r) => isAdminOrgRole(r));
    const admins = this.store.all<UserRow>(
      "SELECT * FROM users WHERE org_role_id IN (SELECT value FROM json_each(?)) AND status != 'removed'",
      JSON.stringify(adminRoles.map((r) => r.id)),
    );
    const adminNames = new Set(adminRoles.map((r) => r.name));
    const explicitIds = new Set(explicit.map((e) => e.id));
    let validUntil: string | null = null;
    const rows: MemberRow[] = [
      ...explicit.map((u) => {
        if (u.m_expires !== null && (validUntil === null || u.m_expires < validUntil))
          validUntil = u.m_expires;
        const role = roles.get(u.role_id);
        return {
          user_id: u.id,
          email: u.email,
          display_name: u.display_name,
          kind: u.kind,
          status: u.status,
          role: { id: role?.id ?? u.role_id, name: role?.name ?? u.role_id },
          via: 'membership' as const,
          since: u.m_updated,
          reason: u.m_reason,
          expires_at: u.m_expires,
        };
      }),
      ...admins
        .filter((a) => !explicitIds.has(a.id))
        .map((u) => ({
          user_id: u.id,
          email: u.email,
          display_name: u.display_name,
          kind: u.kind,
          status: u.status,
          role: { id: 'ws_admin', name: 'Admin' },
          via: 'org_admin' as const,
          since: this.adminSince(u, adminNames),
          reason: null,
          expires_at: null,
        })),
    ];
    // The same order as String#localeCompare (a collator with the default locale and options),
    // without building one per comparison; the sort is stable, so ties keep the order above.
    return { validUntil, members: rows.sort((a, b) => emailOrder.compare(a.email, b.email)) };
  }

  /**
   * When the user's org role last became an admin one. The users table keeps no such date; the
   * activity log has every org-role change, so the newest change from a non-admin role is it. A
   * user created as admin has no such entry: admin since the account's creation.
   */
  private adminSince(u: UserRow, adminNames: Set<string>): string {
    const changes = this.store.all<{ at: string; before: string | null }>(
      `SELECT at, json_extract(summary, '$.org_role.before') AS before FROM activity
       WHERE resource_type = 'user' AND resource_id = ? AND action = 'update'
         AND json_extract(summary, '$.org_role') IS NOT NULL ORDER BY seq DESC`,
      u.id,
    );
    return changes.find((c) => !c.before || !adminNames.has(c.before))?.at ?? u.created_at;
  }

  setMember(actor: Actor, groupRef: string, userRef: string, roleRef: string, terms: GrantTerms = {}) {
    const asked = checkGrantTerms(terms, this.m.clock(), ['body']);
    return this.store.tx(() => {
      // A grant whose expiry has come is logged as lapsed before anything new is recorded for it.
      this.lapseDue();
      const g = this.requireGroup(groupRef);
      const u = this.m.requireUser(userRef);
      if (u.status === 'removed') throw conflict(`${u.email} was removed from the organization`);
      const role = this.m.findRole(roleRef, 'workspace');
      if (this.m.isOrgAdmin(u)) {
        throw conflict(
          `${u.email} is an org admin and therefore admin on every workspace; change their org role to give a workspace role`,
        );
      }
      const m = this.store.membership(u.id, g.id);
      const t = this.now();
      // Omitted terms keep the grant's own, so re-running a grant without them never makes a
      // temporary grant permanent; null clears.
      const reason = asked.reason !== undefined ? asked.reason : (m?.reason ?? null);
      const expiresAt = asked.expires_at !== undefined ? asked.expires_at : (m?.expires_at ?? null);
      const result = { group: g, user: u, role, reason, expires_at: expiresAt };
      if (m && m.role_id === role.id && m.reason === reason && m.expires_at === expiresAt) {
        return { ...result, created: false, changed: false };
      }
      if (m) {
        // updated_at is when the role was last set (the member list's `since`); new terms keep it.
        this.store.run(
          'UPDATE memberships SET role_id = ?, reason = ?, expires_at = ?, updated_at = ? WHERE user_id = ? AND group_id = ?',
          role.id,
          reason,
          expiresAt,
          m.role_id === role.id ? m.updated_at : t,
          u.id,
          g.id,
        );
      } else {
        this.store.run(
          `INSERT INTO memberships(user_id, group_id, role_id, reason, expires_at, created_at, updated_at)
           VALUES (?,?,?,?,?,?,?)`,
          u.id,
          g.id,
          role.id,
          reason,
          expiresAt,
          t,
          t,
        );
      }
      const before = m ? this.store.role(m.role_id)?.name : null;
      const summary: Record<string, unknown> = {
        user_id: u.id,
        email: u.email,
        role: { before, after: role.name },
      };
      if ((m?.reason ?? null) !== reason) summary.reason = { before: m?.reason ?? null, after: reason };
      if ((m?.expires_at ?? null) !== expiresAt)
        summary.expires_at = { before: m?.expires_at ?? null, after: expiresAt };
      this.m.audit(actor, m ? 'update' : 'create', 'membership', `${g.id}:${u.id}`, g.id, summary);
      return { ...result, created: !m, changed: true };
    });
  }

  /**
   * Ends every grant whose expiry has come: the row goes, and the activity log gets one `lapse`
   * entry per grant, by "system", dated at the expiry. Reads never depend on it (the live rule in
   * store.ts already hides such a grant); it runs on every request so the log says when and why.
   */
  lapseDue(): number {
    const t = this.now();
    const dueSql =
      'SELECT * FROM memberships WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, group_id, user_id';
    if (!this.store.get(dueSql, t)) return 0;
    return this.store.tx(() => {
      let n = 0;
      for (const m of this.store.all<MembershipRow>(dueSql, t)) {
        const gone = this.store.run(
          'DELETE FROM memberships WHERE user_id = ? AND group_id = ? AND expires_at = ?',
          m.user_id,
          m.group_id,
          m.expires_at,
        );
        if (!gone) continue;
        n++;
        const u = this.store.user(m.user_id);
        this.m.audit(
          SYSTEM,
          'lapse',
          'membership',
          `${m.group_id}:${m.user_id}`,
          m.group_id,
          {
            workspace: this.store.group(m.group_id)?.name ?? m.group_id,
            user_id: m.user_id,
            email: u?.email ?? null,
            role: this.store.role(m.role_id)?.name ?? m.role_id,
            reason: m.reason,
            expires_at: m.expires_at,
          },
          m.expires_at as string,
        );
      }
      return n;
    });
  }

  removeMember(actor: Actor, groupRef: string, userRef: string) {
    return this.store.tx(() => {
      const g = this.requireGroup(groupRef);
      const u = this.m.requireUser(userRef);
      const m = this.store.membership(u.id, g.id);
      if (!m) {
        if (this.m.isOrgAdmin(u)) {
          throw conflict(
            `${u.email} is admin on ${g.name} through their org role; change the org role instead`,
          );
        }
        throw notFound(`membership of ${u.email} in ${g.name}`);
      }
      this.store.run('DELETE FROM memberships WHERE user_id = ? AND group_id = ?', u.id, g.id);
      this.m.audit(actor, 'delete', 'membership', `${g.id}:${u.id}`, g.id, {
        user_id: u.id,
        email: u.email,
        role: this.store.role(m.role_id)?.name,
      });
      return { group: g, user: u };
    });
  }
}
