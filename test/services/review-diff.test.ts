// The diff of two exports around an org-role change, on hand-made content: the basis of a grant
// (`via`) is compared as well as its role, and exports without `since` (made before it) still diff.
import { describe, expect, it } from 'vitest';
import { diffReviews } from '../../src/services/review/diff.js';
import { makeDoc } from '../../src/services/review/doc.js';
import type { ReviewContent, ReviewGrant } from '../../src/services/review/types.js';

const user = (org_admin: boolean) => ({
  id: 'u1',
  email: 'ada@example.com',
  name: 'Ada',
  kind: 'human',
  status: 'active',
  org_role: org_admin ? 'Org Admin' : 'Org Base',
  org_admin,
  created_at: '2026-01-01T00:00:00.000Z',
  last_active_on: '2026-11-28',
});
const grant = (role: string, via: ReviewGrant['via'], since?: string): ReviewGrant => ({
  user_id: 'u1',
  email: 'ada@example.com',
  workspace_id: 'w1',
  workspace: 'Sales',
  role,
  via,
  ...(since === undefined ? {} : { since }),
});
const doc = (org_admin: boolean, grants: ReviewGrant[], at: string) => {
  const c: ReviewContent = {
    organization: 'Acme',
    users: [user(org_admin)],
    grants,
    keys: [],
    system_keys: [],
    service_accounts: [],
    invitations: [],
    roles: [],
  };
  return makeDoc(c, 'https://noxus.example.com', '0.1.0', new Date(at));
};

describe('diff around an org-role change', () => {
  it('Admin by membership, then Admin via org admin: a changed basis, not an escalation of the role', () => {
    const a = doc(false, [grant('Admin', 'membership')], '2026-10-01T00:00:00.000Z');
    const b = doc(
      true,
      [grant('Admin', 'org_admin', '2026-10-15T00:00:00.000Z')],
      '2026-11-01T00:00:00.000Z',
    );
    const d = diffReviews(a, b);
    expect(d.admins_gained).toEqual(['ada@example.com']);
    expect(d.grants_changed).toEqual([
      {
        email: 'ada@example.com',
        workspace: 'Sales',
        before: 'Admin',
        after: 'Admin',
        before_via: 'membership',
        after_via: 'org_admin',
        escalation: false,
      },
    ]);
    expect(d.changes).toBe(2);
  });

  it('the same grant with only its since different is no change', () => {
    const a = doc(true, [grant('Admin', 'org_admin')], '2026-10-01T00:00:00.000Z');
    const b = doc(
      true,
      [grant('Admin', 'org_admin', '2026-10-15T00:00:00.000Z')],
      '2026-11-01T00:00:00.000Z',
    );
    expect(diffReviews(a, b).changes).toBe(0);
  });
});

describe('diff of grant terms', () => {
  const termed = (reason: string | null, expires_at: string | null): ReviewGrant => ({
    ...grant('Editor', 'membership'),
    reason,
    expires_at,
  });
  const at = (n: number) => `2026-1${n}-01T00:00:00.000Z`;

  it('a new reason or expiry on the same role is one change; longer-lasting is marked, shorter is not', () => {
    const a = doc(false, [termed(null, '2026-12-31T00:00:00.000Z')], at(0));
    const later = diffReviews(a, doc(false, [termed('audit', '2027-03-31T00:00:00.000Z')], at(1)));
    expect(later.grants_terms_changed).toEqual([
      {
        email: 'ada@example.com',
        workspace: 'Sales',
        role: 'Editor',
        before: { reason: null, expires_at: '2026-12-31T00:00:00.000Z' },
        after: { reason: 'audit', expires_at: '2027-03-31T00:00:00.000Z' },
        escalation: true,
      },
    ]);
    expect(later.grants_changed).toEqual([]);
    expect(later.changes).toBe(1);
    const removed = diffReviews(a, doc(false, [termed(null, null)], at(1)));
    expect(removed.grants_terms_changed.map((g) => g.escalation)).toEqual([true]);
    const sooner = diffReviews(a, doc(false, [termed(null, '2026-12-15T00:00:00.000Z')], at(1)));
    expect(sooner.grants_terms_changed.map((g) => g.escalation)).toEqual([false]);
    const reasonOnly = diffReviews(a, doc(false, [termed('x', '2026-12-31T00:00:00.000Z')], at(1)));
    expect(reasonOnly.grants_terms_changed.map((g) => g.escalation)).toEqual([false]);
    expect(diffReviews(a, doc(false, [termed(null, '2026-12-31T00:00:00.000Z')], at(1))).changes).toBe(0);
  });

  it('an export made before terms existed (no fields) is not compared for terms; a role change is not a terms change', () => {
    const old = doc(false, [grant('Editor', 'membership')], at(0));
    const now = doc(false, [termed('audit', null)], at(1));
    expect(diffReviews(old, now).grants_terms_changed).toEqual([]);
    expect(diffReviews(old, now).changes).toBe(0);
    const role = diffReviews(now, doc(false, [{ ...termed(null, null), role: 'Admin' }], at(2)));
    expect(role.grants_terms_changed).toEqual([]);
    expect(role.grants_changed).toHaveLength(1);
  });
});

describe('diff rules, one by one', () => {
  const AT_A = '2026-10-01T00:00:00.000Z';
  const AT_B = '2026-11-01T00:00:00.000Z';
  const u = (email: string, over: Partial<ReturnType<typeof user>> = {}) => ({
    ...user(false),
    id: `id-${email}`,
    email,
    ...over,
  });
  const g = (email: string, workspace: string, role: string, via: ReviewGrant['via'] = 'membership') => ({
    user_id: `id-${email}`,
    email,
    workspace_id: `w-${workspace}`,
    workspace,
    role,
    via,
    since: null,
  });
  const k = (id: string, over: Record<string, unknown> = {}) => ({
    id,
    name: `key ${id}`,
    workspace: 'Sales',
    holder: 'ada@example.com',
    holder_kind: 'human',
    created_by: 'ada@example.com',
    tenant_admin: false,
    restricted: true,
    restriction: ['flows_run'],
    effective: ['flows_run'],
    degraded: false,
    clipped: [],
    status: 'active',
    created_at: AT_A,
    last_used_on: null,
    expires_at: null,
    ...over,
  });
  const snap = (at: string, c: Partial<ReviewContent>) =>
    makeDoc(
      {
        organization: 'Acme',
        users: [],
        grants: [],
        keys: [],
        system_keys: [],
        service_accounts: [],
        invitations: [],
        roles: [
          { name: 'Custom', scope: 'workspace', permissions: ['flows_view'] },
          { name: 'Custom+', scope: 'workspace', permissions: ['flows_run', 'flows_view'] },
        ],
        ...c,
      },
      'https://noxus.example.com',
      '0.1.0',
      new Date(at),
    );

  it('users added, removed, suspended, reactivated and newly inactive', () => {
    const a = snap(AT_A, {
      users: [
        u('gone@example.com'),
        u('pause@example.com'),
        u('back@example.com', { status: 'suspended' }),
        u('idle@example.com', { last_active_on: '2026-09-20' }),
        u('still@example.com', { last_active_on: '2026-06-01' }),
      ],
    });
    const b = snap(AT_B, {
      users: [
        u('new@example.com'),
        u('pause@example.com', { status: 'suspended' }),
        u('back@example.com', { status: 'active' }),
        u('idle@example.com', { last_active_on: '2026-07-20' }),
        u('still@example.com', { last_active_on: '2026-06-01' }),
      ],
    });
    const d = diffReviews(a, b);
    expect(d.users_added).toEqual(['new@example.com']);
    expect(d.users_removed).toEqual(['gone@example.com']);
    expect(d.users_suspended).toEqual(['pause@example.com']);
    expect(d.users_reactivated).toEqual(['back@example.com']);
    // Inactive for more than 90 days at B but not at A; "still" was already inactive at A.
    expect(d.users_newly_inactive).toEqual(['idle@example.com']);
    expect(d.changes).toBe(5);
    // The inactivity threshold is the caller's.
    expect(diffReviews(a, b, 200).users_newly_inactive).toEqual([]);
  });

  it('admins gained and lost', () => {
    const a = snap(AT_A, { users: [u('up@example.com'), u('down@example.com', { org_admin: true })] });
    const b = snap(AT_B, { users: [u('up@example.com', { org_admin: true }), u('down@example.com')] });
    const d = diffReviews(a, b);
    expect([d.admins_gained, d.admins_lost, d.changes]).toEqual([
      ['up@example.com'],
      ['down@example.com'],
      2,
    ]);
  });

  it('grants added (always an escalation), removed, and changed (escalation by rank or by permissions)', () => {
    const a = snap(AT_A, {
      grants: [
        g('ada@example.com', 'Sales', 'Reader'),
        g('bob@example.com', 'Sales', 'Admin'),
        g('cy@example.com', 'Sales', 'Custom'),
        g('dee@example.com', 'Sales', 'Custom+'),
        g('eve@example.com', 'Sales', 'Editor'),
      ],
    });
    const b = snap(AT_B, {
      grants: [
        g('ada@example.com', 'Sales', 'Editor'),
        g('bob@example.com', 'Sales', 'Reader'),
        g('cy@example.com', 'Sales', 'Custom+'),
        g('dee@example.com', 'Sales', 'Custom'),
        g('fay@example.com', 'Ops', 'Reader'),
      ],
    });
    const d = diffReviews(a, b);
    expect(d.grants_added).toEqual([
      { email: 'fay@example.com', workspace: 'Ops', role: 'Reader', via: 'membership', escalation: true },
    ]);
    expect(d.grants_removed).toEqual([
      { email: 'eve@example.com', workspace: 'Sales', role: 'Editor', via: 'membership' },
    ]);
    expect(d.grants_changed.map((x) => [x.email, x.before, x.after, x.escalation])).toEqual([
      ['ada@example.com', 'Reader', 'Editor', true],
      ['bob@example.com', 'Admin', 'Reader', false],
      ['cy@example.com', 'Custom', 'Custom+', true],
      ['dee@example.com', 'Custom+', 'Custom', false],
    ]);
    expect(d.changes).toBe(6);
  });

  it('keys added, revoked and newly degraded', () => {
    const a = snap(AT_A, { keys: [k('k1'), k('k2'), k('k3', { degraded: true, clipped: ['x'] })] });
    const b = snap(AT_B, {
      keys: [
        k('k2', { degraded: true, clipped: ['flows_run'] }),
        k('k3', { degraded: true, clipped: ['x'] }),
        k('k4', { restricted: false, restriction: null }),
      ],
    });
    const d = diffReviews(a, b);
    expect(d.keys_added).toEqual([
      { id: 'k4', name: 'key k4', workspace: 'Sales', holder: 'ada@example.com', restricted: false },
    ]);
    expect(d.keys_revoked).toEqual([
      { id: 'k1', name: 'key k1', workspace: 'Sales', holder: 'ada@example.com' },
    ]);
    expect(d.keys_newly_degraded).toEqual([{ id: 'k2', name: 'key k2', clipped: ['flows_run'] }]);
    expect(d.changes).toBe(3);
  });

  it('a section either export could not read is not compared', () => {
    const gap = { section: 'keys' as const, feature: 'keys.list' as const, reason: 'no key list' };
    const a = snap(AT_A, { keys: [k('k1')], coverage: { complete: true, missing: [] } });
    const b = snap(AT_B, { keys: [], coverage: { complete: false, missing: [gap] } });
    const d = diffReviews(a, b);
    expect(d.keys_revoked).toEqual([]);
    expect(d.changes).toBe(0);
    expect(d.coverage_differs).toBe(true);
    expect(d.coverage).toEqual({ old: [], new: [gap], not_compared: ['keys'] });
    expect(diffReviews(a, a).coverage_differs).toBe(false);
  });
});
