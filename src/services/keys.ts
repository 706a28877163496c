// API keys: what a new key may carry (checked before anything is created), which existing key a
// reference means, and why a key lost permissions.

import { constants, existsSync, statSync } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ActivityEntry, queryActivity } from '../api/activity.js';
import type { ApiClient } from '../api/client.js';
import {
  type ApiKey,
  type CreateKeyBody,
  createKey,
  getKey,
  listKeys,
  revokeKey,
  rotateKey,
} from '../api/keys.js';
import { getMe, type Me } from '../api/me.js';
import type { PermissionInfo } from '../api/roles.js';
import { listPermissions } from '../api/roles.js';
import type { User } from '../api/users.js';
import { checkRestriction, intersect } from '../domain/effective.js';
import { holderBound, isOrgAdmin } from '../domain/identity.js';
import { didYouMean } from '../domain/match.js';
import { expandWorkspacePermissions } from '../domain/permissions.js';
import { parseDuration } from '../domain/validate.js';
import { ConflictError, NotAvailableError, NotFoundError, PermissionError, UsageError } from '../errors.js';
import type { Capabilities } from './capabilities.js';
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

/** `--overlap 10m` → seconds the outgoing key keeps working during a rotation (0: stops at once). */
export function parseOverlap(v: string | undefined): number {
  if (v === undefined) return 0;
  const ms = parseDuration(v);
  if (ms === undefined) throw new UsageError(`--overlap must be a duration like 30s, 10m or 1h, got "${v}"`);
  if (ms > 30 * 86_400_000) throw new UsageError('--overlap can be at most 30d');
  return Math.ceil(ms / 1000);
}

/**
 * The permission catalogue a new key's restriction is checked against, when the server has one:
 * names are refused (with close matches) before anything is created. Without the catalogue the
 * names go to the server as given, and a terminal pick is impossible.
 */
export async function keyCatalogue(
  client: ApiClient,
  caps: Capabilities,
  requested: string[] | 'pick' | undefined,
  willAsk: boolean,
): Promise<PermissionInfo[] | undefined> {
  const catalogue =
    (requested !== undefined || willAsk) && caps.has('permissions.catalogue')
      ? await listPermissions(client)
      : undefined;
  if (Array.isArray(requested) && catalogue) validatePermissionNames(requested, catalogue);
  if (requested === 'pick' && !catalogue) {
    throw new UsageError(
      '--restrict without a list needs the permission catalogue, which this server does not have',
      { hint: 'name the permissions: --restrict flows_run,kbs_query' },
    );
  }
  return catalogue;
}

/** The service account that will hold a key: a person cannot own one (keys for integrations outlive people). */
export async function keyOwner(r: Resolver, ref: string | undefined): Promise<User | undefined> {
  if (!ref) return undefined;
  const owner = await r.user(ref);
  if ((owner.kind ?? 'human') !== 'service') {
    throw new UsageError(`--owner ${owner.email} is a person, not a service account`, {
      hint: 'keys for integrations belong to service accounts: noxus service-accounts create NAME --workspace W=ROLE',
    });
  }
  return owner;
}

/** Who is calling (the holder a key without --owner gets). */
export const currentIdentity = (client: ApiClient): Promise<Me> => getMe(client);

/** The bounds of a new key, when the server lists members; else undefined: the server decides. */
export async function holderBounds(
  r: Resolver,
  caps: Capabilities,
  me: Me,
  groupId: string,
  owner?: User,
): Promise<Bound[] | undefined> {
  return caps.has('members.list') ? keyBounds(r, me, groupId, owner) : undefined;
}

/**
 * The key a previous run of the same command made: active, same workspace and name, same holder
 * and restriction (`undefined`: not compared). A same-named key that differs is a conflict, so a
 * re-run never reports a key it would not have made as "unchanged".
 */
export async function findSameKey(
  client: ApiClient,
  group: { id: string; name: string },
  name: string,
  want: { ownerId: string | null; holderId: string | null; restriction: string[] | null | undefined },
): Promise<ApiKey | undefined> {
  const found = await activeKeysNamed(client, group.id, name);
  if (found.length === 0) return undefined;
  const same = found.filter(
    (k) =>
      (k.owner_id ?? null) === want.ownerId &&
      (want.holderId === null || k.holder_id === want.holderId) &&
      (want.restriction === undefined || sameRestriction(k.permissions, want.restriction)),
  );
  if (same.length) return same[0];
  const k = found[0] as ApiKey;
  throw new ConflictError(
    `key "${k.name}" already exists in ${group.name} (${k.id}) with another ${
      (k.owner_id ?? null) !== want.ownerId || (want.holderId !== null && k.holder_id !== want.holderId)
        ? `holder (${k.holder_email ?? k.holder_id})`
        : `restriction (${k.permissions?.join(', ') ?? 'none'})`
    }`,
    { hint: `nothing was changed; choose another name, or replace it: noxus keys revoke ${k.id}` },
  );
}

export interface NewKey {
  name: string;
  /** null: unrestricted. */
  restriction: string[] | null;
  owner?: User;
  expiresAt?: string;
}

/** The SDK's body, {name, tenant_admin}; extension fields only when asked for (checked before). */
export function createKeyBody(k: NewKey): CreateKeyBody {
  const body: CreateKeyBody = { name: k.name, tenant_admin: false };
  if (k.restriction !== null) body.permissions = k.restriction;
  if (k.owner) body.owner_id = k.owner.id;
  if (k.expiresAt) body.expires_at = k.expiresAt;
  return body;
}

export function createWorkspaceKey(client: ApiClient, groupId: string, k: NewKey) {
  return createKey(client, groupId, createKeyBody(k));
}

/** The key stops working at once; the server answers `changed: false` for a key already revoked. */
export const revokeWorkspaceKey = (client: ApiClient, keyId: string) => revokeKey(client, keyId);

export type RotationPlan =
  | { kind: 'unchanged'; key: ApiKey; outgoing: ApiKey }
  | { kind: 'rotate'; key: ApiKey; overlapSeconds: number; expiresAt: string | null };

/**
 * What rotating `ref` would do. The new key keeps the workspace, restriction and holder (the
 * server copies them); a rotation still in its overlap is not repeated unless forced, so a CI
 * step that runs twice changes nothing.
 */
export async function planRotation(
  client: ApiClient,
  ref: string,
  o: { overlap?: string; expiresIn?: string; expiresAt?: string; force?: boolean },
  now: Date,
): Promise<RotationPlan> {
  const overlapSeconds = parseOverlap(o.overlap);
  parseExpiry(o, now); // refuses a bad --expires-in/--expires-at before any call
  const key = await resolveKey(client, ref, 'active');
  if (key.status !== 'active')
    throw new UsageError(`key "${key.name}" is ${key.status}; only active keys can be rotated`);
  const outgoing = o.force ? undefined : await outgoingInOverlap(client, key);
  if (outgoing) return { kind: 'unchanged', key, outgoing };
  return { kind: 'rotate', key, overlapSeconds, expiresAt: rotatedExpiry(o, key, now) };
}

export function rotateWorkspaceKey(client: ApiClient, plan: Extract<RotationPlan, { kind: 'rotate' }>) {
  return rotateKey(client, plan.key.id, plan.overlapSeconds, undefined, plan.expiresAt);
}

/**
 * A new secret goes only to a new file in an existing, writable directory: checked before the key
 * is created, since once the server made it a failed write would lose the secret.
 */
export async function checkNewSecretFile(path: string, shown: string, flag: string): Promise<void> {
  if (existsSync(path))
    throw new UsageError(`${flag} ${shown} already exists; the secret is only written to a new file`, {
      hint: 'nothing was changed; name a new file',
    });
  await checkWritableDir(dirname(path), flag);
}

/** A directory that exists (or, with `mayCreate`, whose parent does) and that this user can write to. */
export async function checkWritableDir(dir: string, flag: string, mayCreate = false): Promise<void> {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch {
    if (mayCreate) return checkWritableDir(dirname(dir), flag);
    throw new UsageError(`${flag}: directory ${dir} does not exist`, { hint: 'nothing was changed' });
  }
  if (!st.isDirectory())
    throw new UsageError(`${flag}: ${dir} is not a directory`, { hint: 'nothing was changed' });
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag}: directory ${dir} is not writable`, { hint: 'nothing was changed' });
  }
}

/**
 * Where new secrets go: a directory this user can write (or make) and, when it exists, one only
 * this user can read. The secrets in it are 0600, but a directory open to others shows their names
 * and invites copies; it is refused rather than changed behind the operator's back.
 */
export async function checkSecretsDir(dir: string, flag: string): Promise<void> {
  await checkWritableDir(dir, flag, true);
  let mode: number;
  try {
    mode = statSync(dir).mode & 0o777;
  } catch {
    return; // made 0700 by the run that writes into it
  }
  if (mode & 0o077)
    throw new UsageError(
      `${flag}: ${dir} can be read by other users (mode 0${mode.toString(8)}); the secrets would be too: chmod 700 ${dir}`,
      { hint: 'nothing was changed' },
    );
}

/** The secret in a new file only this user can read; never over an existing file. */
export const writeSecretFile = (path: string, secret: string): Promise<void> =>
  writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });

export interface KeyQuery {
  workspace?: string;
  createdBy?: string;
  owner?: string;
  status: 'active' | 'revoked' | 'expired' | 'all';
  degraded?: boolean;
  /** Only keys unused for at least this long (never-used keys count from creation). */
  unusedMs?: number;
}

/**
 * The keys a listing asks for: references resolved to ids, the filters sent to the server and
 * applied again here (a server may ignore `degraded`; unused time is computed from `now`).
 */
export async function findKeys(r: Resolver, q: KeyQuery, now: Date): Promise<ApiKey[]> {
  const group = q.workspace ? await r.group(q.workspace) : undefined;
  const createdBy = q.createdBy ? await r.user(q.createdBy) : undefined;
  const owner = q.owner ? await r.user(q.owner) : undefined;
  let keys = await listKeys(r.client, {
    group_id: group?.id,
    created_by: createdBy?.id,
    owner_id: owner?.id,
    status: q.status,
    degraded: q.degraded ? true : undefined,
  });
  if (q.degraded) keys = keys.filter((k) => k.degraded);
  if (q.unusedMs !== undefined) {
    const cutoff = now.getTime() - q.unusedMs;
    keys = keys.filter((k) => Date.parse(k.last_used_at ?? k.created_at) <= cutoff);
  }
  return keys;
}
