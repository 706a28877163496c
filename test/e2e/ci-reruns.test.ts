// Provisioning steps as a CI pipeline runs them, twice: the built binary against a demo sandbox.
// Stdout is only the data (valid JSON under --json, also under GitHub Actions, whose mask goes to
// stderr); a re-run with the same inputs exits 0, says "unchanged" and writes nothing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON output, checked field by field.
type Doc = Record<string, any>;

describe('CI re-runs and output streams', () => {
  let sbx: TestSandbox;
  let tmp: string;
  const configDir = mkdtempSync(join(tmpdir(), 'noxus-ci-cfg-'));

  beforeAll(async () => {
    sbx = await startTestSandbox({ seed: 'demo' });
    tmp = mkdtempSync(join(tmpdir(), 'noxus-ci-'));
  });
  afterAll(async () => {
    await sbx?.cleanup();
    for (const d of [configDir, tmp]) rmSync(d, { recursive: true, force: true });
  });

  const noxus = (args: string[], env: Record<string, string | undefined> = {}) =>
    runCli(args, {
      configDir,
      cwd: tmp,
      env: { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey, GITHUB_ACTIONS: undefined, ...env },
    });
  /** The newest activity entry and every key: what a write would change. */
  const serverState = async () => {
    const a = await sbx.call('GET', '/v1/admin/activity?size=1');
    const k = await sbx.call('GET', '/v1/admin/api-keys?status=all&size=500');
    const users = await sbx.call('GET', '/v1/admin/users?size=500');
    const list = (b: unknown) => (Array.isArray(b) ? b : (b as { items: unknown[] }).items);
    return {
      newest: list(a.body)[0],
      keys: list(k.body).map((x: Doc) => ({ ...x, last_used_at: null })),
      users: list(users.body).length,
    };
  };
  const days = (k: Doc) => (Date.parse(k.expires_at) - Date.parse(k.created_at)) / 86_400_000;

  it('GitHub Actions: the mask is the only thing on stderr with --json, and stdout parses', async () => {
    const created = await noxus(
      [
        'keys',
        'create',
        '--workspace',
        'Engineering',
        '--name',
        'gha-rot',
        '--restrict',
        'flows_run',
        '--json',
      ],
      { GITHUB_ACTIONS: 'true' },
    );
    expect(created.code).toBe(0);
    const c = JSON.parse(created.stdout) as Doc;
    expect(created.stderr).toBe(`::add-mask::${c.key.secret}\n`);
    expect(c.key.secret).toMatch(/^noxus_[0-9A-Za-z]{20,}$/);

    const rotated = await noxus(['keys', 'rotate', 'gha-rot', '--json'], { GITHUB_ACTIONS: 'true' });
    expect(rotated.code).toBe(0);
    const r = JSON.parse(rotated.stdout) as Doc;
    expect(rotated.stderr).toBe(`::add-mask::${r.key.secret}\n`);
    expect([r.command, r.changed, r.replaces.id, r.items[0].id]).toEqual([
      'keys rotate',
      true,
      c.key.id,
      r.key.id,
    ]);

    const list = (b: unknown) => (Array.isArray(b) ? b : (b as { items: Doc[] }).items) as Doc[];
    const users = await sbx.call('GET', '/v1/admin/users?size=500');
    const linus = list(users.body).find((u) => u.email === 'linus@example.com') as Doc;
    const groups = await sbx.call('GET', '/v1/admin/groups');
    const eng = list(groups.body).find((g) => g.name === 'Engineering') as Doc;
    const actAs = await noxus(['sandbox', 'act-as', linus.id, '--workspace', eng.id, '--json'], {
      GITHUB_ACTIONS: 'true',
    });
    expect(actAs.code).toBe(0);
    const a = JSON.parse(actAs.stdout) as Doc;
    expect(actAs.stderr).toBe(`::add-mask::${a.items[0].secret}\n`);

    // Without GitHub Actions there is no mask at all.
    const plain = await noxus(['keys', 'create', '--workspace', 'Engineering', '--name', 'no-gha', '--json']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe('');
  });

  it('sandbox start --json under GitHub Actions: the bootstrap key is masked on stderr, stdout is JSON', async () => {
    const data = join(tmp, 'sbx2');
    const env = { GITHUB_ACTIONS: 'true', NOXUS_BACKEND_URL: undefined, NOXUS_API_KEY: undefined };
    const r = await noxus(['sandbox', 'start', '--detach', '--port', '0', '--data', data, '--json'], env);
    try {
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as Doc;
      expect(doc.admin_key).toMatch(/^noxus_/);
      expect(r.stderr).toBe(`::add-mask::${doc.admin_key}\n`);
    } finally {
      await noxus(['sandbox', 'stop', '--data', data], env);
    }
  });

  it('keys create --if-missing: the second run is unchanged (exit 0, no secret, the file left alone)', async () => {
    const args = [
      'keys',
      'create',
      '--workspace',
      'Engineering',
      '--name',
      'ci-once',
      '--restrict',
      'flows_run',
      '--if-missing',
      '--secret-file',
      'ci-once.key',
    ];
    const first = await noxus([...args, '--json']);
    expect(first.code).toBe(0);
    const k = JSON.parse(first.stdout).key as Doc;
    expect(k.secret_file).toBe(join(tmp, 'ci-once.key'));
    const secret = readFileSync(join(tmp, 'ci-once.key'), 'utf8');
    const before = await serverState();

    const again = await noxus([...args, '--json']);
    expect([again.code, again.stderr]).toEqual([0, '']);
    const doc = JSON.parse(again.stdout) as Doc;
    expect(Object.keys(doc)).toEqual(['schema_version', 'command', 'changed', 'key', 'items']);
    expect([doc.command, doc.changed, doc.key.id, doc.items[0].id]).toEqual([
      'keys create',
      false,
      k.id,
      k.id,
    ]);
    expect(['secret' in doc.key, 'secret_file' in doc.key, doc.key.value]).toEqual([false, false, k.value]);

    const text = await noxus(args);
    expect(text).toEqual({
      code: 0,
      stdout: '',
      stderr: `key "ci-once" already exists in Engineering (${k.id}, ${k.value}) (unchanged)\n`,
    });
    expect(readFileSync(join(tmp, 'ci-once.key'), 'utf8')).toBe(secret);
    expect(await serverState()).toEqual(before);

    // Same name, another restriction: not what the step would have made, so a conflict.
    const other = await noxus(args.map((a) => (a === 'flows_run' ? 'flows_run,flows_edit' : a)));
    expect(other.code).toBe(7);
    expect(other.stderr.split('\n')[0]).toBe(
      `error: key "ci-once" already exists in Engineering (${k.id}) with another restriction (flows_run)`,
    );
    expect(await serverState()).toEqual(before);
  });

  it('service-accounts create: the same inputs again are unchanged; other roles are a conflict', async () => {
    const args = [
      'service-accounts',
      'create',
      'Nightly sync',
      '--workspace',
      'Engineering=Editor',
      '--key',
      'sync',
      '--restrict',
      'flows_run',
      '--expires-in',
      '90d',
      '--json',
    ];
    const first = await noxus(args);
    expect(first.code).toBe(0);
    const f = JSON.parse(first.stdout) as Doc;
    expect(Object.keys(f)).toEqual(['schema_version', 'command', 'changed', 'account', 'key', 'items']);
    expect([f.changed, f.account.email, f.account.kind, f.account.workspaces]).toEqual([
      true,
      'nightly-sync@service-accounts.noxus.local',
      'service',
      [{ workspace: 'Engineering', role: 'Editor' }],
    ]);
    expect([f.key.name, f.key.owner_id, f.key.service_account.id, f.items[0].id]).toEqual([
      'sync',
      f.account.id,
      f.account.id,
      f.key.id,
    ]);
    const before = await serverState();

    const again = await noxus(args);
    expect([again.code, again.stderr]).toEqual([0, '']);
    const g = JSON.parse(again.stdout) as Doc;
    expect([g.changed, g.account.id, g.account.changed, g.key.id, 'secret' in g.key]).toEqual([
      false,
      f.account.id,
      false,
      f.key.id,
      false,
    ]);

    const noKey = await noxus([
      'service-accounts',
      'create',
      'Nightly sync',
      '--workspace',
      'Engineering=Editor',
      '--json',
    ]);
    expect([noKey.code, noKey.stderr]).toEqual([0, '']);
    const n = JSON.parse(noKey.stdout) as Doc;
    expect(Object.keys(n)).toEqual(['schema_version', 'command', 'changed', 'account', 'items']);
    expect([n.changed, n.account.id, n.items[0].id]).toEqual([false, f.account.id, f.account.id]);

    const text = await noxus([
      'service-accounts',
      'create',
      'Nightly sync',
      '--workspace',
      'Engineering=Editor',
    ]);
    expect(text).toEqual({
      code: 0,
      stdout: '',
      stderr: `service account nightly-sync@service-accounts.noxus.local (${f.account.id}) already exists with these roles (unchanged)\n`,
    });

    const otherRole = await noxus([
      'service-accounts',
      'create',
      'Nightly sync',
      '--workspace',
      'Engineering=Reader',
      '--workspace',
      'Marketing=Reader',
    ]);
    expect(otherRole.code).toBe(7);
    expect(otherRole.stderr.split('\n').slice(0, 2)).toEqual([
      'error: service account nightly-sync@service-accounts.noxus.local already exists and is Editor in Engineering (asked Reader); has no role in Marketing (asked Reader)',
      'nothing was changed. To make it match: noxus ws set-role Engineering nightly-sync@service-accounts.noxus.local --role Reader && noxus ws add-member Marketing nightly-sync@service-accounts.noxus.local --role Reader',
    ]);
    expect(await serverState()).toEqual(before);
  });

  it('keys rotate during its overlap is unchanged; the outgoing key is renamed; expiry is explicit', async () => {
    const made = await noxus([
      'keys',
      'create',
      '--workspace',
      'Engineering',
      '--name',
      'rot-ci',
      '--restrict',
      'flows_run',
      '--expires-in',
      '10d',
      '--json',
    ]);
    expect(made.code).toBe(0);
    const old = JSON.parse(made.stdout).key as Doc;

    const first = await noxus(['keys', 'rotate', 'rot-ci', '--overlap', '1h', '--json']);
    expect(first.code).toBe(0);
    const r = JSON.parse(first.stdout) as Doc;
    expect(Object.keys(r)).toEqual(['schema_version', 'command', 'changed', 'replaces', 'key', 'items']);
    expect([r.key.name, r.key.permissions, r.key.rotated_from, r.replaces.id]).toEqual([
      'rot-ci',
      ['flows_run'],
      old.id,
      old.id,
    ]);
    expect(r.replaces.name).toMatch(/^rot-ci \(rotated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/);
    // The old key's lifetime (10 days), counted from the rotation.
    expect(Math.abs(days(r.key) - 10)).toBeLessThan(0.001);
    const before = await serverState();

    const again = await noxus(['keys', 'rotate', 'rot-ci', '--overlap', '1h', '--json']);
    expect([again.code, again.stderr]).toEqual([0, '']);
    const a = JSON.parse(again.stdout) as Doc;
    expect([a.changed, a.key.id, a.replaces.id, a.replaces.name, 'secret' in a.key]).toEqual([
      false,
      r.key.id,
      old.id,
      r.replaces.name,
      false,
    ]);
    const text = await noxus(['keys', 'rotate', 'rot-ci', '--secret-file', 'exists-already.key']);
    expect(text).toEqual({
      code: 0,
      stdout: '',
      stderr: `key "rot-ci" (${r.key.id}) was rotated at ${r.key.created_at}; the previous key ${old.id} ("${r.replaces.name}") keeps working until ${r.replaces.expires_at}. To rotate again now: --force (unchanged)\n`,
    });
    expect(await serverState()).toEqual(before);

    // The name means one key again.
    const explain = await noxus(['keys', 'explain', 'rot-ci', '--json']);
    expect(explain.code).toBe(0);
    expect(JSON.parse(explain.stdout).items[0].id).toBe(r.key.id);

    const forced = await noxus(['keys', 'rotate', 'rot-ci', '--force', '--expires-in', '30d', '--json']);
    expect(forced.code).toBe(0);
    const f = JSON.parse(forced.stdout) as Doc;
    expect([f.changed, f.replaces.id, f.replaces.name, f.key.permissions]).toEqual([
      true,
      r.key.id,
      'rot-ci',
      ['flows_run'],
    ]);
    expect(f.replaces.revoked_at).not.toBeNull();
    expect(Math.abs(days(f.key) - 30)).toBeLessThan(0.001);
  });
});
