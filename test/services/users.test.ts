// The rules services/users.ts owns, against MockAgent (every request must be expected): what an
// update changes, when it demotes an org admin (domain/identity decides), who is "you", and the
// checks a new user passes before anything is written.
import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import type { Role } from '../../src/api/roles.js';
import type { User } from '../../src/api/users.js';
import { ConflictError, NotFoundError, UsageError } from '../../src/errors.js';
import { Resolver } from '../../src/services/resolve.js';
import {
  parseWorkspaceGrant,
  planNewUser,
  planRemoval,
  planStatusChange,
  planUserUpdate,
} from '../../src/services/users.js';
import { KEN, OWNER, onGroups, onMe, onRoles, onUsers, ROLES, USERS } from '../commands/admin-fixtures.js';
import { json, type MockServer, mockServer, ORIGIN } from '../commands/mock.js';

let server: MockServer;
let r: Resolver;
beforeEach(() => {
  server = mockServer();
  r = new Resolver(new ApiClient({ baseUrl: ORIGIN, apiKey: 'k', dispatcher: server.agent as MockAgent }));
});
afterEach(async () => {
  await server.done();
});

const AUDITOR: Role = { id: 'r-aud', name: 'Auditor', permissions: { 'org:read': true }, scope: 'org' };
const SUPER: Role = { id: 'r-super', name: 'Super', permissions: { 'org:admin': true }, scope: 'org' };
const withRoles = [...ROLES, AUDITOR, SUPER];

describe('planUserUpdate', () => {
  it('refuses an empty change before any request', async () => {
    await expect(planUserUpdate(r, 'ken@example.com', {})).rejects.toThrow(UsageError);
  });

  it('lists only the fields that differ; "" clears the avatar; no org role, no "who am I"', async () => {
    onUsers(server, [{ ...KEN, avatar_url: 'https://x/a.png' }]);
    const plan = await planUserUpdate(r, 'KEN@example.com', {
      name: 'ken',
      displayName: 'Kenny',
      avatarUrl: '',
    });
    expect(plan.changes).toEqual([
      { field: 'display name', before: 'ken', after: 'Kenny' },
      { field: 'avatar', before: 'https://x/a.png', after: '' },
    ]);
    expect(plan.body).toEqual({ display_name: 'Kenny', avatar_url: null });
    expect(plan.roleChange).toBeUndefined();
    expect(plan.self).toBe(false);
  });

  it('an org admin moved to a non-admin role is a demotion, and asks whose key is in use', async () => {
    onUsers(server);
    onRoles(server, withRoles);
    onMe(server, OWNER);
    const plan = await planUserUpdate(r, 'owner@example.com', { orgRole: 'Auditor' });
    expect(plan.roleChange).toEqual({ from: 'Org Admin', to: 'Auditor', demotesAdmin: true });
    expect(plan.self).toBe(true);
    expect(plan.body).toEqual({ org_role: 'r-aud' });
  });

  it('the known org role decides, not a lagging tenant_admin flag', async () => {
    const lagging: User = { ...KEN, tenant_admin: true };
    onUsers(server, [lagging]);
    onRoles(server, withRoles);
    onMe(server, OWNER);
    const plan = await planUserUpdate(r, 'ken@example.com', { orgRole: 'Auditor' });
    expect(plan.roleChange?.demotesAdmin).toBe(false);
  });

  it('a custom role granting org:admin makes an org admin even when the flag is absent', async () => {
    const custom: User = { ...KEN, tenant_admin: false, org_role: { id: 'r-super', name: 'Super' } };
    onUsers(server, [custom]);
    onRoles(server, withRoles);
    onMe(server, OWNER);
    const plan = await planUserUpdate(r, 'ken@example.com', { orgRole: 'Org Base' });
    expect(plan.roleChange).toEqual({ from: 'Super', to: 'Org Base', demotesAdmin: true });
    expect(plan.self).toBe(false);
  });

  it('the same org role is no change', async () => {
    onUsers(server);
    onRoles(server);
    const plan = await planUserUpdate(r, 'ken@example.com', { orgRole: 'org base' });
    expect(plan.changes).toEqual([]);
    expect(plan.roleChange).toBeUndefined();
  });

  it('a workspace role for --org-role is a usage error', async () => {
    onUsers(server);
    onRoles(server);
    await expect(planUserUpdate(r, 'ken@example.com', { orgRole: 'Editor' })).rejects.toThrow(
      '"Editor" is a workspace role; --org-role needs an organization role',
    );
  });
});

describe('planStatusChange', () => {
  it('asks whose key is in use only for suspend', async () => {
    onUsers(server);
    expect(await planStatusChange(r, 'reactivate', 'tim@example.com')).toMatchObject({
      status: 'suspended',
      self: false,
    });
    onMe(server, KEN);
    expect((await planStatusChange(r, 'suspend', 'ken@example.com')).self).toBe(true);
  });
});

describe('planRemoval', () => {
  it('a user removed before is done, without asking who holds the key', async () => {
    onUsers(server, [OWNER]);
    server.pool
      .intercept({ path: '/v1/admin/users/ken%40example.com', method: 'GET' })
      .reply(200, { ...KEN, status: 'removed' }, json);
    const plan = await planRemoval(r, 'ken@example.com', async () => true);
    expect(plan).toMatchObject({ done: true, self: false });
  });

  it('without the one-user endpoint a miss is not found, with no further request', async () => {
    onUsers(server, [OWNER]);
    await expect(planRemoval(r, 'ken@example.com', async () => false)).rejects.toThrow(NotFoundError);
  });
});

describe('planNewUser', () => {
  const input = { name: 'Nina Newhire', email: 'nina@example.com', orgRole: 'Org Base', workspaces: [] };

  it('resolves names to ids and defaults nothing the caller did not give', async () => {
    onRoles(server);
    onGroups(server);
    onUsers(server);
    const plan = await planNewUser(r, {
      ...input,
      workspaces: [{ workspace: 'marketing', role: 'Reader' }],
    });
    expect(plan.body).toEqual({
      email: 'nina@example.com',
      name: 'Nina Newhire',
      display_name: undefined,
      org_role: 'org_base',
      workspaces: [{ group_id: 'g-mkt', role: 'ws_reader' }],
      kind: undefined,
    });
    expect(plan.orgRole).toEqual({ id: 'org_base', name: 'Org Base', admin: false });
  });

  it('an org admin role takes no workspace roles', async () => {
    onRoles(server);
    await expect(
      planNewUser(r, {
        ...input,
        orgRole: 'Org Admin',
        workspaces: [{ workspace: 'Support', role: 'Reader' }],
      }),
    ).rejects.toThrow(UsageError);
  });

  it('a workspace given twice is refused', async () => {
    onRoles(server);
    onGroups(server);
    await expect(
      planNewUser(r, {
        ...input,
        workspaces: [
          { workspace: 'Support', role: 'Reader' },
          { workspace: 'g-sup', role: 'Editor' },
        ],
      }),
    ).rejects.toThrow(
      'workspace Support is given twice (Reader and Editor); a user has one role per workspace',
    );
  });

  it('an email already in use, in another case, is a conflict', async () => {
    onRoles(server);
    onUsers(server, USERS);
    await expect(planNewUser(r, { ...input, email: 'Ken@Example.com' })).rejects.toThrow(ConflictError);
  });

  it('a bad email fails before any request', async () => {
    await expect(planNewUser(r, { ...input, email: 'nope' })).rejects.toThrow(UsageError);
  });
});

describe('parseWorkspaceGrant', () => {
  it('splits at the last "=" and trims', () => {
    expect(parseWorkspaceGrant(' R=D = Editor ')).toEqual({ workspace: 'R=D', role: 'Editor' });
  });
  it.each(['Marketing', '=Editor', 'Marketing='])('refuses %j', (text) => {
    expect(() => parseWorkspaceGrant(text)).toThrow(UsageError);
  });
});
