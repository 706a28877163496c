// `noxus keys` end to end: the built binary against a real sandbox (demo seed), as people use it.
// Every CLI run is recorded so the last test can prove each secret left the CLI exactly once.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/sandbox/clock.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

interface Run {
  args: string[];
  output: string;
}
interface Secret {
  label: string;
  secret: string;
  /** Index in `runs` of the CLI run that created it; null when it must never appear (API-made, --secret-file). */
  createdIn: number | null;
}

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON output, checked field by field below.
type Doc = Record<string, any>;

const runs: Run[] = [];
const secrets: Secret[] = [];

describe('noxus keys against the sandbox (built binary)', () => {
  let sbx: TestSandbox;
  let configDir: string;
  let tmp: string;
  const ids: { users: Record<string, string>; groups: Record<string, string> } = { users: {}, groups: {} };

  // The sandbox's time stands still unless a test moves it: an overlap ends by moving the clock,
  // not by waiting for it.
  const clock = manualClock(new Date());

  beforeAll(async () => {
    sbx = await startTestSandbox({ seed: 'demo', clock });
    configDir = mkdtempSync(join(tmpdir(), 'noxus-keys-cfg-'));
    tmp = mkdtempSync(join(tmpdir(), 'noxus-keys-'));
    const users = await sbx.call('GET', '/v1/admin/users');
    expect(users.status).toBe(200);
    for (const u of users.body as Array<{ id: string; email: string }>) ids.users[u.email] = u.id;
    const groups = await sbx.call('GET', '/v1/admin/groups');
    expect(groups.status).toBe(200);
    for (const g of groups.body as Array<{ id: string; name: string }>) ids.groups[g.name] = g.id;
  });

  afterAll(async () => {
    await sbx?.cleanup();
    for (const d of [configDir, tmp]) if (d) rmSync(d, { recursive: true, force: true });
  });

  /** Runs the built CLI with a key in the environment; records the whole output. */
  async function noxus(
    key: string,
    args: string[],
    env: Record<string, string | undefined> = {},
  ): Promise<CliResult & { index: number }> {
    const r = await runCli(args, {
      configDir,
      env: { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: key, GITHUB_ACTIONS: undefined, ...env },
    });
    runs.push({ args, output: r.stdout + r.stderr });
    return { ...r, index: runs.length - 1 };
  }

  const item = (r: CliResult): Doc => {
    const doc = JSON.parse(r.stdout) as { items: Array<Doc> };
    expect(doc.items).toHaveLength(1);
    return doc.items[0] as Doc;
  };
  const items = (r: CliResult): Array<Doc> => (JSON.parse(r.stdout) as { items: Array<Doc> }).items;

  /** A personal key held by an active user (sandbox act-as, minted with the bootstrap key). */
  async function actAs(email: string, workspace: string, tenantAdmin = false): Promise<string> {
    const r = await sbx.call('POST', '/v1/sandbox/act-as', {
      body: {
        user_id: ids.users[email],
        group_id: ids.groups[workspace],
        ...(tenantAdmin ? { tenant_admin: true } : {}),
      },
    });
    expect(r.status).toBe(201);
    const secret = r.body.value as string;
    expect(secret).toMatch(/^noxus_[0-9A-Za-z]{20,}$/);
    secrets.push({ label: `act-as ${email}`, secret, createdIn: null });
    return secret;
  }

  async function allKeys(): Promise<Array<Doc>> {
    const r = await sbx.call('GET', '/v1/admin/api-keys?status=all&size=500');
    expect(r.status).toBe(200);
    expect(r.body.items.length).toBe(r.body.total);
    return r.body.items;
  }

  const asKey = (key: string) => ({ key });

  it('an Editor’s restricted key follows her role down and back up', async () => {
    const margaret = await actAs('margaret@example.com', 'Engineering');
    const created = await noxus(margaret, [
      'keys',
      'create',
      '--workspace',
      'Engineering',
      '--name',
      'e2e',
      '--restrict',
      'flows_edit,flows_run',
      '--json',
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const key = item(created);
    expect(key.secret).toMatch(/^noxus_[0-9A-Za-z]{20,}$/);
    expect(key.value).toBe(`noxus_…${key.secret.slice(-4)}`);
    expect(key.restricted).toBe(true);
    expect(key.permissions).toEqual(['flows_edit', 'flows_run']);
    expect(key.holder_email).toBe('margaret@example.com');
    expect(key.created_by).toBe(ids.users['margaret@example.com']);
    secrets.push({ label: 'e2e', secret: key.secret, createdIn: created.index });
    const secret = key.secret as string;

    const wf = await sbx.call('POST', '/v1/workflows', { ...asKey(secret), body: { name: 'e2e flow' } });
    expect(wf.status).toBe(201);
    const patch = (name: string) =>
      sbx.call('PATCH', `/v1/workflows/${wf.body.id}`, { ...asKey(secret), body: { name } });
    const edited = await patch('e2e flow v2');
    expect(edited.status).toBe(200);
    expect(edited.body.name).toBe('e2e flow v2');

    const demote = await noxus(sbx.adminKey, [
      'ws',
      'set-role',
      'Engineering',
      'margaret@example.com',
      '--role',
      'Reader',
    ]);
    expect(demote.code).toBe(0);

    const degraded = await noxus(sbx.adminKey, ['keys', 'list', '--degraded', '--json']);
    expect(degraded.code).toBe(0);
    const listed = items(degraded).find((k) => k.id === key.id);
    expect(listed).toMatchObject({ name: 'e2e', degraded: true, effective_permissions: ['flows_run'] });
    expect(listed?.clipped.map((c: { permission: string }) => c.permission)).toEqual(['flows_edit']);

    const explained = await noxus(sbx.adminKey, ['keys', 'explain', 'e2e']);
    expect(explained.stderr).toBe('');
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain(`key         e2e (${key.id}), active`);
    expect(explained.stdout).toContain('holder      margaret@example.com (creator): workspace role Reader');
    expect(explained.stdout).toContain('restriction flows_edit, flows_run');
    expect(explained.stdout).toMatch(/^effective {3}flows_run$/m);
    expect(explained.stdout).toContain('clipped     1 permission(s) the key was granted but no longer has:');
    expect(explained.stdout).toMatch(
      /^ {2}- flows_edit: holder's role in Engineering is Reader, which lacks flows_edit \(since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\)$/m,
    );
    expect(explained.stdout).not.toMatch(/- flows_run:/);

    const denied = await patch('e2e flow v3');
    expect(denied.status).toBe(403);
    expect(denied.body.detail).toContain('flows_edit');
    const ran = await sbx.call('POST', `/v1/workflows/${wf.body.id}/run`, asKey(secret));
    expect(ran.status).toBe(200);
    expect(ran.body.status).toBe('completed');

    const promote = await noxus(sbx.adminKey, [
      'ws',
      'set-role',
      'Engineering',
      'margaret@example.com',
      '--role',
      'Editor',
    ]);
    expect(promote.code).toBe(0);
    const again = await patch('e2e flow v4');
    expect(again.status).toBe(200);
    expect(again.body.name).toBe('e2e flow v4');
    const healed = await noxus(sbx.adminKey, ['keys', 'list', '--degraded', '--json']);
    expect(healed.code).toBe(0);
    expect(items(healed).map((k) => k.id)).not.toContain(key.id);
    // The list did not just come back empty: the seed's demoted key is still degraded.
    expect(items(healed).map((k) => k.name)).toContain('campaign sync');
  });

  it('a Reader asking for flows_edit is refused (exit 6), also with --dry-run, and nothing is made', async () => {
    const ken = await actAs('ken@example.com', 'Engineering');
    const before = await allKeys();
    for (const extra of [[], ['--dry-run']]) {
      const r = await noxus(ken, [
        'keys',
        'create',
        '--workspace',
        'Engineering',
        '--name',
        'ken-edit',
        '--restrict',
        'flows_edit',
        ...extra,
      ]);
      expect(r.code).toBe(6);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        'error: a key can never have more permissions than its creator: you (ken@example.com) lack flows_edit in Engineering (role Reader)',
      );
    }
    const after = await allKeys();
    expect(after.length).toBe(before.length);
    expect(after.filter((k) => k.name === 'ken-edit')).toEqual([]);
  });

  it('rotate --overlap 1s: both secrets work during the overlap, only the new one after', async () => {
    const created = await noxus(sbx.adminKey, [
      'keys',
      'create',
      '--workspace',
      'Engineering',
      '--name',
      'rot',
      '--restrict',
      'flows_run,kbs_query',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const old = item(created);
    secrets.push({ label: 'rot (old)', secret: old.secret, createdIn: created.index });

    const rotated = await noxus(sbx.adminKey, ['keys', 'rotate', old.id, '--overlap', '1s', '--json']);
    expect(rotated.code).toBe(0);
    const fresh = item(rotated);
    expect(fresh.secret).toMatch(/^noxus_[0-9A-Za-z]{20,}$/);
    expect(fresh.secret).not.toBe(old.secret);
    expect(fresh.replaces.id).toBe(old.id);
    expect(fresh.id).not.toBe(old.id);
    secrets.push({ label: 'rot (new)', secret: fresh.secret, createdIn: rotated.index });

    const [oldMe, newMe] = await Promise.all([
      sbx.call('GET', '/v1/admin/me', asKey(old.secret)),
      sbx.call('GET', '/v1/admin/me', asKey(fresh.secret)),
    ]);
    expect(oldMe.status).toBe(200);
    expect(newMe.status).toBe(200);
    expect(oldMe.body.id).toBe(old.id);
    expect(newMe.body.id).toBe(fresh.id);
    expect(newMe.body.restriction).toEqual(['flows_run', 'kbs_query']);
    expect(newMe.body.restriction).toEqual(oldMe.body.restriction);
    expect(newMe.body.permissions).toEqual(oldMe.body.permissions);
    expect(newMe.body.group_id).toBe(oldMe.body.group_id);
    expect(fresh.permissions).toEqual(old.permissions);
    expect(fresh.holder_id).toBe(old.holder_id);

    clock.advance(999);
    expect((await sbx.call('GET', '/v1/admin/me', asKey(old.secret))).status).toBe(200);
    clock.advance(1);
    const [oldLater, newLater] = await Promise.all([
      sbx.call('GET', '/v1/admin/me', asKey(old.secret)),
      sbx.call('GET', '/v1/admin/me', asKey(fresh.secret)),
    ]);
    expect(oldLater.status).toBe(401);
    expect(oldLater.body.detail).toMatch(/^API key expired at /);
    expect(newLater.status).toBe(200);
    expect(newLater.body.restriction).toEqual(['flows_run', 'kbs_query']);
  });

  it('a second org admin’s tenant-admin act-as key can run service-accounts create --key', async () => {
    const grace = await actAs('grace@example.com', 'Engineering', true);
    const r = await noxus(grace, [
      'service-accounts',
      'create',
      'Gap bot',
      '--workspace',
      'Engineering=Editor',
      '--key',
      'gap-bot',
      '--restrict',
      'flows_run',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('removing the admin who made a service-account key revokes it; a key rotated by someone else survives', async () => {
    const grace = await actAs('grace@example.com', 'Engineering');
    // The account itself is made with the bootstrap key (org-level call, see the gap above); the key
    // it owns is made by Grace, an org admin, with her personal key: she is its creator.
    const sa = await noxus(sbx.adminKey, [
      'service-accounts',
      'create',
      'E2E bot',
      '--workspace',
      'Engineering=Editor',
      '--json',
    ]);
    expect(sa.code).toBe(0);
    const account = item(sa);
    expect(account.email).toBe('e2e-bot@service-accounts.noxus.local');
    expect(account.kind).toBe('service');

    const made = await noxus(grace, [
      'keys',
      'create',
      '--workspace',
      'Engineering',
      '--name',
      'bot',
      '--owner',
      account.email,
      '--restrict',
      'flows_run',
      '--json',
    ]);
    expect(made.code).toBe(0);
    const bot = item(made);
    expect(bot.created_by).toBe(ids.users['grace@example.com']);
    expect(bot.owner_id).toBe(account.id);
    expect(bot.holder_email).toBe(account.email);
    secrets.push({ label: 'bot', secret: bot.secret, createdIn: made.index });

    expect((await sbx.call('GET', '/v1/workflows', asKey(bot.secret))).status).toBe(200);
    expect((await sbx.call('GET', '/v1/workflows', asKey(grace))).status).toBe(200);

    // Grace saw the bot key's secret (she made it), so her removal revokes it (issue 12, D8). A key
    // of the same account that the owner rotated, whose secret she never saw, survives.
    const spare = await sbx.call('POST', `/v1/admin/groups/${ids.groups.Engineering}/api-keys`, {
      ...asKey(grace),
      body: { name: 'spare', owner_id: account.id, permissions: ['flows_run'] },
    });
    expect(spare.status).toBe(201);
    const rotated = await sbx.call('POST', `/v1/admin/api-keys/${spare.body.id}/rotate`, { body: {} });
    expect(rotated.status).toBe(201);
    secrets.push({ label: 'spare (rotated)', secret: rotated.body.value, createdIn: null });

    const removed = await sbx.call('DELETE', `/v1/admin/users/${ids.users['grace@example.com']}`);
    expect(removed.status).toBe(200);
    expect(removed.body.status).toBe('removed');
    expect(removed.body.revoked_keys).toContain(bot.id);
    expect(removed.body.revoked_keys).not.toContain(rotated.body.id);

    const botAfter = await sbx.call('GET', '/v1/workflows', asKey(bot.secret));
    expect(botAfter.status).toBe(401);
    expect(botAfter.body.detail).toBe('API key revoked (secret seen by removed user)');
    expect((await sbx.call('GET', '/v1/workflows', asKey(rotated.body.value))).status).toBe(200);
    const graceAfter = await sbx.call('GET', '/v1/workflows', asKey(grace));
    expect(graceAfter.status).toBe(401);
    expect(graceAfter.body.detail).toContain('revoked');
  });

  it('bad input is refused before anything is created', async () => {
    // Two keys with the same name, made through the API (their secrets never reach the CLI).
    for (let i = 0; i < 2; i++) {
      const r = await sbx.call('POST', `/v1/admin/groups/${ids.groups.Engineering}/api-keys`, {
        body: { name: 'twin', permissions: ['flows_run'] },
      });
      expect(r.status).toBe(201);
      secrets.push({ label: `twin ${i}`, secret: r.body.value, createdIn: null });
    }
    const twins = (await allKeys()).filter((k) => k.name === 'twin').map((k) => k.id as string);
    expect(twins).toHaveLength(2);

    const before = await allKeys();
    const create = (...args: string[]) =>
      noxus(sbx.adminKey, ['keys', 'create', '--workspace', 'Engineering', '--name', 'bad', ...args]);
    const cases: Array<{ args: Promise<CliResult>; code: number; says: string[] }> = [
      {
        args: create('--restrict', ''),
        code: 2,
        says: ['error: --restrict "" is an empty restriction'],
      },
      {
        args: create('--restrict', 'flow_edit'),
        code: 2,
        says: ['error: unknown permission: flow_edit', 'flow_edit: did you mean flows_edit?'],
      },
      {
        args: create('--restrict', 'flows_run,kbs_qurey'),
        code: 2,
        says: ['error: unknown permission: kbs_qurey', 'kbs_qurey: did you mean kbs_query?'],
      },
      {
        args: create('--restrict', 'users:read'),
        code: 2,
        says: ['error: users:read: organization permission cannot go on a workspace key'],
      },
      {
        args: create('--restrict', 'flows_run', '--expires-in', '0d'),
        code: 2,
        says: ['error: --expires-in must be a positive duration like 30m, 12h, 90d or 2w, got "0d"'],
      },
      {
        args: create('--expires-in', 'soon'),
        code: 2,
        says: ['got "soon"'],
      },
      {
        args: create('--expires-at', '2001-01-01T00:00:00Z'),
        code: 2,
        says: ['error: --expires-at 2001-01-01T00:00:00Z is in the past'],
      },
      {
        args: create('--owner', 'margaret@example.com', '--restrict', 'flows_run'),
        code: 2,
        says: ['error: --owner margaret@example.com is a person, not a service account'],
      },
      {
        args: noxus(sbx.adminKey, ['keys', 'explain', 'twin']),
        code: 2,
        says: ['error: "twin" matches 2 keys', ...twins],
      },
      {
        args: noxus(sbx.adminKey, ['keys', 'rotate', 'twin', '--overlap', '1h']),
        code: 2,
        says: ['error: "twin" matches 2 keys', ...twins],
      },
    ];
    const results = await Promise.all(cases.map((c) => c.args));
    results.forEach((r, i) => {
      const c = cases[i] as (typeof cases)[number];
      const what = `case ${i}: ${r.stderr}`;
      expect(r.code, what).toBe(c.code);
      expect(r.stdout, what).toBe('');
      for (const s of c.says) expect(r.stderr, what).toContain(s);
    });
    const after = await allKeys();
    expect(after.map((k) => `${k.id}:${k.status}:${k.expires_at}`).sort()).toEqual(
      before.map((k) => `${k.id}:${k.status}:${k.expires_at}`).sort(),
    );
    expect(after.filter((k) => k.name === 'bad')).toEqual([]);
  });

  it('--secret-file writes a 0600 file and prints no secret', async () => {
    const file = join(tmp, 'filed.key');
    const r = await noxus(sbx.adminKey, [
      'keys',
      'create',
      '--workspace',
      'Engineering',
      '--name',
      'filed',
      '--restrict',
      'flows_run',
      '--secret-file',
      file,
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const content = readFileSync(file, 'utf8');
    expect(content).toMatch(/^noxus_[0-9A-Za-z]{20,}\n$/);
    const secret = content.trim();
    secrets.push({ label: 'filed', secret, createdIn: null });
    const k = item(r);
    expect(k).not.toHaveProperty('secret');
    expect(k.value).toBe(`noxus_…${secret.slice(-4)}`);
    expect(k.secret_file).toBe(file);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect((await sbx.call('GET', '/v1/admin/me', asKey(secret))).status).toBe(200);

    // A second run never overwrites the file.
    const again = await noxus(sbx.adminKey, [
      'keys',
      'create',
      '--workspace',
      'Engineering',
      '--name',
      'filed2',
      '--secret-file',
      file,
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it('under GitHub Actions the secret is masked (::add-mask:: on stderr) and stdout is only the data', async () => {
    for (const json of [false, true]) {
      const r = await noxus(
        sbx.adminKey,
        [
          'keys',
          'create',
          '--workspace',
          'Engineering',
          '--name',
          `gha-${json ? 'json' : 'text'}`,
          '--restrict',
          'flows_run',
          ...(json ? ['--json'] : []),
        ],
        { GITHUB_ACTIONS: 'true' },
      );
      expect(r.code).toBe(0);
      const first = r.stderr.split('\n')[0] as string;
      expect(first).toMatch(/^::add-mask::noxus_[0-9A-Za-z]{20,}$/);
      const secret = first.slice('::add-mask::'.length);
      if (json) {
        const doc = JSON.parse(r.stdout);
        expect([doc.key.secret, doc.items[0].secret, doc.changed]).toEqual([secret, secret, true]);
        expect(r.stderr).toBe(`::add-mask::${secret}\n`);
      } else {
        expect(r.stdout).toBe(`${secret}\n`);
        expect(r.stderr.split('\n').filter((l) => l.includes(secret))).toEqual([first]);
      }
      secrets.push({ label: `gha ${json}`, secret, createdIn: r.index });
    }
  });

  it('every secret appears only in the output of the run that created it', async () => {
    const created = secrets.filter((s) => s.createdIn !== null);
    expect(created.map((s) => s.label)).toEqual([
      'e2e',
      'rot (old)',
      'rot (new)',
      'bot',
      'gha false',
      'gha true',
    ]);
    const masked = (s: Secret) => `noxus_…${s.secret.slice(-4)}`;
    // Read the keys back the ways people look at them: list (text and JSON), explain, me.
    const list = await noxus(sbx.adminKey, ['keys', 'list', '--all']);
    expect(list.code).toBe(0);
    const listJson = await noxus(sbx.adminKey, ['keys', 'list', '--all', '--json']);
    expect(listJson.code).toBe(0);
    const shown = items(listJson);
    const ours = secrets
      .filter((s) => !s.label.startsWith('act-as'))
      .map((s) => {
        const k = shown.find((x) => x.value === masked(s));
        expect(k, s.label).toBeDefined();
        expect(list.stdout).toContain(`\t${k?.id}\n`);
        return { s, id: k?.id as string };
      });
    const reads: CliResult[] = [list, listJson];
    await Promise.all(
      ours
        .filter((o) => o.s.createdIn !== null)
        .map(async ({ s, id }) => {
          const e = await noxus(sbx.adminKey, ['keys', 'explain', id]);
          expect(e.code, e.stderr).toBe(0);
          expect(e.stdout).toContain(`(${id})`);
          reads.push(e);
          // expired or revoked: `me` would be refused (401)
          if (s.label === 'rot (old)' || s.label === 'bot') return;
          const me = await noxus(s.secret, ['me']);
          expect(me.code, `${s.label}: ${me.stderr}`).toBe(0);
          expect(me.stdout).toContain(masked(s));
          reads.push(me);
        }),
    );
    for (const r of reads) for (const s of secrets) expect(r.stdout + r.stderr).not.toContain(s.secret);

    for (const s of secrets) {
      const where = runs.flatMap((r, i) => (r.output.includes(s.secret) ? [i] : []));
      expect(
        where,
        `${s.label} appeared in: ${where.map((i) => runs[i]?.args.join(' ')).join(' | ')}`,
      ).toEqual(s.createdIn === null ? [] : [s.createdIn]);
    }
  }, 60_000);
});
