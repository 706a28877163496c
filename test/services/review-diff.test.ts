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
