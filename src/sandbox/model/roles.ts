import { closeMatches } from '../../domain/match.js';
import {
  expandOrgPermissions,
  isWorkspacePermission,
  ORG_PERMISSIONS,
  sortPermissions,
  WORKSPACE_PERMISSIONS,
} from '../../domain/permissions.js';
import { nameProblem } from '../../domain/validate.js';
import { conflict, notFound, unprocessable } from '../errors.js';
import { newId } from '../secrets.js';
import type { RoleRow } from '../store.js';
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
    // D9: a wildcard is known only when it names at least one permission (`foo:*` names none).
    const unknown = granted.filter(
      (p) => !isWorkspacePermission(p) && expandOrgPermissions([p]).length === 0,
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
      throw unprocessable(['body', 'permissions'], 'a role must grant at least one known permission');
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
      this.m.audit(actor, 'delete', 'role', role.id, null, { name: role.name });
      return role;
    });
  }
}
