// The rules services/roles.ts owns: a role's scope follows from its permissions, names are checked
// against the catalogue when there is one, built-in roles are never changed, and a role named like
// a built-in one on a server that does not say is guarded.
import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import type { PermissionInfo, Role } from '../../src/api/roles.js';
import { ConflictError, UsageError } from '../../src/errors.js';
import { Resolver } from '../../src/services/resolve.js';
import {
  builtinLabel,
  checkRoleUpdate,
  looksBuiltin,
  permissionList,
  planRoleCreate,
  planRoleDelete,
  planRoleUpdate,
} from '../../src/services/roles.js';
import { CATALOGUE, onRoles, ROLES } from '../commands/admin-fixtures.js';
import { type MockServer, mockServer, ORIGIN } from '../commands/mock.js';

let server: MockServer;
let r: Resolver;
beforeEach(() => {
  server = mockServer();
  r = new Resolver(new ApiClient({ baseUrl: ORIGIN, apiKey: 'k', dispatcher: server.agent as MockAgent }));
});
afterEach(async () => {
  await server.done();
});

const catalogue = CATALOGUE as PermissionInfo[];
const create = (permissions: string[], cat?: PermissionInfo[], name = 'Analyst') =>
  planRoleCreate(r, { name, permissions, description: '' }, cat);
const update = { grant: [] as string[], revoke: [] as string[] };

describe('pure rules', () => {
  it('permissionList trims and drops empties', () => {
    expect(permissionList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(permissionList(undefined)).toEqual([]);
  });

  it('the documented built-in names are recognised whatever the case and spacing', () => {
    expect(
      ['Org Admin', ' org base', 'ADMIN', 'Editor', 'reader'].every((n) => looksBuiltin({ name: n })),
    ).toBe(true);
    expect(looksBuiltin({ name: 'Flow Runner' })).toBe(false);
  });

  it('builtinLabel trusts the server when it says, else guesses by name', () => {
    const role = (name: string, builtin?: boolean): Role => ({ id: 'x', name, permissions: {}, builtin });
    expect(
      [role('Reader', true), role('Reader', false), role('Reader'), role('Ops')].map(builtinLabel),
    ).toEqual(['yes', 'no', 'likely (documented name)', 'unknown']);
  });

  it('checkRoleUpdate refuses nothing to do, and a permission both granted and revoked', () => {
    expect(() => checkRoleUpdate(update)).toThrow('nothing to change');
    expect(() => checkRoleUpdate({ grant: ['a', 'b'], revoke: ['b'] })).toThrow(
      'b is both granted and revoked',
    );
    expect(() => checkRoleUpdate({ ...update, name: '' })).toThrow(UsageError);
    expect(() => checkRoleUpdate({ ...update, description: '' })).not.toThrow();
  });
});

describe('planRoleCreate', () => {
  it('without a catalogue, names with ":" are org permissions and the rest workspace ones', async () => {
    onRoles(server);
    expect((await create(['org:read', 'users:read'])).scope).toBe('org');
    expect((await create(['flows_run'])).scope).toBe('workspace');
    await expect(create(['org:read', 'flows_run'])).rejects.toThrow(
      'do not mix org and workspace permissions',
    );
  });

  it('with a catalogue, unknown names are refused with a close match; wildcards pass', async () => {
    await expect(create(['flows_rnu'], catalogue)).rejects.toMatchObject({
      message: 'unknown permission flows_rnu',
      hint: 'flows_rnu: did you mean flows_run?',
    });
    onRoles(server);
    expect((await create(['org:*'], catalogue)).scope).toBe('org');
  });

  it('an empty list is refused, and a taken name (any case) is a conflict', async () => {
    await expect(create([])).rejects.toThrow('--permissions must list at least one permission');
    onRoles(server);
    await expect(create(['flows_run'], undefined, 'FLOW RUNNER')).rejects.toThrow(ConflictError);
  });

  it('the body maps each permission to true', async () => {
    onRoles(server);
    expect((await create(['flows_run', 'kbs_query'])).body).toEqual({
      name: 'Analyst',
      description: '',
      permissions: { flows_run: true, kbs_query: true },
    });
  });
});

describe('planRoleUpdate', () => {
  it('works out what is added and taken, and sends the whole new set', async () => {
    onRoles(server);
    const plan = await planRoleUpdate(
      r,
      'Flow Runner',
      { grant: ['agents_run'], revoke: ['kbs_query'] },
      catalogue,
    );
    expect(plan).toMatchObject({
      before: ['flows_run', 'kbs_query'],
      after: ['flows_run', 'agents_run'],
      added: ['agents_run'],
      taken: ['kbs_query'],
      changes: ['grants agents_run', 'no longer grants kbs_query'],
      body: { permissions: { flows_run: true, agents_run: true } },
    });
  });

  it('what already is so changes nothing and sends no permissions', async () => {
    onRoles(server);
    const plan = await planRoleUpdate(
      r,
      'r-runner',
      { grant: ['flows_run'], revoke: [], description: 'runs flows' },
      undefined,
    );
    expect(plan.changes).toEqual([]);
    expect(plan.body).toEqual({ description: 'runs flows' });
  });

  it('refuses built-in roles, empty roles and a name another role has', async () => {
    onRoles(server);
    await expect(planRoleUpdate(r, 'Editor', { ...update, description: 'x' }, undefined)).rejects.toThrow(
      ConflictError,
    );
    await expect(
      planRoleUpdate(r, 'Flow Runner', { grant: [], revoke: ['flows_run', 'kbs_query'] }, undefined),
    ).rejects.toThrow('would grant nothing');
    await expect(planRoleUpdate(r, 'Flow Runner', { ...update, name: 'reader' }, undefined)).rejects.toThrow(
      'a role named "Reader" already exists',
    );
  });

  it('renaming to its own name in another case is allowed', async () => {
    onRoles(server);
    const plan = await planRoleUpdate(r, 'Flow Runner', { ...update, name: 'flow runner' }, undefined);
    expect(plan.changes).toEqual(['renamed to "flow runner"']);
  });
});

describe('planRoleDelete', () => {
  it('guards a role named like a built-in one only when the server does not say', async () => {
    onRoles(server, [
      { id: 'a', name: 'Reader', permissions: {} },
      { id: 'b', name: 'Editor', permissions: {}, builtin: false },
      { id: 'c', name: 'Ops', permissions: {} },
    ]);
    expect((await planRoleDelete(r, 'a')).guarded).toBe(true);
    expect((await planRoleDelete(r, 'b')).guarded).toBe(false);
    expect((await planRoleDelete(r, 'c')).guarded).toBe(false);
  });

  it('a role the server calls built in is never deleted', async () => {
    onRoles(server, ROLES);
    await expect(planRoleDelete(r, 'Org Admin')).rejects.toThrow(
      '"Org Admin" is a built-in role and cannot be deleted',
    );
  });
});
