// Organization (system) keys: which key a reference means, which org permissions a new one may
// name, and rotation, which a server without a rotate endpoint gets as create-then-revoke.

import type { ApiClient } from '../api/client.js';
import {
  createSystemKey,
  listSystemKeys,
  revokeSystemKey,
  rotateSystemKey,
  type SystemKey,
} from '../api/keys.js';
import { listPermissions } from '../api/roles.js';
import { didYouMean } from '../domain/match.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { Capabilities } from './capabilities.js';

export type SystemKeyBody = Parameters<typeof createSystemKey>[1];

/** KEY is an id or a name; among same-named keys the one active key wins. */
export async function findSystemKey(client: ApiClient, ref: string): Promise<SystemKey> {
  const all = await listSystemKeys(client);
  const hits = all.filter((k) => k.id === ref || k.name.toLowerCase() === ref.toLowerCase());
  const active = hits.filter((k) => k.status === 'active');
  const pick = active.length === 1 ? active : hits;
  if (pick.length === 1) return pick[0] as SystemKey;
  if (pick.length > 1)
    throw new UsageError(`"${ref}" matches ${pick.length} system keys`, {
      hint: `use an id: ${pick.map((k) => k.id).join(', ')}`,
    });
  throw new NotFoundError(`no system key ${ref}`, {
    hint:
      didYouMean(
        ref,
        all.map((k) => k.name),
      ) ?? 'list them with: noxus keys system list',
  });
}

/** The names `perms` has that are no org permission of `org` (`area:*` and `*` are wildcards). */
export function unknownOrgPermissions(perms: string[], org: string[]): string[] {
  if (org.length === 0) return [];
  return perms.filter(
    (p) =>
      !org.includes(p) && !(p.endsWith(':*') && org.some((q) => q.startsWith(p.slice(0, -1)))) && p !== '*',
  );
}

/**
 * The body of a new system key, its permissions checked against the server's catalogue when it has
 * one; without the catalogue the names go to the server as given: it is the judge of them.
 */
export async function systemKeyBody(
  client: ApiClient,
  caps: Capabilities,
  k: { name: string; permissions: string[]; tenantAdmin: boolean; expiresAt?: string },
): Promise<SystemKeyBody> {
  const org = caps.has('permissions.catalogue')
    ? (await listPermissions(client)).filter((p) => p.scope === 'org').map((p) => p.name)
    : [];
  const bad = unknownOrgPermissions(k.permissions, org);
  if (bad.length) {
    throw new UsageError(`unknown org permission${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}`, {
      hint: bad
        .map((p) => `${p}: ${didYouMean(p, org) ?? 'see noxus permissions list --scope org'}`)
        .join('\n'),
    });
  }
  const body: SystemKeyBody = { name: k.name, permissions: k.permissions, tenant_admin: k.tenantAdmin };
  if (k.expiresAt) body.expires_at = k.expiresAt;
  return body;
}

export const createSystem = (client: ApiClient, body: SystemKeyBody) => createSystemKey(client, body);

export const revokeSystem = (client: ApiClient, keyId: string) => revokeSystemKey(client, keyId);

export interface SystemRotation {
  /** The new key, with its secret; `replaces` as the server reports it, or the old key's id. */
  key: SystemKey & { replaces: SystemKey | string };
  old: SystemKey;
  /** Set only without a rotate endpoint: whether the old key was revoked, or still works (overlap). */
  fallback?: { oldRevoked: boolean; revokeError?: unknown };
}

/**
 * A new secret with the same name and permissions. The public API has no rotate: a new key is made,
 * then the old one revoked at once; with an overlap it is left working (this server cannot revoke
 * later by itself). A failed revoke is reported with the new key, whose secret must not be lost.
 */
export async function rotateSystem(
  client: ApiClient,
  caps: Capabilities,
  old: SystemKey,
  overlapSeconds: number,
): Promise<SystemRotation> {
  if (caps.has('system-keys.rotate'))
    return { key: await rotateSystemKey(client, old.id, overlapSeconds), old };
  const fresh = await createSystemKey(client, {
    name: old.name,
    permissions: old.permissions ?? [],
    tenant_admin: old.tenant_admin,
  });
  const key = { ...fresh, replaces: old.id };
  if (overlapSeconds > 0) return { key, old, fallback: { oldRevoked: false } };
  try {
    await revokeSystemKey(client, old.id);
  } catch (e) {
    return { key, old, fallback: { oldRevoked: false, revokeError: e } };
  }
  return { key, old, fallback: { oldRevoked: true } };
}
