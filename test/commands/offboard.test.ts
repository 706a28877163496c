// `noxus offboard` in-process against MockAgent: every request it makes is one the test expects, so
// a write the command should not make fails the test. The plan as JSON, a drifted plan refused
// before any write, a dry run that only reads, and a public-API server refused up front.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json, type MockServer, mockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const una = {
  id: 'u1',
  email: 'una@example.com',
  display_name: 'Una',
  name: 'Una Persson',
  tenant_admin: false,
  is_active: true,
  status: 'active',
  kind: 'human',
  org_role: { id: 'r-base', name: 'Org Base' },
};
const ada = {
  ...una,
  id: 'u2',
  email: 'ada@example.com',
  display_name: 'Ada',
  name: 'Ada Lovelace',
  tenant_admin: true,
  org_role: { id: 'r-admin', name: 'Org Admin' },
};
const roles = [
  { id: 'r-admin', name: 'Org Admin', scope: 'org', permissions: ['org:admin'] },
  { id: 'r-base', name: 'Org Base', scope: 'org', permissions: ['org:read'] },
];
const me = {
  id: 'k-ada',
  name: 'ada laptop',
  tenant_admin: true,
  group_id: null,
  group_name: null,
  restriction: null,
  expires_at: null,
  holder: { id: 'u2', email: 'ada@example.com', display_name: 'Ada', kind: 'human', org_admin: true },
};
const heldKey = {
  id: 'k1',
  name: 'una laptop',
  group_id: 'g1',
  group_name: 'Alpha',
  permissions: null,
  effective_permissions: ['flows_run'],
  last_used_at: '2026-01-01T00:00:00Z',
  status: 'active',
};
const access = (keys = [heldKey]) => ({
  user: una,
  org_role: 'Org Base',
  org_admin: false,
  workspaces: [{ group_id: 'g1', group_name: 'Alpha', role: 'Editor', via: 'membership' }],
  keys_held: keys,
  service_account_keys_created: [],
  system_keys_created: [],
  resources_owned: [],
  invitations_pending: [],
  last_activity_at: '2026-01-02T00:00:00Z',
  activity_count: 3,
});

/** The reads of every full offboarding before its first write: the user, their access, the refusals. */
function reads(s: MockServer, keys = [heldKey]): void {
  const users = (status?: string) => (p: string) =>
    p.startsWith('/v1/admin/users?') &&
    new URL(p, 'http://x').searchParams.get('status') === (status ?? null);
  s.pool.intercept({ path: users(), method: 'GET' }).reply(200, [una, ada], json);
  s.pool.intercept({ path: '/v1/admin/users/u1/access', method: 'GET' }).reply(200, access(keys), json);
  s.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
  s.pool.intercept({ path: (p) => p.startsWith('/v1/admin/roles?'), method: 'GET' }).reply(200, roles, json);
  s.pool.intercept({ path: users('active'), method: 'GET' }).reply(200, [una, ada], json);
}

const journals = (s: MockServer) => {
  const dir = join(s.env.NOXUS_CONFIG_DIR as string, 'journals');
  return existsSync(dir) ? readdirSync(dir) : [];
};

describe('noxus offboard (full API)', () => {
  it('--plan-out --json writes the plan and prints it in an envelope, changing nothing', async () => {
    server = mockServer();
    reads(server);
    const file = join(mkdtempSync(join(tmpdir(), 'noxus-plan-')), 'una.plan.json');
    const r = await server.run(['offboard', 'una@example.com', '--plan-out', file, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['schema_version', 'command', 'plan', 'written_to', 'dry_run']);
    expect(doc).toMatchObject({ schema_version: 1, command: 'offboard', written_to: file, dry_run: true });
    expect(doc.plan.steps.map((s: { id: string }) => s.id)).toEqual([
      'review',
      'suspend',
      'remove',
      'verify',
    ]);
    expect(doc.plan.user).toEqual({
      id: 'u1',
      email: 'una@example.com',
      name: 'Una Persson',
      status: 'active',
    });
    expect(doc.plan.inventory.keys_held).toEqual([
      {
        id: 'k1',
        name: 'una laptop',
        workspace: 'Alpha',
        restriction: null,
        effective: ['flows_run'],
        last_used_at: '2026-01-01T00:00:00Z',
      },
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(doc.plan);
    expect(journals(server)).toEqual([]);
  });

  it('--dry-run prints the review and the steps, and only reads', async () => {
    server = mockServer();
    reads(server);
    const r = await server.run(['offboard', 'una@example.com', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'Offboarding una@example.com (Una Persson), org role Org Base',
        '  workspaces: Alpha=Editor',
        '  keys they hold: una laptop [flows_run] last used 2026-01-01T00:00:00Z',
        '  system keys they created: none',
        '  service-account keys they created: none',
        '  resources they own: none',
        '  invitations they sent, pending: none',
        '  last activity: 2026-01-02T00:00:00Z (3 activity entries, all kept)',
        'Steps:',
        '  1. Review access [read]',
        '  2. Suspend (sign-in and every key stop at once; reversible) [reversible]',
        '  3. Remove from the organization (1 membership(s), 1 personal key(s) revoked; work and activity kept) [destructive]',
        '  4. Verify work and activity are preserved [read]',
        'Dry run: nothing was changed.',
        '',
      ].join('\n'),
    );
    expect(journals(server)).toEqual([]);
  });

  it('--apply of a plan the server drifted from exits 7, lists the differences and writes nothing', async () => {
    server = mockServer();
    reads(server);
    const file = join(mkdtempSync(join(tmpdir(), 'noxus-plan-')), 'una.plan.json');
    expect((await server.run(['offboard', 'una@example.com', '--plan-out', file, '--json'])).code).toBe(0);
    await server.done();

    server = mockServer({ env: { NOXUS_CONFIG_DIR: server.env.NOXUS_CONFIG_DIR as string } });
    const late = { ...heldKey, id: 'k9', name: 'late key' };
    reads(server, [heldKey, late]);
    const r = await server.run(['offboard', 'una@example.com', '--apply', file, '--yes']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'error: the plan is stale: the server changed since it was written (1 difference)',
        '  - new key: late key (k9) in Alpha',
        `write a new plan: noxus offboard una@example.com --plan-out ${file}  (or apply anyway with --force)`,
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(7);
    expect(journals(server)).toEqual([]);
  });
});

describe('noxus offboard on a server with only the public API', () => {
  it('names the missing feature before any request when a flag needs the full API', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['offboard', 'una@example.com', '--transfer-to', 'ada@example.com']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'error: per-user access reports are not available on this server: offboarding plans, --apply, --resume and --transfer-to need it',
        'run it in a terminal to be guided through the web console: noxus offboard una@example.com',
        'or print the steps: noxus offboard una@example.com --manual-steps md',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(8);
  });

  it('off a terminal the guided offboarding reads, then exits 8 with the console steps, writing nothing', async () => {
    server = mockServer({ features: 'public' });
    const publicUna = {
      id: 'u1',
      email: 'una@example.com',
      display_name: 'Una',
      tenant_admin: false,
      is_active: true,
    };
    const publicAda = {
      ...publicUna,
      id: 'u2',
      email: 'ada@example.com',
      display_name: 'Ada',
      tenant_admin: true,
    };
    server.pool
      .intercept({ path: (p) => p.startsWith('/v1/admin/users?'), method: 'GET' })
      .reply(200, [publicUna, publicAda], json);
    server.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
    server.pool
      .intercept({ path: (p) => p.startsWith('/v1/admin/roles?'), method: 'GET' })
      .reply(200, roles, json);
    server.pool
      .intercept({ path: (p) => p.startsWith('/v1/admin/system-keys'), method: 'GET' })
      .reply(200, [], json);
    const r = await server.run(['offboard', 'una@example.com']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'error: per-user access reports are not available on this server; removing users from the organization is not available on this server; this is done in the Noxus web console (2 manual step(s), walked through in a terminal)',
        'manual steps:',
        '1. Review access of una@example.com through the public API',
        '   - Read the user, the system keys and the workspaces',
        '   (done by noxus through the public API)',
        '2. Remove una@example.com from the organization [console: Settings → Users → (the user) → Remove]',
        '   - Go to Settings → Users',
        '   - Open una@example.com',
        '   - Click "Remove" and confirm',
        '     User: Una <una@example.com>',
        '   (verified through the public API (GET /v1/admin/users))',
        '3. Rotate the workspace API keys they created or could have seen [console: Workspace Control → API keys → Revoke]',
        '   - In each workspace: Workspace Control → API keys',
        '   - Revoke (or replace, then revoke) every key una@example.com created or whose secret they saw',
        '     Created by: una@example.com',
        '   (confirmed by the operator)',
        'print them as a checklist: noxus offboard una@example.com --manual-steps md',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(8);
  });
});
