// Org role changes confirm on a terminal and need --yes without one; taking org admin away from
// yourself, or suspending yourself, is refused unless --force; --dry-run names the target as you.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/io/streams.js';
import { groupId, snapshot, userByEmail } from '../e2e/support.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { runInProcess, scriptedPrompter, tempDir } from './support.js';

let sbx: TestSandbox;
let env: Env;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  // The bootstrap key is held by owner@example.com, an org admin (ada and grace are the others).
  env = {
    NOXUS_API_KEY: sbx.adminKey,
    NOXUS_BACKEND_URL: sbx.url,
    NOXUS_CONFIG_DIR: tempDir(),
    NO_COLOR: '1',
  };
});
afterAll(async () => {
  await sbx?.cleanup();
});

const orgRole = async (email: string) => (await userByEmail(sbx, email))?.org_role?.name;

describe('changing an org role', () => {
  it('off a terminal without --yes: exit 2 with the command to run, nothing changed', async () => {
    const before = await snapshot(sbx);
    const r = await runInProcess(['users', 'update', 'ken@example.com', '--org-role', 'Org Admin'], {
      env,
      tty: false,
    });
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to change the org role of ken@example.com from Org Base to Org Admin without confirmation (not a terminal)\n' +
        'run: noxus users update ken@example.com --org-role "Org Admin" --yes\n',
    });
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('on a terminal it asks; "no" is exit 130 and nothing changes', async () => {
    const before = await snapshot(sbx);
    const prompter = scriptedPrompter([
      {
        kind: 'confirm',
        message: 'Change the org role of ken@example.com from Org Base to Org Admin?',
        answer: false,
        check: (o) => expect(o.default).toBe(false),
      },
    ]);
    const r = await runInProcess(['users', 'update', 'ken@example.com', '--org-role', 'Org Admin'], {
      env,
      prompter,
    });
    expect(r).toEqual({ code: 130, stdout: '', stderr: 'error: cancelled; nothing changed\n' });
    expect(prompter.remaining()).toBe(0);
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('on a terminal, "yes" changes it', async () => {
    const prompter = scriptedPrompter([
      {
        kind: 'confirm',
        message: 'Change the org role of ken@example.com from Org Base to Org Admin?',
        answer: true,
      },
    ]);
    const r = await runInProcess(['users', 'update', 'ken@example.com', '--org-role', 'Org Admin'], {
      env,
      prompter,
    });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ ken@example.com: org role Org Base → Org Admin\n' });
    expect(await orgRole('ken@example.com')).toBe('Org Admin');
    const back = await runInProcess(
      ['users', 'update', 'ken@example.com', '--org-role', 'Org Base', '--yes'],
      {
        env,
        tty: false,
      },
    );
    expect(back.code).toBe(0);
    expect(await orgRole('ken@example.com')).toBe('Org Base');
  });

  it('a profile-only change (no org role) asks nothing and needs no --yes', async () => {
    const r = await runInProcess(['users', 'update', 'ken@example.com', '--display-name', 'Kenneth'], {
      env,
      tty: false,
    });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ ken@example.com: display name Ken → Kenneth\n' });
  });
});

describe('yourself', () => {
  it('--dry-run of demoting yourself names the target as you', async () => {
    const r = await runInProcess(
      ['users', 'update', 'owner@example.com', '--org-role', 'Org Base', '--dry-run'],
      { env, tty: false },
    );
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'would change org role of owner@example.com (you): Org Admin → Org Base\n' +
        'warning: this takes org admin away from the key you are using; it needs --force\n',
    });
    const j = await runInProcess(
      ['users', 'update', 'owner@example.com', '--org-role', 'Org Base', '--dry-run', '--json'],
      { env, tty: false },
    );
    expect(JSON.parse(j.stdout)).toMatchObject({ command: 'users update', self: true, dry_run: true });
  });

  it('demoting yourself is refused even with --yes, and on a terminal before any prompt', async () => {
    const before = await snapshot(sbx);
    const expected = {
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to take org admin away from yourself: owner@example.com holds the key in use, which would lose org admin\n' +
        'if that is what you want, run: noxus users update owner@example.com --org-role "Org Base" --force --yes; nothing changed\n',
    };
    const r = await runInProcess(
      ['users', 'update', 'owner@example.com', '--org-role', 'Org Base', '--yes'],
      {
        env,
        tty: false,
      },
    );
    expect(r).toEqual(expected);
    const t = await runInProcess(['users', 'update', 'owner@example.com', '--org-role', 'Org Base'], {
      env,
      prompter: scriptedPrompter([]),
    });
    expect(t).toEqual(expected);
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('suspending yourself is refused unless --force; --dry-run names you', async () => {
    const before = await snapshot(sbx);
    const dry = await runInProcess(['users', 'suspend', 'owner@example.com', '--dry-run'], {
      env,
      tty: false,
    });
    expect(dry).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'would suspend owner@example.com (you) (now active); nothing changed\n' +
        'warning: this suspends the holder of the key you are using; it needs --force\n',
    });
    const r = await runInProcess(['users', 'suspend', 'owner@example.com', '--yes'], { env, tty: false });
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to suspend yourself: owner@example.com holds the key in use, which would stop working at once\n' +
        'if that is what you want, run: noxus users suspend owner@example.com --force --yes; nothing changed\n',
    });
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('suspending someone else is not "yourself"', async () => {
    const r = await runInProcess(['users', 'suspend', 'ken@example.com', '--dry-run'], { env, tty: false });
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would suspend ken@example.com (now active); nothing changed\n',
    });
  });

  it('with --force --yes an org admin can step down', async () => {
    const ada = await userByEmail(sbx, 'ada@example.com');
    const minted = await sbx.call('POST', '/v1/sandbox/act-as', {
      body: { user_id: ada?.id, group_id: await groupId(sbx, 'Engineering'), tenant_admin: true },
    });
    expect(minted.status, minted.text).toBe(201);
    const adaEnv = { ...env, NOXUS_API_KEY: minted.body.value };
    const refused = await runInProcess(
      ['users', 'update', 'ada@example.com', '--org-role', 'Org Base', '--yes'],
      {
        env: adaEnv,
        tty: false,
      },
    );
    expect(refused.code).toBe(2);
    expect(await orgRole('ada@example.com')).toBe('Org Admin');
    const r = await runInProcess(
      ['users', 'update', 'ada@example.com', '--org-role', 'Org Base', '--yes', '--force'],
      { env: adaEnv, tty: false },
    );
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ ada@example.com: org role Org Admin → Org Base\n' });
    expect(await orgRole('ada@example.com')).toBe('Org Base');
  });
});
