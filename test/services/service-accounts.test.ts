// Service accounts as CI provisions them: a re-run finds the account it made, a differing one is a
// conflict saying what differs, and a key's restriction is bounded by the account's workspace role.
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, PermissionError, UsageError } from '../../src/errors.js';
import { Resolver } from '../../src/services/resolve.js';
import {
  defaultServiceEmail,
  findSameServiceAccount,
  planServiceAccount,
} from '../../src/services/service-accounts.js';
import { failure, type Harness, harness, JSON_HEADERS } from '../api/helpers.js';
import { BOT, GROUPS, ROLES, USERS } from '../commands/ws-fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.finish();
  h = undefined;
});

const get = (path: string, body: unknown) =>
  (h as Harness).pool
    .intercept({ path: (p) => p.split('?')[0] === path, method: 'GET' })
    .reply(200, body as object, { headers: JSON_HEADERS });
const access = (workspaces: Array<{ group_id: string; group_name: string; role: string; via?: string }>) =>
  get(`/v1/admin/users/${BOT.id}/access`, {
    workspaces: workspaces.map((w) => ({ via: 'membership', ...w })),
  });
const MKT_EDITOR = { groupId: 'g_mkt', workspace: 'Marketing', roleId: 'ws_editor', role: 'Editor' };

describe('defaultServiceEmail', () => {
  it('a slug of the name, accents and punctuation dropped', () => {
    expect(defaultServiceEmail('CI deploy')).toBe('ci-deploy@service-accounts.noxus.local');
    expect(defaultServiceEmail('Café Sync!')).toBe('cafe-sync@service-accounts.noxus.local');
    expect(defaultServiceEmail('!!!')).toBe('service@service-accounts.noxus.local');
  });
});

describe('findSameServiceAccount', () => {
  it('none with that email: undefined', async () => {
    h = harness();
    get('/v1/admin/users', USERS);
    const r = new Resolver(h.client);
    expect(
      await findSameServiceAccount(r, { name: 'X', email: 'x@example.com', grants: [MKT_EDITOR] }),
    ).toBeUndefined();
  });

  it('the same account: found, with its workspaces', async () => {
    h = harness();
    get('/v1/admin/users', USERS);
    access([{ group_id: 'g_mkt', group_name: 'Marketing', role: 'Editor' }]);
    const found = await findSameServiceAccount(new Resolver(h.client), {
      name: 'CI deploy',
      email: BOT.email.toUpperCase(),
      grants: [MKT_EDITOR],
    });
    expect(found?.user.id).toBe('u_bot');
    expect(found?.workspaces).toEqual([{ workspace: 'Marketing', role: 'Editor' }]);
  });

  it('a differing account: ConflictError naming each difference and the commands that fix it', async () => {
    h = harness();
    get('/v1/admin/users', USERS);
    access([
      { group_id: 'g_mkt', group_name: 'Marketing', role: 'Reader' },
      { group_id: 'g_eng', group_name: 'Engineering', role: 'Editor' },
    ]);
    const e = await failure(
      findSameServiceAccount(new Resolver(h.client), {
        name: 'CI deploy',
        email: BOT.email,
        grants: [MKT_EDITOR],
      }),
    );
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe(
      `service account ${BOT.email} already exists and is Reader in Marketing (asked Editor); is also Editor in Engineering`,
    );
    expect(e.hint).toBe(
      `nothing was changed. To make it match: noxus ws set-role Marketing ${BOT.email} --role Editor && noxus ws remove-member Engineering ${BOT.email}`,
    );
  });

  it('a person with that email: ConflictError', async () => {
    h = harness();
    get('/v1/admin/users', USERS);
    const e = await failure(
      findSameServiceAccount(new Resolver(h.client), { name: 'Bob', email: 'bob@example.com', grants: [] }),
    );
    expect(e.message).toBe('bob@example.com is a person, not a service account');
  });
});

describe('planServiceAccount', () => {
  function reads() {
    h = harness();
    get('/v1/admin/groups', GROUPS);
    get('/v1/admin/roles', ROLES);
    get('/v1/admin/users', USERS);
    return new Resolver(h.client);
  }
  const PERMISSIONS = ['flows_run', 'flows_edit', 'kbs_query'].map((name) => ({ name, scope: 'workspace' }));

  it("a key within the account's role there: planned, with the account to create", async () => {
    const r = reads();
    get('/v1/admin/permissions', PERMISSIONS);
    const plan = await planServiceAccount(r, {
      name: 'Export',
      email: 'export@service-accounts.noxus.local',
      workspaces: [{ workspace: 'Marketing', role: 'Editor' }],
      key: { name: 'k', restriction: ['flows_run', 'flows_edit'] },
    });
    expect(plan.keyGroup?.id).toBe('g_mkt');
    expect(plan.existing).toBeUndefined();
    expect(plan.create?.body).toMatchObject({
      kind: 'service',
      org_role: 'org_base',
      workspaces: [{ group_id: 'g_mkt', role: 'ws_editor' }],
    });
  });

  it('a key beyond that role: PermissionError naming what is missing', async () => {
    const r = reads();
    get('/v1/admin/permissions', PERMISSIONS);
    const e = await failure(
      planServiceAccount(r, {
        name: 'Export',
        email: 'export@service-accounts.noxus.local',
        workspaces: [{ workspace: 'Marketing', role: 'Reader' }],
        key: { name: 'k', restriction: ['flows_run', 'kbs_query'] },
      }),
    );
    expect(e).toBeInstanceOf(PermissionError);
    expect(e.data).toEqual({ missing: ['kbs_query'] });
  });

  it("a key workspace that is not one of the account's: UsageError", async () => {
    const r = reads();
    const e = await failure(
      planServiceAccount(r, {
        name: 'Export',
        email: 'export@service-accounts.noxus.local',
        workspaces: [{ workspace: 'Marketing', role: 'Reader' }],
        key: { name: 'k', workspace: 'Engineering' },
      }),
    );
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe("--key-workspace Engineering is not one of the account's workspaces");
  });

  it('a workspace given twice: UsageError', async () => {
    h = harness();
    get('/v1/admin/groups', GROUPS);
    get('/v1/admin/roles', ROLES);
    const e = await failure(
      planServiceAccount(new Resolver(h.client), {
        name: 'Export',
        email: 'export@service-accounts.noxus.local',
        workspaces: [
          { workspace: 'Marketing', role: 'Reader' },
          { workspace: 'g_mkt', role: 'Editor' },
        ],
      }),
    );
    expect(e.message).toBe('workspace Marketing is given twice; a user has one role per workspace');
  });
});
