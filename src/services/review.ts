// Quarterly access reviews: a deterministic snapshot of who has what (hashable, so an unchanged
// organization exports the same hash), a diff between two snapshots, and policy checks whose
// findings each come with the command that fixes them.

import { createHash } from 'node:crypto';
import type { ApiClient } from '../api/client.js';
import { listMembers } from '../api/groups.js';
import { type ApiKey, listKeys, listSystemKeys } from '../api/keys.js';
import { listAll } from '../api/paging.js';
import { listRoles } from '../api/roles.js';
import type { User } from '../api/users.js';
import { type FeatureId, feature, notAvailableMessage } from '../domain/features.js';
import { grantedPermissions, isOrgAdminRole } from '../domain/identity.js';
import { UsageError } from '../errors.js';
import { mapBounded } from '../util/pool.js';

export const REVIEW_KIND = 'noxus-access-review';

export interface ReviewUser {
  id: string;
  email: string;
  name: string;
  kind: string;
  status: string;
  org_role: string;
  org_admin: boolean;
  created_at: string | null;
  /** Day precision: the review itself must not change what it reviews. */
  last_active_on: string | null;
}

export interface ReviewGrant {
  user_id: string;
  email: string;
  workspace_id: string;
  workspace: string;
  role: string;
  via: 'membership' | 'org_admin';
  /**
   * When the grant began: the membership's role was set, or the user became org admin. Null when
   * the server does not say (absent in exports made before it existed).
   */
  since?: string | null;
}

export interface ReviewKey {
  id: string;
  name: string;
  workspace: string | null;
  holder: string | null;
  holder_kind: string | null;
  created_by: string | null;
  tenant_admin: boolean;
  restricted: boolean;
  restriction: string[] | null;
  effective: string[];
  degraded: boolean;
  clipped: string[];
  status: string;
  created_at: string;
  last_used_on: string | null;
  expires_at: string | null;
}

export interface ReviewContent {
  organization: string | null;
  users: ReviewUser[];
  grants: ReviewGrant[];
  keys: ReviewKey[];
  system_keys: Array<{
    id: string;
    name: string;
    permissions: string[];
    tenant_admin: boolean;
    created_by: string | null;
    status: string;
    created_at: string;
    last_used_on: string | null;
    expires_at: string | null;
  }>;
  service_accounts: Array<{ id: string; email: string; status: string; workspaces: string[] }>;
  invitations: Array<{ user_id: string; email: string; invited_at: string; expires_at: string | null }>;
  roles: Array<{ name: string; scope: string; permissions: string[] }>;
  /** Absent in exports made before coverage existed (those were complete). */
  workspaces?: Array<{ id: string; name: string }>;
  coverage?: Coverage;
}

/** The sections a server may be unable to provide (the rest come from the public API). */
export type Section = 'grants' | 'keys' | 'service_accounts' | 'invitations';

export interface CoverageGap {
  section: Section;
  /** The feature that would provide it (the catalogue's id), and why it could not be read. */
  feature: FeatureId;
  reason: string;
}

/** What the export could not read; hashed with the rest, so a partial export never passes for a full one. */
export interface Coverage {
  complete: boolean;
  missing: CoverageGap[];
}

export function coverageOf(c: ReviewContent): Coverage {
  return c.coverage ?? { complete: true, missing: [] };
}

export interface ReviewDoc {
  schema_version: 1;
  kind: typeof REVIEW_KIND;
  server: string;
  tool_version: string;
  generated_at: string;
  content: ReviewContent;
  sha256: string;
}

const day = (iso: string | null | undefined): string | null => (iso ? iso.slice(0, 10) : null);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Runs `fn` over items with at most `n` in flight, keeping input order in the result. */
export async function collectReview(
  client: ApiClient,
  opts: {
    concurrency?: number;
    onProgress?: (what: string) => void;
    /** What the server supports (capability discovery); sections it lacks are named in `coverage`. */
    has?: (id: FeatureId) => boolean;
  } = {},
): Promise<ReviewContent> {
  const progress = opts.onProgress ?? (() => {});
  const has = opts.has ?? (() => true);
  const missing: CoverageGap[] = [];
  const gap = (section: Section, id: FeatureId, reason = notAvailableMessage(id)) =>
    missing.push({ section, feature: id, reason });
  const haveMembers = has('members.list');
  const haveKeys = has('keys.list');
  const [roles, users, groups, keys, system, me] = await Promise.all([
    listRoles(client),
    listAll<User>(client, '/v1/admin/users', {}, { pageSize: 1000 }),
    listAll<{ id: string; name: string }>(client, '/v1/admin/groups'),
    haveKeys
      ? listKeys(client, { status: 'all' }).then((ks) => ks.filter((k) => k.status !== 'revoked'))
      : Promise.resolve([] as ApiKey[]),
    listSystemKeys(client),
    client.get<{ organization?: string }>('/v1/admin/me'),
  ]);
  if (!haveMembers) gap('grants', 'members.list');
  if (!haveKeys) gap('keys', 'keys.list');
  // The public user list has no kind or status: who is a service account or a pending invitation
  // cannot be told from it.
  if (users.some((u) => u.kind === undefined))
    gap(
      'service_accounts',
      'service-accounts',
      `${feature('service-accounts').title}: the user list has no kind`,
    );
  if (users.some((u) => u.status === undefined))
    gap('invitations', 'users.invite', `${feature('users.invite').title}: the user list has no status`);
  progress(`${users.length} users, ${groups.length} workspaces, ${keys.length} keys`);
  const adminRoleIds = new Set(roles.filter(isOrgAdminRole).map((r) => r.id));
  const isAdmin = (u: User) => (u.org_role ? adminRoleIds.has(u.org_role.id) : u.tenant_admin);
  let done = 0;
  const members = await mapBounded(haveMembers ? groups : [], opts.concurrency ?? 8, async (g) => {
    const m = await listMembers(client, g.id);
    if (++done % 10 === 0 || done === groups.length)
      progress(`members of ${done}/${groups.length} workspaces`);
    return { g, m };
  });
  const active = users.filter((u) => u.status !== 'removed');
  const grants: ReviewGrant[] = [];
  for (const { g, m } of members) {
    for (const x of m)
      grants.push({
        user_id: x.user_id,
        email: x.email,
        workspace_id: g.id,
        workspace: g.name,
        role: x.role.name,
        via: x.via,
        since: x.since ?? null,
      });
  }
  grants.sort(
    (a, b) => cmp(a.email, b.email) || cmp(a.workspace, b.workspace) || cmp(a.workspace_id, b.workspace_id),
  );
  return {
    organization: me.organization ?? null,
    users: active
      .map((u) => ({
        id: u.id,
        email: u.email,
        name: u.name ?? u.display_name,
        kind: u.kind ?? 'human',
        status: u.status ?? (u.is_active ? 'active' : 'inactive'),
        org_role: u.org_role?.name ?? (u.tenant_admin ? 'Org Admin' : ''),
        org_admin: isAdmin(u),
        created_at: u.created_at ?? null,
        last_active_on: day(u.last_active_at),
      }))
      .sort((a, b) => cmp(a.email.toLowerCase(), b.email.toLowerCase()) || cmp(a.id, b.id)),
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
    service_accounts: active
      .filter((u) => u.kind === 'service')
      .map((u) => ({
        id: u.id,
        email: u.email,
        status: u.status ?? '',
        workspaces: grants.filter((g) => g.user_id === u.id).map((g) => `${g.workspace}=${g.role}`),
      }))
      .sort((a, b) => cmp(a.email, b.email)),
    invitations: active
      // Only invitations that were actually sent and are pending (send_invitation:false sends none).
      .filter((u) => u.status === 'invited' && u.invitation)
      .map((u) => ({
        user_id: u.id,
        email: u.email,
        invited_at: u.invitation?.created_at ?? u.created_at ?? '',
        expires_at: u.invitation?.expires_at ?? null,
      }))
      .sort((a, b) => cmp(a.email, b.email)),
    roles: roles
      .map((r) => ({ name: r.name, scope: r.scope ?? '', permissions: grantedPermissions(r).sort() }))
      .sort((a, b) => cmp(a.scope, b.scope) || cmp(a.name, b.name)),
    workspaces: groups
      .map((g) => ({ id: g.id, name: g.name }))
      .sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id)),
    coverage: { complete: missing.length === 0, missing },
  };
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

/** The hash covers the content only, serialised compactly with its fixed field order. */
export function contentHash(content: ReviewContent): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

export function makeDoc(content: ReviewContent, server: string, toolVersion: string, now: Date): ReviewDoc {
  return {
    schema_version: 1,
    kind: REVIEW_KIND,
    server,
    tool_version: toolVersion,
    generated_at: now.toISOString(),
    content,
    sha256: contentHash(content),
  };
}

/** Writes the document piece by piece, so a large organisation is never one giant string. */
export function* jsonChunks(doc: ReviewDoc): Generator<string> {
  const c = doc.content;
  yield `{"schema_version":1,"kind":${JSON.stringify(doc.kind)},"server":${JSON.stringify(doc.server)},"tool_version":${JSON.stringify(doc.tool_version)},"generated_at":${JSON.stringify(doc.generated_at)},"content":{"organization":${JSON.stringify(c.organization)}`;
  for (const field of [
    'users',
    'grants',
    'keys',
    'system_keys',
    'service_accounts',
    'invitations',
    'roles',
  ] as const) {
    yield `,\n"${field}":[`;
    const rows = c[field] as unknown[];
    for (let i = 0; i < rows.length; i++) yield `${i ? ',' : ''}\n${JSON.stringify(rows[i])}`;
    yield ']';
  }
  // Same key order as the content object, so the file's content hashes to the same sha256.
  if (c.workspaces) yield `,\n"workspaces":${JSON.stringify(c.workspaces)}`;
  if (c.coverage) yield `,\n"coverage":${JSON.stringify(c.coverage)}`;
  yield `},\n"sha256":${JSON.stringify(doc.sha256)}}\n`;
}

export function parseReview(text: string, file: string): ReviewDoc {
  let d: ReviewDoc;
  try {
    d = JSON.parse(text) as ReviewDoc;
  } catch {
    throw new UsageError(
      `${file} is not a JSON review export (review diff compares JSON exports: noxus review export --format json)`,
    );
  }
  if (d?.kind !== REVIEW_KIND || !d.content)
    throw new UsageError(`${file} is not a noxus access review export`);
  if (contentHash(d.content) !== d.sha256) {
    throw new UsageError(`${file} was modified after export: its content does not match its sha256`);
  }
  return d;
}

// ---- diff ----------------------------------------------------------------------------------------

const ROLE_RANK: Record<string, number> = { Reader: 1, Editor: 2, Admin: 3 };

type Via = ReviewGrant['via'];

export interface ReviewDiff {
  old: { generated_at: string; sha256: string };
  new: { generated_at: string; sha256: string };
  users_added: string[];
  users_removed: string[];
  users_suspended: string[];
  users_reactivated: string[];
  users_newly_inactive: string[];
  admins_gained: string[];
  admins_lost: string[];
  /** Every grant gained is an escalation, whether by membership or through a new org-admin role. */
  grants_added: Array<{ email: string; workspace: string; role: string; via: Via; escalation: boolean }>;
  /** A demotion from org admin lists here every workspace admin right it took away. */
  grants_removed: Array<{ email: string; workspace: string; role: string; via: Via }>;
  /** A role or a basis (`via`) that changed; an escalation when the new role grants more. */
  grants_changed: Array<{
    email: string;
    workspace: string;
    before: string;
    after: string;
    before_via: Via;
    after_via: Via;
    escalation: boolean;
  }>;
  keys_added: Array<{
    id: string;
    name: string;
    workspace: string | null;
    holder: string | null;
    restricted: boolean;
  }>;
  keys_revoked: Array<{ id: string; name: string; workspace: string | null; holder: string | null }>;
  keys_newly_degraded: Array<{ id: string; name: string; clipped: string[] }>;
  changes: number;
  /** The sections either export could not read are not compared (their absence is not a change). */
  coverage_differs: boolean;
  coverage: { old: CoverageGap[]; new: CoverageGap[]; not_compared: Section[] };
}

export function diffReviews(a: ReviewDoc, b: ReviewDoc, inactiveDays = 90): ReviewDiff {
  const ua = new Map(a.content.users.map((u) => [u.id, u]));
  const ub = new Map(b.content.users.map((u) => [u.id, u]));
  const roleOf = (doc: ReviewDoc) => new Map(doc.content.roles.map((r) => [r.name, r.permissions]));
  const [ra, rb] = [roleOf(a), roleOf(b)];
  const escalates = (before: string | undefined, after: string) => {
    if (!before) return true;
    const [x, y] = [ROLE_RANK[before], ROLE_RANK[after]];
    if (x !== undefined && y !== undefined) return y > x;
    const pb = new Set(ra.get(before) ?? rb.get(before) ?? []);
    return (rb.get(after) ?? []).some((p) => !pb.has(p));
  };
  const inactive = (u: ReviewUser, at: string) =>
    u.status === 'active' &&
    (!u.last_active_on || Date.parse(at) - Date.parse(u.last_active_on) > inactiveDays * 86_400_000);
  const [ca, cb] = [coverageOf(a.content), coverageOf(b.content)];
  const uncovered = new Set([...ca.missing, ...cb.missing].map((m) => m.section));
  const section = <T>(name: Section, rows: T[]): T[] => (uncovered.has(name) ? [] : rows);
  const key = (g: ReviewGrant) => `${g.user_id}|${g.workspace_id}`;
  const ga = new Map(section('grants', a.content.grants).map((g) => [key(g), g]));
  const gb = new Map(section('grants', b.content.grants).map((g) => [key(g), g]));
  const ka = new Map(section('keys', a.content.keys).map((k) => [k.id, k]));
  const kb = new Map(section('keys', b.content.keys).map((k) => [k.id, k]));
  const d: ReviewDiff = {
    old: { generated_at: a.generated_at, sha256: a.sha256 },
    new: { generated_at: b.generated_at, sha256: b.sha256 },
    users_added: [...ub.values()].filter((u) => !ua.has(u.id)).map((u) => u.email),
    users_removed: [...ua.values()].filter((u) => !ub.has(u.id)).map((u) => u.email),
    users_suspended: [...ub.values()]
      .filter((u) => u.status === 'suspended' && ua.get(u.id)?.status !== 'suspended' && ua.has(u.id))
      .map((u) => u.email),
    users_reactivated: [...ub.values()]
      .filter((u) => u.status === 'active' && ua.get(u.id)?.status === 'suspended')
      .map((u) => u.email),
    users_newly_inactive: [...ub.values()]
      .filter(
        (u) =>
          inactive(u, b.generated_at) &&
          ua.has(u.id) &&
          !inactive(ua.get(u.id) as ReviewUser, a.generated_at),
      )
      .map((u) => u.email),
    admins_gained: [...ub.values()]
      .filter((u) => u.org_admin && !ua.get(u.id)?.org_admin)
      .map((u) => u.email),
    admins_lost: [...ua.values()].filter((u) => u.org_admin && !ub.get(u.id)?.org_admin).map((u) => u.email),
    grants_added: [...gb.entries()]
      .filter(([k]) => !ga.has(k))
      .map(([, g]) => ({
        email: g.email,
        workspace: g.workspace,
        role: g.role,
        via: g.via,
        escalation: true,
      })),
    grants_removed: [...ga.entries()]
      .filter(([k]) => !gb.has(k))
      .map(([, g]) => ({ email: g.email, workspace: g.workspace, role: g.role, via: g.via })),
    grants_changed: [...gb.entries()]
      .filter(([k, g]) => ga.has(k) && (ga.get(k)?.role !== g.role || ga.get(k)?.via !== g.via))
      .map(([k, g]) => {
        const before = ga.get(k) as ReviewGrant;
        return {
          email: g.email,
          workspace: g.workspace,
          before: before.role,
          after: g.role,
          before_via: before.via,
          after_via: g.via,
          escalation: escalates(before.role, g.role),
        };
      }),
    keys_added: [...kb.values()]
      .filter((k) => !ka.has(k.id))
      .map((k) => ({
        id: k.id,
        name: k.name,
        workspace: k.workspace,
        holder: k.holder,
        restricted: k.restricted,
      })),
    keys_revoked: [...ka.values()]
      .filter((k) => !kb.has(k.id))
      .map((k) => ({ id: k.id, name: k.name, workspace: k.workspace, holder: k.holder })),
    keys_newly_degraded: [...kb.values()]
      .filter((k) => k.degraded && ka.has(k.id) && !ka.get(k.id)?.degraded)
      .map((k) => ({ id: k.id, name: k.name, clipped: k.clipped })),
    changes: 0,
    coverage_differs: JSON.stringify(ca) !== JSON.stringify(cb),
    coverage: { old: ca.missing, new: cb.missing, not_compared: [...uncovered].sort() },
  };
  d.changes =
    d.users_added.length +
    d.users_removed.length +
    d.users_suspended.length +
    d.users_reactivated.length +
    d.users_newly_inactive.length +
    d.admins_gained.length +
    d.admins_lost.length +
    d.grants_added.length +
    d.grants_removed.length +
    d.grants_changed.length +
    d.keys_added.length +
    d.keys_revoked.length +
    d.keys_newly_degraded.length;
  return d;
}

// ---- policy check --------------------------------------------------------------------------------

export type Severity = 'info' | 'warning' | 'error';
export const SEVERITIES: Severity[] = ['info', 'warning', 'error'];

export interface Policy {
  max_org_admins: number;
  inactive_days: number;
  key_max_age_days: number;
  key_unused_days: number;
  invitation_max_age_days: number;
  allow_unrestricted_keys: boolean;
  integration_key_pattern: string;
  fail_on: Severity;
  severities: Record<string, Severity>;
}

export const DEFAULT_POLICY: Policy = {
  max_org_admins: 2,
  inactive_days: 90,
  key_max_age_days: 365,
  key_unused_days: 90,
  invitation_max_age_days: 14,
  allow_unrestricted_keys: false,
  integration_key_pattern:
    '\\b(ci|cd|deploy|bot|sync|export|import|integration|pipeline|webhook|zapier|etl|cron)\\b',
  fail_on: 'warning',
  severities: {
    too_many_org_admins: 'error',
    inactive_user_with_roles: 'warning',
    unrestricted_key: 'warning',
    degraded_key: 'warning',
    old_key: 'warning',
    unused_key: 'warning',
    personal_key_used_as_integration: 'warning',
    stale_invitation: 'warning',
    active_user_without_workspace: 'info',
  },
};

export function parsePolicy(raw: unknown, file: string): Policy {
  if (raw === null || raw === undefined) return DEFAULT_POLICY;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(`${file}: a policy is a mapping of settings`);
  const p = { ...DEFAULT_POLICY, severities: { ...DEFAULT_POLICY.severities } };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k === 'severities') {
      if (typeof v !== 'object' || v === null)
        throw new UsageError(`${file}: severities must be a mapping of rule → info|warning|error`);
      for (const [rule, sev] of Object.entries(v)) {
        if (!(rule in DEFAULT_POLICY.severities))
          throw new UsageError(
            `${file}: unknown rule "${rule}" in severities (rules: ${Object.keys(DEFAULT_POLICY.severities).join(', ')})`,
          );
        if (!SEVERITIES.includes(sev as Severity))
          throw new UsageError(`${file}: severity of ${rule} must be info, warning or error`);
        p.severities[rule] = sev as Severity;
      }
    } else if (!(k in DEFAULT_POLICY)) {
      throw new UsageError(
        `${file}: unknown setting "${k}" (settings: ${Object.keys(DEFAULT_POLICY).join(', ')})`,
      );
    } else if (k === 'fail_on') {
      if (!SEVERITIES.includes(v as Severity))
        throw new UsageError(`${file}: fail_on must be info, warning or error`);
      p.fail_on = v as Severity;
    } else if (k === 'allow_unrestricted_keys') {
      if (typeof v !== 'boolean')
        throw new UsageError(`${file}: allow_unrestricted_keys must be true or false`);
      p.allow_unrestricted_keys = v;
    } else if (k === 'integration_key_pattern') {
      if (typeof v !== 'string')
        throw new UsageError(`${file}: integration_key_pattern must be a regular expression string`);
      p.integration_key_pattern = v;
    } else {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        throw new UsageError(`${file}: ${k} must be a whole number ≥ 0`);
      (p as unknown as Record<string, number>)[k] = v;
    }
  }
  return p;
}

/** The sections each rule reads besides users and roles; a rule whose data the export lacks is skipped. */
export const RULE_NEEDS: Record<string, Section[]> = {
  too_many_org_admins: [],
  inactive_user_with_roles: ['grants'],
  active_user_without_workspace: ['grants'],
  unrestricted_key: ['keys'],
  degraded_key: ['keys'],
  old_key: ['keys'],
  unused_key: ['keys'],
  personal_key_used_as_integration: ['keys'],
  stale_invitation: ['invitations'],
};

export interface SkippedRule {
  rule: string;
  reason: string;
}

/** The rules this export has no data for, each with what is missing (the coverage's reasons). */
export function skippedRules(c: ReviewContent): SkippedRule[] {
  const gaps = new Map(coverageOf(c).missing.map((m) => [m.section, m]));
  const out: SkippedRule[] = [];
  for (const [rule, needs] of Object.entries(RULE_NEEDS)) {
    const lacking = needs.map((n) => gaps.get(n)).filter((g): g is CoverageGap => !!g);
    if (lacking.length)
      out.push({ rule, reason: `needs ${lacking.map((g) => `${g.section} (${g.reason})`).join(', ')}` });
  }
  return out;
}

export interface Finding {
  rule: string;
  severity: Severity;
  subject: string;
  message: string;
  fix: string;
}

/** `caller`: the email behind the key in use, never suggested for demotion (it would lock you out). */
export function checkReview(c: ReviewContent, policy: Policy, now: Date, caller?: string): Finding[] {
  const out: Finding[] = [];
  const sev = (rule: string) => policy.severities[rule] ?? 'warning';
  const age = (iso: string | null) =>
    iso ? (now.getTime() - Date.parse(iso)) / 86_400_000 : Number.POSITIVE_INFINITY;
  const q = (s: string) => (/^[\w@.+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const skipped = new Set(skippedRules(c).map((x) => x.rule));
  const add = (rule: string, subject: string, message: string, fix: string) => {
    if (!skipped.has(rule)) out.push({ rule, severity: sev(rule), subject, message, fix });
  };

  const admins = c.users.filter((u) => u.org_admin && u.status === 'active' && u.kind === 'human');
  if (admins.length > policy.max_org_admins) {
    // Keep the longest-standing admins; suggest demoting the rest.
    const extra = [...admins]
      .sort(
        (a, b) =>
          Number(b.email === caller) - Number(a.email === caller) ||
          (a.created_at ?? '').localeCompare(b.created_at ?? ''),
      )
      .slice(policy.max_org_admins);
    for (const u of extra) {
      add(
        'too_many_org_admins',
        u.email,
        `${admins.length} org admins, the policy allows ${policy.max_org_admins}`,
        `noxus users update ${q(u.email)} --org-role 'Org Base'`,
      );
    }
  }
  const grantsOf = new Map<string, ReviewGrant[]>();
  for (const g of c.grants) grantsOf.set(g.user_id, [...(grantsOf.get(g.user_id) ?? []), g]);
  for (const u of c.users) {
    const gs = (grantsOf.get(u.id) ?? []).filter((g) => g.via === 'membership');
    if (
      u.status === 'active' &&
      u.kind === 'human' &&
      (gs.length || u.org_admin) &&
      age(u.last_active_on) > policy.inactive_days
    ) {
      add(
        'inactive_user_with_roles',
        u.email,
        `no activity for more than ${policy.inactive_days} days (last ${u.last_active_on ?? 'never'}) but still holds ${u.org_admin ? 'org admin' : `${gs.length} workspace role(s)`}`,
        `noxus offboard ${q(u.email)}`,
      );
    }
    if (u.status === 'active' && u.kind === 'human' && !u.org_admin && gs.length === 0) {
      add(
        'active_user_without_workspace',
        u.email,
        'active but in no workspace',
        `noxus ws add-member <workspace> ${q(u.email)} --role Reader   # or: noxus offboard ${q(u.email)}`,
      );
    }
  }
  const pattern = new RegExp(policy.integration_key_pattern, 'i');
  for (const k of c.keys.filter((x) => x.status === 'active')) {
    const subject = `key "${k.name}" (${k.id}) of ${k.holder} in ${k.workspace}`;
    if (!k.restricted && !k.tenant_admin && !policy.allow_unrestricted_keys) {
      add(
        'unrestricted_key',
        subject,
        `unrestricted: it can do everything its holder can; the holder should replace it with one restricted to what it needs (e.g. noxus keys create --workspace ${q(k.workspace ?? '')} --name ${q(k.name)} --restrict <perms>)`,
        `noxus keys revoke ${k.id}`,
      );
    }
    if (k.degraded) {
      add(
        'degraded_key',
        subject,
        `its holder lost ${k.clipped.join(', ')}; the key silently does less than it was made for`,
        `noxus keys explain ${k.id} && noxus keys revoke ${k.id}`,
      );
    }
    if (age(k.created_at) > policy.key_max_age_days) {
      add(
        'old_key',
        subject,
        `created ${k.created_at.slice(0, 10)}, older than ${policy.key_max_age_days} days`,
        `noxus keys rotate ${k.id} --overlap 1h`,
      );
    }
    if (age(k.last_used_on ?? k.created_at) > policy.key_unused_days) {
      add(
        'unused_key',
        subject,
        `not used for more than ${policy.key_unused_days} days (last ${k.last_used_on ?? 'never'})`,
        `noxus keys revoke ${k.id}`,
      );
    }
    if (k.holder_kind === 'human' && pattern.test(k.name)) {
      const perms = k.restriction ?? k.effective;
      const role =
        ['Reader', 'Editor', 'Admin'].find((r) => {
          const granted = c.roles.find((x) => x.name === r && x.scope === 'workspace')?.permissions ?? [];
          return perms.every((p) => granted.includes(p));
        }) ?? 'Admin';
      add(
        'personal_key_used_as_integration',
        subject,
        `a personal key named like an integration; when ${k.holder} leaves it stops working`,
        `noxus service-accounts create ${q(k.name)} --workspace ${q(`${k.workspace}=${role}`)} --key ${q(k.name)} --restrict ${perms.join(',')} && noxus keys revoke ${k.id}`,
      );
    }
  }
  for (const i of c.invitations) {
    if (age(i.invited_at) > policy.invitation_max_age_days) {
      add(
        'stale_invitation',
        i.email,
        `invited ${i.invited_at.slice(0, 10)}, more than ${policy.invitation_max_age_days} days ago, never accepted`,
        `noxus users resend-invite ${q(i.email)}   # or remove them: noxus users suspend ${q(i.email)}`,
      );
    }
  }
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  return out.sort(
    (a, b) =>
      rank(b.severity) - rank(a.severity) ||
      a.rule.localeCompare(b.rule) ||
      a.subject.localeCompare(b.subject),
  );
}

export function failing(findings: Finding[], policy: Policy): Finding[] {
  return findings.filter((f) => SEVERITIES.indexOf(f.severity) >= SEVERITIES.indexOf(policy.fail_on));
}
