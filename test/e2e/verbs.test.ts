// The verbs users looked for and did not find (issue 13, item 8), spawned as a user runs them
// against a real demo sandbox, without a terminal (so confirmations need --yes).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { userByEmail } from './support.js';

let sbx: TestSandbox;
let cfg: string;
const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

const run = (...args: string[]) =>
  runCli([...args, '--url', sbx.url], { configDir: cfg, env: { NOXUS_API_KEY: sbx.adminKey } });

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  cfg = tempConfigDir();
});
afterAll(async () => {
  await sbx?.cleanup();
});

describe('users remove', () => {
  const tip =
    'tip: noxus offboard tim@example.com runs the full checklist (access review, resource transfer, rotating shared keys)\n';

  it('needs --yes without a terminal, and --dry-run changes nothing', async () => {
    expect(await run('users', 'remove', 'tim@example.com')).toEqual({
      code: 2,
      stdout: '',
      stderr: `${tip}error: refusing to remove tim@example.com from the organization, revoking their keys without confirmation (not a terminal)\nrun: noxus users remove tim@example.com --yes\n`,
    });
    expect(await run('users', 'remove', 'tim@example.com', '--dry-run')).toEqual({
      code: 0,
      stdout: '',
      stderr: `would remove tim@example.com from the organization: memberships deleted, their keys and every key whose secret they saw revoked, pending invitations withdrawn; resources and activity kept; nothing changed\n${tip}`,
    });
    expect((await userByEmail(sbx, 'tim@example.com'))?.status).toBe('suspended');
  });

  it('removes with --yes, and users get then says when', async () => {
    expect(await run('users', 'remove', 'tim@example.com', '--yes')).toEqual({
      code: 0,
      stdout: '',
      stderr: `${tip}✓ removed tim@example.com from the organization; revoked 0 keys\n`,
    });
    expect((await userByEmail(sbx, 'tim@example.com'))?.status).toBe('removed');
    // Run twice: the second removal is a no-op that exits 0.
    const again = await run('users', 'remove', 'tim@example.com', '--yes');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(
      new RegExp(`^✓ tim@example\\.com was already removed on ${ISO} \\(unchanged\\)\n$`),
    );
    const got = await run('users', 'get', 'tim@example.com');
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(new RegExp(`\nstatus\tremoved\nremoved\t${ISO}\norg_role\tOrg Base\n`));
    expect(got.stderr).toMatch(
      new RegExp(
        `^warning: tim@example\\.com was removed from the organization on ${ISO}; their resources and activity are kept\n$`,
      ),
    );
    const json = JSON.parse((await run('users', 'get', 'tim@example.com', '--json')).stdout);
    expect(json.items[0]).toMatchObject({ email: 'tim@example.com', status: 'removed' });
    expect(json.items[0].removed_at).toMatch(new RegExp(`^${ISO}$`));
  });

  it('refuses yourself without --force', async () => {
    expect(await run('users', 'remove', 'owner@example.com', '--yes')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to remove yourself: owner@example.com holds the key in use, which would stop working at once\nif that is what you want, run: noxus users remove owner@example.com --force --yes; nothing changed\n',
    });
    expect((await userByEmail(sbx, 'owner@example.com'))?.status).toBe('active');
  });

  it('never removes the last admin (the server answers 409: exit 7)', async () => {
    const empty = await startTestSandbox();
    try {
      const r = await runCli(
        ['users', 'remove', 'owner@example.com', '--force', '--yes', '--url', empty.url],
        {
          configDir: tempConfigDir(),
          env: { NOXUS_API_KEY: empty.adminKey },
        },
      );
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(
        /\nerror: conflict \(HTTP 409\): owner@example\.com is the last active org admin and cannot be removed; make another user org admin first \(request id req_[\w-]+\)\n$/,
      );
    } finally {
      await empty.cleanup();
    }
  });
});

describe('invitations list and cancel', () => {
  it('lists pending invitations by default and others with --status', async () => {
    const r = await run('invitations', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^newhire@example\\.com\tpending\tsent\t${ISO}\t${ISO}\t[0-9a-f-]{36}\n$`),
    );
    const expired = await run('invitations', 'list', '--status', 'expired');
    expect(expired.stdout).toMatch(/^contractor@example\.com\texpired\t/);
  });

  it('cancels with --yes; the link stops working at once', async () => {
    const u = await sbx.call('POST', '/v1/admin/users', {
      body: { email: 'late@example.com', name: 'Late Comer' },
    });
    const eml = readFileSync(u.body.invitation.delivered_to.slice('outbox:'.length), 'utf8')
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_m: string, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    const token = /\/invite\/([0-9A-Za-z]+)/.exec(eml)?.[1] as string;
    expect((await sbx.call('GET', `/v1/invitations/${token}`, { key: null })).status).toBe(200);
    const id = u.body.invitation.invitation_id;
    expect(await run('invitations', 'cancel', 'late@example.com')).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: refusing to cancel the invitation of late@example.com (its link stops working) without confirmation (not a terminal)\nrun: noxus invitations cancel ${id} --yes\n`,
    });
    expect(await run('invitations', 'cancel', 'late@example.com', '--yes')).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ cancelled the invitation of late@example.com; its link no longer works (send a new one with: noxus users resend-invite late@example.com)\n',
    });
    expect((await sbx.call('GET', `/v1/invitations/${token}`, { key: null })).status).toBe(410);
    expect(await run('invitations', 'cancel', id, '--yes')).toEqual({
      code: 0,
      stdout: '',
      stderr: '✓ the invitation of late@example.com was already cancelled (unchanged)\n',
    });
    expect(await run('invitations', 'cancel', 'newhre@example.com', '--yes')).toEqual({
      code: 5,
      stdout: '',
      stderr: 'error: no invitation for newhre@example.com\ndid you mean newhire@example.com?\n',
    });
  });
});

describe('roles update', () => {
  it('changes a role in use, effective at once for its holders and their keys', async () => {
    expect((await run('roles', 'create', '--name', 'Runner', '--permissions', 'flows_run')).code).toBe(0);
    expect((await run('ws', 'add-member', 'Support', 'radia@example.com', '--role', 'Runner')).code).toBe(0);
    const act = await sbx.call('POST', '/v1/sandbox/act-as', {
      body: { user_id: 'radia@example.com', group_id: 'Support' },
    });
    const key = act.body.value as string;
    expect((await sbx.call('GET', '/v1/workflows', { key })).status).toBe(200);
    const no = await run('roles', 'update', 'Runner', '--grant', 'kbs_query', '--revoke', 'flows_run');
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(
      /^error: refusing to change role Runner \(workspace\): grants kbs_query; no longer grants flows_run, for its holders and their keys at once without confirmation \(not a terminal\)\nrun: noxus roles update [0-9a-f-]{36} --grant kbs_query --revoke flows_run --yes\n$/,
    );
    expect(
      await run('roles', 'update', 'Runner', '--grant', 'kbs_query', '--revoke', 'flows_run', '--yes'),
    ).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ changed role Runner (workspace): grants kbs_query; no longer grants flows_run; in effect now for its holders and their keys\n',
    });
    expect((await sbx.call('GET', '/v1/workflows', { key })).status).toBe(403);
    expect((await sbx.call('GET', '/v1/knowledge-bases', { key })).status).toBe(200);
  });

  it('refuses built-in roles, emptying a role and unknown permissions', async () => {
    expect(await run('roles', 'update', 'Editor', '--grant', 'flows_run')).toEqual({
      code: 7,
      stdout: '',
      stderr: 'error: "Editor" is a built-in role and cannot be changed\n',
    });
    expect(await run('roles', 'update', 'Runner', '--revoke', 'kbs_query', '--yes')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: role Runner would grant nothing; a role must grant at least one permission\ngrant another one in the same command: --grant PERMISSION, or delete it: noxus roles delete "Runner"\n',
    });
    expect(await run('roles', 'update', 'Runner', '--grant', 'kbs_qurey')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: unknown permission kbs_qurey\nkbs_qurey: did you mean kbs_query?\n',
    });
  });
});

describe('ws rename', () => {
  it('renames, refuses a taken name, and says unchanged for the same name', async () => {
    const r = await run('ws', 'rename', 'Finance', 'Treasury');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^✓ renamed workspace Finance to Treasury \([0-9a-f-]{36}\)\n$/);
    expect((await run('ws', 'get', 'Treasury')).code).toBe(0);
    const taken = await run('ws', 'rename', 'Treasury', 'marketing');
    expect(taken.code).toBe(7);
    expect(taken.stderr).toMatch(/^error: a workspace named "Marketing" already exists/);
    expect(await run('ws', 'rename', 'Treasury', 'Treasury')).toEqual({
      code: 0,
      stdout: '',
      stderr: '✓ workspace Treasury already has that name (unchanged)\n',
    });
  });
});

describe('profiles remove', () => {
  it('removes a profile and its stored key; the profile in use only with --force', async () => {
    const dir = tempConfigDir();
    const cli = (...args: string[]) => runCli(args, { configDir: dir, input: sbx.adminKey });
    for (const p of ['walk', 'other'])
      expect(
        (
          await cli(
            'auth',
            'login',
            '--with-token',
            '--credential-store',
            'file',
            '--profile',
            p,
            '--url',
            sbx.url,
          )
        ).code,
      ).toBe(0);
    expect((await cli('profiles', 'use', 'walk')).code).toBe(0);
    expect(await cli('profiles', 'remove', 'walk', '--yes')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to remove profile walk: it is the profile in use\nswitch first (noxus profiles use OTHER), or run: noxus profiles remove walk --force --yes\n',
    });
    expect(await cli('profiles', 'remove', 'other')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to remove profile other and its stored key without confirmation (not a terminal)\nrun: noxus profiles remove other --yes\n',
    });
    const otherKey = join(dir, 'credentials', 'other.key');
    expect(await cli('profiles', 'remove', 'other', '--yes')).toEqual({
      code: 0,
      stdout: '',
      stderr: `✓ removed profile other; removed its key from file ${otherKey} (plaintext, 0600)\n`,
    });
    expect(existsSync(otherKey)).toBe(false);
    expect(existsSync(join(dir, 'credentials', 'walk.key'))).toBe(true);
    const forced = await cli('profiles', 'remove', 'walk', '--force', '--yes');
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('no profile is current now: pick one with noxus profiles use NAME\n');
    expect(JSON.parse((await cli('profiles', 'list', '--json')).stdout).items).toEqual([]);
    expect(await cli('profiles', 'remove', 'wlk', '--yes')).toEqual({
      code: 5,
      stdout: '',
      stderr: 'error: no profile wlk\nthere are no profiles\n',
    });
  });
});

describe('sandbox start --reset', () => {
  it('warns that a second --seed is ignored, and --reset wipes only with --yes off a terminal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noxus-reset-'));
    const data = join(dir, 'data');
    const cli = (...args: string[]) => runCli(args, { configDir: dir });
    const start = (...extra: string[]) =>
      cli('sandbox', 'start', '--detach', '--port', '0', '--data', data, '--no-profile-setup', ...extra);
    try {
      const first = await start('--seed', 'demo');
      expect(first.code).toBe(0);
      const firstKey = first.stdout.trim();
      expect((await cli('sandbox', 'stop', '--data', data)).code).toBe(0);
      const again = await start('--seed', 'demo');
      expect(again.code).toBe(0);
      expect(again.stdout).toBe('');
      expect(again.stderr.split('\n')[0]).toBe(
        `warning: --seed demo was ignored: ${data} already holds an organization, and a seed fills only a new one; to start afresh run: noxus sandbox start --reset --seed demo`,
      );
      expect((await cli('sandbox', 'stop', '--data', data)).code).toBe(0);
      expect(await start('--reset')).toEqual({
        code: 2,
        stdout: '',
        stderr: `error: refusing to wipe the sandbox organization in ${data} (its users, keys and activity) without confirmation (not a terminal)\nrun: noxus sandbox start --reset --data ${data} --detach --yes\n`,
      });
      expect(readFileSync(join(data, 'admin-key'), 'utf8').trim()).toBe(firstKey);
      const wiped = await start('--reset', '--yes');
      expect(wiped.code).toBe(0);
      expect(wiped.stderr.split('\n')[0]).toBe(`wiped the organization in ${data}`);
      const newKey = wiped.stdout.trim();
      expect(newKey).toMatch(/^noxus_/);
      expect(newKey).not.toBe(firstKey);
    } finally {
      await cli('sandbox', 'stop', '--data', data);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
