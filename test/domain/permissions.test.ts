import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  expandOrgPermissions,
  expandWorkspacePermissions,
  isOrgPermission,
  isWorkspacePermission,
  ORG_PERMISSIONS,
  permissionCatalogue,
  sortPermissions,
  WORKSPACE_ADMIN,
  WORKSPACE_PERMISSIONS,
} from '../../src/domain/permissions.js';
import { BUILTIN_ROLES } from '../../src/domain/roles.js';
import {
  ALL_ORG,
  ALL_WS,
  inOrgOrder,
  modelExpandWs,
  orgPerm,
  RUNS,
  unknownName,
  wsPerm,
} from './arbitraries.js';

const anyName = fc.oneof(wsPerm, orgPerm, unknownName);
const AREAS = [...new Set(ALL_ORG.map((p) => p.split(':')[0] as string))];
const orgToken = fc.oneof(
  { weight: 4, arbitrary: orgPerm },
  { weight: 2, arbitrary: fc.constantFrom(...AREAS.map((a) => `${a}:*`)) },
  { weight: 1, arbitrary: fc.constant('*') },
  { weight: 1, arbitrary: wsPerm },
  { weight: 1, arbitrary: unknownName },
);

/** A list and one of its permutations. */
const listAndPermutation = fc
  .array(anyName, { maxLength: 30 })
  .chain((xs) =>
    fc.tuple(fc.constant(xs), fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length })),
  );

describe('catalogue', () => {
  it('org and workspace permissions are disjoint, unique, and all described', () => {
    const cat = permissionCatalogue();
    expect(cat.map((p) => p.name)).toEqual([...ORG_PERMISSIONS, ...WORKSPACE_PERMISSIONS]);
    expect(new Set(cat.map((p) => p.name)).size).toBe(cat.length);
    for (const p of cat) {
      expect(p.scope).toBe(isOrgPermission(p.name) ? 'org' : 'workspace');
      expect(isOrgPermission(p.name)).not.toBe(isWorkspacePermission(p.name));
      expect(p.description.length).toBeGreaterThan(0);
      expect(p.description).not.toBe(p.name);
    }
    expect(WORKSPACE_PERMISSIONS).toContain(WORKSPACE_ADMIN);
  });

  it('built-in roles only list permissions of their own scope', () => {
    for (const r of BUILTIN_ROLES) {
      for (const p of r.permissions)
        expect(r.scope === 'org' ? isOrgPermission(p) : isWorkspacePermission(p)).toBe(true);
    }
  });
});

describe('expandWorkspacePermissions', () => {
  it('keeps only workspace permissions, expands workspace_admin, sorted and de-duplicated', () => {
    fc.assert(
      fc.property(fc.array(anyName, { maxLength: 30 }), (xs) => {
        const got = expandWorkspacePermissions(xs);
        expect(got).toEqual(ALL_WS.filter((p) => modelExpandWs(xs).has(p)));
        expect(expandWorkspacePermissions(got)).toEqual(got);
      }),
      RUNS,
    );
  });

  it('workspace_admin alone ⇒ the whole workspace catalogue', () => {
    expect(expandWorkspacePermissions([WORKSPACE_ADMIN])).toEqual([...WORKSPACE_PERMISSIONS]);
    expect(expandWorkspacePermissions(['flows_run', 'users:read', 'nope'])).toEqual(['flows_run']);
    expect(expandWorkspacePermissions([])).toEqual([]);
  });
});

describe('expandOrgPermissions', () => {
  it('expands `area:*` and `*`, drops everything else that is not an org permission', () => {
    fc.assert(
      fc.property(fc.array(orgToken, { maxLength: 20 }), (xs) => {
        const expected = new Set<string>();
        for (const x of xs) {
          if (x === '*') for (const p of ALL_ORG) expected.add(p);
          else if (x.endsWith(':*')) {
            for (const p of ALL_ORG) if (p.split(':')[0] === x.slice(0, -2)) expected.add(p);
          } else if (ALL_ORG.includes(x)) expected.add(x);
        }
        const got = expandOrgPermissions(xs);
        expect(got).toEqual(inOrgOrder(expected));
        expect(expandOrgPermissions(got)).toEqual(got);
      }),
      RUNS,
    );
  });

  it('examples: users:* and *', () => {
    expect(expandOrgPermissions(['users:*'])).toEqual(['users:read', 'users:write', 'users:delete']);
    expect(expandOrgPermissions(['workspace:*'])).toEqual(['workspace:read', 'workspace:write']);
    expect(expandOrgPermissions(['*'])).toEqual([...ORG_PERMISSIONS]);
    expect(expandOrgPermissions(['org:*', 'billing:manage'])).toEqual([
      'org:read',
      'org:admin',
      'billing:manage',
    ]);
    // `workspace:*` is not a prefix match on workspace_admin, and unknown areas expand to nothing
    expect(expandOrgPermissions(['workspace:*'])).not.toContain('workspace_admin');
    expect(expandOrgPermissions(['nosuch:*', 'use:*', ':*', 'flows_run'])).toEqual([]);
  });
});

describe('sortPermissions', () => {
  it('does not depend on the input order (stable) and is idempotent', () => {
    fc.assert(
      fc.property(listAndPermutation, ([xs, perm]) => {
        const sorted = sortPermissions(xs);
        expect(sortPermissions(perm)).toEqual(sorted);
        expect(sortPermissions(sorted)).toEqual(sorted);
      }),
      RUNS,
    );
  });

  it('keeps the same set without duplicates: catalogue order first (org, then workspace), then the rest', () => {
    fc.assert(
      fc.property(fc.array(anyName, { maxLength: 30 }), (xs) => {
        const sorted = sortPermissions(xs);
        const set = new Set(xs);
        expect(new Set(sorted)).toEqual(set);
        expect(sorted.length).toBe(set.size);
        const known = [...ALL_ORG, ...ALL_WS].filter((p) => set.has(p));
        const rest = [...set].filter((p) => !ALL_ORG.includes(p) && !ALL_WS.includes(p)).sort();
        expect(sorted).toEqual([...known, ...rest]);
      }),
      RUNS,
    );
  });

  it('example', () => {
    expect(
      sortPermissions(['workspace_admin', 'zeta', 'flows_edit', 'alpha', 'users:read', 'flows_edit']),
    ).toEqual(['users:read', 'flows_edit', 'workspace_admin', 'alpha', 'zeta']);
  });
});
