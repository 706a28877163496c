import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkRestriction,
  clippedPermissions,
  type HolderView,
  keyWorkspacePermissions,
  restrictionIsValid,
  userWorkspacePermissions,
} from '../../src/domain/effective.js';
import { expandWorkspacePermissions } from '../../src/domain/permissions.js';
import {
  ALL_ORG,
  ALL_WS,
  activeHolder,
  builtin,
  holder,
  inactiveStatus,
  inWsOrder,
  modelExpandWs,
  modelHolderSet,
  modelIsOrgAdmin,
  nonAdminOrgRole,
  orgPerm,
  type Role,
  RUNS,
  restriction,
  unknownName,
  wsPerm,
  wsRole,
  wsSubset,
} from './arbitraries.js';

const base = builtin('Org Base');
const setOf = (role: Role): string[] =>
  userWorkspacePermissions({ status: 'active', orgRole: base, workspaceRole: role }).permissions;
const READER = setOf(builtin('Reader'));
const EDITOR = setOf(builtin('Editor'));
const ADMIN = setOf(builtin('Admin'));

/** A creator's (or service account's) current set: what callers pass as a bound (already expanded). */
const bound = fc.oneof(
  holder.map((h) => userWorkspacePermissions(h).permissions),
  wsSubset.map((ps) => expandWorkspacePermissions(ps)),
);

const requestedList = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: wsPerm },
    { weight: 2, arbitrary: orgPerm },
    { weight: 2, arbitrary: unknownName },
  ),
  { maxLength: 20 },
);

function firstOccurrences(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

describe('checkRestriction', () => {
  it('matches the model: unknown, orgScoped, missing (union of expanded differences), empty', () => {
    fc.assert(
      fc.property(requestedList, fc.array(bound, { maxLength: 3 }), (req, bounds) => {
        const c = checkRestriction(req, ...bounds);
        const expanded = modelExpandWs(req.filter((p) => ALL_WS.includes(p)));
        const missing = new Set<string>();
        for (const b of bounds) for (const p of expanded) if (!b.includes(p)) missing.add(p);
        expect(c).toEqual({
          unknown: firstOccurrences(req.filter((p) => !ALL_WS.includes(p) && !ALL_ORG.includes(p))),
          orgScoped: firstOccurrences(req.filter((p) => ALL_ORG.includes(p))),
          missing: inWsOrder(missing),
          empty: req.length === 0,
        });
        expect(restrictionIsValid(c)).toBe(
          req.length > 0 && c.unknown.length === 0 && c.orgScoped.length === 0 && missing.size === 0,
        );
      }),
      RUNS,
    );
  });

  it('an empty restriction is reported empty and is invalid, whatever the bounds', () => {
    fc.assert(
      fc.property(fc.array(bound, { maxLength: 3 }), (bounds) => {
        const c = checkRestriction([], ...bounds);
        expect(c.empty).toBe(true);
        expect(restrictionIsValid(c)).toBe(false);
      }),
      RUNS,
    );
  });

  it('a request within the creator’s set is valid', () => {
    fc.assert(
      fc.property(
        holder
          .map((h) => userWorkspacePermissions(h).permissions)
          .filter((creator) => creator.length > 0)
          .chain((creator) => fc.tuple(fc.constant(creator), fc.shuffledSubarray(creator, { minLength: 1 }))),
        ([creator, req]) => {
          const c = checkRestriction(req, creator);
          expect(c).toEqual({ unknown: [], orgScoped: [], missing: [], empty: false });
          expect(restrictionIsValid(c)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('a permission the creator lacks is reported missing (exactly the expanded difference) and invalid', () => {
    fc.assert(
      fc.property(fc.array(wsPerm, { minLength: 1, maxLength: 10 }), bound, (req, creator) => {
        const expanded = expandWorkspacePermissions(req);
        const diff = expanded.filter((p) => !creator.includes(p));
        fc.pre(diff.length > 0);
        const c = checkRestriction(req, creator);
        expect(c.missing).toEqual(diff);
        expect(restrictionIsValid(c)).toBe(false);
      }),
      RUNS,
    );
  });

  it('with two bounds (creator and service account) missing is the union of both differences', () => {
    fc.assert(
      fc.property(
        fc.array(wsPerm, { minLength: 1, maxLength: 10 }),
        bound,
        bound,
        (req, creator, account) => {
          const both = checkRestriction(req, creator, account);
          const a = checkRestriction(req, creator).missing;
          const b = checkRestriction(req, account).missing;
          expect(new Set(both.missing)).toEqual(new Set([...a, ...b]));
          expect(both.missing).toEqual(inWsOrder(new Set([...a, ...b])));
          // order of the bounds does not matter, and a second bound can only add to what is missing
          expect(checkRestriction(req, account, creator)).toEqual(both);
          expect(restrictionIsValid(both)).toBe(
            restrictionIsValid(checkRestriction(req, creator)) && b.length === 0,
          );
        },
      ),
      RUNS,
    );
  });

  it('org permissions asked for on a workspace key are reported in orgScoped and make it invalid', () => {
    fc.assert(
      fc.property(
        fc.array(wsPerm, { maxLength: 5 }),
        fc.array(orgPerm, { minLength: 1, maxLength: 5 }),
        (ws, org) => {
          const c = checkRestriction([...ws, ...org], ADMIN);
          expect(new Set(c.orgScoped)).toEqual(new Set(org));
          expect(c.missing).toEqual([]);
          expect(c.unknown).toEqual([]);
          expect(restrictionIsValid(c)).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('unknown names are reported in unknown and make it invalid', () => {
    fc.assert(
      fc.property(
        fc.array(wsPerm, { maxLength: 5 }),
        fc.array(unknownName, { minLength: 1, maxLength: 5 }),
        (ws, u) => {
          const c = checkRestriction([...ws, ...u], ADMIN);
          expect(new Set(c.unknown)).toEqual(new Set(u));
          expect(c.orgScoped).toEqual([]);
          expect(restrictionIsValid(c)).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('an unrestricted request (null) is never empty nor invalid', () => {
    fc.assert(
      fc.property(fc.array(bound, { maxLength: 3 }), (bounds) => {
        const c = checkRestriction(null, ...bounds);
        expect(c).toEqual({ unknown: [], orgScoped: [], missing: [], empty: false });
        expect(restrictionIsValid(c)).toBe(true);
      }),
      RUNS,
    );
  });

  it('a valid restriction yields a key whose effective set is exactly the (expanded) request', () => {
    fc.assert(
      fc.property(activeHolder, wsSubset, (h, req) => {
        const c = checkRestriction(req, userWorkspacePermissions(h).permissions);
        fc.pre(restrictionIsValid(c));
        expect(keyWorkspacePermissions(req, h)).toEqual(expandWorkspacePermissions(req));
      }),
      RUNS,
    );
  });

  it('examples', () => {
    expect(checkRestriction([], EDITOR)).toEqual({ unknown: [], orgScoped: [], missing: [], empty: true });
    expect(restrictionIsValid(checkRestriction([], EDITOR))).toBe(false);

    expect(restrictionIsValid(checkRestriction(['flows_run', 'kbs_query'], READER))).toBe(true);

    const lacks = checkRestriction(['flows_edit', 'flows_run'], READER);
    expect(lacks.missing).toEqual(['flows_edit']);
    expect(restrictionIsValid(lacks)).toBe(false);

    // workspace_admin is expanded before the comparison
    expect(checkRestriction(['workspace_admin'], EDITOR).missing).toEqual([
      'flows_advanced',
      'agents_advanced',
      'kbs_advanced',
      'integrations_edit',
      'users_edit',
      'users_delete',
      'workspace_admin',
    ]);

    expect(checkRestriction(['users:read', 'flows_run', 'users:read'], ADMIN).orgScoped).toEqual([
      'users:read',
    ]);
    expect(checkRestriction(['flows_runn', 'flows_run', 'flows_runn'], ADMIN).unknown).toEqual([
      'flows_runn',
    ]);

    // creator is an Editor, the service account a Reader
    expect(
      checkRestriction(['flows_edit', 'kbs_query', 'integrations_edit'], EDITOR, READER).missing,
    ).toEqual(['flows_edit', 'integrations_edit']);
  });
});

const names = fc.record({
  holder: fc.string({ minLength: 1, maxLength: 20 }),
  workspace: fc.string({ minLength: 1, maxLength: 20 }),
});

const baseline = fc.array(wsPerm, { maxLength: 20 });

describe('clippedPermissions', () => {
  it('is exactly baseline minus current, with the right reason code', () => {
    fc.assert(
      fc.property(baseline, holder, names, (bl, h, n) => {
        const clips = clippedPermissions(bl, h, n);
        const held = modelHolderSet(h);
        expect(clips.map((c) => c.permission)).toEqual(inWsOrder(new Set(bl.filter((p) => !held.has(p)))));
        const code =
          h.status !== 'active'
            ? 'holder_inactive'
            : !modelIsOrgAdmin(h.orgRole) && !h.workspaceRole
              ? 'no_membership'
              : 'role_lacks';
        for (const c of clips) expect(c.code).toBe(code);
      }),
      RUNS,
    );
  });

  it('reason texts name the holder status, the workspace and the role', () => {
    fc.assert(
      fc.property(baseline, holder, names, (bl, h, n) => {
        for (const c of clippedPermissions(bl, h, n)) {
          if (c.code === 'holder_inactive') expect(c.reason).toBe(`holder ${n.holder} is ${h.status}`);
          if (c.code === 'no_membership')
            expect(c.reason).toBe(`holder ${n.holder} has no role in ${n.workspace}`);
          if (c.code === 'role_lacks') {
            expect(c.reason).toContain(n.workspace);
            expect(c.reason).toContain(h.workspaceRole?.name as string);
            expect(c.reason).toContain(c.permission);
          }
        }
      }),
      RUNS,
    );
  });

  it('a key’s baseline = clipped ∪ current effective (nothing lost, nothing invented)', () => {
    fc.assert(
      fc.property(restriction, holder, holder, names, (r, atCreation, now, n) => {
        const bl = keyWorkspacePermissions(r, atCreation);
        const current = keyWorkspacePermissions(r, now);
        const clipped = clippedPermissions(bl, now, n).map((c) => c.permission);
        expect(clipped).toEqual(bl.filter((p) => !current.includes(p)));
        expect(new Set([...clipped, ...bl.filter((p) => current.includes(p))])).toEqual(new Set(bl));
      }),
      RUNS,
    );
  });

  it('nothing is clipped for an active org admin, or when the holder still has the whole baseline', () => {
    fc.assert(
      fc.property(baseline, wsRole, nonAdminOrgRole, names, (bl, ws, org, n) => {
        expect(
          clippedPermissions(bl, { status: 'active', orgRole: builtin('Org Admin'), workspaceRole: ws }, n),
        ).toEqual([]);
        const h: HolderView = { status: 'active', orgRole: org, workspaceRole: ws };
        expect(clippedPermissions(userWorkspacePermissions(h).permissions, h, n)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('an inactive holder has its whole baseline clipped', () => {
    fc.assert(
      fc.property(baseline, inactiveStatus, wsRole, names, (bl, s, ws, n) => {
        const clips = clippedPermissions(
          bl,
          { status: s, orgRole: builtin('Org Admin'), workspaceRole: ws },
          n,
        );
        expect(clips.map((c) => c.permission)).toEqual(inWsOrder(new Set(bl)));
        expect(clips.every((c) => c.code === 'holder_inactive')).toBe(true);
      }),
      RUNS,
    );
  });

  it('exact examples', () => {
    const n = { holder: 'ana@acme.io', workspace: 'Research' };
    expect(
      clippedPermissions(
        ['flows_edit', 'flows_run'],
        { status: 'active', orgRole: base, workspaceRole: builtin('Reader') },
        n,
      ),
    ).toEqual([
      {
        permission: 'flows_edit',
        code: 'role_lacks',
        reason: "holder's role in Research is Reader, which lacks flows_edit",
      },
    ]);
    expect(
      clippedPermissions(['kbs_query'], { status: 'active', orgRole: base, workspaceRole: undefined }, n),
    ).toEqual([
      {
        permission: 'kbs_query',
        code: 'no_membership',
        reason: 'holder ana@acme.io has no role in Research',
      },
    ]);
    expect(
      clippedPermissions(
        ['kbs_query'],
        { status: 'suspended', orgRole: base, workspaceRole: builtin('Admin') },
        n,
      ),
    ).toEqual([
      { permission: 'kbs_query', code: 'holder_inactive', reason: 'holder ana@acme.io is suspended' },
    ]);
  });
});
