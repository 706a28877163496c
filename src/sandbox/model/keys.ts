// API keys: workspace keys bounded by their holder, and org-level system keys.

import { checkRestriction, clippedPermissions, keyWorkspacePermissions } from '../../domain/effective.js';
import { maskKey } from '../../domain/keys.js';
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
import { conflict, HttpError, notFound, unprocessable } from '../errors.js';
import { hashSecret, newId, newSecret } from '../secrets.js';
import { type GroupRow, type KeyRow, toKey, type UserRow } from '../store.js';
import { Aggregate } from './base.js';
import { normalizeExpiry } from './expiry.js';
import type { Actor } from './types.js';

export type ExposureHow =
  | 'created'
  | 'rotated'
  | 'act_as_caller'
  | 'act_as_target'
  | 'invitation'
  | 'bootstrap';

export interface ExposureRow {
  key_id: string;
  user_id: string;
  how: ExposureHow;
  at: string;
}

export class Keys extends Aggregate {
  /** D7: a user received this key's secret. A system-key caller's exposure is its creator's. */
  recordExposure(keyId: string, userId: string | null, how: ExposureHow): void {
    if (!userId) return;
    this.store.run(
      'INSERT OR IGNORE INTO key_exposures(key_id, user_id, how, at) VALUES (?,?,?,?)',
      keyId,
      userId,
      how,
      this.now(),
    );
  }

  /** Every key whose secret the user saw, with how and when (first sighting first). */
  exposuresOf(userId: string): Array<{ key: KeyRow; how: ExposureHow[]; first_seen_at: string }> {
    const rows = this.store.all<ExposureRow>(
      'SELECT * FROM key_exposures WHERE user_id = ? ORDER BY at, key_id, how',
      userId,
    );
    const byKey = new Map<string, { key: KeyRow; how: ExposureHow[]; first_seen_at: string }>();
    for (const r of rows) {
      const e = byKey.get(r.key_id);
      if (e) {
        if (!e.how.includes(r.how)) e.how.push(r.how);
        continue;
      }
      const key = this.store.key(r.key_id);
      if (key) byKey.set(r.key_id, { key, how: [r.how], first_seen_at: r.at });
    }
    return [...byKey.values()];
  }

  private normalizeExpiry(value: string | null | undefined): string | null {
    return normalizeExpiry(value, this.m.clock());
  }

  keyHolder(k: KeyRow): UserRow | undefined {
    const id = k.owner_id ?? k.created_by;
    return id ? this.store.user(id) : undefined;
  }

  keyStatus(k: KeyRow): 'active' | 'revoked' | 'expired' {
    if (k.revoked_at) return 'revoked';
    if (k.expires_at && k.expires_at <= this.now()) return 'expired';
    return 'active';
  }

  keyEffective(k: KeyRow): string[] {
    const holder = this.keyHolder(k);
    if (!holder || !k.group_id) return [];
    return keyWorkspacePermissions(k.restriction, this.m.holderView(holder, k.group_id));
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
    const view = holder && k.group_id ? this.m.holderView(holder, k.group_id) : undefined;
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
      this.now(),
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
      /** Who receives the secret (default: the acting user, as its creator). */
      seenBy?: Array<{ userId: string | null; how: ExposureHow }>;
    },
  ) {
    const np = nameProblem(input.name, 100);
    if (np) throw unprocessable(['body', 'name'], `name ${np}`);
    const g = this.m.requireGroup(input.groupRef);
    const expiresAt = this.normalizeExpiry(input.expires_at);
    let owner: UserRow | undefined;
    if (input.owner_id) {
      owner = this.m.findUser(input.owner_id);
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
              const near = didYouMean(p, WORKSPACE_PERMISSIONS);
              return `unknown permission "${p}"${near ? ` (${near})` : ''}`;
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
        perms: this.m.userPermissionsIn(input.creator, g.id),
      });
    }
    if (owner)
      bounds.push({ who: `service account ${owner.email}`, perms: this.m.userPermissionsIn(owner, g.id) });
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
    if (input.tenant_admin && !(input.creator && this.m.isOrgAdmin(input.creator))) {
      throw new HttpError(403, 'only an org admin can create a tenant admin key', { missing: ['org:admin'] });
    }
    return this.store.tx(() => {
      const id = newId();
      const baseline = keyWorkspacePermissions(restriction, this.m.holderView(holder, g.id));
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
      this.m.audit(actor, 'create', 'api_key', id, g.id, {
        name: input.name,
        restriction,
        owner: owner?.email ?? null,
        holder: holder.email,
        tenant_admin: !!input.tenant_admin,
        rotated_from: input.rotatedFrom ?? null,
      });
      for (const e of input.seenBy ?? [
        { userId: input.creator?.id ?? actor.userId, how: 'created' as const },
      ])
        this.recordExposure(id, e.userId, e.how);
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
            const near = didYouMean(p, ORG_PERMISSIONS);
            const ws = isWorkspacePermission(p)
              ? ' (a workspace permission; system keys take org permissions)'
              : '';
            return `unknown org permission "${p}"${ws}${near ? ` (${near})` : ''}`;
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
    const expiresAt = this.normalizeExpiry(body.expires_at);
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
      this.m.audit(actor, 'create', 'system_key', id, null, {
        name: body.name,
        permissions: body.permissions,
        tenant_admin: !!body.tenant_admin,
        rotated_from: rotatedFrom,
      });
      this.recordExposure(id, actor.userId, rotatedFrom ? 'rotated' : 'created');
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
        this.now(),
        reason,
        k.id,
      );
      this.m.audit(actor, 'delete', k.kind === 'system' ? 'system_key' : 'api_key', k.id, k.group_id, {
        reason,
        name: k.name,
      });
      return { key: this.store.key(id) as KeyRow, changed: true };
    });
  }

  /**
   * Replacement with the same workspace, restriction and holder; the old key stops now or after the
   * overlap. `expiresAt` is the new key's expiry (null: none); left out, it is the old key's. During
   * an overlap the old key is renamed "NAME (rotated <time>)" so that NAME still means one active key.
   */
  rotateKey(
    actor: Actor,
    id: string,
    overlapSeconds: number,
    callerKeyId: string | null,
    expiresAt?: string | null,
  ) {
    const old = this.store.key(id);
    if (!old) throw notFound(`API key ${id}`);
    if (this.keyStatus(old) !== 'active')
      throw conflict(`API key ${id} is ${this.keyStatus(old)} and cannot be rotated`);
    const newExpiry = expiresAt === undefined ? old.expires_at : this.normalizeExpiry(expiresAt);
    return this.store.tx(() => {
      let created: { key: KeyRow; secret: string };
      if (old.kind === 'system') {
        created = this.createSystemKey(
          actor,
          {
            name: old.name,
            permissions: old.permissions ?? [],
            tenant_admin: old.tenant_admin,
            expires_at: newExpiry,
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
          expires_at: newExpiry,
          rotated_from: old.id,
        });
        this.m.audit(actor, 'create', 'api_key', id2, group.id, { name: old.name, rotated_from: old.id });
        this.recordExposure(id2, actor.userId, 'rotated');
        created = { key: this.store.key(id2) as KeyRow, secret };
      }
      const t = new Date(this.m.clock().getTime() + overlapSeconds * 1000).toISOString();
      if (overlapSeconds > 0) {
        const until = old.expires_at && old.expires_at < t ? old.expires_at : t;
        const outgoingName = rotatedName(old.name, this.now());
        this.store.run(
          'UPDATE api_keys SET expires_at = ?, name = ? WHERE id = ?',
          until,
          outgoingName,
          old.id,
        );
        this.m.audit(
          actor,
          'update',
          old.kind === 'system' ? 'system_key' : 'api_key',
          old.id,
          old.group_id,
          {
            rotated_to: created.key.id,
            expires_at: until,
            name: outgoingName,
          },
        );
      } else {
        this.store.run(
          "UPDATE api_keys SET revoked_at = ?, revoked_reason = 'rotated' WHERE id = ?",
          this.now(),
          old.id,
        );
        this.m.audit(
          actor,
          'delete',
          old.kind === 'system' ? 'system_key' : 'api_key',
          old.id,
          old.group_id,
          {
            reason: 'rotated',
            rotated_to: created.key.id,
          },
        );
      }
      return { ...created, old: this.store.key(old.id) as KeyRow };
    });
  }
}

/** "deploy (rotated 2026-11-29T18:45:30Z)", within the 100 characters a key name may have. */
export function rotatedName(name: string, at: string): string {
  const suffix = ` (rotated ${at.slice(0, 19)}Z)`;
  const room = 100 - suffix.length;
  const chars = [...name];
  return `${chars.length > room ? chars.slice(0, room).join('').trimEnd() : name}${suffix}`;
}
