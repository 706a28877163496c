import { isAdminOrgRole } from '../../domain/roles.js';
import { nameProblem } from '../../domain/validate.js';
import { conflict, notFound, unprocessable } from '../errors.js';
import { newId } from '../secrets.js';
import type { GroupRow, UserRow } from '../store.js';
import { Aggregate } from './base.js';
import type { Actor } from './types.js';

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
    const adminNames = new Set(
      [...adminRoles].map((id) => this.store.role(id)?.name).filter((n): n is string => !!n),
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
          since: this.adminSince(u, adminNames),
        })),
    ];
    return { group: g, members: rows.sort((a, b) => a.email.localeCompare(b.email)) };
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

  setMember(actor: Actor, groupRef: string, userRef: string, roleRef: string) {
    return this.store.tx(() => {
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
      this.m.audit(actor, m ? 'update' : 'create', 'membership', `${g.id}:${u.id}`, g.id, {
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
