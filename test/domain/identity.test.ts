import { describe, expect, it } from 'vitest';
import {
  findByRef,
  foldName,
  grantedPermissions,
  holderBound,
  isOrgAdmin,
  isOrgAdminRole,
  matchRef,
  ROLE_REF,
  type RoleLike,
  roleScope,
  USER_REF,
  WORKSPACE_REF,
} from '../../src/domain/identity.js';
import { WORKSPACE_PERMISSIONS } from '../../src/domain/permissions.js';
import { UsageError } from '../../src/errors.js';

const orgAdmin: RoleLike = {
  id: 'org_admin',
  name: 'Org Admin',
  scope: 'org',
  permissions: { 'org:admin': true },
};
const orgBase: RoleLike = {
  id: 'org_base',
  name: 'Org Base',
  scope: 'org',
  permissions: { 'users:read': true, 'org:admin': false },
};
const superOps: RoleLike = { id: 'r_ops', name: 'Super Ops', permissions: ['org:admin', 'users:read'] };
const editor: RoleLike = {
  id: 'ws_editor',
  name: 'Editor',
  scope: 'workspace',
  permissions: ['flows_run', 'flows_edit'],
};
const wsAdmin: RoleLike = {
  id: 'ws_admin',
  name: 'Admin',
  scope: 'workspace',
  permissions: ['workspace_admin'],
};
const ROLES = [orgAdmin, orgBase, superOps, editor, wsAdmin];

describe('roles', () => {
  it('grants from either wire form; scope inferred from permission names when absent', () => {
    expect(grantedPermissions(orgBase)).toEqual(['users:read']);
    expect(grantedPermissions(editor)).toEqual(['flows_run', 'flows_edit']);
    expect(roleScope(superOps)).toBe('org');
    expect(roleScope({ permissions: ['flows_run'] })).toBe('workspace');
  });
});

describe('isOrgAdmin', () => {
  it('a custom org role granting org:admin counts', () => {
    expect(isOrgAdminRole(superOps)).toBe(true);
    expect(isOrgAdmin({ tenant_admin: false, org_role: { id: 'r_ops' } }, ROLES)).toBe(true);
  });

  it('a known non-admin org role decides even when tenant_admin lags at true', () => {
    expect(isOrgAdmin({ tenant_admin: true, org_role: { id: 'org_base', name: 'Org Base' } }, ROLES)).toBe(
      false,
    );
  });

  it('an unknown org role, or none, falls back to tenant_admin', () => {
    expect(isOrgAdmin({ tenant_admin: true, org_role: { id: 'gone' } }, ROLES)).toBe(true);
    expect(isOrgAdmin({ tenant_admin: false, org_role: { id: 'gone' } }, ROLES)).toBe(false);
    expect(isOrgAdmin({ tenant_admin: true }, ROLES)).toBe(true);
    expect(isOrgAdmin({ tenant_admin: null, org_role: null }, [])).toBe(false);
  });

  it('a workspace role is never an org admin role, even when it grants everything', () => {
    expect(isOrgAdminRole(wsAdmin)).toBe(false);
  });
});

describe('holderBound', () => {
  it('an org admin may give every workspace permission', () => {
    const b = holderBound({ orgAdmin: true, workspaceRole: { id: 'ws_editor', name: 'Editor' } }, ROLES);
    expect(b.source).toBe('org admin');
    expect([...b.permissions].sort()).toEqual([...WORKSPACE_PERMISSIONS].sort());
  });

  it('anyone else, what their workspace role grants, expanded', () => {
    const b = holderBound({ orgAdmin: false, workspaceRole: { id: 'ws_editor', name: 'Editor' } }, ROLES);
    expect(b.source).toBe('role Editor');
    expect([...b.permissions].sort()).toEqual(['flows_edit', 'flows_run']);
    const admin = holderBound({ orgAdmin: false, workspaceRole: { id: 'ws_admin', name: 'Admin' } }, ROLES);
    expect([...admin.permissions].sort()).toEqual([...WORKSPACE_PERMISSIONS].sort());
  });

  it('no membership: nothing', () => {
    expect(holderBound({ orgAdmin: false }, ROLES)).toEqual({
      permissions: [],
      source: 'no role in this workspace',
    });
    expect(holderBound({ orgAdmin: false, workspaceRole: null }, ROLES).permissions).toEqual([]);
  });

  it('a role the catalogue does not list grants nothing', () => {
    expect(holderBound({ orgAdmin: false, workspaceRole: { id: 'gone', name: 'Gone' } }, ROLES)).toEqual({
      permissions: [],
      source: 'role Gone',
    });
  });
});

describe('matchRef', () => {
  const groups = [
    { id: 'g1', name: 'Marketing' },
    { id: 'g2', name: 'Café' },
    { id: 'g3', name: 'Ops' },
    { id: 'g4', name: 'ops' },
    { id: 'Marketing', name: 'Legacy' },
  ];

  it('an exact id wins over a name', () => {
    expect(findByRef(groups, 'Marketing', WORKSPACE_REF)?.id).toBe('Marketing');
    expect(findByRef(groups, 'g1', WORKSPACE_REF)?.name).toBe('Marketing');
  });

  it('names compare after NFC and case folding: NFD input matches an NFC name', () => {
    const nfd = 'CAFE\u0301';
    expect(nfd).not.toBe('CAFÉ');
    expect(findByRef(groups, nfd, WORKSPACE_REF)?.id).toBe('g2');
    expect(foldName(nfd)).toBe(foldName('café'));
    // Ids compare exactly: "marketing" is not the id "Marketing", so it means the name of g1.
    expect(findByRef(groups, 'marketing', WORKSPACE_REF)?.id).toBe('g1');
  });

  it('several matches are refused with every match listed, never the first taken', () => {
    expect(matchRef(groups, 'OPS', WORKSPACE_REF)).toEqual({
      kind: 'ambiguous',
      items: [groups[2], groups[3]],
    });
    let err: unknown;
    try {
      findByRef(groups, 'OPS', WORKSPACE_REF);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe('workspace name "OPS" matches 2 workspaces');
    expect((err as UsageError).hint).toBe('use an id: g3 (Ops), g4 (ops)');
  });

  it('no match: undefined (the caller says what is unknown)', () => {
    expect(matchRef(groups, 'Sales', WORKSPACE_REF)).toEqual({ kind: 'none' });
    expect(findByRef(groups, 'Sales', WORKSPACE_REF)).toBeUndefined();
  });

  it('users by id or email; emails fold like names', () => {
    const users = [
      { id: 'u1', email: 'Ada@Example.com' },
      { id: 'u2', email: 'zoe\u0308@example.com' },
    ];
    expect(findByRef(users, 'ada@example.COM', USER_REF)?.id).toBe('u1');
    expect(findByRef(users, 'ZOË@example.com', USER_REF)?.id).toBe('u2');
    expect(findByRef(users, 'u2', USER_REF)?.id).toBe('u2');
    expect(() =>
      findByRef([...users, { id: 'u3', email: 'ada@example.com' }], 'ADA@example.com', USER_REF),
    ).toThrow('user email "ADA@example.com" matches 2 users');
  });

  it('roles by id or name', () => {
    expect(findByRef(ROLES, 'editor', ROLE_REF)?.id).toBe('ws_editor');
    expect(findByRef(ROLES, 'org_base', ROLE_REF)?.name).toBe('Org Base');
  });
});
