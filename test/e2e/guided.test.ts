// Real Noxus stops where its public API stops. Against the sandbox in public mode (only the confirmed
// endpoints), spawned bin/noxus without a terminal: the console steps as a checklist
// (--manual-steps md|json, exit 0, nothing written), exit 8 with the steps otherwise, and partial
// review exports whose coverage says what could not be read.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/runtime.js';
import { runCli, tempConfigDir } from '../helpers/cli.js';

interface Sbx {
  url: string;
  running: RunningSandbox;
}

let dataDir: string;
let adminKey: string;
let pub: Sbx;
let graceId: string;
let systemKeyId: string;

async function start(api: 'public' | 'full'): Promise<Sbx> {
  const running = await startSandbox({ dataDir, port: 0, seed: 'demo', version: 'test', api });
  adminKey ??= running.adminKey as string;
  return { url: running.url, running };
}

async function get<T>(s: Sbx, path: string): Promise<T> {
  const r = await fetch(`${s.url}${path}`, { headers: { 'x-api-key': adminKey } });
  expect(r.status, path).toBe(200);
  return (await r.json()) as T;
}

const users = (s: Sbx) => get<Array<{ id: string; email: string; is_active: boolean }>>(s, '/v1/admin/users');
const systemKeys = (s: Sbx) =>
  get<Array<{ id: string; name: string; status: string }>>(s, '/v1/admin/system-keys');

function nx(s: Sbx, args: string[], configDir = tempConfigDir()) {
  return runCli(args, { configDir, env: { NOXUS_BACKEND_URL: s.url, NOXUS_API_KEY: adminKey } });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'noxus-guided-'));
  pub = await start('public');
  const grace = (await users(pub)).find((u) => u.email === 'grace@example.com');
  graceId = grace?.id as string;
  // Grace (an org admin) created a system key: offboarding her must revoke it.
  systemKeyId = pub.running.sandbox.model.createSystemKey(
    { userId: graceId, email: 'grace@example.com', keyId: null },
    { name: 'nightly export', permissions: ['users:read'] },
  ).key.id;
});

afterAll(async () => {
  await pub?.running.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const NINA = [
  'users',
  'add',
  '--name',
  'Nina Newhire',
  '--email',
  'nina@example.com',
  '--org-role',
  'Org Base',
  '--workspace',
  'Marketing=Editor',
  '--workspace',
  'Support=Reader',
];

describe('users add on the public API', () => {
  it('--manual-steps md prints the Settings → Users → Add user checklist with the values; nothing is written', async () => {
    const before = await users(pub);
    const r = await nx(pub, [...NINA, '--manual-steps', 'md']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '# Console steps: noxus users add',
        '',
        '- adding users with an email invitation is not available on this server (users.invite)',
        '',
        '- [ ] **1. Open Settings → Users, click "Add user" and enter the user** (console: Settings → Users → Add user)',
        '  - Go to Settings → Users',
        '  - Click "Add user"',
        '  - Enter the name, the email address and the organization role',
        '  - Select the workspaces to add the user to',
        '',
        '  | Field | Value |',
        '  |---|---|',
        '  | Name | Nina Newhire |',
        '  | Email address | nina@example.com |',
        '  | Organization role | Org Base |',
        '  | Workspaces | Marketing, Support |',
        '',
        '  - Check: confirmed by the operator',
        '- [ ] **2. Click "Next" and select the role for each workspace** (console: Settings → Users → Add user)',
        '  - Click "Next"',
        '  - Select the role for each workspace',
        '',
        '  | Field | Value |',
        '  |---|---|',
        '  | Role in Marketing | Editor |',
        '  | Role in Support | Reader |',
        '',
        '  - Check: confirmed by the operator',
        '- [ ] **3. Click "Add": the user receives the invitation email** (console: Settings → Users → Add user)',
        '  - Click "Add"',
        '  - Check: verified through the public API',
        '',
      ].join('\n'),
    );
    expect(await users(pub)).toEqual(before);
  });

  it('--manual-steps json is the same checklist as a document', async () => {
    const r = await nx(pub, [...NINA, '--manual-steps', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      schema_version: 1,
      kind: 'noxus-console-steps',
      command: 'users add',
      missing: [
        {
          feature: 'users.invite',
          reason: 'adding users with an email invitation is not available on this server',
        },
      ],
    });
    expect(doc.steps.map((s: { id: string }) => s.id)).toEqual(['add-user', 'workspace-roles', 'invite']);
    expect(doc.steps[2].check).toEqual({
      kind: 'user-present',
      email: 'nina@example.com',
      tenant_admin: false,
    });
  });

  it('without a terminal: exit 8, the feature named and the manual steps on stderr; --dry-run says the same', async () => {
    for (const extra of [[], ['--dry-run']]) {
      const r = await nx(pub, [...NINA, ...extra]);
      expect(r.code).toBe(8);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines[0]).toBe(
        'error: adding users with an email invitation is not available on this server; this is done in the Noxus web console (3 manual step(s), walked through in a terminal)',
      );
      expect(lines[1]).toBe('manual steps:');
      expect(lines[2]).toBe(
        '1. Open Settings → Users, click "Add user" and enter the user [console: Settings → Users → Add user]',
      );
      expect(r.stderr).toContain('     Role in Marketing: Editor\n');
      expect(r.stderr).toContain('   (verified through the public API (GET /v1/admin/users))\n');
      expect(lines.at(-2)).toBe(
        "print them as a checklist: noxus users add --name 'Nina Newhire' --email nina@example.com --org-role 'Org Base' --workspace Marketing=Editor --workspace Support=Reader --manual-steps md",
      );
    }
    expect((await users(pub)).some((u) => u.email === 'nina@example.com')).toBe(false);
  });
});

describe('users add --from-csv on the public API', () => {
  it('stops before the first row with exit 8 naming the feature, in a dry run too; nothing is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noxus-guided-csv-'));
    try {
      const csv = join(dir, 'cohort.csv');
      writeFileSync(
        csv,
        'email,name,display_name,org_role,workspaces\ncsv1@example.com,Csv One,,Org Base,Marketing=Editor\ncsv2@example.com,Csv Two,,Org Base,\n',
      );
      for (const extra of [['--yes'], ['--dry-run']]) {
        const r = await nx(pub, ['users', 'add', '--from-csv', csv, ...extra]);
        expect(r.code).toBe(8);
        expect(r.stderr.split('\n')[0]).toMatch(
          /^error: adding users with an email invitation is not available on this server( \(.+\))?; nothing was changed \(2 rows: 2 to invite, 0 to update, 0 unchanged\)$/,
        );
        expect(r.stderr).toContain('in the Noxus web console: Settings → Users → Add user\n');
      }
      expect((await users(pub)).filter((u) => u.email.startsWith('csv'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ws add-member on the public API', () => {
  it('--manual-steps md: Workspace settings → Users → Add users with each user and role; exit 8 without it', async () => {
    const args = ['ws', 'add-member', 'Marketing', 'alan@example.com', 'ken@example.com', '--role', 'Reader'];
    const md = await nx(pub, [...args, '--manual-steps', 'md']);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain(
      '- [ ] **2. Click "Add users", select each user and their role, then click "Add"** (console: Workspace settings → Users → Add users)',
    );
    expect(md.stdout).toContain('  | alan@example.com | Reader |\n  | ken@example.com | Reader |\n');
    const r = await nx(pub, args);
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: adding, changing and removing workspace members is not available on this server; this is done in the Noxus web console (2 manual step(s), walked through in a terminal)',
    );
  });
});

describe('offboard on the public API', () => {
  it('--manual-steps json: review, remove in the console (verified), revoke her system key by API (verified), workspace keys', async () => {
    const r = await nx(pub, ['offboard', 'grace@example.com', '--manual-steps', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.command).toBe('offboard');
    expect(doc.missing.map((m: { feature: string }) => m.feature)).toEqual(['users.access', 'users.remove']);
    expect(doc.steps.map((s: { id: string; mode: string }) => `${s.id} ${s.mode}`)).toEqual([
      'review api',
      'remove console',
      `revoke-system:${systemKeyId} api`,
      'workspace-keys console',
    ]);
    expect(doc.steps[1].check).toEqual({ kind: 'user-gone', id: graceId, email: 'grace@example.com' });
    expect(doc.steps[2].check).toEqual({
      kind: 'system-key-absent',
      id: systemKeyId,
      name: 'nightly export',
    });
  });

  it('without a terminal: exit 8 with the steps; nothing revoked', async () => {
    const r = await nx(pub, ['offboard', 'grace@example.com', '--yes']);
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: per-user access reports are not available on this server; removing users from the organization is not available on this server; this is done in the Noxus web console (2 manual step(s), walked through in a terminal)',
    );
    expect(r.stderr).toContain(
      `3. Revoke system key "nightly export" they created\n   - DELETE /v1/admin/system-keys/${systemKeyId}\n`,
    );
    expect((await systemKeys(pub)).find((k) => k.id === systemKeyId)?.status ?? 'active').toBe('active');
    expect((await users(pub)).find((u) => u.id === graceId)?.is_active).toBe(true);
  });

  it('plans and --resume need the per-user access report: exit 8 naming it', async () => {
    const r = await nx(pub, ['offboard', 'grace@example.com', '--plan-out', 'x.json']);
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: per-user access reports are not available on this server: offboarding plans, --apply, --resume and --transfer-to need it',
    );
  });
});

describe('partial review exports on the public API', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'noxus-guided-review-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('export: users, org admins, workspaces, roles, system keys; a hashed coverage naming grants and keys', async () => {
    const r = await nx(pub, ['review', 'export']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      [
        'warning: partial export: no grants (workspace member lists are not available on this server)',
        'warning: partial export: no keys (listing workspace keys is not available on this server)',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'partial.json'), r.stdout);
    const doc = JSON.parse(r.stdout);
    expect(doc.content.coverage).toEqual({
      complete: false,
      missing: [
        {
          section: 'grants',
          feature: 'members.list',
          reason: 'workspace member lists are not available on this server',
        },
        {
          section: 'keys',
          feature: 'keys.list',
          reason: 'listing workspace keys is not available on this server',
        },
      ],
    });
    expect(sha(JSON.stringify(doc.content))).toBe(doc.sha256);
    expect(doc.content.grants).toEqual([]);
    expect(doc.content.keys).toEqual([]);
    expect(
      doc.content.users
        .filter((u: { org_admin: boolean }) => u.org_admin)
        .map((u: { email: string }) => u.email),
    ).toEqual(['ada@example.com', 'grace@example.com', 'owner@example.com']);
    expect(doc.content.workspaces.map((w: { name: string }) => w.name)).toEqual([
      'Default',
      'Engineering',
      'Finance',
      'Marketing',
      'Support',
    ]);
    expect(doc.content.system_keys.map((k: { name: string }) => k.name)).toEqual([
      'billing export',
      'nightly export',
    ]);
    expect(doc.content.roles.length).toBeGreaterThan(0);
    expect(doc.content.organization).toBe('Noxus Sandbox');
  });

  it('check runs the rules it has data for and lists the skipped ones, in text and --json', async () => {
    const j = await nx(pub, ['review', 'check', '--json']);
    const body = JSON.parse(j.stdout);
    expect(body.items.map((f: { rule: string }) => f.rule)).toEqual([
      'too_many_org_admins',
      // The sandbox's user list says who is invited: that rule has its data.
      'stale_invitation',
    ]);
    expect(body.skipped.map((s: { rule: string }) => s.rule)).toEqual([
      'inactive_user_with_roles',
      'active_user_without_workspace',
      'unrestricted_key',
      'degraded_key',
      'old_key',
      'unused_key',
      'personal_key_used_as_integration',
      'grant_without_reason',
      'grant_expiring_soon',
      'admin_grant_without_expiry',
    ]);
    expect(body.skipped[0].reason).toBe(
      'needs grants (workspace member lists are not available on this server)',
    );
    expect(j.code).toBe(1);
    const t = await nx(pub, ['review', 'check']);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain(
      'warning: rule active_user_without_workspace skipped: needs grants (workspace member lists are not available on this server)\n',
    );
    expect(t.stderr).toContain(
      'warning: rule unused_key skipped: needs keys (listing workspace keys is not available on this server)\n',
    );
  });

  it('diff between the partial export and a full export of the same organization says coverage differs', async () => {
    await pub.running.close();
    const full = await start('full');
    try {
      const r = await nx(full, ['review', 'export', '-o', join(dir, 'full.json')]);
      expect(r.code).toBe(0);
      const d = await nx(full, ['review', 'diff', join(dir, 'partial.json'), join(dir, 'full.json')]);
      expect(d.code).toBe(0);
      expect(d.stdout).toContain(
        [
          '## Coverage differs',
          '',
          '- old export: grants (workspace member lists are not available on this server); keys (listing workspace keys is not available on this server)',
          '- new export: complete',
          '- not compared: grants, keys',
        ].join('\n'),
      );
      const j = await nx(full, [
        'review',
        'diff',
        join(dir, 'partial.json'),
        join(dir, 'full.json'),
        '--format',
        'json',
      ]);
      const body = JSON.parse(j.stdout);
      expect(body.coverage_differs).toBe(true);
      expect(body.grants_added).toEqual([]);
      expect(body.keys_added).toEqual([]);
      expect(JSON.parse(readFileSync(join(dir, 'full.json'), 'utf8')).content.coverage).toEqual({
        complete: true,
        missing: [],
      });
    } finally {
      await full.running.close();
      pub = await start('public');
    }
  });
});
