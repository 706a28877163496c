// USER is an id or an email, W a name or an id, ROLE a name or an id. One resolver per invocation
// caches the lists it fetched; unknown and ambiguous references fail with close matches.

import type { ApiClient } from '../api/client.js';
import { type Group, listGroups } from '../api/groups.js';
import { listRoles, type Role } from '../api/roles.js';
import { listUsers, type User, type UserFilter } from '../api/users.js';
import { findByRef, ROLE_REF, roleScope, USER_REF, WORKSPACE_REF } from '../domain/identity.js';
import { didYouMean } from '../domain/match.js';
import { NotFoundError, UsageError } from '../errors.js';

export class Resolver {
  private usersP?: Promise<User[]>;
  private groupsP?: Promise<Group[]>;
  private rolesP?: Promise<Role[]>;

  constructor(readonly client: ApiClient) {}

  users(f: UserFilter = {}): Promise<User[]> {
    if (f.status || f.kind || f.group_id) return listUsers(this.client, f);
    this.usersP ??= listUsers(this.client);
    return this.usersP;
  }

  groups(): Promise<Group[]> {
    this.groupsP ??= listGroups(this.client);
    return this.groupsP;
  }

  roles(): Promise<Role[]> {
    this.rolesP ??= listRoles(this.client);
    return this.rolesP;
  }

  /** Forget cached lists after a change. */
  invalidate(): void {
    this.usersP = undefined;
    this.groupsP = undefined;
  }

  async user(ref: string): Promise<User> {
    const all = await this.users();
    const found = findByRef(all, ref, USER_REF);
    if (found) return found;
    throw new NotFoundError(`no user ${ref}`, {
      hint:
        didYouMean(
          ref,
          all.map((u) => u.email),
        ) ?? 'list users with: noxus users list',
    });
  }

  async findUser(ref: string): Promise<User | undefined> {
    try {
      return await this.user(ref);
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  async group(ref: string): Promise<Group> {
    const all = await this.groups();
    const found = findByRef(all, ref, WORKSPACE_REF);
    if (found) return found;
    throw new NotFoundError(`no workspace ${ref}`, {
      hint:
        didYouMean(
          ref,
          all.map((g) => g.name),
        ) ?? `known workspaces: ${all.map((g) => g.name).join(', ')}`,
    });
  }

  async role(ref: string, scope?: 'org' | 'workspace', flag = '--role'): Promise<Role> {
    const all = await this.roles();
    const found = findByRef(all, ref, ROLE_REF);
    const candidates = all.filter((r) => !scope || roleScope(r) === scope).map((r) => r.name);
    if (!found) {
      throw new UsageError(
        `unknown ${scope ? `${scope === 'org' ? 'organization' : 'workspace'} ` : ''}role "${ref}" for ${flag}`,
        {
          hint: `${didYouMean(ref, candidates) ?? ''} known: ${candidates.join(', ')}`.trim(),
        },
      );
    }
    if (scope && roleScope(found) !== scope) {
      throw new UsageError(
        `"${found.name}" is ${roleScope(found) === 'org' ? 'an organization' : 'a workspace'} role; ${flag} needs ${scope === 'org' ? 'an organization' : 'a workspace'} role`,
        { hint: `${scope === 'org' ? 'organization' : 'workspace'} roles: ${candidates.join(', ')}` },
      );
    }
    return found;
  }
}
