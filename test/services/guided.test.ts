// The console-step planner and the verdicts read from the public API: pure functions, exact values.
import { describe, expect, it } from 'vitest';
import type { SystemKey } from '../../src/api/keys.js';
import {
  judge,
  outcomeOf,
  planAddMembers,
  planOffboard,
  planUserAdd,
  systemKeysCreatedBy,
  unattributedSystemKeys,
} from '../../src/services/guided.js';

const nina = {
  name: 'Nina Newhire',
  displayName: 'Nina',
  email: 'nina@example.com',
  orgRole: 'Org Base',
  orgAdmin: false,
  workspaces: [
    { workspace: 'Marketing', role: 'Editor' },
    { workspace: 'Support', role: 'Reader' },
  ],
};

describe('planUserAdd', () => {
  it('walks Settings → Users → Add user with the values, a role per workspace, and verifies the user appears', () => {
    const p = planUserAdd(nina);
    expect(p.kind).toBe('noxus-console-steps');
    expect(p.missing).toEqual([
      {
        feature: 'users.invite',
        reason: 'adding users with an email invitation is not available on this server',
      },
    ]);
    expect(p.steps.map((s) => s.id)).toEqual(['add-user', 'workspace-roles', 'invite']);
    expect(p.steps.every((s) => s.mode === 'console' && s.where === 'Settings → Users → Add user')).toBe(
      true,
    );
    expect(p.steps[0]?.values).toEqual([
      { field: 'Name', value: 'Nina Newhire' },
      { field: 'Email address', value: 'nina@example.com' },
      { field: 'Organization role', value: 'Org Base' },
      { field: 'Workspaces', value: 'Marketing, Support' },
    ]);
    expect(p.steps[1]?.values).toEqual([
      { field: 'Role in Marketing', value: 'Editor' },
      { field: 'Role in Support', value: 'Reader' },
    ]);
    expect(p.steps[2]?.check).toEqual({
      kind: 'user-present',
      email: 'nina@example.com',
      tenant_admin: false,
    });
    expect(p.steps.map(outcomeOf)).toEqual(['confirmed', 'confirmed', 'verified']);
  });

  it('an org admin gets no workspace-role step (admin on every workspace) and is verified as tenant admin', () => {
    const p = planUserAdd({ ...nina, orgRole: 'Org Admin', orgAdmin: true, workspaces: [] });
    expect(p.steps.map((s) => s.id)).toEqual(['add-user', 'invite']);
    expect(p.steps[0]?.actions.at(-1)).toBe('Select no workspace (an org admin is admin on every workspace)');
    expect(p.steps[0]?.values.at(-1)).toEqual({ field: 'Workspaces', value: 'none' });
    expect(p.steps[1]?.check).toEqual({
      kind: 'user-present',
      email: 'nina@example.com',
      tenant_admin: true,
    });
  });
});

describe('planAddMembers', () => {
  it('walks Workspace settings → Users → Add users with each user and their role; nothing the API can read', () => {
    const p = planAddMembers('Marketing', [
      { email: 'alan@example.com', role: 'Reader' },
      { email: 'ken@example.com', role: 'Reader' },
    ]);
    expect(p.missing.map((m) => m.reason)).toEqual([
      'adding, changing and removing workspace members is not available on this server',
    ]);
    expect(p.steps.map((s) => [s.id, s.where])).toEqual([
      ['open-workspace', 'Workspace settings → Users → Add users'],
      ['add-users', 'Workspace settings → Users → Add users'],
    ]);
    expect(p.steps[1]?.values).toEqual([
      { field: 'alan@example.com', value: 'Reader' },
      { field: 'ken@example.com', value: 'Reader' },
    ]);
    expect(p.steps.map(outcomeOf)).toEqual(['confirmed', 'confirmed']);
  });
});

describe('planOffboard', () => {
  const user = { id: 'u1', email: 'linus@example.com', display_name: 'Linus', tenant_admin: false };
  const can = { listSystemKeys: true, createSystemKeys: true, revokeSystemKeys: true };
  const keys = [
    { id: 'sk1', name: 'nightly export' },
    { id: 'sk2', name: 'billing sync' },
  ];

  it('a server that does not say who created system keys gets an operator review step, never a silent "none"', () => {
    const listed = [
      { id: 'sk1', name: 'nightly export', created_by: null, status: 'active' },
      { id: 'sk2', name: 'old', created_by: null, status: 'revoked' },
      { id: 'sk3', name: 'mine', created_by: 'u1', status: 'active' },
    ] as unknown as SystemKey[];
    expect(systemKeysCreatedBy(listed, 'u1').map((k) => k.id)).toEqual(['sk3']);
    const unknown = unattributedSystemKeys(listed).map((k) => ({ id: k.id, name: k.name }));
    expect(unknown).toEqual([{ id: 'sk1', name: 'nightly export' }]);
    const p = planOffboard(
      {
        user,
        systemKeys: [{ id: 'sk3', name: 'mine' }],
        unattributedSystemKeys: unknown,
        replace: false,
        can,
      },
      ['users.access', 'users.remove'],
    );
    expect(p.steps.map((s) => [s.id, s.mode, outcomeOf(s)])).toEqual([
      ['review', 'api', 'automated'],
      ['remove', 'console', 'verified'],
      ['revoke-system:sk3', 'api', 'verified'],
      ['review-system-keys', 'console', 'confirmed'],
      ['workspace-keys', 'console', 'confirmed'],
    ]);
    expect(p.steps[3]).toMatchObject({
      title:
        'Review 1 system key(s) whose creator this server does not report; rotate any linus@example.com created or saw',
      values: [{ field: 'Key', value: 'nightly export (sk1)' }],
    });
  });

  it('review (API) → remove in the console (verified) → revoke each system key by API (verified) → workspace keys (console)', () => {
    const p = planOffboard({ user, systemKeys: keys, replace: false, can }, ['users.access', 'users.remove']);
    expect(p.steps.map((s) => [s.id, s.mode, outcomeOf(s)])).toEqual([
      ['review', 'api', 'automated'],
      ['remove', 'console', 'verified'],
      ['revoke-system:sk1', 'api', 'verified'],
      ['revoke-system:sk2', 'api', 'verified'],
      ['workspace-keys', 'console', 'confirmed'],
    ]);
    expect(p.steps[1]).toMatchObject({
      where: 'Settings → Users → (the user) → Remove',
      check: { kind: 'user-gone', id: 'u1', email: 'linus@example.com' },
      values: [{ field: 'User', value: 'Linus <linus@example.com>' }],
    });
    expect(p.steps[2]?.actions).toEqual(['DELETE /v1/admin/system-keys/sk1']);
    expect(p.steps[2]?.check).toEqual({ kind: 'system-key-absent', id: 'sk1', name: 'nightly export' });
  });

  it('asked to replace: a replacement per key comes before the removal, so nothing breaks while they still work', () => {
    const p = planOffboard({ user, systemKeys: keys, replace: true, can }, ['users.remove']);
    expect(p.steps.map((s) => s.id)).toEqual([
      'review',
      'replace-system:sk1',
      'replace-system:sk2',
      'remove',
      'revoke-system:sk1',
      'revoke-system:sk2',
      'workspace-keys',
    ]);
  });

  it('a server that cannot revoke system keys by API gets a console step instead; without listing, no verification', () => {
    const p = planOffboard(
      {
        user,
        systemKeys: keys.slice(0, 1),
        replace: true,
        can: { listSystemKeys: false, createSystemKeys: false, revokeSystemKeys: false },
      },
      ['users.remove'],
    );
    expect(p.steps.map((s) => [s.id, s.mode, outcomeOf(s)])).toEqual([
      ['review', 'api', 'automated'],
      ['remove', 'console', 'verified'],
      ['revoke-system:sk1', 'console', 'confirmed'],
      ['workspace-keys', 'console', 'confirmed'],
    ]);
    const q = planOffboard(
      { user, systemKeys: keys.slice(0, 1), replace: false, can: { ...can, listSystemKeys: false } },
      [],
    );
    expect(q.steps[2]).toMatchObject({ id: 'revoke-system:sk1', mode: 'api' });
    expect(q.steps[2]?.check).toBeUndefined();
  });
});

describe('judge', () => {
  const present = { kind: 'user-present', email: 'Nina@Example.com', tenant_admin: false } as const;
  const row = (
    o: Partial<{
      id: string;
      email: string;
      tenant_admin: boolean;
      is_active: boolean;
      status: 'active' | 'removed';
    }>,
  ) => ({
    id: 'u9',
    email: 'nina@example.com',
    tenant_admin: false,
    is_active: true,
    ...o,
  });

  it('user-present: found case-insensitively with the right admin flag; missing or wrong admin flag is not verified', () => {
    expect(judge(present, { users: [row({})] })).toEqual({
      ok: true,
      detail: 'Nina@Example.com appears in GET /v1/admin/users (u9)',
    });
    expect(judge(present, { users: [] })).toEqual({
      ok: false,
      detail: 'Nina@Example.com is not in GET /v1/admin/users yet',
    });
    expect(judge(present, { users: [row({ tenant_admin: true })] })).toEqual({
      ok: false,
      detail: 'Nina@Example.com is in GET /v1/admin/users but is an org admin (expected not org admin)',
    });
  });

  it('user-gone: absent, removed or is_active false is verified; still active is not', () => {
    const gone = { kind: 'user-gone', id: 'u9', email: 'nina@example.com' } as const;
    expect(judge(gone, { users: [] })).toEqual({
      ok: true,
      detail: 'nina@example.com is gone from GET /v1/admin/users',
    });
    expect(judge(gone, { users: [row({ status: 'removed' })] }).ok).toBe(true);
    expect(judge(gone, { users: [row({ is_active: false })] })).toEqual({
      ok: true,
      detail: 'nina@example.com is is_active: false in GET /v1/admin/users',
    });
    expect(judge(gone, { users: [row({})] })).toEqual({
      ok: false,
      detail: 'nina@example.com is still active in GET /v1/admin/users',
    });
  });

  it('system-key-absent: absent or revoked is verified; still active is not', () => {
    const absent = { kind: 'system-key-absent', id: 'sk1', name: 'nightly export' } as const;
    expect(judge(absent, { systemKeys: [{ id: 'sk2' }] })).toEqual({
      ok: true,
      detail: 'system key "nightly export" is absent from GET /v1/admin/system-keys',
    });
    expect(judge(absent, { systemKeys: [{ id: 'sk1', status: 'revoked' }] }).ok).toBe(true);
    expect(judge(absent, { systemKeys: [{ id: 'sk1', status: 'active' }] })).toEqual({
      ok: false,
      detail: 'system key "nightly export" is still listed as active',
    });
    expect(judge(absent, { systemKeys: [{ id: 'sk1' }] }).ok).toBe(false);
  });
});
