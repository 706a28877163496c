// Row types and the small queries every part of the sandbox needs. Multi-step changes live in
// model.ts and run inside db.transaction().

import { type Clock, systemClock } from './clock.js';
import type { DB } from './db.js';

export interface RoleRow {
  id: string;
  name: string;
  scope: 'org' | 'workspace';
  description: string;
  permissions: string[];
  builtin: boolean;
  created_at: string;
}

export interface UserRow {
  id: string;
  email: string;
  name: string;
  display_name: string;
  avatar_url: string | null;
  status: 'invited' | 'active' | 'suspended' | 'removed';
  org_role_id: string;
  kind: 'human' | 'service';
  invited_by: string | null;
  created_at: string;
  accepted_at: string | null;
  tour_completed_at: string | null;
  first_access_at: string | null;
  last_active_at: string | null;
  suspended_at: string | null;
  removed_at: string | null;
  /** A value derived from the Idempotency-Key of the request that created the user. */
  created_idem?: string | null;
}

export interface GroupRow {
  id: string;
  name: string;
  description: string;
  created_by: string | null;
  created_at: string;
}

export interface MembershipRow {
  user_id: string;
  group_id: string;
  role_id: string;
  created_at: string;
  updated_at: string;
  /** Why the grant was given (extension field, issue 16). */
  reason: string | null;
  /** When the grant ends; from that instant it does not exist (see LIVE_MEMBERSHIP). */
  expires_at: string | null;
}

/**
 * The live rule: a membership whose expiry has come does not exist, whether or not the lapse sweep
 * has removed its row yet. Every read of memberships adds this condition, bound to the store's now().
 */
export const liveMembership = (alias = 'memberships') =>
  `(${alias}.expires_at IS NULL OR ${alias}.expires_at > ?)`;

export interface KeyRow {
  id: string;
  kind: 'workspace' | 'system';
  name: string;
  group_id: string | null;
  created_by: string | null;
  created_by_key: string | null;
  owner_id: string | null;
  tenant_admin: boolean;
  restriction: string[] | null;
  permissions: string[] | null;
  baseline: string[];
  hash: string;
  last4: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
  rotated_from: string | null;
}

export interface InvitationRow {
  id: string;
  token_hash: string;
  user_id: string;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
  delivery: string | null;
}

export type ResourceType = 'workflow' | 'agent' | 'knowledge_base';

export interface ResourceRow {
  id: string;
  type: ResourceType;
  subtype: string | null;
  group_id: string;
  name: string;
  description: string;
  definition: unknown;
  owner_id: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface ActivityRow {
  seq: number;
  id: string;
  at: string;
  actor_user_id: string | null;
  actor_email: string | null;
  actor_key_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  group_id: string | null;
  summary: unknown;
  request_id: string | null;
  route: string | null;
  method: string | null;
}

type Raw = Record<string, unknown>;

const json = <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : fallback);

export const toRole = (r: Raw): RoleRow => ({
  ...(r as unknown as RoleRow),
  permissions: json<string[]>(r.permissions, []),
  builtin: r.builtin === 1,
});

export const toKey = (r: Raw): KeyRow => ({
  ...(r as unknown as KeyRow),
  tenant_admin: r.tenant_admin === 1,
  restriction: r.restriction == null ? null : json<string[]>(r.restriction, []),
  permissions: r.permissions == null ? null : json<string[]>(r.permissions, []),
  baseline: json<string[]>(r.baseline, []),
});

export const toResource = (r: Raw): ResourceRow => ({
  ...(r as unknown as ResourceRow),
  definition: json<unknown>(r.definition, {}),
});

export const toActivity = (r: Raw): ActivityRow => ({
  ...(r as unknown as ActivityRow),
  summary: json<unknown>(r.summary, {}),
});

/** better-sqlite3 treats undefined as a missing parameter; an absent optional value is NULL. */
function bind(params: unknown[]): unknown[] {
  return params.map((p) => (p === undefined ? null : p));
}

export function now(): string {
  return new Date().toISOString();
}

/** Thin typed accessors. Statements are prepared once per Store. */
export class Store {
  private readonly cache = new Map<string, ReturnType<DB['prepare']>>();
  private writes = 0;

  constructor(
    readonly db: DB,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The current time as stored (ISO 8601 UTC), from the same clock as the model's. */
  now(): string {
    return this.clock().toISOString();
  }

  stmt(sql: string): ReturnType<DB['prepare']> {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  all<T = Raw>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...(bind(params) as [object])) as T[];
  }

  get<T = Raw>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...(bind(params) as [object])) as T | undefined;
  }

  run(sql: string, ...params: unknown[]): number {
    this.writes++;
    return this.stmt(sql).run(...(bind(params) as [object])).changes;
  }

  /**
   * A write that no cached read depends on (a key's last use, at most once a second per key): it
   * leaves `version` alone, so that reading a list page by page does not rebuild it every second.
   */
  runUnversioned(sql: string, ...params: unknown[]): number {
    return this.stmt(sql).run(...(bind(params) as [object])).changes;
  }

  tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } finally {
      // Statements run on `db` directly inside a transaction (the scale seed) count too.
      this.writes++;
    }
  }

  /**
   * Changes whenever the data may have changed: a write through this store, or a commit by another
   * connection to the same file (SQLite's data_version). Caches of derived lists key on it.
   */
  version(): string {
    return `${this.writes}:${this.db.pragma('data_version', { simple: true })}`;
  }

  meta(key: string): string | undefined {
    return this.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.run(
      'INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      key,
      value,
    );
  }

  role(id: string): RoleRow | undefined {
    const r = this.get('SELECT * FROM roles WHERE id = ?', id);
    return r && toRole(r);
  }

  roleByName(name: string): RoleRow | undefined {
    const r = this.get('SELECT * FROM roles WHERE name_norm = ?', name.normalize('NFC').toLowerCase());
    return r && toRole(r);
  }

  roles(): RoleRow[] {
    return this.all('SELECT * FROM roles ORDER BY builtin DESC, scope, name_norm').map(toRole);
  }

  user(id: string): UserRow | undefined {
    return this.get<UserRow>('SELECT * FROM users WHERE id = ?', id);
  }

  userByEmail(emailNorm: string): UserRow | undefined {
    return this.get<UserRow>('SELECT * FROM users WHERE email_norm = ?', emailNorm);
  }

  /** A removed account's email_norm carries a suffix, so that the email can belong to a new account. */
  removedUserByEmail(emailNorm: string): UserRow | undefined {
    return this.get<UserRow>(
      `SELECT * FROM users WHERE status = 'removed' AND email_norm = ? || '#removed:' || id
       ORDER BY removed_at DESC LIMIT 1`,
      emailNorm,
    );
  }

  group(id: string): GroupRow | undefined {
    return this.get<GroupRow>('SELECT * FROM groups WHERE id = ?', id);
  }

  groupByName(name: string): GroupRow | undefined {
    return this.get<GroupRow>(
      'SELECT * FROM groups WHERE name_norm = ?',
      name.normalize('NFC').toLowerCase(),
    );
  }

  groups(): GroupRow[] {
    return this.all<GroupRow>('SELECT * FROM groups ORDER BY name_norm');
  }

  membership(userId: string, groupId: string): MembershipRow | undefined {
    return this.get<MembershipRow>(
      `SELECT * FROM memberships WHERE user_id = ? AND group_id = ? AND ${liveMembership()}`,
      userId,
      groupId,
      this.now(),
    );
  }

  membershipsOfUser(userId: string): MembershipRow[] {
    return this.all<MembershipRow>(
      `SELECT * FROM memberships WHERE user_id = ? AND ${liveMembership()}`,
      userId,
      this.now(),
    );
  }

  key(id: string): KeyRow | undefined {
    const r = this.get('SELECT * FROM api_keys WHERE id = ?', id);
    return r && toKey(r);
  }

  keyByHash(hash: string): KeyRow | undefined {
    const r = this.get('SELECT * FROM api_keys WHERE hash = ?', hash);
    return r && toKey(r);
  }

  resource(id: string): ResourceRow | undefined {
    const r = this.get('SELECT * FROM resources WHERE id = ?', id);
    return r && toResource(r);
  }

  pendingInvitation(userId: string): InvitationRow | undefined {
    return this.get<InvitationRow>(
      'SELECT * FROM invitations WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1',
      userId,
    );
  }
}
