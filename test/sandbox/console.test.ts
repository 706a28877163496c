// The web console's stand-in: the manual steps the CLI guides an operator through, done by a test.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleError, consoleClient } from '../helpers/console.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

describe('console stand-in on a public-only sandbox', () => {
  let sb: TestSandbox;
  let ui: ReturnType<typeof consoleClient>;
  let defaultId: string;
  beforeAll(async () => {
    sb = await startTestSandbox({ api: 'public' });
    ui = consoleClient(sb.url, sb.adminKey);
    defaultId = (await sb.call('GET', '/v1/admin/groups')).body[0].id;
  });
  afterAll(() => sb.cleanup());

  it('Settings → Users → Add user invites the user by email, with workspace roles', async () => {
    const r = await ui.addUser({
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      display_name: 'Ada',
      org_role: 'Org Base',
      workspaces: [{ workspace: 'Default', role: 'Editor' }],
    });
    expect(r.user).toMatchObject({ email: 'ada@example.com', status: 'invited', is_active: false });
    const eml = readdirSync(join(sb.dataDir, 'outbox')).filter((f) => f.endsWith('-ada@example.com.eml'));
    expect(eml).toHaveLength(1);
    expect(r.invitation?.delivered_to).toBe(`outbox:${join(sb.dataDir, 'outbox', eml[0] as string)}`);
    // The outcome the CLI verifies through the public API.
    const users = (await sb.call('GET', '/v1/admin/users')).body as Array<{
      email: string;
      is_active: boolean;
    }>;
    expect(users.find((u) => u.email === 'ada@example.com')).toMatchObject({ is_active: false });
    const { members } = sb.sandbox.model.members(defaultId);
    expect(members.find((m) => m.email === 'ada@example.com')?.role?.name).toBe('Editor');
  });

  it('Workspace settings → Users → Add users gives each user a role, all or none', async () => {
    await ui.addUser({ email: 'bob@example.com', name: 'Bob' });
    await ui.addUser({ email: 'cy@example.com', name: 'Cy' });
    const r = await ui.addToWorkspace('Default', [
      { user: 'bob@example.com', role: 'Reader' },
      { user: 'cy@example.com', role: 'Admin' },
    ]);
    expect(r.workspace.id).toBe(defaultId);
    expect(r.users.map((u) => [u.role])).toEqual([['Reader'], ['Admin']]);
    const roleOf = (email: string) =>
      sb.sandbox.model.members(defaultId).members.find((m) => m.email === email)?.role?.name;
    expect([roleOf('bob@example.com'), roleOf('cy@example.com')]).toEqual(['Reader', 'Admin']);

    const bad = await ui
      .addToWorkspace('Default', [
        { user: 'bob@example.com', role: 'Editor' },
        { user: 'nobody@example.com', role: 'Reader' },
      ])
      .catch((e: ConsoleError) => e);
    expect(bad).toBeInstanceOf(ConsoleError);
    expect((bad as ConsoleError).status).toBe(404);
    expect(roleOf('bob@example.com')).toBe('Reader');
  });

  it('Workspace Control → API keys lists and revokes a key; the key stops working', async () => {
    const made = await sb.call('POST', `/v1/admin/groups/${defaultId}/api-keys`, {
      body: { name: 'ci-runner', tenant_admin: false },
    });
    expect(made.status).toBe(201);
    const keys = await ui.keys('Default');
    const row = keys.find((k) => k.name === 'ci-runner');
    expect(row?.id).toBe(made.body.id);
    expect(await ui.revokeKey(made.body.id)).toEqual({
      id: made.body.id,
      name: 'ci-runner',
      revoked: true,
      changed: true,
    });
    expect((await sb.call('GET', '/v1/admin/me', { key: made.body.value })).status).toBe(401);
    expect((await ui.keys('Default')).some((k) => k.id === made.body.id)).toBe(false);
  });

  it('Settings → Users → Remove takes the user out of the organization', async () => {
    const r = await ui.removeUser('bob@example.com');
    expect(r.user).toMatchObject({ email: 'bob@example.com', status: 'removed', is_active: false });
    const users = (await sb.call('GET', '/v1/admin/users')).body as Array<{ email: string }>;
    expect(users.some((u) => u.email === 'bob@example.com')).toBe(false);
    expect(sb.sandbox.model.members(defaultId).members.some((m) => m.email === 'bob@example.com')).toBe(
      false,
    );
  });

  it('records what the operator did in the activity log', () => {
    const rows = sb.sandbox.model.store.all<{ route: string; method: string }>(
      "SELECT route, method FROM activity WHERE route LIKE '/console/%' ORDER BY at",
    );
    expect(new Set(rows.map((r) => `${r.method} ${r.route}`))).toEqual(
      new Set([
        'POST /console/users',
        'POST /console/workspaces/:workspace/users',
        'DELETE /console/api-keys/:id',
        'DELETE /console/users/:user',
      ]),
    );
  });

  it('needs a key: none is 401', async () => {
    const none = await sb.call('POST', '/console/users', {
      key: null,
      body: { email: 'x@example.com', name: 'X' },
    });
    expect([none.status, none.body]).toEqual([
      401,
      { detail: 'missing API key: send it in the X-API-Key header' },
    ]);
  });
});

describe('console stand-in: only an org admin operates it', () => {
  it('a workspace admin who is not an org admin gets 403 and changes nothing', async () => {
    const sb = await startTestSandbox({ seed: 'demo' });
    try {
      const eng = (await sb.call('GET', '/v1/admin/groups')).body.find(
        (g: { name: string }) => g.name === 'Engineering',
      );
      const linus = await sb.call('POST', '/v1/sandbox/act-as', {
        body: { user_id: 'linus@example.com', group_id: eng.id },
      });
      expect(linus.status).toBe(201);
      const ui = consoleClient(sb.url, linus.body.value);
      const e = await ui.removeUser('ken@example.com').catch((x: ConsoleError) => x);
      expect(e).toBeInstanceOf(ConsoleError);
      expect([(e as ConsoleError).status, (e as ConsoleError).body]).toEqual([
        403,
        { detail: 'the console stand-in needs the key of an org admin' },
      ]);
      expect(sb.sandbox.model.findUser('ken@example.com')?.status).toBe('active');
    } finally {
      await sb.cleanup();
    }
  });
});
