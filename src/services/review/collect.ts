// Collecting a review snapshot: who has what, read from the server page by page. Users and grants
// are turned into their compact rows as each page arrives and sorted on disk (SortedSpill), so the
// memory an export needs does not grow with the organization; the small sections stay in memory.

import type { ApiClient } from '../../api/client.js';
import { memberPages } from '../../api/groups.js';
import { type ApiKey, listKeys, listSystemKeys } from '../../api/keys.js';
import { iteratePages, listAll } from '../../api/paging.js';
import { listRoles } from '../../api/roles.js';
import type { User } from '../../api/users.js';
import { type FeatureId, feature, notAvailableMessage } from '../../domain/features.js';
import { grantedPermissions, isOrgAdmin } from '../../domain/identity.js';
import { runPool } from '../../util/pool.js';
import { SortedSpill, sortKey } from './spill.js';
import {
  type CoverageGap,
  materialize,
  type ReviewContent,
  type ReviewGrant,
  type ReviewKey,
  type ReviewServiceAccount,
  type ReviewSource,
  type ReviewUser,
  type Section,
} from './types.js';

const day = (iso: string | null | undefined): string | null => (iso ? iso.slice(0, 10) : null);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Arrival order, appended to sort keys so that equal keys keep it (as a stable sort would). */
const seq = (n: number) => n.toString(36).padStart(8, '0');

export interface CollectOptions {
  concurrency?: number;
  onProgress?: (what: string) => void;
  /** What the server supports (capability discovery); sections it lacks are named in `coverage`. */
  has?: (id: FeatureId) => boolean;
  /** Rows of users, and of grants, held in memory before a sorted run goes to disk. */
  spillLimit?: number;
  /** Members asked for per page. */
  memberPageSize?: number;
}

/** A collected snapshot: read it (as many times as needed), then `dispose` of its files on disk. */
export interface Snapshot extends ReviewSource {
  dispose(): void;
}

export async function collectSnapshot(client: ApiClient, opts: CollectOptions = {}): Promise<Snapshot> {
  const progress = opts.onProgress ?? (() => {});
  const has = opts.has ?? (() => true);
  const missing: CoverageGap[] = [];
  const gap = (section: Section, id: FeatureId, reason = notAvailableMessage(id)) =>
    missing.push({ section, feature: id, reason });
  const haveMembers = has('members.list');
  const haveKeys = has('keys.list');
  const [roles, groups, keys, system, me] = await Promise.all([
    listRoles(client),
    listAll<{ id: string; name: string }>(client, '/v1/admin/groups'),
    haveKeys
      ? listKeys(client, { status: 'all' }).then((ks) => ks.filter((k) => k.status !== 'revoked'))
      : Promise.resolve([] as ApiKey[]),
    listSystemKeys(client),
    client.get<{ organization?: string }>('/v1/admin/me'),
  ]);

  const users = new SortedSpill(opts.spillLimit);
  const grants = new SortedSpill(opts.spillLimit);
  const dispose = () => {
    users.dispose();
    grants.dispose();
  };
  try {
    const admins: ReviewUser[] = [];
    const service: ReviewServiceAccount[] = [];
    const serviceIds = new Map<string, string[]>();
    const invitations: ReviewContent['invitations'] = [];
    let noKind = false;
    let noStatus = false;
    let n = 0;
    for await (const page of iteratePages<User>(client, '/v1/admin/users', {}, { pageSize: 1000 })) {
      for (const u of page) {
        if (u.kind === undefined) noKind = true;
        if (u.status === undefined) noStatus = true;
        if (u.status === 'removed') continue;
        const row: ReviewUser = {
          id: u.id,
          email: u.email,
          name: u.name ?? u.display_name,
          kind: u.kind ?? 'human',
          status: u.status ?? (u.is_active ? 'active' : 'inactive'),
          org_role: u.org_role?.name ?? (u.tenant_admin ? 'Org Admin' : ''),
          org_admin: isOrgAdmin(u, roles),
          created_at: u.created_at ?? null,
          last_active_on: day(u.last_active_at),
        };
        users.add(sortKey(row.email.toLowerCase(), row.id, seq(n++)), JSON.stringify(row));
        if (row.org_admin) admins.push(row);
        if (u.kind === 'service') {
          service.push({ id: u.id, email: u.email, status: u.status ?? '', workspaces: [] });
          serviceIds.set(u.id, []);
        }
        // Only invitations that were actually sent and are pending (send_invitation:false sends none).
        if (u.status === 'invited' && u.invitation)
          invitations.push({
            user_id: u.id,
            email: u.email,
            invited_at: u.invitation.created_at ?? u.created_at ?? '',
            expires_at: u.invitation.expires_at ?? null,
          });
      }
    }
    if (!haveMembers) gap('grants', 'members.list');
    if (!haveKeys) gap('keys', 'keys.list');
    // The public user list has no kind or status: who is a service account or a pending invitation
    // cannot be told from it.
    if (noKind)
      gap(
        'service_accounts',
        'service-accounts',
        `${feature('service-accounts').title}: the user list has no kind`,
      );
    if (noStatus)
      gap('invitations', 'users.invite', `${feature('users.invite').title}: the user list has no status`);
    progress(`${users.count} users, ${groups.length} workspaces, ${keys.length} keys`);

    // A service account's workspaces, in grant order: kept with their grant's sort key.
    const serviceGrants: Array<[string, string, string]> = [];
    let done = 0;
    let m = 0;
    const indexed = (haveMembers ? groups : []).map((g, i) => ({ g, i }));
    await runPool(
      indexed,
      opts.concurrency ?? 8,
      async ({ g, i }) => {
        let k = 0;
        for await (const page of memberPages(client, g.id, opts.memberPageSize ?? 1000)) {
          for (const x of page) {
            const row: ReviewGrant = {
              user_id: x.user_id,
              email: x.email,
              workspace_id: g.id,
              workspace: g.name,
              role: x.role.name,
              via: x.via,
              since: x.since ?? null,
              reason: x.reason ?? null,
              expires_at: x.expires_at ?? null,
            };
            // Ties keep the order of the workspace list, then of its members (as the sort in memory did).
            const key = sortKey(row.email, row.workspace, row.workspace_id, seq(i), seq(k++));
            grants.add(key, JSON.stringify(row));
            if (serviceIds.has(x.user_id)) serviceGrants.push([key, x.user_id, `${g.name}=${row.role}`]);
            m++;
          }
        }
        if (++done % 10 === 0 || done === groups.length)
          progress(`members of ${done}/${groups.length} workspaces (${m} grants)`);
      },
      () => {},
    );
    serviceGrants.sort((a, b) => cmp(a[0], b[0]));
    for (const [, id, w] of serviceGrants) serviceIds.get(id)?.push(w);
    for (const s of service) s.workspaces = serviceIds.get(s.id) ?? [];

    return {
      organization: me.organization ?? null,
      users,
      grants,
      keys: keys
        .map(reviewKey)
        .sort((a, b) => cmp(a.workspace ?? '', b.workspace ?? '') || cmp(a.name, b.name) || cmp(a.id, b.id)),
      system_keys: system
        .filter((k) => k.status !== 'revoked')
        .map((k) => ({
          id: k.id,
          name: k.name,
          permissions: [...(k.permissions ?? [])].sort(),
          tenant_admin: k.tenant_admin,
          created_by: k.created_by_email ?? k.created_by,
          status: k.status,
          created_at: k.created_at,
          last_used_on: day(k.last_used_at),
          expires_at: k.expires_at,
        }))
        .sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id)),
      service_accounts: service.sort((a, b) => cmp(a.email, b.email)),
      invitations: invitations.sort((a, b) => cmp(a.email, b.email)),
      roles: roles
        .map((r) => ({ name: r.name, scope: r.scope ?? '', permissions: grantedPermissions(r).sort() }))
        .sort((a, b) => cmp(a.scope, b.scope) || cmp(a.name, b.name)),
      workspaces: groups
        .map((g) => ({ id: g.id, name: g.name }))
        .sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id)),
      coverage: { complete: missing.length === 0, missing },
      admins: admins.sort((a, b) => cmp(a.email.toLowerCase(), b.email.toLowerCase()) || cmp(a.id, b.id)),
      dispose,
    };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** The whole snapshot in memory: for policy checks, which read every section. */
export async function collectReview(client: ApiClient, opts: CollectOptions = {}): Promise<ReviewContent> {
  const s = await collectSnapshot(client, opts);
  try {
    return await materialize(s);
  } finally {
    s.dispose();
  }
}

function reviewKey(k: ApiKey): ReviewKey {
  return {
    id: k.id,
    name: k.name,
    workspace: k.group_name ?? k.group_id,
    holder: k.holder_email ?? k.holder_id,
    holder_kind: k.holder_kind ?? null,
    created_by: k.created_by_email ?? k.created_by,
    tenant_admin: k.tenant_admin,
    restricted: k.restricted,
    restriction: k.permissions,
    effective: k.effective_permissions,
    degraded: k.degraded,
    clipped: k.clipped.map((c) => c.permission),
    status: k.status,
    created_at: k.created_at,
    last_used_on: day(k.last_used_at),
    expires_at: k.expires_at,
  };
}
