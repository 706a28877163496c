// Every command that produces a secret checks its target file before it writes anything to the
// server; when the file still cannot be written after the server made the key, the secret is
// delivered on stdout and the exit code is 1.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../faults/proxy.js';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { actAs, activityCount, groupId, userByEmail } from './support.js';

let sbx: TestSandbox;
let proxy: FaultProxy;
let work: string;
let wsKey: { id: string; value: string };
let sysKeyId: string;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  proxy = await startFaultProxy(sbx.url);
  work = mkdtempSync(join(tmpdir(), 'noxus-secret-targets-'));
  wsKey = await actAs(sbx, 'ada@example.com', 'Engineering');
  const sys = await sbx.call('POST', '/v1/admin/system-keys', {
    body: { name: 'dir-sync', permissions: ['users:read'] },
  });
  expect(sys.status, sys.text).toBe(201);
  sysKeyId = sys.body.id;
  writeFileSync(join(work, 'taken.key'), 'old secret\n');
  writeFileSync(join(work, 'plain-file'), '');
});
afterAll(async () => {
  await proxy?.close();
  await sbx?.cleanup();
});

const cli = (args: string[], url = sbx.url) =>
  runCli(args, { configDir: tempConfigDir(), env: { NOXUS_API_KEY: sbx.adminKey, NOXUS_BACKEND_URL: url } });

/** What a secret-producing command could change: keys, system keys, users, the activity log. */
async function serverState() {
  const all = async (path: string) => {
    const r = await sbx.call('GET', path);
    expect(r.status, r.text).toBe(200);
    // Reading with the bootstrap key touches its last use; that is not a change by the command.
    return JSON.stringify(r.body, (k, v) => (k === 'last_used_at' || k === 'last_active_at' ? undefined : v));
  };
  return {
    keys: await all('/v1/admin/api-keys?status=all'),
    system: await all('/v1/admin/system-keys'),
    users: await all('/v1/admin/users'),
    activity: await activityCount(sbx),
  };
}

const commands: Array<[string, () => string[]]> = [
  [
    'keys create',
    () => ['keys', 'create', '--workspace', 'Engineering', '--name', 'ci', '--restrict', 'flows_run'],
  ],
  ['keys rotate', () => ['keys', 'rotate', wsKey.id]],
  [
    'keys system create',
    () => ['keys', 'system', 'create', '--name', 'sync2', '--permissions', 'users:read'],
  ],
  ['keys system rotate', () => ['keys', 'system', 'rotate', sysKeyId]],
  [
    'service-accounts create --key',
    () => ['service-accounts', 'create', 'CI bot', '--workspace', 'Engineering=Editor', '--key', 'deploy'],
  ],
];

describe.each(commands)('%s with a bad --secret-file writes nothing to the server', (_name, args) => {
  it('an existing file: exit 2', async () => {
    const before = await serverState();
    const target = join(work, 'taken.key');
    const r = await cli([...args(), '--secret-file', target]);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: --secret-file ${target} already exists; the secret is only written to a new file\nnothing was changed; name a new file\n`,
    });
    expect(await serverState()).toEqual(before);
  });

  it('a directory that does not exist: exit 2', async () => {
    const before = await serverState();
    const r = await cli([...args(), '--secret-file', join(work, 'missing', 'x.key')]);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: --secret-file: directory ${join(work, 'missing')} does not exist\nnothing was changed\n`,
    });
    expect(await serverState()).toEqual(before);
  });

  it('a "directory" that is a file: exit 2', async () => {
    const before = await serverState();
    const r = await cli([...args(), '--secret-file', join(work, 'plain-file', 'x.key')]);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: --secret-file: ${join(work, 'plain-file')} is not a directory\nnothing was changed\n`,
    });
    expect(await serverState()).toEqual(before);
  });
});

it('offboard --secrets-dir that cannot be a directory: exit 2 before anything is read or written', async () => {
  const before = await serverState();
  const r = await cli([
    'offboard',
    'ada@example.com',
    '--yes',
    '--secrets-dir',
    join(work, 'plain-file', 'secrets'),
  ]);
  expect(r).toEqual({
    code: 2,
    stdout: '',
    stderr: `error: --secrets-dir: ${join(work, 'plain-file')} is not a directory\nnothing was changed\n`,
  });
  expect(await serverState()).toEqual(before);
});

it('offboard --secrets-dir that other users can read: exit 2 before anything is read or written', async () => {
  const open = join(work, 'open-secrets');
  mkdirSync(open, { mode: 0o755 });
  chmodSync(open, 0o755); // whatever the umask
  const before = await serverState();
  const r = await cli(['offboard', 'ada@example.com', '--yes', '--secrets-dir', open]);
  expect(r).toEqual({
    code: 2,
    stdout: '',
    stderr: `error: --secrets-dir: ${open} can be read by other users (mode 0755); the secrets would be too: chmod 700 ${open}\nnothing was changed\n`,
  });
  expect(await serverState()).toEqual(before);
});

it('keys rotate whose file appears while the server rotates: the new secret is on stdout, exit 1', async () => {
  const key = await actAs(sbx, 'ada@example.com', 'Engineering');
  const target = join(work, 'late.key');
  proxy.reset();
  proxy.script({
    method: 'POST',
    path: `/v1/admin/api-keys/${key.id}/rotate`,
    fault: { type: 'delay', ms: 1500 },
  });
  const run = cli(['keys', 'rotate', key.id, '--secret-file', target], proxy.url);
  // Another program takes the file name between the check and the write.
  while (!proxy.requests.some((q) => q.method === 'POST')) await new Promise((r) => setTimeout(r, 20));
  writeFileSync(target, 'someone else\n');
  const r = await run;

  expect(r.code).toBe(1);
  const secret = r.stdout.trim();
  expect(r.stdout).toMatch(/^noxus_[A-Za-z0-9]+\n$/);
  const me = await sbx.call('GET', '/v1/admin/me', { key: secret });
  expect(me.status).toBe(200);
  const newId = me.body.id as string;
  expect(r.stderr).toBe(
    `old key ${key.id} is revoked\n` +
      `warning: created key "${me.body.name}" (${newId}) but could not write ${target} (EEXIST); its secret follows on stdout, shown once: store it now\n` +
      `error: the secret of key "${me.body.name}" could not be written to ${target} (EEXIST); it was printed to stdout instead\n` +
      'store it now: it is not shown again\n',
  );
});

it('offboard whose --secrets-dir is replaced during a rotation: the secret is on stdout, exit 1', async () => {
  const grace = await userByEmail(sbx, 'grace@example.com');
  const minted = await sbx.call('POST', '/v1/sandbox/act-as', {
    body: { user_id: grace?.id, group_id: await groupId(sbx, 'Engineering'), tenant_admin: true },
  });
  expect(minted.status, minted.text).toBe(201);
  const sys = await sbx.call('POST', '/v1/admin/system-keys', {
    key: minted.body.value,
    body: { name: 'grace-sync', permissions: ['users:read'] },
  });
  expect(sys.status, sys.text).toBe(201);
  const secrets = join(work, 'offboard-secrets');
  const reports = join(work, 'offboard-reports');
  proxy.reset();
  proxy.script({
    method: 'POST',
    path: `/v1/admin/system-keys/${sys.body.id}/rotate`,
    fault: { type: 'delay', ms: 1500 },
  });
  const run = cli(
    ['offboard', 'grace@example.com', '--yes', '--secrets-dir', secrets, '--report-dir', reports],
    proxy.url,
  );
  while (!proxy.requests.some((q) => q.url.endsWith('/rotate'))) await new Promise((r) => setTimeout(r, 20));
  rmSync(secrets, { recursive: true, force: true });
  writeFileSync(secrets, 'not a directory any more\n');
  const r = await run;

  expect(r.code, r.stderr).toBe(1);
  const lines = r.stdout.trim().split('\n');
  expect(lines.length).toBeGreaterThan(0);
  const working = [];
  for (const s of lines)
    if ((await sbx.call('GET', '/v1/admin/me', { key: s })).status === 200) working.push(s);
  expect(working).toHaveLength(lines.length);
  expect(r.stderr).toContain('warning: new secret of "grace-sync" (');
  expect(r.stderr).toMatch(
    new RegExp(
      `error: offboarded grace@example\\.com, but 1 secret file\\(s\\) could not be written: ${secrets.replace(/[.\\/-]/g, '\\$&')}/grace-sync-[0-9a-f-]+\\.key \\(ENOTDIR\\); those secrets were printed to stdout instead\\n` +
        'store them now: they are not shown again; report: .+\\.md\\n$',
    ),
  );
});
