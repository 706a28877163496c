// The interactive walk through the web console on the public-only sandbox: `users add` and
// `ws add-member` on a (fake) terminal with scripted answers; the test does each console action
// through the sandbox's stand-in before saying "done", as the operator would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/io/streams.js';
import { consoleClient } from '../helpers/console.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { pick, runInProcess, scriptedPrompter, tempDir, tick } from './support.js';

let sbx: TestSandbox;
let env: Env;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo', api: 'public' });
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

const emails = async () =>
  ((await sbx.call('GET', '/v1/admin/users')).body as Array<{ email: string }>).map((u) => u.email);

describe('users add on a terminal, public API', () => {
  it('asks the documented values, then walks Settings → Users → Add user and verifies the user appears', async () => {
    const console = consoleClient(sbx.url, sbx.adminKey);
    const prompter = scriptedPrompter([
      { kind: 'input', message: 'Name', answer: 'Wes Walk' },
      { kind: 'input', message: 'Display name', answer: 'Wes' },
      { kind: 'input', message: 'Email address', answer: 'wes@example.com' },
      { kind: 'select', message: 'Organization role', answer: pick('Org Base') },
      { kind: 'checkbox', message: 'Workspaces to add the user to', answer: tick('Marketing') },
      { kind: 'select', message: 'Role in Marketing', answer: pick('Editor') },
      { kind: 'confirm', message: 'Step 1 done in the console?', answer: true },
      { kind: 'confirm', message: 'Step 2 done in the console?', answer: true },
      // Clicking "Add" in the console is what creates the user.
      {
        kind: 'confirm',
        message: 'Step 3 done in the console?',
        answer: async () => {
          await console.addUser({
            email: 'wes@example.com',
            name: 'Wes Walk',
            org_role: 'Org Base',
            workspaces: [{ workspace: 'Marketing', role: 'Editor' }],
          });
          return true;
        },
      },
    ]);
    const r = await runInProcess(['users', 'add'], { env, prompter });
    expect(prompter.remaining()).toBe(0);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'adding users with an email invitation is not available on this server: add the user in the Noxus web console:\n',
    );
    expect(r.stderr).toContain(
      '[1/3] In the Noxus web console: Open Settings → Users, click "Add user" and enter the user\n   - Go to Settings → Users\n',
    );
    expect(r.stderr).toContain('     Role in Marketing: Editor\n');
    expect(r.stderr).toMatch(
      /✓ step 3: done in the console; wes@example\.com appears in GET \/v1\/admin\/users \(\S+\) \(verified by the API\)\n/,
    );
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
      '✓ added wes@example.com through the web console; verified by the API',
    );
    expect(await emails()).toContain('wes@example.com');
  });

  it('a "done" that the API cannot see is checked again; stopping there is exit 1, and "no" at a step is exit 130', async () => {
    const stop = scriptedPrompter([
      { kind: 'confirm', message: 'Step 1 done in the console?', answer: true },
      { kind: 'confirm', message: 'Step 2 done in the console?', answer: true },
      { kind: 'confirm', message: 'Check again?', answer: false },
    ]);
    const args = [
      'users',
      'add',
      '--name',
      'Vic Verify',
      '--display-name',
      'Vic',
      '--email',
      'vic@example.com',
      '--org-role',
      'Org Admin',
    ];
    const r = await runInProcess(args, { env, prompter: stop });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('warning: not verified: vic@example.com is not in GET /v1/admin/users yet\n');
    expect(r.stderr).toContain(
      'error: step 2 (Click "Add": the user receives the invitation email) could not be verified: vic@example.com is not in GET /v1/admin/users yet\n',
    );
    const no = scriptedPrompter([{ kind: 'confirm', message: 'Step 1 done in the console?', answer: false }]);
    const c = await runInProcess(args, { env, prompter: no });
    expect(c.code).toBe(130);
    expect(c.stderr).toContain(
      'error: stopped at step 1 (Open Settings → Users, click "Add user" and enter the user)\nthe remaining steps:\n1. Open Settings → Users, click "Add user" and enter the user\n2. Click "Add": the user receives the invitation email\n',
    );
    expect(await emails()).not.toContain('vic@example.com');
  });
});

describe('ws add-member on a terminal, public API', () => {
  it('walks Workspace settings → Users → Add users with each user and role; recorded as confirmed by the operator', async () => {
    const console = consoleClient(sbx.url, sbx.adminKey);
    const prompter = scriptedPrompter([
      { kind: 'confirm', message: 'Step 1 done in the console?', answer: true },
      {
        kind: 'confirm',
        message: 'Step 2 done in the console?',
        answer: async () => {
          await console.addToWorkspace('Marketing', [
            { user: 'alan@example.com', role: 'Reader' },
            { user: 'ken@example.com', role: 'Reader' },
          ]);
          return true;
        },
      },
    ]);
    const r = await runInProcess(
      ['ws', 'add-member', 'Marketing', 'alan@example.com', 'ken@example.com', '--role', 'Reader', '--json'],
      { env, prompter },
    );
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.items.map((x: { email: string; outcome: string }) => `${x.email} ${x.outcome}`)).toEqual([
      'alan@example.com confirmed by the operator',
      'ken@example.com confirmed by the operator',
    ]);
    expect(body.steps.map((s: { id: string; outcome: string }) => `${s.id} ${s.outcome}`)).toEqual([
      'open-workspace confirmed',
      'add-users confirmed',
    ]);
    expect(r.stderr).toContain('     alan@example.com: Reader\n     ken@example.com: Reader\n');
  });
});
