// Who is calling, and what may they do: computed from the key on every request, never cached, so a
// role change takes effect on the very next call.

import { keyOrgPermissions, keyWorkspacePermissions, userWorkspacePermissions } from '../domain/effective.js';
import { expandOrgPermissions, ORG_PERMISSIONS } from '../domain/permissions.js';
import { HttpError } from './errors.js';
import type { Actor, Model } from './model.js';
import { hashSecret, sameHash } from './secrets.js';
import type { KeyRow, UserRow } from './store.js';

export interface Principal {
  key: KeyRow;
  /** The user or service account whose permissions bound the key; absent for system keys. */
  holder?: UserRow;
  orgPerms: Set<string>;
  /** Effective permissions in the key's own workspace. */
  wsPerms: Set<string>;
  /** What the holder has in the key's workspace, to tell a role denial from a restriction denial. */
  holderWsPerms: Set<string>;
  actor: Actor;
}

export function readKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x.length) return x;
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '');
  return undefined;
}

export function authenticate(model: Model, secret: string | undefined, requestId: string): Principal {
  if (!secret) throw new HttpError(401, 'missing API key: send it in the X-API-Key header');
  const hash = hashSecret(secret);
  const key = model.store.keyByHash(hash);
  if (!key || !sameHash(key.hash, hash)) throw new HttpError(401, 'invalid API key');
  if (key.revoked_at) throw new HttpError(401, `API key revoked (${key.revoked_reason ?? 'revoked'})`);
  if (key.expires_at && key.expires_at <= model.now()) {
    throw new HttpError(401, `API key expired at ${key.expires_at}`);
  }
  const actorBase = { keyId: key.id, requestId };
  if (key.kind === 'system') {
    const perms = key.tenant_admin ? [...ORG_PERMISSIONS] : expandOrgPermissions(key.permissions ?? []);
    touchKey(model, key);
    return {
      key,
      orgPerms: new Set(perms),
      wsPerms: new Set(),
      holderWsPerms: new Set(),
      actor: { ...actorBase, userId: key.created_by, email: `system-key:${key.name}` },
    };
  }
  const holder = model.keyHolder(key);
  if (!holder || holder.status === 'removed') throw new HttpError(401, 'API key revoked (holder removed)');
  if (holder.status !== 'active')
    throw new HttpError(401, `key holder is not active (${holder.email} is ${holder.status})`);
  const view = model.holderView(holder, key.group_id);
  touchKey(model, key);
  return {
    key,
    holder,
    orgPerms: new Set(keyOrgPermissions(key.tenant_admin, view)),
    wsPerms: new Set(keyWorkspacePermissions(key.restriction, view)),
    holderWsPerms: new Set(userWorkspacePermissions(view).permissions),
    actor: { ...actorBase, userId: holder.id, email: holder.email },
  };
}

function touchKey(model: Model, key: KeyRow): void {
  const t = model.now();
  if (!key.last_used_at || Date.parse(t) - Date.parse(key.last_used_at) > 1000) {
    model.store.runUnversioned('UPDATE api_keys SET last_used_at = ? WHERE id = ?', t, key.id);
  }
}

/** 403 naming the missing org permission and why the key lacks it. */
export function requireOrg(p: Principal, perm: string): void {
  if (p.orgPerms.has(perm)) return;
  let why: string;
  if (p.key.kind === 'system') why = `the system key "${p.key.name}" does not grant it`;
  else if (!p.key.tenant_admin) why = 'the key is not a tenant admin key (org-level calls need one)';
  else why = `the key's holder ${p.holder?.email} is not an org admin`;
  throw new HttpError(403, `missing permission ${perm}: ${why}`, {
    missing: [perm],
    denied_by: p.key.tenant_admin ? 'role' : 'key',
  });
}

/** Allowed through an org permission, or through a workspace permission when the key belongs to that workspace. */
export function requireOrgOrWorkspace(p: Principal, orgPerm: string, groupId: string, wsPerm: string): void {
  if (p.orgPerms.has(orgPerm)) return;
  if (p.key.group_id === groupId) {
    if (p.wsPerms.has(wsPerm)) return;
    throw workspaceDenied(p, wsPerm);
  }
  requireOrg(p, orgPerm);
}

export function requireWorkspace(p: Principal, wsPerm: string): string {
  if (!p.key.group_id) {
    throw new HttpError(403, 'a system key has no workspace; use a workspace key for workspace resources', {
      missing: [wsPerm],
    });
  }
  if (!p.wsPerms.has(wsPerm)) throw workspaceDenied(p, wsPerm);
  return p.key.group_id;
}

export function workspaceDenied(p: Principal, perm: string): HttpError {
  const byRole = !p.holderWsPerms.has(perm);
  const why = byRole
    ? `the key's holder ${p.holder?.email ?? ''} does not have it in this workspace (their role does not grant it)`
    : `the key is restricted and its restriction does not include it`;
  return new HttpError(403, `missing permission ${perm}: ${why}`, {
    missing: [perm],
    denied_by: byRole ? 'role' : 'restriction',
  });
}
