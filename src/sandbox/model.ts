// The sandbox's organization model: every state change, its validation, and its activity entry, in
// one transaction each. Routes authorize the caller and translate HTTP; this module owns the rules.

import {
  checkRestriction,
  clippedPermissions,
  type HolderView,
  keyWorkspacePermissions,
  userWorkspacePermissions,
} from '../domain/effective.js';
import { maskKey } from '../domain/keys.js';
import { closeMatches } from '../domain/match.js';
import {
  expandOrgPermissions,
  isOrgPermission,
  isWorkspacePermission,
  ORG_PERMISSIONS,
  sortPermissions,
  WORKSPACE_PERMISSIONS,
} from '../domain/permissions.js';
import { isAdminOrgRole } from '../domain/roles.js';
import { emailProblem, nameProblem, normalizeEmail } from '../domain/validate.js';
import { conflict, HttpError, notFound, unprocessable } from './errors.js';
import { hashSecret, newId, newSecret, newToken } from './secrets.js';
import {
  type GroupRow,
  type InvitationRow,
  type KeyRow,
  now,
  type ResourceRow,
  type ResourceType,
  type RoleRow,
  type Store,
  toActivity,
  toKey,
  toResource,
  type UserRow,
} from './store.js';

export interface Actor {
  userId: string | null;
  email: string | null;
  keyId: string | null;
  requestId?: string;
  route?: string;
  method?: string;
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
}

const INVITATION_TTL_MS = 7 * 86_400_000;
const RESOURCE_EDIT: Record<ResourceType, string> = {
  workflow: 'flows_edit',
  agent: 'agents_edit',
  knowledge_base: 'kbs_edit',
};

/** Stored as ISO 8601 UTC so that comparisons as text are comparisons in time. */
function normalizeExpiry(value: string | null | undefined): string | null {
  if (value == null) return null;
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
  const t = Date.parse(value);
  if (!iso.test(value) || Number.isNaN(t)) {
    throw unprocessable(
      ['body', 'expires_at'],
      'expires_at must be an ISO 8601 date-time with a time zone, e.g. 2027-01-31T00:00:00Z',
    );
  }
  if (t <= Date.now()) throw unprocessable(['body', 'expires_at'], `expires_at ${value} is in the past`);
  return new Date(t).toISOString();
}

export class Model {
  constructor(
    readonly store: Store,
    private readonly opts: ModelOptions,
  ) {}

  organizationName(): string {
    return this.store.meta('organization') ?? 'Noxus Sandbox';
  }

  // ---- activity --------------------------------------------------------------------------------

  audit(
    actor: Actor,
    action: 'create' | 'update' | 'delete' | 'execute' | 'login',
    resourceType: string,
    resourceId: string | null,
    groupId: string | null,
    summary: Record<string, unknown> = {},
  ): void {
    this.store.run(
      `INSERT INTO activity(id, at, actor_user_id, actor_email, actor_key_id, action, resource_type, resource_id,
         group_id, summary, request_id, route, method) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      newId(),
      now(),
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
      const u = this.findUser(q.actor);
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

  // ---- roles -----------------------------------------------------------------------------------

  findRole(
    ref: string,
    scope?: 'org' | 'workspace',
    loc: Array<string | number> = ['body', 'role'],
  ): RoleRow {
    const role = this.store.role(ref) ?? this.store.roleByName(ref);
    if (!role) {
      const names = this.store
        .roles()
        .filter((r) => !scope || r.scope === scope)
        .map((r) => r.name);
      const near = closeMatches(ref, names);
      throw unprocessable(
        loc,
        `unknown ${scope ?? ''}${scope ? ' ' : ''}role "${ref}"${near.length ? `; did you mean ${near.join(', ')}?` : ''} (known: ${names.join(', ')})`,
        'unknown_role',
      );
    }
    if (scope && role.scope !== scope) {
      throw unprocessable(
        loc,
        `"${role.name}" is ${role.scope === 'org' ? 'an organization' : 'a workspace'} role; a ${scope === 'org' ? 'organization' : 'workspace'} role is needed here`,
        'wrong_role_scope',
      );
    }
    return role;
  }

  roleView(r: RoleRow) {
    const all: readonly string[] = r.scope === 'org' ? ORG_PERMISSIONS : WORKSPACE_PERMISSIONS;
    const granted = new Set(r.scope === 'org' ? expandOrgPermissions(r.permissions) : r.permissions);
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      scope: r.scope,
      builtin: r.builtin,
      permissions: Object.fromEntries(all.map((p) => [p, granted.has(p)])),
      created_at: r.created_at,
    };
  }

  createRole(
    actor: Actor,
    body: { name: string; description?: string; permissions: Record<string, boolean> },
  ) {
    const problem = nameProblem(body.name, 100);
    if (problem) throw unprocessable(['body', 'name'], `name ${problem}`);
    const granted = Object.entries(body.permissions)
      .filter(([, on]) => on)
      .map(([p]) => p);
    const unknown = granted.filter(
      (p) => !isOrgPermission(p) && !isWorkspacePermission(p) && !p.endsWith(':*'),
    );
    if (unknown.length) {
      throw unprocessable(
        ['body', 'permissions'],
        unknown
          .map((p) => {
            const near = closeMatches(p, [...ORG_PERMISSIONS, ...WORKSPACE_PERMISSIONS]);
            return `unknown permission "${p}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`;
          })
          .join('; '),
        'unknown_permission',
      );
    }
    if (granted.length === 0)
      throw unprocessable(['body', 'permissions'], 'a role must grant at least one permission');
    const org = granted.filter((p) => !isWorkspacePermission(p));
    if (org.length && org.length !== granted.length) {
      throw unprocessable(
        ['body', 'permissions'],
        'a role is either an organization role or a workspace role; do not mix org and workspace permissions',
      );
    }
    const scope = org.length ? 'org' : 'workspace';
    return this.store.tx(() => {
      if (this.store.roleByName(body.name)) throw conflict(`a role named "${body.name}" already exists`);
      const id = newId();
      this.store.run(
        'INSERT INTO roles(id, name, name_norm, scope, description, permissions, builtin, created_at) VALUES (?,?,?,?,?,?,0,?)',
        id,
        body.name,
        body.name.normalize('NFC').toLowerCase(),
        scope,
        body.description ?? '',
        JSON.stringify(scope === 'org' ? expandOrgPermissions(granted) : sortPermissions(granted)),
        now(),
      );
      this.audit(actor, 'create', 'role', id, null, { name: body.name, scope, permissions: granted });
      return this.store.role(id) as RoleRow;
    });
  }

  deleteRole(actor: Actor, ref: string) {
    const role = this.store.role(ref) ?? this.store.roleByName(ref);
    if (!role) throw notFound(`role ${ref}`);
    if (role.builtin) throw conflict(`"${role.name}" is a built-in role and cannot be deleted`);
    return this.store.tx(() => {
      const holders = this.store.all<{ email: string }>(
        `SELECT DISTINCT u.email FROM users u LEFT JOIN memberships m ON m.user_id = u.id
         WHERE u.status != 'removed' AND (u.org_role_id = ? OR m.role_id = ?) ORDER BY u.email LIMIT 11`,
        role.id,
        role.id,
      );
      if (holders.length) {
        const names = holders.slice(0, 10).map((h) => h.email);
        throw conflict(
          `role "${role.name}" is in use by ${names.join(', ')}${holders.length > 10 ? ' and others' : ''}; assign them another role first`,
          { holders: names },
        );
      }
      this.store.run('DELETE FROM roles WHERE id = ?', role.id);
      this.audit(actor, 'delete', 'role', role.id, null, { name: role.name });
      return role;
    });
  }

  // ---- users -----------------------------------------------------------------------------------

  findUser(ref: string): UserRow | undefined {
    return ref.includes('@') ? this.store.userByEmail(normalizeEmail(ref)) : this.store.user(ref);
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

  userView(u: UserRow) {
    const role = this.store.role(u.org_role_id);
    const inv = u.status === 'invited' ? this.store.pendingInvitation(u.id) : undefined;
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
      invitation: inv ? { id: inv.id, created_at: inv.created_at, expires_at: inv.expires_at } : undefined,
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
        '(EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.group_id = ?) OR u.org_role_id IN (SELECT id FROM roles WHERE scope = ? AND permissions LIKE ?))',
      );
      params.push(q.group_id, 'org', '%"org:admin"%');
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
    const total = this.store.get<{ n: number }>(`SELECT COUNT(*) n ${clause}`, ...params)?.n ?? 0;
    const rows = this.store.all<UserRow>(
      `SELECT u.* ${clause} ORDER BY u.email_norm LIMIT ? OFFSET ?`,
      ...params,
      page.limit,
      page.offset,
    );
    return { rows, total };
  }

  private validateGrants(
    orgRole: RoleRow,
    workspaces: Array<{ group_id: string; role: string }>,
  ): Array<{ group: GroupRow; role: RoleRow }> {
    const seen = new Set<string>();
    const out: Array<{ group: GroupRow; role: RoleRow }> = [];
    workspaces.forEach((w, i) => {
      const group = this.findGroup(w.group_id);
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
      const role = this.findRole(w.role, 'workspace', ['body', 'workspaces', i, 'role']);
      if (isAdminOrgRole(orgRole)) {
        throw unprocessable(
          ['body', 'workspaces', i, 'role'],
          `org admins are admins on every workspace; do not give a workspace role with org role "${orgRole.name}"`,
          'org_admin_workspace_role',
        );
      }
      out.push({ group, role });
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
      workspaces?: Array<{ group_id: string; role: string }>;
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
    const orgRole = this.findRole(body.org_role ?? 'Org Base', 'org', ['body', 'org_role']);
    if (kind === 'service' && isAdminOrgRole(orgRole)) {
      throw unprocessable(
        ['body', 'org_role'],
        'a service account cannot be an org admin; give it workspace roles',
      );
    }
    const grants = this.validateGrants(orgRole, body.workspaces ?? []);
    const invite = kind === 'human' && body.send_invitation !== false;
    const { user, token } = this.store.tx(() => {
      const existing = this.store.userByEmail(normalizeEmail(body.email));
      if (existing) {
        throw conflict(
          `a user with email ${existing.email} already exists (id ${existing.id}, ${existing.status})`,
          {
            user_id: existing.id,
          },
        );
      }
      const id = newId();
      const t = now();
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
          'INSERT INTO memberships(user_id, group_id, role_id, created_at, updated_at) VALUES (?,?,?,?,?)',
          id,
          g.group.id,
          g.role.id,
          t,
          t,
        );
      }
      this.audit(actor, 'create', kind === 'service' ? 'service_account' : 'user', id, null, {
        email: body.email,
        org_role: orgRole.name,
        workspaces: grants.map((g) => ({ workspace: g.group.name, role: g.role.name })),
      });
      const tok = invite ? this.issueInvitation(actor, id) : undefined;
      return { user: this.store.user(id) as UserRow, token: tok };
    });
    const delivery = token ? await this.deliverInvitation(actor, user, token) : undefined;
    return { user, delivery };
  }

  private issueInvitation(actor: Actor, userId: string): { id: string; token: string; expires_at: string } {
    const t = now();
    this.store.run(
      'UPDATE invitations SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL',
      t,
      userId,
    );
    const token = newToken();
    const id = newId();
    const expires = new Date(Date.now() + (this.opts.invitationTtlMs ?? INVITATION_TTL_MS)).toISOString();
    this.store.run(
      'INSERT INTO invitations(id, token_hash, user_id, invited_by, created_at, expires_at) VALUES (?,?,?,?,?,?)',
      id,
      hashSecret(token),
      userId,
      actor.userId,
      t,
      expires,
    );
    this.audit(actor, 'create', 'invitation', id, null, { user_id: userId, expires_at: expires });
    return { id, token, expires_at: expires };
  }

  private async deliverInvitation(
    actor: Actor,
    user: UserRow,
    inv: { id: string; token: string; expires_at: string },
  ): Promise<{ invitation_id: string; expires_at: string; delivered_to: string }> {
    const grants = this.isOrgAdmin(user)
      ? [{ workspace: 'every workspace', role: 'Admin (org admin)' }]
      : this.store.membershipsOfUser(user.id).map((m) => ({
          workspace: this.store.group(m.group_id)?.name ?? m.group_id,
          role: this.store.role(m.role_id)?.name ?? m.role_id,
        }));
    let delivered = 'not sent (no mailer configured)';
    if (this.opts.mailer) {
      // A mail failure must not strand the user: the invitation exists and can be resent.
      delivered = await this.opts.mailer
        .sendInvitation({
          to: user.email,
          toName: user.display_name,
          inviter: actor.email ?? 'an administrator',
          organization: this.organizationName(),
          acceptUrl: `${this.opts.publicUrl()}/invite/${inv.token}`,
          expiresAt: inv.expires_at,
          grants,
          orgRole: this.store.role(user.org_role_id)?.name ?? user.org_role_id,
        })
        .catch((e: Error) => `failed: ${e.message}; resend with: noxus users resend-invite ${user.email}`);
    }
    this.store.run('UPDATE invitations SET delivery = ? WHERE id = ?', delivered, inv.id);
    return { invitation_id: inv.id, expires_at: inv.expires_at, delivered_to: delivered };
  }

  async resendInvitation(actor: Actor, ref: string) {
    const user = this.requireUser(ref);
    if (user.status !== 'invited') {
      throw conflict(`${user.email} is ${user.status}; only invited users can be sent an invitation`);
    }
    const inv = this.store.tx(() => this.issueInvitation(actor, user.id));
    return { user, delivery: await this.deliverInvitation(actor, user, inv) };
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
    if (inv.expires_at < now()) {
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
      const t = now();
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
      this.audit(
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
        const role = this.findRole(body.org_role, 'org', ['body', 'org_role']);
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
        this.audit(actor, 'update', 'user', user.id, null, changes);
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
      this.store.run("UPDATE users SET status = 'suspended', suspended_at = ? WHERE id = ?", now(), user.id);
      this.audit(actor, 'update', 'user', user.id, null, {
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
      this.audit(actor, 'update', 'user', user.id, null, { status: { before: user.status, after: next } });
      return { user: this.store.user(user.id) as UserRow, changed: true };
    });
  }

  /** Removal: memberships deleted, held keys revoked, pending invitations withdrawn; work and activity kept. */
  removeUser(actor: Actor, ref: string) {
    return this.store.tx(() => {
      const user = this.requireUser(ref);
      if (user.status === 'removed') return { user, changed: false, revoked_keys: [] as string[] };
      this.assertNotLastAdmin(user, 'removed');
      const t = now();
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
        this.audit(actor, 'delete', 'api_key', k.id, null, { reason: 'holder removed', holder: user.email });
      }
      const memberships = this.store.membershipsOfUser(user.id);
      this.store.run('DELETE FROM memberships WHERE user_id = ?', user.id);
      this.store.run(
        'UPDATE invitations SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL',
        t,
        user.id,
      );
      this.store.run("UPDATE users SET status = 'removed', removed_at = ? WHERE id = ?", t, user.id);
      this.audit(actor, 'delete', user.kind === 'service' ? 'service_account' : 'user', user.id, null, {
        status: { before: user.status, after: 'removed' },
        memberships: memberships.map((m) => ({ group_id: m.group_id, role_id: m.role_id })),
        revoked_keys: held.map((k) => k.id),
      });
      return {
        user: this.store.user(user.id) as UserRow,
        changed: true,
        revoked_keys: held.map((k) => k.id),
      };
    });
  }

  markTourDone(actor: Actor, ref: string) {
    return this.store.tx(() => {
      const user = this.requireUser(ref);
      if (!user.tour_completed_at) {
        this.store.run('UPDATE users SET tour_completed_at = ? WHERE id = ?', now(), user.id);
        this.audit(actor, 'update', 'user', user.id, null, { tour_completed: true });
      }
      return this.store.user(user.id) as UserRow;
    });
  }

  onboarding(ref: string) {
    const u = this.requireUser(ref);
    const first = this.store.get<{ created_at: string }>(
      'SELECT created_at FROM invitations WHERE user_id = ? ORDER BY created_at LIMIT 1',
      u.id,
    );
    const pending = u.status === 'invited' ? this.store.pendingInvitation(u.id) : undefined;
    const memberships = this.store.membershipsOfUser(u.id);
    const admin = this.isOrgAdmin(u);
    const earliest = memberships.map((m) => m.created_at).sort()[0];
    const hasRole = admin || memberships.length > 0;
    const roleAt = u.accepted_at && hasRole ? [u.accepted_at, earliest ?? u.accepted_at].sort()[1] : null;
    const steps = [
      {
        step: 'invitation_sent',
        title: 'Email invitation',
        done: !!first || u.kind === 'service',
        at: first?.created_at ?? null,
        detail: pending ? `pending, expires ${pending.expires_at}` : undefined,
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

  // ---- workspaces ------------------------------------------------------------------------------

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
        now(),
      );
      this.audit(actor, 'create', 'workspace', id, id, { name: body.name });
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
      this.audit(actor, 'update', 'workspace', g.id, g.id, { before: this.groupView(g), after: body });
      return this.store.group(g.id) as GroupRow;
    });
  }

  deleteGroup(actor: Actor, ref: string) {
    return this.store.tx(() => {
      const g = this.requireGroup(ref);
      const t = now();
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
      this.audit(actor, 'delete', 'workspace', g.id, g.id, {
        name: g.name,
        revoked_keys: keys.map((k) => k.id),
        deleted_resources: resources,
      });
      return g;
    });
  }

  members(groupId: string) {
    const g = this.requireGroup(groupId);
    const explicit = this.store.all<UserRow & { role_id: string; m_created: string; m_updated: string }>(
      `SELECT u.*, m.role_id, m.created_at AS m_created, m.updated_at AS m_updated FROM memberships m
       JOIN users u ON u.id = m.user_id WHERE m.group_id = ? AND u.status != 'removed'`,
      g.id,
    );
    const adminRoles = new Set(
      this.store
        .roles()
        .filter((r) => isAdminOrgRole(r))
        .map((r) => r.id),
    );
    const admins = this.store.all<UserRow>(
      "SELECT * FROM users WHERE status != 'removed' AND org_role_id IN (SELECT value FROM json_each(?))",
      JSON.stringify([...adminRoles]),
    );
    const rows = [
      ...explicit.map((u) => {
        const role = this.store.role(u.role_id);
        return {
          user_id: u.id,
          email: u.email,
          display_name: u.display_name,
          kind: u.kind,
          status: u.status,
          role: { id: role?.id ?? u.role_id, name: role?.name ?? u.role_id },
          via: 'membership' as const,
          since: u.m_updated,
        };
      }),
      ...admins
        .filter((a) => !explicit.some((e) => e.id === a.id))
        .map((u) => ({
          user_id: u.id,
          email: u.email,
          display_name: u.display_name,
          kind: u.kind,
          status: u.status,
          role: { id: 'ws_admin', name: 'Admin' },
          via: 'org_admin' as const,
          since: u.created_at,
        })),
    ];
    return { group: g, members: rows.sort((a, b) => a.email.localeCompare(b.email)) };
  }

  setMember(actor: Actor, groupRef: string, userRef: string, roleRef: string) {
    return this.store.tx(() => {
      const g = this.requireGroup(groupRef);
      const u = this.requireUser(userRef);
      if (u.status === 'removed') throw conflict(`${u.email} was removed from the organization`);
      const role = this.findRole(roleRef, 'workspace');
      if (this.isOrgAdmin(u)) {
        throw conflict(
          `${u.email} is an org admin and therefore admin on every workspace; change their org role to give a workspace role`,
        );
      }
      const m = this.store.membership(u.id, g.id);
      const t = now();
      if (m?.role_id === role.id) return { group: g, user: u, role, created: false, changed: false };
      if (m) {
        this.store.run(
          'UPDATE memberships SET role_id = ?, updated_at = ? WHERE user_id = ? AND group_id = ?',
          role.id,
          t,
          u.id,
          g.id,
        );
      } else {
        this.store.run(
          'INSERT INTO memberships(user_id, group_id, role_id, created_at, updated_at) VALUES (?,?,?,?,?)',
          u.id,
          g.id,
          role.id,
          t,
          t,
        );
      }
      const before = m ? this.store.role(m.role_id)?.name : null;
      this.audit(actor, m ? 'update' : 'create', 'membership', `${g.id}:${u.id}`, g.id, {
        user_id: u.id,
        email: u.email,
        role: { before, after: role.name },
      });
      return { group: g, user: u, role, created: !m, changed: true };
    });
  }

  removeMember(actor: Actor, groupRef: string, userRef: string) {
    return this.store.tx(() => {
      const g = this.requireGroup(groupRef);
      const u = this.requireUser(userRef);
      const m = this.store.membership(u.id, g.id);
      if (!m) {
        if (this.isOrgAdmin(u)) {
          throw conflict(
            `${u.email} is admin on ${g.name} through their org role; change the org role instead`,
          );
        }
        throw notFound(`membership of ${u.email} in ${g.name}`);
      }
      this.store.run('DELETE FROM memberships WHERE user_id = ? AND group_id = ?', u.id, g.id);
      this.audit(actor, 'delete', 'membership', `${g.id}:${u.id}`, g.id, {
        user_id: u.id,
        email: u.email,
        role: this.store.role(m.role_id)?.name,
      });
      return { group: g, user: u };
    });
  }

  // ---- keys ------------------------------------------------------------------------------------

  keyHolder(k: KeyRow): UserRow | undefined {
    const id = k.owner_id ?? k.created_by;
    return id ? this.store.user(id) : undefined;
  }

  keyStatus(k: KeyRow): 'active' | 'revoked' | 'expired' {
    if (k.revoked_at) return 'revoked';
    if (k.expires_at && k.expires_at <= now()) return 'expired';
    return 'active';
  }

  keyEffective(k: KeyRow): string[] {
    const holder = this.keyHolder(k);
    if (!holder || !k.group_id) return [];
    return keyWorkspacePermissions(k.restriction, this.holderView(holder, k.group_id));
  }

  keyView(k: KeyRow) {
    const status = this.keyStatus(k);
    const masked = maskKey('noxus_', k.last4);
    if (k.kind === 'system') {
      const creator = k.created_by ? this.store.user(k.created_by) : undefined;
      return {
        id: k.id,
        name: k.name,
        kind: 'system' as const,
        tenant_admin: k.tenant_admin,
        permissions: k.permissions ?? [],
        created_by: k.created_by,
        created_by_email: creator?.email ?? null,
        value: masked,
        status,
        created_at: k.created_at,
        last_used_at: k.last_used_at,
        expires_at: k.expires_at,
        revoked_at: k.revoked_at,
        rotated_from: k.rotated_from,
      };
    }
    const holder = this.keyHolder(k);
    const creator = k.created_by ? this.store.user(k.created_by) : undefined;
    const group = k.group_id ? this.store.group(k.group_id) : undefined;
    const view = holder && k.group_id ? this.holderView(holder, k.group_id) : undefined;
    const effective = view ? keyWorkspacePermissions(k.restriction, view) : [];
    const clipped = view
      ? clippedPermissions(k.baseline, view, { holder: holder?.email ?? '?', workspace: group?.name ?? '?' })
      : k.baseline.map((permission) => ({
          permission,
          code: 'holder_inactive',
          reason: 'holder no longer exists',
        }));
    return {
      id: k.id,
      name: k.name,
      kind: 'workspace' as const,
      group_id: k.group_id,
      group_name: group?.name ?? null,
      tenant_admin: k.tenant_admin,
      restricted: k.restriction !== null,
      permissions: k.restriction,
      baseline_permissions: k.baseline,
      effective_permissions: status === 'active' ? effective : [],
      clipped,
      degraded: clipped.length > 0,
      created_by: k.created_by,
      created_by_email: creator?.email ?? null,
      created_by_key: k.created_by_key,
      owner_id: k.owner_id,
      holder_id: holder?.id ?? null,
      holder_email: holder?.email ?? null,
      holder_kind: holder?.kind ?? null,
      holder_status: holder?.status ?? null,
      holder_role:
        view?.workspaceRole?.name ?? (view && isAdminOrgRole(view.orgRole) ? 'Admin (org admin)' : null),
      value: masked,
      status,
      created_at: k.created_at,
      last_used_at: k.last_used_at,
      expires_at: k.expires_at,
      revoked_at: k.revoked_at,
      revoked_reason: k.revoked_reason,
      rotated_from: k.rotated_from,
    };
  }

  private insertKey(
    k: Omit<KeyRow, 'hash' | 'last4' | 'created_at' | 'last_used_at' | 'revoked_at' | 'revoked_reason'>,
  ) {
    const secret = newSecret();
    this.store.run(
      `INSERT INTO api_keys(id, kind, name, group_id, created_by, created_by_key, owner_id, tenant_admin, restriction,
         permissions, baseline, hash, last4, created_at, expires_at, rotated_from) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      k.id,
      k.kind,
      k.name,
      k.group_id,
      k.created_by,
      k.created_by_key,
      k.owner_id,
      k.tenant_admin ? 1 : 0,
      k.restriction === null ? null : JSON.stringify(k.restriction),
      k.permissions === null ? null : JSON.stringify(k.permissions),
      JSON.stringify(k.baseline),
      hashSecret(secret),
      secret.slice(-4),
      now(),
      k.expires_at,
      k.rotated_from,
    );
    return secret;
  }

  /**
   * Creates a workspace key. `creator` is the user whose permissions bound the key (null when a
   * system key mints it); `callerBound` is the calling key's own effective set in this workspace,
   * so a restricted key can never mint a broader one.
   */
  createWorkspaceKey(
    actor: Actor,
    input: {
      groupRef: string;
      name: string;
      permissions: string[] | null | undefined;
      owner_id?: string | null;
      expires_at?: string | null;
      tenant_admin?: boolean;
      creator: UserRow | null;
      callerKeyId: string | null;
      callerBound: string[] | null;
      rotatedFrom?: string | null;
      createdByOverride?: string | null;
    },
  ) {
    const np = nameProblem(input.name, 100);
    if (np) throw unprocessable(['body', 'name'], `name ${np}`);
    const g = this.requireGroup(input.groupRef);
    const expiresAt = normalizeExpiry(input.expires_at);
    let owner: UserRow | undefined;
    if (input.owner_id) {
      owner = this.findUser(input.owner_id);
      if (!owner) throw unprocessable(['body', 'owner_id'], `unknown owner "${input.owner_id}"`);
      if (owner.status !== 'active')
        throw unprocessable(['body', 'owner_id'], `owner ${owner.email} is ${owner.status}`);
      if (input.creator && owner.kind !== 'service') {
        throw unprocessable(
          ['body', 'owner_id'],
          `${owner.email} is a person, not a service account; keys are owned by service accounts (create one with noxus service-accounts create)`,
          'owner_not_service_account',
        );
      }
    }
    if (!input.creator && !owner) {
      throw unprocessable(
        ['body', 'owner_id'],
        'a key minted with a system key must name its owner (owner_id)',
      );
    }
    const holder = (owner ?? input.creator) as UserRow;
    let restriction = input.permissions === undefined ? null : input.permissions;
    if (restriction !== null) {
      if (!Array.isArray(restriction))
        throw unprocessable(['body', 'permissions'], 'permissions must be a list');
      const check = checkRestriction(restriction);
      if (check.empty) {
        throw unprocessable(
          ['body', 'permissions'],
          'an empty restriction is not allowed; omit permissions for an unrestricted key, or list at least one',
          'empty_restriction',
        );
      }
      if (check.unknown.length) {
        throw unprocessable(
          ['body', 'permissions'],
          check.unknown
            .map((p) => {
              const near = closeMatches(p, WORKSPACE_PERMISSIONS);
              return `unknown permission "${p}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`;
            })
            .join('; '),
          'unknown_permission',
        );
      }
      if (check.orgScoped.length) {
        throw unprocessable(
          ['body', 'permissions'],
          `${check.orgScoped.join(', ')} ${check.orgScoped.length > 1 ? 'are organization permissions' : 'is an organization permission'}; a workspace key takes workspace permissions only`,
          'org_permission_on_workspace_key',
        );
      }
      restriction = sortPermissions(restriction);
    } else if (input.callerBound) {
      // An unrestricted key minted through a restricted key inherits that restriction.
      if (input.callerBound.length < WORKSPACE_PERMISSIONS.length) restriction = input.callerBound;
    }
    const bounds: Array<{ who: string; perms: string[] }> = [];
    if (input.creator) {
      bounds.push({
        who: `creator ${input.creator.email}`,
        perms: this.userPermissionsIn(input.creator, g.id),
      });
    }
    if (owner)
      bounds.push({ who: `service account ${owner.email}`, perms: this.userPermissionsIn(owner, g.id) });
    if (input.callerBound) bounds.push({ who: 'the calling key', perms: input.callerBound });
    for (const b of bounds) {
      if (b.perms.length === 0) {
        throw new HttpError(403, `${b.who} has no role in workspace ${g.name}`, {
          missing: restriction ?? [],
        });
      }
    }
    if (restriction !== null) {
      const missing = new Map<string, string[]>();
      for (const b of bounds) {
        const c = checkRestriction(restriction, b.perms);
        if (c.missing.length) missing.set(b.who, c.missing);
      }
      if (missing.size) {
        const all = sortPermissions([...missing.values()].flat());
        throw new HttpError(
          403,
          `a key can never have more permissions than its creator: ${[...missing.entries()]
            .map(([who, ps]) => `${who} lacks ${ps.join(', ')} in ${g.name}`)
            .join('; ')}`,
          { missing: all },
        );
      }
    }
    if (input.tenant_admin && !(input.creator && this.isOrgAdmin(input.creator))) {
      throw new HttpError(403, 'only an org admin can create a tenant admin key', { missing: ['org:admin'] });
    }
    return this.store.tx(() => {
      const id = newId();
      const baseline = keyWorkspacePermissions(restriction, this.holderView(holder, g.id));
      const secret = this.insertKey({
        id,
        kind: 'workspace',
        name: input.name,
        group_id: g.id,
        created_by:
          input.createdByOverride !== undefined ? input.createdByOverride : (input.creator?.id ?? null),
        created_by_key: input.callerKeyId,
        owner_id: owner?.id ?? null,
        tenant_admin: !!input.tenant_admin,
        restriction,
        permissions: null,
        baseline,
        expires_at: expiresAt,
        rotated_from: input.rotatedFrom ?? null,
      });
      this.audit(actor, 'create', 'api_key', id, g.id, {
        name: input.name,
        restriction,
        owner: owner?.email ?? null,
        holder: holder.email,
        tenant_admin: !!input.tenant_admin,
        rotated_from: input.rotatedFrom ?? null,
      });
      return { key: this.store.key(id) as KeyRow, secret };
    });
  }

  createSystemKey(
    actor: Actor,
    body: { name: string; permissions: string[]; tenant_admin?: boolean; expires_at?: string | null },
    rotatedFrom: string | null = null,
  ) {
    const np = nameProblem(body.name, 100);
    if (np) throw unprocessable(['body', 'name'], `name ${np}`);
    const bad = body.permissions.filter((p) => expandOrgPermissions([p]).length === 0);
    if (bad.length) {
      throw unprocessable(
        ['body', 'permissions'],
        bad
          .map((p) => {
            const near = closeMatches(p, ORG_PERMISSIONS);
            const ws = isWorkspacePermission(p)
              ? ' (a workspace permission; system keys take org permissions)'
              : '';
            return `unknown org permission "${p}"${ws}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`;
          })
          .join('; '),
        'unknown_permission',
      );
    }
    if (body.permissions.length === 0 && !body.tenant_admin) {
      throw unprocessable(
        ['body', 'permissions'],
        'a system key needs at least one permission (or tenant_admin)',
      );
    }
    const expiresAt = normalizeExpiry(body.expires_at);
    return this.store.tx(() => {
      const id = newId();
      const secret = this.insertKey({
        id,
        kind: 'system',
        name: body.name,
        group_id: null,
        created_by: actor.userId,
        created_by_key: actor.keyId,
        owner_id: null,
        tenant_admin: !!body.tenant_admin,
        restriction: null,
        permissions: [...new Set(body.permissions)],
        baseline: [],
        expires_at: expiresAt,
        rotated_from: rotatedFrom,
      });
      this.audit(actor, 'create', 'system_key', id, null, {
        name: body.name,
        permissions: body.permissions,
        tenant_admin: !!body.tenant_admin,
        rotated_from: rotatedFrom,
      });
      return { key: this.store.key(id) as KeyRow, secret };
    });
  }

  listKeys(q: {
    kind: 'workspace' | 'system';
    group_id?: string;
    created_by?: string;
    owner_id?: string;
    holder_id?: string;
    status?: string;
  }): KeyRow[] {
    const where = ['kind = ?'];
    const params: unknown[] = [q.kind];
    if (q.group_id) {
      where.push('group_id = ?');
      params.push(q.group_id);
    }
    if (q.created_by) {
      where.push('created_by = ?');
      params.push(q.created_by);
    }
    if (q.owner_id) {
      where.push('owner_id = ?');
      params.push(q.owner_id);
    }
    if (q.holder_id) {
      where.push('(owner_id = ? OR (owner_id IS NULL AND created_by = ?))');
      params.push(q.holder_id, q.holder_id);
    }
    const rows = this.store
      .all(`SELECT * FROM api_keys WHERE ${where.join(' AND ')} ORDER BY created_at, id`, ...params)
      .map(toKey);
    const status = q.status ?? 'active';
    return status === 'all' ? rows : rows.filter((k) => this.keyStatus(k) === status);
  }

  revokeKey(actor: Actor, id: string, reason = 'revoked') {
    return this.store.tx(() => {
      const k = this.store.key(id);
      if (!k) throw notFound(`API key ${id}`);
      if (k.revoked_at) return { key: k, changed: false };
      this.store.run(
        'UPDATE api_keys SET revoked_at = ?, revoked_reason = ? WHERE id = ?',
        now(),
        reason,
        k.id,
      );
      this.audit(actor, 'delete', k.kind === 'system' ? 'system_key' : 'api_key', k.id, k.group_id, {
        reason,
        name: k.name,
      });
      return { key: this.store.key(id) as KeyRow, changed: true };
    });
  }

  /** Replacement with the same workspace, restriction and holder; the old key stops now or after the overlap. */
  rotateKey(actor: Actor, id: string, overlapSeconds: number, callerKeyId: string | null) {
    const old = this.store.key(id);
    if (!old) throw notFound(`API key ${id}`);
    if (this.keyStatus(old) !== 'active')
      throw conflict(`API key ${id} is ${this.keyStatus(old)} and cannot be rotated`);
    return this.store.tx(() => {
      let created: { key: KeyRow; secret: string };
      if (old.kind === 'system') {
        created = this.createSystemKey(
          actor,
          {
            name: old.name,
            permissions: old.permissions ?? [],
            tenant_admin: old.tenant_admin,
            expires_at: old.expires_at,
          },
          old.id,
        );
      } else {
        const holder = this.keyHolder(old);
        if (holder?.status !== 'active')
          throw conflict(`the holder of key ${id} is not active; revoke it instead`);
        const group = this.store.group(old.group_id as string) as GroupRow;
        // The new key must carry the same restriction; it is bounded by the holder exactly as the old one.
        const id2 = newId();
        const secret = this.insertKey({
          id: id2,
          kind: 'workspace',
          name: old.name,
          group_id: old.group_id,
          created_by: old.created_by,
          created_by_key: callerKeyId,
          owner_id: old.owner_id,
          tenant_admin: old.tenant_admin,
          restriction: old.restriction,
          permissions: null,
          baseline: old.baseline,
          expires_at: old.expires_at,
          rotated_from: old.id,
        });
        this.audit(actor, 'create', 'api_key', id2, group.id, { name: old.name, rotated_from: old.id });
        created = { key: this.store.key(id2) as KeyRow, secret };
      }
      const t = new Date(Date.now() + overlapSeconds * 1000).toISOString();
      if (overlapSeconds > 0) {
        const until = old.expires_at && old.expires_at < t ? old.expires_at : t;
        this.store.run('UPDATE api_keys SET expires_at = ? WHERE id = ?', until, old.id);
        this.audit(actor, 'update', old.kind === 'system' ? 'system_key' : 'api_key', old.id, old.group_id, {
          rotated_to: created.key.id,
          expires_at: until,
        });
      } else {
        this.store.run(
          "UPDATE api_keys SET revoked_at = ?, revoked_reason = 'rotated' WHERE id = ?",
          now(),
          old.id,
        );
        this.audit(actor, 'delete', old.kind === 'system' ? 'system_key' : 'api_key', old.id, old.group_id, {
          reason: 'rotated',
          rotated_to: created.key.id,
        });
      }
      return { ...created, old: this.store.key(old.id) as KeyRow };
    });
  }

  // ---- resources -------------------------------------------------------------------------------

  resourceView(r: ResourceRow) {
    const owner = this.store.user(r.owner_id);
    return {
      id: r.id,
      type: r.type === 'workflow' ? (r.subtype ?? 'flow') : r.type,
      resource_type: r.type,
      group_id: r.group_id,
      name: r.name,
      description: r.description,
      definition: r.definition,
      owner_id: r.owner_id,
      owner_email: owner?.email ?? null,
      user_id: r.owner_id,
      created_by: r.created_by,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  }

  /** JSON nested deeper than this is refused (stringifying it would overflow the stack). */
  static readonly MAX_DEPTH = 64;

  private checkDefinition(def: unknown): void {
    const stack: Array<[unknown, number]> = [[def, 1]];
    while (stack.length) {
      const [v, d] = stack.pop() as [unknown, number];
      if (d > Model.MAX_DEPTH)
        throw unprocessable(
          ['body', 'definition'],
          `definition is nested deeper than ${Model.MAX_DEPTH} levels`,
        );
      if (v && typeof v === 'object') for (const c of Object.values(v)) stack.push([c, d + 1]);
    }
  }

  createResource(
    actor: Actor,
    type: ResourceType,
    groupId: string,
    ownerId: string,
    body: { name: string; description?: string; definition?: unknown; type?: string },
  ) {
    const np = nameProblem(body.name);
    if (np) throw unprocessable(['body', 'name'], `name ${np}`);
    this.checkDefinition(body.definition);
    if (
      type === 'workflow' &&
      body.type !== undefined &&
      body.type !== 'flow' &&
      body.type !== 'agent_flow'
    ) {
      throw unprocessable(['body', 'type'], 'type must be flow or agent_flow');
    }
    return this.store.tx(() => {
      const id = newId();
      const t = now();
      this.store.run(
        `INSERT INTO resources(id, type, subtype, group_id, name, description, definition, owner_id, created_by, created_at, updated_at)
         VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
        id,
        type,
        type === 'workflow' ? (body.type ?? 'flow') : null,
        groupId,
        body.name,
        body.description ?? '',
        JSON.stringify(body.definition ?? {}),
        ownerId,
        ownerId,
        t,
        t,
      );
      this.audit(actor, 'create', type, id, groupId, { name: body.name });
      return this.store.resource(id) as ResourceRow;
    });
  }

  updateResource(
    actor: Actor,
    r: ResourceRow,
    body: { name?: string; description?: string; definition?: unknown },
  ) {
    this.checkDefinition(body.definition);
    if (body.name !== undefined) {
      const np = nameProblem(body.name);
      if (np) throw unprocessable(['body', 'name'], `name ${np}`);
    }
    return this.store.tx(() => {
      this.store.run(
        'UPDATE resources SET name = ?, description = ?, definition = ?, updated_at = ? WHERE id = ?',
        body.name ?? r.name,
        body.description ?? r.description,
        JSON.stringify(body.definition ?? r.definition),
        now(),
        r.id,
      );
      this.audit(actor, 'update', r.type, r.id, r.group_id, { fields: Object.keys(body) });
      return this.store.resource(r.id) as ResourceRow;
    });
  }

  deleteResource(actor: Actor, r: ResourceRow) {
    this.store.tx(() => {
      this.store.run('DELETE FROM resources WHERE id = ?', r.id);
      this.audit(actor, 'delete', r.type, r.id, r.group_id, { name: r.name, owner_id: r.owner_id });
    });
  }

  listResources(q: {
    type?: ResourceType;
    group_id?: string;
    owner_id?: string;
    subtype?: string;
    offset: number;
    limit: number;
  }) {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [col, v] of [
      ['type', q.type],
      ['group_id', q.group_id],
      ['owner_id', q.owner_id],
      ['subtype', q.subtype],
    ] as const) {
      if (v) {
        where.push(`${col} = ?`);
        params.push(v);
      }
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (
      this.store.get<{ n: number }>(`SELECT COUNT(*) n FROM resources ${clause}`, ...params) as { n: number }
    ).n;
    const rows = this.store
      .all(
        `SELECT * FROM resources ${clause} ORDER BY created_at, id LIMIT ? OFFSET ?`,
        ...params,
        q.limit,
        q.offset,
      )
      .map(toResource);
    return { rows, total };
  }

  /** Moves ownership; all-or-nothing, and every target must be able to edit that kind of resource there. */
  transfer(actor: Actor, body: { from_user: string; to_user: string; resource_ids?: string[] }) {
    return this.store.tx(() => {
      const from = this.requireUser(body.from_user);
      const to = this.requireUser(body.to_user);
      if (from.id === to.id)
        throw unprocessable(['body', 'to_user'], 'cannot transfer resources to the same user');
      if (to.status !== 'active')
        throw conflict(`transfer target ${to.email} is ${to.status}; pick an active user`);
      let rows = this.store
        .all('SELECT * FROM resources WHERE owner_id = ? ORDER BY created_at, id', from.id)
        .map(toResource);
      if (body.resource_ids) {
        const wanted = new Set(body.resource_ids);
        rows = rows.filter((r) => wanted.has(r.id));
      }
      const refused = rows.filter(
        (r) => !this.userPermissionsIn(to, r.group_id).includes(RESOURCE_EDIT[r.type]),
      );
      if (refused.length) {
        const groups = [...new Set(refused.map((r) => this.store.group(r.group_id)?.name ?? r.group_id))];
        throw conflict(
          `${to.email} cannot own ${refused.length} resource(s): no ${[...new Set(refused.map((r) => RESOURCE_EDIT[r.type]))].join('/')} in ${groups.join(', ')}; give them a role there first`,
          { refused: refused.map((r) => r.id) },
        );
      }
      const t = now();
      for (const r of rows) {
        this.store.run('UPDATE resources SET owner_id = ?, updated_at = ? WHERE id = ?', to.id, t, r.id);
        this.audit(actor, 'update', r.type, r.id, r.group_id, {
          owner: { before: from.email, after: to.email },
        });
      }
      return {
        from_user: from.id,
        to_user: to.id,
        transferred: rows.map((r) => ({ id: r.id, type: r.type, group_id: r.group_id, name: r.name })),
      };
    });
  }

  /** Everything an offboarding review needs about one user. */
  access(ref: string) {
    const u = this.requireUser(ref);
    const admin = this.isOrgAdmin(u);
    const memberships = this.store.membershipsOfUser(u.id).map((m) => {
      const g = this.store.group(m.group_id) as GroupRow;
      const role = this.store.role(m.role_id);
      return { group_id: g.id, group_name: g.name, role: role?.name ?? m.role_id, via: 'membership' };
    });
    const workspaces = admin
      ? this.store
          .groups()
          .map((g) => ({ group_id: g.id, group_name: g.name, role: 'Admin', via: 'org_admin' }))
      : memberships;
    const held = this.listKeys({ kind: 'workspace', holder_id: u.id, status: 'active' });
    const createdOther = this.listKeys({ kind: 'workspace', created_by: u.id, status: 'active' }).filter(
      (k) => k.owner_id !== null,
    );
    const system = this.listKeys({ kind: 'system', created_by: u.id, status: 'active' });
    const resources = this.store
      .all('SELECT * FROM resources WHERE owner_id = ? ORDER BY group_id, type, name', u.id)
      .map(toResource);
    const invitations = this.store.all<InvitationRow & { email: string }>(
      `SELECT i.*, u.email FROM invitations i JOIN users u ON u.id = i.user_id
       WHERE i.invited_by = ? AND i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ? ORDER BY i.created_at`,
      u.id,
      now(),
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
      keys_held: held.map((k) => this.keyView(k)),
      service_account_keys_created: createdOther.map((k) => this.keyView(k)),
      system_keys_created: system.map((k) => this.keyView(k)),
      resources_owned: resources.map((r) => this.resourceView(r)),
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
    const t = now();
    if (resourceAccess && !u.first_access_at) {
      this.store.run('UPDATE users SET first_access_at = ?, last_active_at = ? WHERE id = ?', t, t, u.id);
    } else if (!u.last_active_at || Date.parse(t) - Date.parse(u.last_active_at) > 1000) {
      this.store.run('UPDATE users SET last_active_at = ? WHERE id = ?', t, u.id);
    }
  }
}
