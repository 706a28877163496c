// Shared fast-check generators for the domain rules, built from the real catalogue and built-in roles,
// plus small independent reference models the property tests compare the implementation against.

import fc from 'fast-check';
import type { HolderView, UserStatus } from '../../src/domain/effective.js';
import { ORG_PERMISSIONS, WORKSPACE_PERMISSIONS } from '../../src/domain/permissions.js';
import { BUILTIN_ROLES, type RoleDef } from '../../src/domain/roles.js';

export type Role = Pick<RoleDef, 'name' | 'scope' | 'permissions'>;

/** Many property runs; the brief asks for thousands of generated cases per property. */
export const RUNS = { numRuns: 2000 } as const;

export const ALL_WS: readonly string[] = WORKSPACE_PERMISSIONS;
export const ALL_ORG: readonly string[] = ORG_PERMISSIONS;
export const STATUSES: readonly UserStatus[] = ['invited', 'active', 'suspended', 'removed'];
export const INACTIVE: readonly UserStatus[] = ['invited', 'suspended', 'removed'];

export const BUILTIN_WS_ROLES = BUILTIN_ROLES.filter((r) => r.scope === 'workspace');
export const BUILTIN_ORG_ROLES = BUILTIN_ROLES.filter((r) => r.scope === 'org');

export function builtin(name: string): RoleDef {
  const r = BUILTIN_ROLES.find((x) => x.name === name);
  if (!r) throw new Error(`no built-in role ${name}`);
  return r;
}

export const wsPerm = fc.constantFrom(...WORKSPACE_PERMISSIONS);
export const orgPerm = fc.constantFrom(...ORG_PERMISSIONS);
/** Names in neither catalogue: near misses, wildcards, case variants and random text. */
export const unknownName = fc
  .oneof(
    fc.constantFrom(
      'flows_runn',
      'FLOWS_RUN',
      'flows_*',
      'workspace:admin',
      'org:*',
      'users:*',
      '*',
      '',
      ' flows_run',
    ),
    fc.string({ maxLength: 12 }),
  )
  .filter((s) => !ALL_WS.includes(s) && !ALL_ORG.includes(s));

/** A subset of the workspace catalogue, in random order. */
export const wsSubset = fc.shuffledSubarray([...WORKSPACE_PERMISSIONS]);
export const orgSubset = fc.shuffledSubarray([...ORG_PERMISSIONS]);

const roleName = fc.string({ minLength: 1, maxLength: 12 });

/** Built-in workspace roles, or random custom workspace roles whose permissions are any subset. */
export const wsRole: fc.Arbitrary<Role> = fc.oneof(
  fc.constantFrom(...BUILTIN_WS_ROLES),
  fc.record({ name: roleName, scope: fc.constant('workspace' as const), permissions: wsSubset }),
);

/** Built-in org roles, or custom org roles with an explicit (wildcard-free) subset of org permissions. */
export const orgRole: fc.Arbitrary<Role> = fc.oneof(
  fc.constantFrom(...BUILTIN_ORG_ROLES),
  fc.record({ name: roleName, scope: fc.constant('org' as const), permissions: orgSubset }),
);

export const adminOrgRole: fc.Arbitrary<Role> = fc.oneof(
  fc.constant(builtin('Org Admin')),
  fc.record({
    name: roleName,
    scope: fc.constant('org' as const),
    permissions: orgSubset.map((ps) => (ps.includes('org:admin') ? ps : [...ps, 'org:admin'])),
  }),
);

export const nonAdminOrgRole: fc.Arbitrary<Role> = fc.oneof(
  fc.constant(builtin('Org Base')),
  fc.record({
    name: roleName,
    scope: fc.constant('org' as const),
    permissions: orgSubset.map((ps) => ps.filter((p) => p !== 'org:admin')),
  }),
);

export const status = fc.constantFrom(...STATUSES);
export const inactiveStatus = fc.constantFrom(...INACTIVE);

export const holder: fc.Arbitrary<HolderView> = fc.record({
  status: fc.oneof(
    { weight: 3, arbitrary: fc.constant('active' as const) },
    { weight: 1, arbitrary: status },
  ),
  orgRole: fc.option(orgRole, { nil: undefined }),
  workspaceRole: fc.option(wsRole, { nil: undefined }),
});

export const activeHolder: fc.Arbitrary<HolderView> = fc.record({
  status: fc.constant('active' as const),
  orgRole: fc.option(orgRole, { nil: undefined }),
  workspaceRole: fc.option(wsRole, { nil: undefined }),
});

/** A key's restriction: null (unrestricted), or a list that may hold duplicates and stray names. */
export const restriction: fc.Arbitrary<string[] | null> = fc.option(
  fc.array(
    fc.oneof(
      { weight: 8, arbitrary: wsPerm },
      { weight: 1, arbitrary: orgPerm },
      { weight: 1, arbitrary: unknownName },
    ),
    { maxLength: 20 },
  ),
  { nil: null },
);

// ---------------------------------------------------------------------------------------------
// Reference models, written independently of src/domain, straight from semantics.md.

/** Keeps catalogue order: the order every permission list the domain returns must have. */
export function inWsOrder(set: ReadonlySet<string>): string[] {
  return ALL_WS.filter((p) => set.has(p));
}

export function inOrgOrder(set: ReadonlySet<string>): string[] {
  return ALL_ORG.filter((p) => set.has(p));
}

export function modelExpandWs(perms: Iterable<string>): Set<string> {
  const given = new Set(perms);
  if (given.has('workspace_admin')) return new Set(ALL_WS);
  return new Set(ALL_WS.filter((p) => given.has(p)));
}

export function modelIsOrgAdmin(role: Role | undefined): boolean {
  return role !== undefined && role.scope === 'org' && role.permissions.includes('org:admin');
}

/** semantics.md: all workspace permissions if org admin, else their role's, else nothing; inactive ⇒ none. */
export function modelHolderSet(h: HolderView): Set<string> {
  if (h.status !== 'active') return new Set();
  if (modelIsOrgAdmin(h.orgRole)) return new Set(ALL_WS);
  if (h.workspaceRole) return modelExpandWs(h.workspaceRole.permissions);
  return new Set();
}

/** effective = (restricted ? restriction : all workspace perms) ∩ holder's current permissions. */
export function modelKeyEffective(r: readonly string[] | null, h: HolderView): string[] {
  const requested = r === null ? new Set(ALL_WS) : modelExpandWs(r);
  const held = modelHolderSet(h);
  return inWsOrder(new Set([...requested].filter((p) => held.has(p))));
}

export function isSubset(a: Iterable<string>, b: Iterable<string>): boolean {
  const bs = new Set(b);
  for (const x of a) if (!bs.has(x)) return false;
  return true;
}
