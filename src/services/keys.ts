// API keys: what a new key may carry (checked before anything is created), which existing key a
// reference means, and why a key lost permissions.

import { type ActivityEntry, queryActivity } from '../api/activity.js';
import type { ApiClient } from '../api/client.js';
import { type ApiKey, getKey, listKeys } from '../api/keys.js';
import type { Me } from '../api/me.js';
import type { PermissionInfo } from '../api/roles.js';
import type { User } from '../api/users.js';
import { checkRestriction, intersect } from '../domain/effective.js';
import { holderBound, isOrgAdmin } from '../domain/identity.js';
import { didYouMean } from '../domain/match.js';
import { expandWorkspacePermissions } from '../domain/permissions.js';
import { parseDuration } from '../domain/validate.js';
import { NotAvailableError, NotFoundError, PermissionError, UsageError } from '../errors.js';
import type { Resolver } from './resolve.js';

/** `--restrict` with no value (true) means "pick in a terminal"; a string is a comma list. */
export function parseRestrict(value: string | boolean | undefined): string[] | 'pick' | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 'pick';
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) {
    throw new UsageError('--restrict "" is an empty restriction, which would be a key that can do nothing', {
      hint: 'list at least one permission (--restrict flows_run,kbs_query), or omit --restrict for an unrestricted key',
    });
  }
  return [...new Set(list)];
}

/** Refuses unknown names (with close matches) and org permissions, using the server's catalogue. */
export function validatePermissionNames(requested: string[], catalogue: PermissionInfo[]): void {
  const ws = catalogue.filter((p) => p.scope === 'workspace').map((p) => p.name);
  const org = new Set(catalogue.filter((p) => p.scope === 'org').map((p) => p.name));
  const unknown = requested.filter((p) => !ws.includes(p) && !org.has(p));
  if (unknown.length) {
    throw new UsageError(`unknown permission${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
      hint: unknown
        .map((p) => {
          const near = didYouMean(p, ws);
          return near ? `${p}: ${near}` : `${p}: see noxus permissions list --scope workspace`;
        })
        .join('\n'),
    });
  }
  const orgScoped = requested.filter((p) => org.has(p));
  if (orgScoped.length) {
    throw new UsageError(
      `${orgScoped.join(', ')}: organization permission${orgScoped.length > 1 ? 's' : ''} cannot go on a workspace key`,
      {
        hint: 'workspace keys take workspace permissions; for org-level access use: noxus keys system create',
      },
    );
  }
}

export interface Bound {
  who: string;
  permissions: string[];
  source: string;
}

/** The permission sets a new key in a workspace must fit: its creator, the calling key, the owner. */
export async function keyBounds(r: Resolver, me: Me, groupId: string, owner?: User): Promise<Bound[]> {
  const { listMembers } = await import('../api/groups.js');
  const members = await listMembers(r.client, groupId);
  const roles = await r.roles();
  const permsOf = (userId: string, orgAdmin = false) => {
    const m = members.find((x) => x.user_id === userId);
    return holderBound({ orgAdmin: orgAdmin || m?.via === 'org_admin', workspaceRole: m?.role }, roles);
  };
  const bounds: Bound[] = [];
  if (me.holder) {
    // /me names the holder's org role by name; the identity rule decides from the role itself.
    const orgRole = roles.find((x) => x.name === me.holder?.org_role);
    const admin = isOrgAdmin(
      { tenant_admin: me.holder.org_admin, org_role: orgRole ? { id: orgRole.id } : null },
      roles,
    );
    bounds.push({ who: `you (${me.holder.email})`, ...permsOf(me.holder.id, admin) });
    if (me.group_id === groupId && me.restricted && me.effective_permissions) {
      bounds.push({
        who: 'the key you are using',
        permissions: me.effective_permissions,
        source: 'its restriction',
      });
    }
  }
  if (owner) bounds.push({ who: `service account ${owner.email}`, ...permsOf(owner.id) });
  return bounds;
}

/** Throws PermissionError (exit 6) naming every permission a bound lacks, as the server would. */
export function assertWithinBounds(requested: string[] | null, bounds: Bound[], workspace: string): string[] {
  for (const b of bounds) {
    if (b.permissions.length === 0) {
      throw new PermissionError(
        `${b.who} ${b.source === 'no role in this workspace' ? `has no role in ${workspace}` : 'has no permissions here'}`,
        {
          data: { missing: requested ?? [] },
        },
      );
    }
  }
  if (requested === null)
    return bounds.reduce(
      (acc, b) => intersect(acc, b.permissions),
      expandWorkspacePermissions(['workspace_admin']),
    );
  const problems: string[] = [];
  const missing = new Set<string>();
  for (const b of bounds) {
    const c = checkRestriction(requested, b.permissions);
    if (c.missing.length) {
      problems.push(
        `${b.who} lack${b.who.startsWith('you') ? '' : 's'} ${c.missing.join(', ')} in ${workspace} (${b.source})`,
      );
      for (const p of c.missing) missing.add(p);
    }
  }
  if (problems.length) {
    throw new PermissionError(
      `a key can never have more permissions than its creator: ${problems.join('; ')}`,
      {
        data: { missing: [...missing] },
        hint: 'drop those permissions from --restrict, or ask an admin to grant the role first',
      },
    );
  }
  return expandWorkspacePermissions(requested);
}

/** `--expires-in 90d` or `--expires-at 2027-01-31T00:00:00Z` → ISO time in the future. */
export function parseExpiry(o: { expiresIn?: string; expiresAt?: string }, now: Date): string | undefined {
  if (o.expiresIn !== undefined && o.expiresAt !== undefined)
    throw new UsageError('give --expires-in or --expires-at, not both');
  if (o.expiresIn !== undefined) {
    const ms = parseDuration(o.expiresIn);
    if (ms === undefined) {
      throw new UsageError(
        `--expires-in must be a positive duration like 30m, 12h, 90d or 2w, got "${o.expiresIn}"`,
      );
    }
    return new Date(now.getTime() + ms).toISOString();
  }
  if (o.expiresAt !== undefined) {
    const t = Date.parse(o.expiresAt);
    if (Number.isNaN(t))
      throw new UsageError(`--expires-at must be an ISO 8601 date-time, got "${o.expiresAt}"`);
    if (t <= now.getTime()) throw new UsageError(`--expires-at ${o.expiresAt} is in the past`);
    return new Date(t).toISOString();
  }
  return undefined;
}

/** KEY is an id, or a name that must match exactly one key the caller can see. */
export async function resolveKey(
  client: ApiClient,
  ref: string,
  status: 'active' | 'all' = 'all',
): Promise<ApiKey> {
  if (/^[0-9a-f-]{36}$/i.test(ref)) {
    try {
      return await getKey(client, ref);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  const all = await listKeys(client, { status });
  const byName = all.filter((k) => k.name.toLowerCase() === ref.toLowerCase());
  const active = currentKeys(byName.filter((k) => k.status === 'active'));
  const pick = active.length === 1 ? active : byName;
  if (pick.length === 1) return pick[0] as ApiKey;
  if (pick.length > 1) {
    throw new UsageError(`"${ref}" matches ${pick.length} keys`, {
      hint: `use an id: ${pick.map((k) => `${k.id} (${k.group_name ?? k.group_id}, ${k.holder_email ?? ''}, ${k.status})`).join('; ')}`,
    });
  }
  throw new NotFoundError(`no API key ${ref}`, {
    hint:
      didYouMean(
        ref,
        all.map((k) => k.name),
      ) ?? 'list keys with: noxus keys list',
  });
}

/**
 * Drops the outgoing key of a rotation still in its overlap when its replacement is in the same list:
 * the name means the replacement. (The sandbox renames an outgoing key; another server may not.)
 */
function currentKeys(keys: ApiKey[]): ApiKey[] {
  const replaced = new Set(keys.map((k) => k.rotated_from).filter(Boolean));
  const current = keys.filter((k) => !replaced.has(k.id));
  return current.length ? current : keys;
}

/** The active keys called `name` (case-insensitively, as references match) in one workspace. */
export async function activeKeysNamed(client: ApiClient, groupId: string, name: string): Promise<ApiKey[]> {
  const keys = await listKeys(client, { group_id: groupId, status: 'active' });
  return currentKeys(
    keys.filter((k) => k.group_id === groupId && k.name.toLowerCase() === name.toLowerCase()),
  );
}

/** Same restriction: both unrestricted, or the same set of permissions. */
export function sameRestriction(a: string[] | null | undefined, b: string[] | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((p) => sa.has(p));
}

/** The outgoing key of the rotation that made `key`, while it still works (the overlap). */
export async function outgoingInOverlap(client: ApiClient, key: ApiKey): Promise<ApiKey | undefined> {
  if (!key.rotated_from) return undefined;
  try {
    const old = await getKey(client, key.rotated_from);
    return old.status === 'active' ? old : undefined;
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/**
 * The expiry of a rotated key: the one asked for, else the old key's lifetime counted from now
 * (a key made for 90 days is replaced by one for 90 days), else none when the old key had none.
 */
export function rotatedExpiry(
  o: { expiresIn?: string; expiresAt?: string },
  old: { created_at: string; expires_at: string | null },
  now: Date,
): string | null {
  const asked = parseExpiry(o, now);
  if (asked) return asked;
  if (!old.expires_at) return null;
  const lifetime = Date.parse(old.expires_at) - Date.parse(old.created_at);
  if (!(lifetime > 0)) return null;
  return new Date(now.getTime() + lifetime).toISOString();
}

export interface Explanation {
  key: ApiKey;
  requested: string[];
  holder: {
    id: string | null;
    email: string | null;
    status: string | null;
    role: string | null;
    source: string;
  };
  effective: string[];
  clipped: Array<{ permission: string; reason: string; since: string | null }>;
  degraded: boolean;
}

/** Why a key can do what it can: restriction ∩ holder's current permissions, with the history behind each clip. */
export async function explainKey(client: ApiClient, key: ApiKey): Promise<Explanation> {
  let history: ActivityEntry[] = [];
  if (key.clipped.length && key.holder_id) {
    try {
      const [m, u] = await Promise.all([
        queryActivity(client, {
          resource_type: 'membership',
          resource_id: `${key.group_id}:${key.holder_id}`,
        }),
        queryActivity(client, { resource_type: 'user', resource_id: key.holder_id }),
      ]);
      history = [...m.items, ...u.items].sort((a, b) => (a.at < b.at ? 1 : -1));
    } catch (e) {
      // The activity log is optional context: without it the reasons are still exact, only undated.
      if (!(e instanceof NotAvailableError) && !(e instanceof PermissionError)) throw e;
    }
  }
  const since = (code: string | undefined): string | null => {
    const hit = history.find((h) =>
      code === 'holder_inactive'
        ? 'status' in h.summary
        : code === 'no_membership'
          ? h.action === 'delete' || 'org_role' in h.summary
          : h.resource_type === 'membership' || 'org_role' in h.summary,
    );
    return hit?.at ?? null;
  };
  const source =
    key.holder_status && key.holder_status !== 'active'
      ? `holder is ${key.holder_status}`
      : key.holder_role === 'Admin (org admin)'
        ? 'org admin: every workspace permission'
        : key.holder_role
          ? `workspace role ${key.holder_role}`
          : 'no role in this workspace';
  return {
    key,
    requested: key.permissions ?? key.baseline_permissions ?? [],
    holder: {
      id: key.holder_id,
      email: key.holder_email ?? null,
      status: key.holder_status ?? null,
      role: key.holder_role ?? null,
      source,
    },
    effective: key.effective_permissions,
    clipped: key.clipped.map((c) => {
      const at = since(c.code);
      return { permission: c.permission, reason: at ? `${c.reason} (since ${at})` : c.reason, since: at };
    }),
    degraded: key.degraded,
  };
}
