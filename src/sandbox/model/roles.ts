import { didYouMean } from '../../domain/match.js';
import {
  expandOrgPermissions,
  isWorkspacePermission,
  ORG_PERMISSIONS,
  sortPermissions,
  WORKSPACE_PERMISSIONS,
} from '../../domain/permissions.js';
import { isAdminOrgRole } from '../../domain/roles.js';
import { nameProblem } from '../../domain/validate.js';
import { conflict, notFound, unprocessable } from '../errors.js';
import { newId } from '../secrets.js';
import { liveMembership, type RoleRow } from '../store.js';
import { Aggregate } from './base.js';
import type { Actor } from './types.js';

export class Roles extends Aggregate {
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
      const near = didYouMean(ref, names);
      throw unprocessable(
        loc,
        `unknown ${scope ?? ''}${scope ? ' ' : ''}role "${ref}"${near ? `; ${near}` : ''} (known: ${names.join(', ')})`,
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

  /** D9: known permissions only, at least one, and never org and workspace ones mixed. */
  private checkPermissions(permissions: Record<string, boolean>): {
    granted: string[];
    scope: 'org' | 'workspace';
  } {
    const granted = Object.entries(permissions)
      .filter(([, on]) => on)
      .map(([p]) => p);
    // D9: a wildcard is known only when it names at least one permission (`foo:*` names none).
    const unknown = granted.filter(
      (p) => !isWorkspacePermission(p) && expandOrgPermissions([p]).length === 0,
    );
    if (unknown.length) {
      throw unprocessable(
        ['body', 'permissions'],
        unknown
          .map((p) => {
            const near = didYouMean(p, [...ORG_PERMISSIONS, ...WORKSPACE_PERMISSIONS]);
            return `unknown permission "${p}"${near ? ` (${near})` : ''}`;
          })
          .join('; '),
        'unknown_permission',
      );
    }
    if (granted.length === 0)
      throw unprocessable(['body', 'permissions'], 'a role must grant at least one known permission');
    const org = granted.filter((p) => !isWorkspacePermission(p));
    if (org.length && org.length !== granted.length) {
      throw unprocessable(
        ['body', 'permissions'],
        'a role is either an organization role or a workspace role; do not mix org and workspace permissions',
      );
    }
    return { granted, scope: org.length ? 'org' : 'workspace' };
  }

  createRole(
    actor: Actor,
    body: { name: string; description?: string; permissions: Record<string, boolean> },
  ) {
    const problem = nameProblem(body.name, 100);
    if (problem) throw unprocessable(['body', 'name'], `name ${problem}`);
    const { granted, scope } = this.checkPermissions(body.permissions);
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
        this.now(),
      );
      this.m.audit(actor, 'create', 'role', id, null, { name: body.name, scope, permissions: granted });
      return this.store.role(id) as RoleRow;
    });
  }

  deleteRole(actor: Actor, ref: string) {
    const role = this.store.role(ref) ?? this.store.roleByName(ref);
    if (!role) throw notFound(`role ${ref}`);
    if (role.builtin) throw conflict(`"${role.name}" is a built-in role and cannot be deleted`);
    return this.store.tx(() => {
      // A lapsed grant no longer holds the role, and its row must be gone before the role is.
      this.m.workspaces.lapseDue();
      const holders = this.store.all<{ email: string }>(
        `SELECT DISTINCT u.email FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND ${liveMembership('m')}
         WHERE u.status != 'removed' AND (u.org_role_id = ? OR m.role_id = ?) ORDER BY u.email LIMIT 11`,
        this.now(),
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
      this.m.audit(actor, 'delete', 'role', role.id, null, { name: role.name });
      return role;
    });
  }

  /**
   * Renames, re-describes or changes what a custom role grants. Nothing is copied into keys or
   * memberships: every holder's (and every key's) permissions are computed from the role per request,
   * so a change takes effect at the next request. The scope cannot change while anyone holds it.
   */
  updateRole(
    actor: Actor,
    ref: string,
    body: { name?: string; description?: string; permissions?: Record<string, boolean> },
  ) {
    const role = this.store.role(ref) ?? this.store.roleByName(ref);
    if (!role) throw notFound(`role ${ref}`);
    if (role.builtin) throw conflict(`"${role.name}" is a built-in role and cannot be changed`);
    if (body.name !== undefined) {
      const problem = nameProblem(body.name, 100);
      if (problem) throw unprocessable(['body', 'name'], `name ${problem}`);
    }
    const next = body.permissions ? this.checkPermissions(body.permissions) : undefined;
    return this.store.tx(() => {
      const norm = (x: string) => x.normalize('NFC').toLowerCase();
      if (body.name !== undefined && norm(body.name) !== norm(role.name)) {
        if (this.store.roleByName(body.name)) throw conflict(`a role named "${body.name}" already exists`);
      }
      const perms = next
        ? next.scope === 'org'
          ? expandOrgPermissions(next.granted)
          : sortPermissions(next.granted)
        : role.permissions;
      if (next) this.checkHolders(role, next.scope, perms);
      const name = body.name ?? role.name;
      const changed: string[] = [];
      if (name !== role.name) changed.push('name');
      if (body.description !== undefined && body.description !== role.description)
        changed.push('description');
      if (JSON.stringify(perms) !== JSON.stringify(role.permissions)) changed.push('permissions');
      if (!changed.length) return { role, changed };
      this.store.run(
        'UPDATE roles SET name = ?, name_norm = ?, scope = ?, description = ?, permissions = ? WHERE id = ?',
        name,
        name.normalize('NFC').toLowerCase(),
        next?.scope ?? role.scope,
        body.description ?? role.description,
        JSON.stringify(perms),
        role.id,
      );
      this.m.audit(actor, 'update', 'role', role.id, null, {
        before: { name: role.name, permissions: role.permissions },
        after: { name, permissions: perms },
      });
      return { role: this.store.role(role.id) as RoleRow, changed };
    });
  }

  /** A role in use keeps its scope and its admin-ness, and the last active org admin stays one. */
  private checkHolders(role: RoleRow, scope: 'org' | 'workspace', perms: string[]): void {
    const holders = this.store.all<{ id: string; status: string }>(
      `SELECT DISTINCT u.id, u.status FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND ${liveMembership('m')}
       WHERE u.status != 'removed' AND (u.org_role_id = ? OR m.role_id = ?)`,
      this.now(),
      role.id,
      role.id,
    );
    if (!holders.length) return;
    if (scope !== role.scope) {
      const kind = (x: string) => (x === 'org' ? 'an organization' : 'a workspace');
      throw conflict(
        `role "${role.name}" is ${kind(role.scope)} role in use; it cannot become ${kind(scope)} role`,
      );
    }
    const wasAdmin = isAdminOrgRole(role);
    const isAdmin = isAdminOrgRole({ ...role, permissions: perms });
    if (!wasAdmin && isAdmin)
      throw conflict(
        `role "${role.name}" is in use; it cannot become an org admin role (give people the Org Admin role instead)`,
      );
    if (wasAdmin && !isAdmin) {
      const others = this.store
        .all<{ id: string; org_role_id: string }>(
          "SELECT id, org_role_id FROM users WHERE status = 'active' AND org_role_id != ?",
          role.id,
        )
        .filter((u) => isAdminOrgRole(this.store.role(u.org_role_id)));
      if (others.length === 0 && holders.some((h) => h.status === 'active'))
        throw conflict(
          `role "${role.name}" is held by the last active org admin; it cannot stop granting org:admin`,
        );
    }
  }
}
