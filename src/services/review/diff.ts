// What changed between two review exports, escalations marked. Sections either export could not
// read are not compared: their absence is not a change.

import {
  type CoverageGap,
  coverageOf,
  type ReviewDoc,
  type ReviewGrant,
  type ReviewUser,
  type Section,
} from './types.js';

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
  /**
   * Same role, other reason or expiry (only between exports that both carry terms). An escalation
   * when the grant now lasts longer: its expiry was removed or pushed later.
   */
  grants_terms_changed: Array<{
    email: string;
    workspace: string;
    role: string;
    before: { reason: string | null; expires_at: string | null };
    after: { reason: string | null; expires_at: string | null };
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
    grants_terms_changed: [...gb.entries()].flatMap(([k, g]) => {
      const before = ga.get(k);
      if (!before || before.role !== g.role || before.via !== g.via || !hasTerms(before) || !hasTerms(g))
        return [];
      const [t0, t1] = [termsOf(before), termsOf(g)];
      if (t0.reason === t1.reason && t0.expires_at === t1.expires_at) return [];
      return [
        {
          email: g.email,
          workspace: g.workspace,
          role: g.role,
          before: t0,
          after: t1,
          escalation: lastsLonger(t0.expires_at, t1.expires_at),
        },
      ];
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
    d.grants_terms_changed.length +
    d.keys_added.length +
    d.keys_revoked.length +
    d.keys_newly_degraded.length;
  return d;
}

/** Exports made before grant terms existed have no such fields: their terms are unknown, not none. */
const hasTerms = (g: ReviewGrant) => g.reason !== undefined && g.expires_at !== undefined;
const termsOf = (g: ReviewGrant) => ({ reason: g.reason ?? null, expires_at: g.expires_at ?? null });

function lastsLonger(before: string | null, after: string | null): boolean {
  if (before === null) return false;
  return after === null || Date.parse(after) > Date.parse(before);
}
