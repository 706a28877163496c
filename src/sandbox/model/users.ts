// Users and service accounts, invitations, onboarding steps and the access report.

import { type HolderView, userWorkspacePermissions } from '../../domain/effective.js';
import { isAdminOrgRole } from '../../domain/roles.js';
import { emailProblem, nameProblem, normalizeEmail } from '../../domain/validate.js';
import { conflict, HttpError, notFound, unprocessable } from '../errors.js';
import { hashSecret, newId } from '../secrets.js';
import {
  type GroupRow,
  type InvitationRow,
  liveMembership,
  type RoleRow,
  toResource,
  type UserRow,
} from '../store.js';
import { Aggregate } from './base.js';
import type { Actor } from './types.js';
import { checkGrantTerms, type GrantTerms } from './workspaces.js';

export class Users extends Aggregate {
  /** By id, or by email: the live account, else the most recently removed one with that email. */
  findUser(ref: string): UserRow | undefined {
    if (!ref.includes('@')) return this.store.user(ref);
    const norm = normalizeEmail(ref);
    return this.store.userByEmail(norm) ?? this.store.removedUserByEmail(norm);
  }

  requireUser(ref: string): UserRow {
    const u = this.findUser(ref);
    if (!u) throw notFound(`user ${ref}`);
    return u;
  }

  isOrgAdmin(u: UserRow): boolean {
    return isAdminOrgRole(this.store.role(u.org_role_id));
  }

  holderView(u: UserRow, groupId: string | null): HolderView {
    const orgRole = this.store.role(u.org_role_id);
    const m = groupId ? this.store.membership(u.id, groupId) : undefined;
    return { status: u.status, orgRole, workspaceRole: m ? this.store.role(m.role_id) : undefined };
  }

  userPermissionsIn(u: UserRow, groupId: string): string[] {
    return userWorkspacePermissions(this.holderView(u, groupId)).permissions;
  }

  /** `roles`, when given, are every role by id: a page of users then reads them once. */
  userView(u: UserRow, roles?: ReadonlyMap<string, RoleRow>) {
    const role = roles ? roles.get(u.org_role_id) : this.store.role(u.org_role_id);
    const inv = u.status === 'invited' ? this.store.pendingInvitation(u.id) : undefined;
    const out = inv ? this.m.invitations.row(inv.id) : undefined;
    return {
      id: u.id,
      email: u.email,
      display_name: u.display_name,
      tenant_admin: isAdminOrgRole(role),
      is_active: u.status === 'active',
      name: u.name,
      avatar_url: u.avatar_url,
      status: u.status,
      kind: u.kind,
      org_role: role ? { id: role.id, name: role.name } : null,
      created_at: u.created_at,
      accepted_at: u.accepted_at,
      last_active_at: u.last_active_at,
      suspended_at: u.status === 'suspended' ? u.suspended_at : undefined,
      removed_at: u.status === 'removed' ? u.removed_at : undefined,
      invitation:
        inv && out
          ? {
              id: inv.id,
              created_at: inv.created_at,
              expires_at: inv.expires_at,
              delivery: {
                state: out.delivery_state,
                attempts: out.attempts,
                last_error: out.last_error,
                sent_at: out.sent_at,
              },
            }
          : undefined,
    };
  }

  /** Users matching the filters; with `page`, only that page is read (and `total` counted) in SQL. */
  listUsers(
    q: { status?: string; kind?: string; group_id?: string; q?: string },
    page?: { offset: number; limit: number },
  ): { rows: UserRow[]; total: number } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.status) {
      where.push('u.status = ?');
      params.push(q.status);
    } else where.push("u.status != 'removed'");
    if (q.kind) {
      where.push('u.kind = ?');
      params.push(q.kind);
    }
    if (q.group_id) {
      where.push(
        `(EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.group_id = ? AND ${liveMembership('m')}) OR u.org_role_id IN (SELECT id FROM roles WHERE scope = ? AND permissions LIKE ?))`,
      );
      params.push(q.group_id, this.now(), 'org', '%"org:admin"%');
    }
    if (q.q) {
      where.push('(u.email_norm LIKE ? OR lower(u.name) LIKE ? OR lower(u.display_name) LIKE ?)');
      const like = `%${q.q.toLowerCase()}%`;
      params.push(like, like, like);
    }
    const clause = `FROM users u WHERE ${where.join(' AND ')}`;
    if (!page) {
      const rows = this.store.all<UserRow>(`SELECT u.* ${clause} ORDER BY u.email_norm`, ...params);
      return { rows, total: rows.length };
    }
    // The workspace filter counts live grants at this instant: never reused.
    const cursor = q.group_id ? undefined : this.listCursor(JSON.stringify([q.status, q.kind, q.q]));
    const total =
      cursor?.total ?? this.store.get<{ n: number }>(`SELECT COUNT(*) n ${clause}`, ...params)?.n ?? 0;
    const after = cursor?.ends.get(page.offset);
    // email_norm is unique, so "after the previous page's last email" is exactly OFFSET's page
    // without stepping over every row before it.
    const rows =
      after !== undefined
        ? this.store.all<UserRow>(
            `SELECT u.* ${clause} AND u.email_norm > ? ORDER BY u.email_norm LIMIT ?`,
            ...params,
            after,
            page.limit,
          )
        : this.store.all<UserRow>(
            `SELECT u.* ${clause} ORDER BY u.email_norm LIMIT ? OFFSET ?`,
            ...params,
            page.limit,
            page.offset,
          );
    if (cursor) {
      cursor.total = total;
      const last = rows.at(-1);
      if (last)
        cursor.ends.set(page.offset + rows.length, (last as UserRow & { email_norm: string }).email_norm);
      if (cursor.ends.size > 64) cursor.ends.delete(cursor.ends.keys().next().value as number);
    }
    return { rows, total };
  }

  /**
   * Where the pages read so far of one filtered user list ended, and its count, while the data is
   * unchanged: the next page continues from there.
   */
  private cursor: { key: string; version: string; total?: number; ends: Map<number, string> } | undefined;

  private listCursor(key: string) {
    const version = this.store.version();
    if (this.cursor?.key !== key || this.cursor.version !== version) {
      this.cursor = { key, version, ends: new Map() };
    }
    return this.cursor;
  }

  private validateGrants(
    orgRole: RoleRow,
    workspaces: Array<{ group_id: string; role: string } & GrantTerms>,
  ): Array<{ group: GroupRow; role: RoleRow; terms: GrantTerms }> {
    const seen = new Set<string>();
    const out: Array<{ group: GroupRow; role: RoleRow; terms: GrantTerms }> = [];
    workspaces.forEach((w, i) => {
      const group = this.m.findGroup(w.group_id);
      if (!group)
        throw unprocessable(
          ['body', 'workspaces', i, 'group_id'],
          `unknown workspace "${w.group_id}"`,
          'unknown_workspace',
        );
      if (seen.has(group.id)) {
        throw unprocessable(
          ['body', 'workspaces', i, 'group_id'],
          `workspace "${group.name}" is listed twice; a user has one role per workspace`,
        );
      }
      seen.add(group.id);
      const role = this.m.findRole(w.role, 'workspace', ['body', 'workspaces', i, 'role']);
      if (isAdminOrgRole(orgRole)) {
        throw unprocessable(
          ['body', 'workspaces', i, 'role'],
          `org admins are admins on every workspace; do not give a workspace role with org role "${orgRole.name}"`,
          'org_admin_workspace_role',
        );
      }
      const terms = checkGrantTerms(w, this.m.clock(), ['body', 'workspaces', i]);
      out.push({ group, role, terms });
    });
    return out;
  }

  async createUser(
    actor: Actor,
    body: {
      email: string;
      name: string;
      display_name?: string;
      avatar_url?: string;
      org_role?: string;
      workspaces?: Array<{ group_id: string; role: string } & GrantTerms>;
      kind?: 'human' | 'service';
      send_invitation?: boolean;
    },
  ) {
    const ep = emailProblem(body.email);
    if (ep) throw unprocessable(['body', 'email'], `email ${ep}`, 'value_error.email');
    const np = nameProblem(body.name);
    if (np) throw unprocessable(['body', 'name'], `name ${np}`);
    if (body.display_name !== undefined) {
      const dp = nameProblem(body.display_name);
      if (dp) throw unprocessable(['body', 'display_name'], `display_name ${dp}`);
    }
    const kind = body.kind ?? 'human';
    const orgRole = this.m.findRole(body.org_role ?? 'Org Base', 'org', ['body', 'org_role']);
    if (kind === 'service' && isAdminOrgRole(orgRole)) {
      throw unprocessable(
        ['body', 'org_role'],
        'a service account cannot be an org admin; give it workspace roles',
      );
    }
    const grants = this.validateGrants(orgRole, body.workspaces ?? []);
    const invite = kind === 'human' && body.send_invitation !== false;
    const { user, token, again } = this.store.tx(() => {
      const existing = this.store.userByEmail(normalizeEmail(body.email));
      // The same request (same caller and Idempotency-Key) whose reply a crash lost: its record
      // was reclaimed at restart, so it runs again and answers as the first run would have.
      if (existing && actor.idempotency && existing.created_idem === actor.idempotency) {
        const pending = this.store.pendingInvitation(existing.id);
        return { user: existing, token: pending ? { id: pending.id } : undefined, again: true };
      }
      if (existing) {
        throw conflict(
          `a user with email ${existing.email} already exists (id ${existing.id}, ${existing.status})`,
          {
            user_id: existing.id,
          },
        );
      }
      const id = newId();
      const t = this.now();
      this.store.run(
        `INSERT INTO users(id, email, email_norm, name, display_name, avatar_url, status, org_role_id, kind, invited_by,
           created_at, accepted_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
        id,
        body.email,
        normalizeEmail(body.email),
        body.name,
        body.display_name ?? body.name,
        body.avatar_url ?? null,
        kind === 'service' ? 'active' : 'invited',
        orgRole.id,
        kind,
        actor.userId,
        t,
        kind === 'service' ? t : null,
      );
      for (const g of grants) {
        this.store.run(
          `INSERT INTO memberships(user_id, group_id, role_id, reason, expires_at, created_at, updated_at)
           VALUES (?,?,?,?,?,?,?)`,
          id,
          g.group.id,
          g.role.id,
          g.terms.reason ?? null,
          g.terms.expires_at ?? null,
          t,
          t,
        );
      }
      this.m.audit(actor, 'create', kind === 'service' ? 'service_account' : 'user', id, null, {
        email: body.email,
        org_role: orgRole.name,
        workspaces: grants.map((g) => ({
          workspace: g.group.name,
          role: g.role.name,
          ...(g.terms.reason ? { reason: g.terms.reason } : {}),
          ...(g.terms.expires_at ? { expires_at: g.terms.expires_at } : {}),
        })),
      });
      // The pending delivery commits with the user: a crash before the email leaves is retried.
      const inv = invite ? this.m.invitations.issue(actor, id) : undefined;
      if (actor.idempotency)
        this.store.run('UPDATE users SET created_idem = ? WHERE id = ?', actor.idempotency, id);
      return { user: this.store.user(id) as UserRow, token: inv, again: false };
    });
    if (again && token) {
      const r = this.m.invitations.row(token.id);
      const delivery =
        r?.delivery_state === 'pending'
          ? await this.m.invitations.deliver(token.id)
          : r && this.m.invitations.view(r, user.email);
      return { user, delivery };
    }
    const delivery = token ? await this.m.invitations.deliver(token.id) : undefined;
    return { user, delivery };
  }

  async resendInvitation(actor: Actor, ref: string) {
    const user = this.requireUser(ref);
    if (user.status !== 'invited') {
      throw conflict(`${user.email} is ${user.status}; only invited users can be sent an invitation`);
    }
    const inv = this.store.tx(() => this.m.invitations.issue(actor, user.id));
    return { user, delivery: await this.m.invitations.deliver(inv.id) };
  }

  invitationByToken(token: string): { inv: InvitationRow; user: UserRow } {
    const inv = this.store.get<InvitationRow>(
      'SELECT * FROM invitations WHERE token_hash = ?',
      hashSecret(token),
    );
    if (!inv) throw new HttpError(404, 'invitation not found: the link is wrong or incomplete');
    const user = this.store.user(inv.user_id) as UserRow;
    if (inv.used_at)
      throw new HttpError(410, `this invitation was already used on ${inv.used_at}; sign in instead`);
    if (inv.revoked_at) {
      throw new HttpError(
        410,
        'this invitation was replaced by a newer one or withdrawn; use the latest email',
      );
    }
    if (inv.expires_at < this.now()) {
      throw new HttpError(
        410,
        `this invitation expired on ${inv.expires_at}; ask an administrator to run: noxus users resend-invite ${user.email}`,
      );
    }
    if (user.status !== 'invited') throw new HttpError(409, `the account ${user.email} is ${user.status}`);
    return { inv, user };
  }

  acceptInvitation(token: string, body: { name?: string; display_name?: string }, requestId?: string) {
    for (const f of ['name', 'display_name'] as const) {
      if (body[f] !== undefined) {
        const p = nameProblem(body[f]);
        if (p) throw unprocessable(['body', f], `${f} ${p}`);
      }
    }
    return this.store.tx(() => {
      const { inv, user } = this.invitationByToken(token);
      const t = this.now();
      this.store.run(
        'UPDATE users SET status = ?, accepted_at = ?, name = ?, display_name = ?, last_active_at = ? WHERE id = ?',
        'active',
        t,
        body.name ?? user.name,
        body.display_name ?? body.name ?? user.display_name,
        t,
        user.id,
      );
      this.store.run('UPDATE invitations SET used_at = ? WHERE id = ?', t, inv.id);
      this.m.audit(
        { userId: user.id, email: user.email, keyId: null, requestId },
        'login',
        'user',
        user.id,
        null,
        {
          accepted_invitation: inv.id,
        },
      );
      return this.store.user(user.id) as UserRow;
    });
  }

  private assertNotLastAdmin(user: UserRow, action: string): void {
    if (user.status !== 'active' || !this.isOrgAdmin(user)) return;
    const others = this.store
      .all<UserRow>("SELECT * FROM users WHERE status = 'active' AND id != ?", user.id)
      .filter((u) => this.isOrgAdmin(u));
    if (others.length === 0) {
      throw conflict(
        `${user.email} is the last active org admin and cannot be ${action}; make another user org admin first`,
      );
    }
  }

  updateUser(
    actor: Actor,
    ref: string,
    body: { name?: string; display_name?: string; avatar_url?: string | null; org_role?: string },
  ) {
    for (const f of ['name', 'display_name'] as const) {
      if (body[f] !== undefined) {
        const p = nameProblem(body[f]);
        if (p) throw unprocessable(['body', f], `${f} ${p}`);
      }
    }
    return this.store.tx(() => {
      const user = this.requireUser(ref);
      if (user.status === 'removed') throw conflict(`${user.email} was removed from the organization`);
      const changes: Record<string, { before: unknown; after: unknown }> = {};
      let orgRoleId = user.org_role_id;
      if (body.org_role !== undefined) {
        const role = this.m.findRole(body.org_role, 'org', ['body', 'org_role']);
        if (role.id !== user.org_role_id) {
          const before = this.store.role(user.org_role_id);
          if (isAdminOrgRole(before) && !isAdminOrgRole(role)) this.assertNotLastAdmin(user, 'demoted');
          if (user.kind === 'service' && isAdminOrgRole(role)) {
            throw unprocessable(['body', 'org_role'], 'a service account cannot be an org admin');
          }
          if (isAdminOrgRole(role)) {
            // Workspace roles are meaningless for an org admin; drop them so the derived admin
            // right is the only one and a later demotion starts from a clean slate.
            this.store.run('DELETE FROM memberships WHERE user_id = ?', user.id);
          }
          changes.org_role = { before: before?.name, after: role.name };
          orgRoleId = role.id;
        }
      }
      for (const f of ['name', 'display_name', 'avatar_url'] as const) {
        if (body[f] !== undefined && body[f] !== user[f]) changes[f] = { before: user[f], after: body[f] };
      }
      if (Object.keys(changes).length) {
        this.store.run(
          'UPDATE users SET name = ?, display_name = ?, avatar_url = ?, org_role_id = ? WHERE id = ?',
          body.name ?? user.name,
          body.display_name ?? user.display_name,
          body.avatar_url === undefined ? user.avatar_url : body.avatar_url,
          orgRoleId,
          user.id,
        );
        this.m.audit(actor, 'update', 'user', user.id, null, changes);
      }
      return { user: this.store.user(user.id) as UserRow, changed: Object.keys(changes) };
    });
  }

  suspendUser(actor: Actor, ref: string) {
    return this.store.tx(() => {
      const user = this.requireUser(ref);
      if (user.status === 'suspended') return { user, changed: false };
      if (user.status === 'removed') throw conflict(`${user.email} was removed from the organization`);
      this.assertNotLastAdmin(user, 'suspended');
      this.store.run(
        "UPDATE users SET status = 'suspended', suspended_at = ? WHERE id = ?",
        this.now(),
        user.id,
      );
      this.m.audit(actor, 'update', 'user', user.id, null, {
        status: { before: user.status, after: 'suspended' },
      });
      return { user: this.store.user(user.id) as UserRow, changed: true };
    });
  }

  reactivateUser(actor: Actor, ref: string) {
    return this.store.tx(() => {
      const user = this.requireUser(ref);
      if (user.status === 'active' || user.status === 'invited') return { user, changed: false };
      if (user.status === 'removed') {
        throw conflict(
          `${user.email} was removed from the organization; add them again with noxus users add`,
        );
      }
      const next = user.accepted_at ? 'active' : 'invited';
      this.store.run('UPDATE users SET status = ?, suspended_at = NULL WHERE id = ?', next, user.id);
      this.m.audit(actor, 'update', 'user', user.id, null, { status: { before: user.status, after: next } });
      return { user: this.store.user(user.id) as UserRow, changed: true };
    });
  }

  /** Removal: memberships deleted, held keys revoked, pending invitations withdrawn; work and activity kept. */
  removeUser(actor: Actor, ref: string) {
    return this.store.tx(() => {
      const user = this.requireUser(ref);
      if (user.status === 'removed') return { user, changed: false, revoked_keys: [] as string[] };
      this.assertNotLastAdmin(user, 'removed');
      const t = this.now();
      const held = this.store.all<{ id: string }>(
        `SELECT id FROM api_keys WHERE revoked_at IS NULL AND kind = 'workspace'
           AND (owner_id = ? OR (owner_id IS NULL AND created_by = ?))`,
        user.id,
        user.id,
      );
      for (const k of held) {
        this.store.run(
          "UPDATE api_keys SET revoked_at = ?, revoked_reason = 'holder removed' WHERE id = ?",
          t,
          k.id,
        );
        this.m.audit(actor, 'delete', 'api_key', k.id, null, {
          reason: 'holder removed',
          holder: user.email,
        });
      }
      // D8: a secret they saw is a secret they may still have, whoever holds the key.
      const heldIds = new Set(held.map((k) => k.id));
      const seen = this.store
        .all<{ id: string; kind: string; group_id: string | null }>(
          `SELECT DISTINCT k.id, k.kind, k.group_id FROM key_exposures e JOIN api_keys k ON k.id = e.key_id
           WHERE e.user_id = ? AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?)
           ORDER BY k.created_at, k.id`,
          user.id,
          t,
        )
        .filter((k) => !heldIds.has(k.id));
      for (const k of seen) {
        this.store.run(
          "UPDATE api_keys SET revoked_at = ?, revoked_reason = 'secret seen by removed user' WHERE id = ?",
          t,
          k.id,
        );
        this.m.audit(actor, 'delete', k.kind === 'system' ? 'system_key' : 'api_key', k.id, k.group_id, {
          reason: 'secret seen by removed user',
          seen_by: user.email,
        });
      }
      const revoked = [...held.map((k) => k.id), ...seen.map((k) => k.id)];
      const memberships = this.store.membershipsOfUser(user.id);
      this.store.run('DELETE FROM memberships WHERE user_id = ?', user.id);
      this.store.run(
        'UPDATE invitations SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL',
        t,
        user.id,
      );
      // D10: the email is freed for a new account; this one keeps its id, history and work.
      this.store.run(
        "UPDATE users SET status = 'removed', removed_at = ?, email_norm = email_norm || '#removed:' || id WHERE id = ?",
        t,
        user.id,
      );
      this.m.audit(actor, 'delete', user.kind === 'service' ? 'service_account' : 'user', user.id, null, {
        status: { before: user.status, after: 'removed' },
        memberships: memberships.map((m) => ({ group_id: m.group_id, role_id: m.role_id })),
        revoked_keys: revoked,
      });
      return { user: this.store.user(user.id) as UserRow, changed: true, revoked_keys: revoked };
    });
  }

  markTourDone(actor: Actor, ref: string) {
    return this.store.tx(() => {
      const user = this.requireUser(ref);
      if (!user.tour_completed_at) {
        this.store.run('UPDATE users SET tour_completed_at = ? WHERE id = ?', this.now(), user.id);
        this.m.audit(actor, 'update', 'user', user.id, null, { tour_completed: true });
      }
      return this.store.user(user.id) as UserRow;
    });
  }

  onboarding(ref: string) {
    const u = this.requireUser(ref);
    // Done once an email actually left (or the person accepted): a pending delivery is not done.
    const first = this.store.get<{ at: string }>(
      "SELECT sent_at AS at FROM invitations WHERE user_id = ? AND delivery_state = 'sent' ORDER BY sent_at LIMIT 1",
      u.id,
    );
    const pending = u.status === 'invited' ? this.store.pendingInvitation(u.id) : undefined;
    const out = pending ? this.m.invitations.row(pending.id) : undefined;
    const deliveryDetail = !out
      ? undefined
      : out.delivery_state === 'sent'
        ? `sent, expires ${out.expires_at}`
        : out.delivery_state === 'failed'
          ? `delivery failed after ${out.attempts} attempt(s): ${out.last_error}`
          : `pending delivery${out.attempts ? ` (attempt ${out.attempts} failed: ${out.last_error})` : ''}`;
    const memberships = this.store.membershipsOfUser(u.id);
    const admin = this.isOrgAdmin(u);
    const earliest = memberships.map((m) => m.created_at).sort()[0];
    const hasRole = admin || memberships.length > 0;
    const roleAt = u.accepted_at && hasRole ? [u.accepted_at, earliest ?? u.accepted_at].sort()[1] : null;
    const steps = [
      {
        step: 'invitation_sent',
        title: 'Email invitation',
        done: !!first || !!u.accepted_at || u.kind === 'service',
        at: first?.at ?? null,
        detail: deliveryDetail,
      },
      { step: 'account_created', title: 'Account creation', done: !!u.accepted_at, at: u.accepted_at },
      {
        step: 'workspace_tour',
        title: 'Workspace tour (optional)',
        optional: true,
        done: !!u.tour_completed_at,
        at: u.tour_completed_at,
      },
      {
        step: 'role_assigned',
        title: 'Role assignment',
        done: !!roleAt,
        at: roleAt,
        detail: admin ? 'org admin: admin on every workspace' : `${memberships.length} workspace role(s)`,
      },
      { step: 'resource_access', title: 'Resource access', done: !!u.first_access_at, at: u.first_access_at },
    ];
    return {
      user: this.userView(u),
      steps,
      pending: steps.filter((s) => !s.done && !('optional' in s && s.optional)).map((s) => s.step),
      complete: steps.every((s) => s.done || ('optional' in s && s.optional)),
    };
  }

  /** Everything an offboarding review needs about one user. */
  access(ref: string) {
    const u = this.requireUser(ref);
    const admin = this.isOrgAdmin(u);
    const memberships = this.store.membershipsOfUser(u.id).map((m) => {
      const g = this.store.group(m.group_id) as GroupRow;
      const role = this.store.role(m.role_id);
      return {
        group_id: g.id,
        group_name: g.name,
        role: role?.name ?? m.role_id,
        via: 'membership',
        reason: m.reason,
        expires_at: m.expires_at,
      };
    });
    const workspaces = admin
      ? this.store.groups().map((g) => ({
          group_id: g.id,
          group_name: g.name,
          role: 'Admin',
          via: 'org_admin',
          reason: null,
          expires_at: null,
        }))
      : memberships;
    const held = this.m.listKeys({ kind: 'workspace', holder_id: u.id, status: 'active' });
    const createdOther = this.m
      .listKeys({ kind: 'workspace', created_by: u.id, status: 'active' })
      .filter((k) => k.owner_id !== null);
    const system = this.m.listKeys({ kind: 'system', created_by: u.id, status: 'active' });
    const exposed = this.m.exposuresOf(u.id).map((e) => ({
      ...this.m.keyView(e.key),
      how: e.how,
      first_seen_at: e.first_seen_at,
    }));
    const resources = this.store
      .all('SELECT * FROM resources WHERE owner_id = ? ORDER BY group_id, type, name', u.id)
      .map(toResource);
    const invitations = this.store.all<InvitationRow & { email: string }>(
      `SELECT i.*, u.email FROM invitations i JOIN users u ON u.id = i.user_id
       WHERE i.invited_by = ? AND i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ? ORDER BY i.created_at`,
      u.id,
      this.now(),
    );
    const last = this.store.get<{ at: string }>(
      'SELECT at FROM activity WHERE actor_user_id = ? ORDER BY seq DESC LIMIT 1',
      u.id,
    );
    const activityCount =
      this.store.get<{ n: number }>('SELECT COUNT(*) n FROM activity WHERE actor_user_id = ?', u.id)?.n ?? 0;
    return {
      user: this.userView(u),
      org_role: this.store.role(u.org_role_id)?.name ?? null,
      org_admin: admin,
      workspaces,
      keys_held: held.map((k) => this.m.keyView(k)),
      service_account_keys_created: createdOther.map((k) => this.m.keyView(k)),
      system_keys_created: system.map((k) => this.m.keyView(k)),
      keys_exposed: exposed,
      resources_owned: resources.map((r) => this.m.resourceView(r)),
      invitations_pending: invitations.map((i) => ({
        id: i.id,
        user_id: i.user_id,
        email: i.email,
        created_at: i.created_at,
        expires_at: i.expires_at,
      })),
      last_activity_at: last?.at ?? u.last_active_at,
      activity_count: activityCount,
    };
  }

  /** Marks the step "resource access" and the last activity time, at most once a second per user. */
  touchUser(u: UserRow, resourceAccess: boolean): void {
    const t = this.now();
    if (resourceAccess && !u.first_access_at) {
      this.store.run('UPDATE users SET first_access_at = ?, last_active_at = ? WHERE id = ?', t, t, u.id);
    } else if (!u.last_active_at || Date.parse(t) - Date.parse(u.last_active_at) > 1000) {
      this.store.run('UPDATE users SET last_active_at = ? WHERE id = ?', t, u.id);
    }
  }
}
