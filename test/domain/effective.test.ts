import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type HolderView,
  keyOrgPermissions,
  keyRequested,
  keyWorkspacePermissions,
  userOrgPermissions,
  userWorkspacePermissions,
} from '../../src/domain/effective.js';
import { expandWorkspacePermissions, WORKSPACE_PERMISSIONS } from '../../src/domain/permissions.js';
import { isAdminOrgRole } from '../../src/domain/roles.js';
import {
  ALL_ORG,
  ALL_WS,
  activeHolder,
  adminOrgRole,
  builtin,
  holder,
  inactiveStatus,
  inOrgOrder,
  isSubset,
  modelHolderSet,
  modelIsOrgAdmin,
  modelKeyEffective,
  nonAdminOrgRole,
  orgRole,
  type Role,
  RUNS,
  restriction,
  status,
  wsPerm,
  wsRole,
  wsSubset,
} from './arbitraries.js';

const active = (orgRole: Role | undefined, workspaceRole: Role | undefined): HolderView => ({
  status: 'active',
  orgRole,
  workspaceRole,
});

describe('userWorkspacePermissions: a user in one workspace', () => {
  it('matches the semantics.md model exactly, in catalogue order', () => {
    fc.assert(
      fc.property(holder, (h) => {
        const got = userWorkspacePermissions(h);
        expect(got.permissions).toEqual(ALL_WS.filter((p) => modelHolderSet(h).has(p)));
        const source =
          h.status !== 'active'
            ? 'inactive'
            : modelIsOrgAdmin(h.orgRole)
              ? 'org_admin'
              : h.workspaceRole
                ? 'workspace_role'
                : 'none';
        expect(got.source).toBe(source);
      }),
      RUNS,
    );
  });

  it('org admin ⇒ every workspace permission, whatever the workspace role (or none)', () => {
    fc.assert(
      fc.property(adminOrgRole, fc.option(wsRole, { nil: undefined }), (org, ws) => {
        const got = userWorkspacePermissions(active(org, ws));
        expect(got).toEqual({ permissions: [...WORKSPACE_PERMISSIONS], source: 'org_admin' });
      }),
      RUNS,
    );
  });

  it('non-admin with a workspace role ⇒ exactly that role’s expanded permissions', () => {
    fc.assert(
      fc.property(fc.option(nonAdminOrgRole, { nil: undefined }), wsRole, (org, ws) => {
        const got = userWorkspacePermissions(active(org, ws));
        expect(got.source).toBe('workspace_role');
        expect(got.permissions).toEqual(expandWorkspacePermissions(ws.permissions));
        expect(new Set(got.permissions)).toEqual(modelHolderSet(active(org, ws)));
      }),
      RUNS,
    );
  });

  it('non-admin without a role in the workspace ⇒ nothing', () => {
    fc.assert(
      fc.property(fc.option(nonAdminOrgRole, { nil: undefined }), (org) => {
        expect(userWorkspacePermissions(active(org, undefined))).toEqual({ permissions: [], source: 'none' });
      }),
      RUNS,
    );
  });

  it('a workspace role holding workspace_admin implies every other workspace permission', () => {
    fc.assert(
      fc.property(wsSubset, fc.option(nonAdminOrgRole, { nil: undefined }), (others, org) => {
        const ws: Role = { name: 'custom', scope: 'workspace', permissions: [...others, 'workspace_admin'] };
        expect(userWorkspacePermissions(active(org, ws)).permissions).toEqual([...WORKSPACE_PERMISSIONS]);
      }),
      RUNS,
    );
  });

  it('a role without workspace_admin never gains a permission it does not list', () => {
    fc.assert(
      fc.property(wsSubset, (perms) => {
        const listed = perms.filter((p) => p !== 'workspace_admin');
        const ws: Role = { name: 'custom', scope: 'workspace', permissions: listed };
        expect(new Set(userWorkspacePermissions(active(builtin('Org Base'), ws)).permissions)).toEqual(
          new Set(listed),
        );
      }),
      RUNS,
    );
  });

  it('org permissions or stray names in a workspace role grant nothing in the workspace', () => {
    const ws: Role = {
      name: 'odd',
      scope: 'workspace',
      permissions: ['org:admin', 'users:*', '*', 'flows_run'],
    };
    expect(userWorkspacePermissions(active(undefined, ws)).permissions).toEqual(['flows_run']);
  });

  it('built-in roles give what the seed docs say', () => {
    const base = builtin('Org Base');
    expect(userWorkspacePermissions(active(base, builtin('Reader'))).permissions).toEqual([
      'flows_run',
      'agents_run',
      'kbs_query',
    ]);
    expect(userWorkspacePermissions(active(base, builtin('Editor'))).permissions).not.toContain(
      'integrations_edit',
    );
    expect(userWorkspacePermissions(active(base, builtin('Admin'))).permissions).toEqual([
      ...WORKSPACE_PERMISSIONS,
    ]);
    expect(userWorkspacePermissions(active(builtin('Org Admin'), builtin('Reader')))).toEqual({
      permissions: [...WORKSPACE_PERMISSIONS],
      source: 'org_admin',
    });
    expect(isAdminOrgRole(builtin('Org Admin'))).toBe(true);
    expect(isAdminOrgRole(builtin('Org Base'))).toBe(false);
    // `org:admin` only counts on an org-scoped role.
    expect(isAdminOrgRole({ scope: 'workspace', permissions: ['org:admin'] })).toBe(false);
    expect(isAdminOrgRole(undefined)).toBe(false);
  });
});

describe('keyWorkspacePermissions: a key’s effective set', () => {
  it('equals (restriction or everything) ∩ holder’s current set (model)', () => {
    fc.assert(
      fc.property(restriction, holder, (r, h) => {
        expect(keyWorkspacePermissions(r, h)).toEqual(modelKeyEffective(r, h));
      }),
      RUNS,
    );
  });

  it('⊆ holder’s current set, ⊆ expanded restriction, ⊆ workspace catalogue', () => {
    fc.assert(
      fc.property(restriction, holder, (r, h) => {
        const eff = keyWorkspacePermissions(r, h);
        expect(isSubset(eff, userWorkspacePermissions(h).permissions)).toBe(true);
        expect(isSubset(eff, keyRequested(r))).toBe(true);
        if (r !== null) expect(isSubset(eff, expandWorkspacePermissions(r))).toBe(true);
        expect(isSubset(eff, ALL_WS)).toBe(true);
        expect(new Set(eff).size).toBe(eff.length);
      }),
      RUNS,
    );
  });

  it('an unrestricted key equals its holder’s set', () => {
    fc.assert(
      fc.property(holder, (h) => {
        expect(keyWorkspacePermissions(null, h)).toEqual(userWorkspacePermissions(h).permissions);
      }),
      RUNS,
    );
  });

  it('a restriction to workspace_admin is the same as unrestricted', () => {
    fc.assert(
      fc.property(holder, fc.array(wsPerm, { maxLength: 5 }), (h, extra) => {
        expect(keyWorkspacePermissions(['workspace_admin', ...extra], h)).toEqual(
          keyWorkspacePermissions(null, h),
        );
      }),
      RUNS,
    );
  });

  it('an empty restriction is never "everything"', () => {
    fc.assert(
      fc.property(holder, (h) => {
        expect(keyWorkspacePermissions([], h)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a restricted key of an active org admin gets exactly its (expanded) restriction', () => {
    fc.assert(
      fc.property(adminOrgRole, fc.option(wsRole, { nil: undefined }), wsSubset, (org, ws, r) => {
        expect(keyWorkspacePermissions(r, active(org, ws))).toEqual(expandWorkspacePermissions(r));
      }),
      RUNS,
    );
  });

  it('example: Editor holder, key restricted to flows_run + integrations_edit ⇒ flows_run only', () => {
    const h = active(builtin('Org Base'), builtin('Editor'));
    expect(keyWorkspacePermissions(['integrations_edit', 'flows_run'], h)).toEqual(['flows_run']);
    expect(keyWorkspacePermissions(null, active(builtin('Org Base'), builtin('Reader')))).toEqual([
      'flows_run',
      'agents_run',
      'kbs_query',
    ]);
  });
});

/** Ways a holder can lose permissions in a workspace; each yields a holder whose set ⊆ the original's. */
function demotions(h: HolderView): fc.Arbitrary<HolderView> {
  const current = expandWorkspacePermissions(h.workspaceRole?.permissions ?? []);
  return fc.oneof(
    // the workspace role shrinks to a subset of what it granted (custom role edited, or swapped)
    fc.shuffledSubarray(current).map((ps) => ({
      ...h,
      workspaceRole: { name: 'demoted', scope: 'workspace' as const, permissions: ps },
    })),
    // org admin taken away (only shrinks when the workspace role was already covered by admin)
    nonAdminOrgRole.map((org) => ({ ...h, orgRole: modelIsOrgAdmin(h.orgRole) ? org : h.orgRole })),
    // the membership is removed
    fc.constant({ ...h, workspaceRole: undefined }),
    // suspended, removed, or back to invited
    inactiveStatus.map((s) => ({ ...h, status: s })),
  );
}

describe('demotion and re-promotion', () => {
  const scenario = fc
    .tuple(restriction, activeHolder)
    .chain(([r, h]) => fc.tuple(fc.constant(r), fc.constant(h), demotions(h)));

  it('a demotion never grows a key’s effective set', () => {
    fc.assert(
      fc.property(scenario, ([r, before, after]) => {
        // precondition: it really is a demotion
        expect(
          isSubset(userWorkspacePermissions(after).permissions, userWorkspacePermissions(before).permissions),
        ).toBe(true);
        expect(isSubset(keyWorkspacePermissions(r, after), keyWorkspacePermissions(r, before))).toBe(true);
      }),
      RUNS,
    );
  });

  it('any shrink of the holder’s set shrinks the key to the overlap, never beyond it', () => {
    fc.assert(
      fc.property(restriction, wsSubset, wsSubset, (r, big, small) => {
        const smaller = small.filter((p) => big.includes(p));
        const hBig = active(undefined, { name: 'big', scope: 'workspace', permissions: big });
        const hSmall = active(undefined, { name: 'small', scope: 'workspace', permissions: smaller });
        const effSmall = keyWorkspacePermissions(r, hSmall);
        expect(isSubset(effSmall, keyWorkspacePermissions(r, hBig))).toBe(true);
        expect(effSmall).toEqual(
          keyRequested(r).filter((p) => userWorkspacePermissions(hSmall).permissions.includes(p)),
        );
      }),
      RUNS,
    );
  });

  it('re-promotion to the original role restores exactly the original effective set', () => {
    fc.assert(
      fc.property(scenario, ([r, original, demoted]) => {
        const before = keyWorkspacePermissions(r, original);
        const during = keyWorkspacePermissions(r, demoted);
        const restored = keyWorkspacePermissions(r, { ...demoted, ...original });
        expect(restored).toEqual(before);
        expect(isSubset(during, restored)).toBe(true);
        // ...and only up to the restriction
        expect(restored).toEqual(
          keyRequested(r).filter((p) => userWorkspacePermissions(original).permissions.includes(p)),
        );
      }),
      RUNS,
    );
  });

  it('example: Admin → Reader → Admin for a key restricted to flows_edit + flows_run', () => {
    const base = builtin('Org Base');
    const r = ['flows_edit', 'flows_run'];
    expect(keyWorkspacePermissions(r, active(base, builtin('Admin')))).toEqual(['flows_edit', 'flows_run']);
    expect(keyWorkspacePermissions(r, active(base, builtin('Reader')))).toEqual(['flows_run']);
    expect(keyWorkspacePermissions(r, active(base, builtin('Admin')))).toEqual(['flows_edit', 'flows_run']);
  });
});

describe('inactive holders', () => {
  it('suspended, removed or invited ⇒ empty effective set and empty org set', () => {
    fc.assert(
      fc.property(
        inactiveStatus,
        fc.option(orgRole, { nil: undefined }),
        fc.option(wsRole, { nil: undefined }),
        restriction,
        fc.boolean(),
        (s, org, ws, r, tenantAdmin) => {
          const h: HolderView = { status: s, orgRole: org, workspaceRole: ws };
          expect(userWorkspacePermissions(h)).toEqual({ permissions: [], source: 'inactive' });
          expect(keyWorkspacePermissions(r, h)).toEqual([]);
          expect(userOrgPermissions(h)).toEqual([]);
          expect(keyOrgPermissions(tenantAdmin, h)).toEqual([]);
        },
      ),
      RUNS,
    );
  });

  it('even the owner (built-in Org Admin) has nothing once suspended', () => {
    for (const s of ['invited', 'suspended', 'removed'] as const) {
      const h: HolderView = { status: s, orgRole: builtin('Org Admin'), workspaceRole: builtin('Admin') };
      expect(keyWorkspacePermissions(null, h)).toEqual([]);
      expect(keyOrgPermissions(true, h)).toEqual([]);
    }
  });
});

describe('org-level permissions', () => {
  it('userOrgPermissions = the active holder’s org role permissions, in catalogue order', () => {
    fc.assert(
      fc.property(status, fc.option(orgRole, { nil: undefined }), (s, org) => {
        const expected = s === 'active' && org ? inOrgOrder(new Set(org.permissions)) : [];
        expect(userOrgPermissions({ status: s, orgRole: org })).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('a key without tenant_admin carries no org permissions', () => {
    fc.assert(
      fc.property(holder, (h) => {
        expect(keyOrgPermissions(false, h)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a tenant_admin key carries the holder’s org permissions only while the holder is an active org admin', () => {
    fc.assert(
      fc.property(status, fc.option(orgRole, { nil: undefined }), (s, org) => {
        const got = keyOrgPermissions(true, { status: s, orgRole: org });
        if (s === 'active' && modelIsOrgAdmin(org)) {
          expect(got).toEqual(userOrgPermissions({ status: s, orgRole: org }));
          expect(got).toContain('org:admin');
        } else {
          expect(got).toEqual([]);
        }
        expect(isSubset(got, ALL_ORG)).toBe(true);
      }),
      RUNS,
    );
  });

  it('demoting the holder from org admin strips a tenant_admin key of every org permission', () => {
    fc.assert(
      fc.property(adminOrgRole, nonAdminOrgRole, (admin, demoted) => {
        expect(keyOrgPermissions(true, { status: 'active', orgRole: admin }).length).toBeGreaterThan(0);
        expect(keyOrgPermissions(true, { status: 'active', orgRole: demoted })).toEqual([]);
        expect(keyOrgPermissions(true, { status: 'active', orgRole: admin })).toEqual(
          inOrgOrder(new Set(admin.permissions)),
        );
      }),
      RUNS,
    );
  });

  it('example: the owner’s bootstrap key (tenant_admin, Org Admin) carries the whole org catalogue', () => {
    expect(keyOrgPermissions(true, { status: 'active', orgRole: builtin('Org Admin') })).toEqual([
      ...ALL_ORG,
    ]);
    expect(keyOrgPermissions(true, { status: 'active', orgRole: builtin('Org Base') })).toEqual([]);
    expect(keyOrgPermissions(true, { status: 'active', orgRole: undefined })).toEqual([]);
  });

  it('an org role granting org:admin through a wildcard makes its holder an org admin', () => {
    for (const perms of [['*'], ['org:*']]) {
      const org: Role = { name: 'Wild', scope: 'org', permissions: perms };
      const h: HolderView = { status: 'active', orgRole: org, workspaceRole: undefined };
      expect(userOrgPermissions(h)).toContain('org:admin'); // holds today
      expect(userWorkspacePermissions(h)).toEqual({
        permissions: [...WORKSPACE_PERMISSIONS],
        source: 'org_admin',
      });
      expect(keyOrgPermissions(true, h)).toEqual(userOrgPermissions(h));
    }
  });
});
