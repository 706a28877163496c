// Interactive `keys create` on a (fake) terminal against real sandboxes: the console's "Restrict
// permissions" toggle (default yes), a checkbox of what the holder can grant, an expiry with the
// documented default, and a summary that names an unrestricted key as such. A server that cannot
// restrict or expire keys is not asked: the command says so and asks for a confirmation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_KEY_EXPIRY } from '../../src/commands/keys/create.js';
import type { Env } from '../../src/io/streams.js';
import { actAs } from '../e2e/support.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ENTER, pick, runInProcess, type Step, scriptedPrompter, tempDir } from './support.js';

let sbx: TestSandbox;
let pub: TestSandbox;
let env: Env;
let pubEnv: Env;

const envFor = (s: TestSandbox, key = s.adminKey): Env => ({
  NOXUS_API_KEY: key,
  NOXUS_BACKEND_URL: s.url,
  NOXUS_CONFIG_DIR: tempDir(),
  NO_COLOR: '1',
});

beforeAll(async () => {
  [sbx, pub] = await Promise.all([
    startTestSandbox({ seed: 'demo' }),
    startTestSandbox({ seed: 'demo', api: 'public', unknownRoutes: 'fastapi' }),
  ]);
  env = envFor(sbx);
  pubEnv = envFor(pub);
});
afterAll(async () => {
  await Promise.all([sbx?.cleanup(), pub?.cleanup()]);
});

const DAY = 86_400_000;
const EXPIRY_Q = 'Expires in (30d, 12h, 2w … or "none")';
const UNRESTRICTED = 'unrestricted (everything its holder can do in the workspace, now and later)';

/** The key as the server stores it, by name. */
async function serverKey(s: TestSandbox, name: string) {
  const r = await s.call('GET', '/v1/admin/api-keys');
  expect(r.status, r.text).toBe(200);
  const items = (Array.isArray(r.body) ? r.body : r.body.items) as Array<Record<string, unknown>>;
  const found = items.filter((k) => k.name === name);
  expect(found).toHaveLength(1);
  return found[0] as { restricted: boolean; permissions: string[] | null; expires_at: string | null };
}

/** Ticks the permissions with these names (the choice values), each of which must be offered. */
const tickPerms =
  (...perms: string[]) =>
  (o: { choices?: Array<{ value: unknown }> }) =>
    perms.map((v) => {
      if (!o.choices?.some((c) => c.value === v)) throw new Error(`no choice ${v}`);
      return v;
    });

describe('keys create in a terminal', () => {
  it('asks the workspace, the name, "Restrict permissions?" (yes by default), the permissions and an expiry (90d by default)', async () => {
    expect(DEFAULT_KEY_EXPIRY).toBe('90d');
    const prompter = scriptedPrompter([
      { kind: 'select', message: 'Workspace', answer: pick('Marketing') },
      { kind: 'input', message: 'Key name', answer: 'laptop' },
      {
        kind: 'confirm',
        message: 'Restrict permissions?',
        answer: ENTER,
        check: (o) => expect(o.default).toBe(true),
      },
      {
        kind: 'checkbox',
        message: 'Permissions for the key in Marketing',
        answer: tickPerms('flows_run', 'kbs_query'),
        check: (o) => {
          // The owner is an org admin: every workspace permission can be granted.
          expect(o.choices.map((c) => c.value)).toContain('workspace_admin');
          expect(o.choices.filter((c) => c.disabled)).toEqual([]);
          expect(o.required).toBe(true);
        },
      },
      {
        kind: 'input',
        message: EXPIRY_Q,
        answer: ENTER,
        check: (o) => {
          expect(o.default).toBe('90d');
          expect(o.validate?.('soon')).toBe(
            'a duration like 30d, 12h or 2w, or "none" for a key that never expires',
          );
          expect(o.validate?.('none')).toBe(true);
          expect(o.validate?.('2w')).toBe(true);
        },
      },
      { kind: 'confirm', message: 'Create key "laptop" in Marketing?', answer: true },
    ]);
    const before = Date.now();
    const r = await runInProcess(['keys', 'create', '--json'], { env, prompter });
    const after = Date.now();
    expect(prompter.remaining()).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    const expires = /^ {2}expires: (\S+)$/m.exec(r.stderr)?.[1] as string;
    expect(r.stderr).toContain(
      'About to create key "laptop" in Marketing, held by owner@example.com:\n' +
        '  permissions: flows_run, kbs_query\n' +
        '  effective now: flows_run, kbs_query\n' +
        `  expires: ${expires}\n`,
    );
    expect(Date.parse(expires)).toBeGreaterThanOrEqual(before + 90 * DAY);
    expect(Date.parse(expires)).toBeLessThanOrEqual(after + 90 * DAY);
    const key = await serverKey(sbx, 'laptop');
    expect(key).toMatchObject({ restricted: true, expires_at: expires });
    expect([...(key.permissions ?? [])].sort()).toEqual(['flows_run', 'kbs_query']);
  });

  it('says "unrestricted" in the summary when the toggle is answered no; "none" is a key that never expires', async () => {
    const prompter = scriptedPrompter([
      { kind: 'confirm', message: 'Restrict permissions?', answer: false },
      { kind: 'input', message: EXPIRY_Q, answer: 'none' },
      { kind: 'confirm', message: 'Create key "wide open" in Support?', answer: true },
    ]);
    const r = await runInProcess(
      ['keys', 'create', '--workspace', 'Support', '--name', 'wide open', '--json'],
      {
        env,
        prompter,
      },
    );
    expect(prompter.remaining()).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'About to create key "wide open" in Support, held by owner@example.com:\n' +
        `  permissions: ${UNRESTRICTED}\n` +
        '  effective now: flows_edit, flows_delete, flows_run, flows_advanced, agents_edit, agents_delete, ' +
        'agents_run, agents_advanced, kbs_edit, kbs_delete, kbs_query, kbs_advanced, integrations_edit, ' +
        'users_edit, users_delete, workspace_admin\n' +
        '  expires: never\n',
    );
    expect(await serverKey(sbx, 'wide open')).toMatchObject({ restricted: false, expires_at: null });
  });

  it('shows the permissions the holder lacks disabled, with the reason', async () => {
    const alan = await actAs(sbx, 'alan@example.com', 'Support');
    const prompter = scriptedPrompter([
      { kind: 'confirm', message: 'Restrict permissions?', answer: true },
      {
        kind: 'checkbox',
        message: 'Permissions for the key in Support',
        answer: tickPerms('flows_run'),
        check: (o) => {
          const state = Object.fromEntries(o.choices.map((c) => [c.value, c.disabled]));
          // Reader: flows_run, agents_run and kbs_query; everything else is shown, and why not.
          expect(state.flows_run).toBe(false);
          expect(state.kbs_query).toBe(false);
          expect(state.flows_edit).toBe('lacking (you (alan@example.com): role Reader)');
          expect(state.workspace_admin).toBe('lacking (you (alan@example.com): role Reader)');
        },
      },
      { kind: 'input', message: EXPIRY_Q, answer: '12h' },
      { kind: 'confirm', message: 'Create key "alan runner" in Support?', answer: true },
    ]);
    const r = await runInProcess(
      ['keys', 'create', '--workspace', 'Support', '--name', 'alan runner', '--json'],
      { env: envFor(sbx, alan.value), prompter },
    );
    expect(prompter.remaining()).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('  permissions: flows_run\n');
    const key = await serverKey(sbx, 'alan runner');
    expect(key).toMatchObject({ restricted: true, permissions: ['flows_run'] });
  });

  it('asks neither question when --no-restrict and --expires-in none decide them', async () => {
    const prompter = scriptedPrompter([
      { kind: 'confirm', message: 'Create key "flagged" in Finance?', answer: true },
    ]);
    const r = await runInProcess(
      [
        'keys',
        'create',
        '--workspace',
        'Finance',
        '--name',
        'flagged',
        '--no-restrict',
        '--expires-in',
        'none',
      ],
      { env, prompter },
    );
    expect(prompter.remaining()).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`  permissions: ${UNRESTRICTED}\n`);
    expect(r.stderr).toContain('  expires: never\n');
    expect(await serverKey(sbx, 'flagged')).toMatchObject({ restricted: false, expires_at: null });
  });

  it('without a terminal asks nothing: no --restrict is unrestricted, no expiry flag never expires', async () => {
    const r = await runInProcess(
      ['keys', 'create', '--workspace', 'Finance', '--name', 'ci plain', '--json'],
      {
        env,
        tty: false,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(await serverKey(sbx, 'ci plain')).toMatchObject({ restricted: false, expires_at: null });
  });

  it('refuses --expires-in none with --expires-at (exit 2)', async () => {
    const r = await runInProcess(
      [
        'keys',
        'create',
        '--workspace',
        'Finance',
        '--name',
        'x',
        '--expires-in',
        'none',
        '--expires-at',
        '2099-01-01T00:00:00Z',
      ],
      { env, tty: false },
    );
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('error: give --expires-in or --expires-at, not both');
  });
});

describe('keys create in a terminal, on a server that cannot restrict or expire keys', () => {
  it('does not ask; says the key will be unrestricted and never expire, and why; then confirms', async () => {
    const steps: Step[] = [
      { kind: 'confirm', message: 'Create key "public laptop" in Marketing?', answer: true },
    ];
    const prompter = scriptedPrompter(steps);
    const r = await runInProcess(
      ['keys', 'create', '--workspace', 'Marketing', '--name', 'public laptop', '--json'],
      { env: pubEnv, prompter },
    );
    expect(prompter.asked).toEqual(['confirm: Create key "public laptop" in Marketing?']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning: this server cannot restrict keys (POST /v1/admin/groups/{group_id}/api-keys takes no permissions in /openapi.json): ' +
        'the key will be unrestricted, with everything its holder can do in Marketing\n' +
        'warning: this server cannot set an expiry (POST /v1/admin/groups/{group_id}/api-keys takes no expires_at in /openapi.json): ' +
        'the key will not expire\n',
    );
    expect(r.stderr).toContain(`  permissions: ${UNRESTRICTED}\n`);
    expect(r.stderr).toContain('  expires: never\n');
    expect(JSON.parse(r.stdout).items[0]).toMatchObject({ name: 'public laptop' });
  });

  it('answering no at the confirmation creates nothing (exit 130)', async () => {
    const prompter = scriptedPrompter([
      { kind: 'confirm', message: 'Create key "public no" in Marketing?', answer: false },
    ]);
    const r = await runInProcess(['keys', 'create', '--workspace', 'Marketing', '--name', 'public no'], {
      env: pubEnv,
      prompter,
    });
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
  });
});
