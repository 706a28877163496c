// The interactive `users add` on a (fake) terminal against a real sandbox, step by step, and Ctrl-C
// or a "no" at the confirmation mapped to exit 130 through src/main.ts with nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/io/streams.js';
import { roleIn, snapshot, userByEmail } from '../e2e/support.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ctrlC, ENTER, pick, runInProcess, type Step, scriptedPrompter, tempDir, tick } from './support.js';

let sbx: TestSandbox;
let env: Env;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
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

const names = (o: { choices?: Array<{ name: string }> }) => o.choices?.map((c) => c.name);

/** The documented steps up to the workspaces, for a given email and org role. */
function identitySteps(name: string, email: string): Step[] {
  return [
    {
      kind: 'input',
      message: 'Name',
      answer: name,
      check: (o) => expect(o.validate?.('   ')).toBe('must not be empty'),
    },
    {
      kind: 'input',
      message: 'Display name',
      answer: ENTER,
      check: (o) => expect(o.default).toBe(name.split(' ')[0]),
    },
    {
      kind: 'input',
      message: 'Email address',
      answer: email,
      check: (o) =>
        expect(o.validate?.('ivy.example.com')).toBe('"ivy.example.com" is not a valid email address'),
    },
  ];
}

describe('users add on a terminal', () => {
  it('walks name, display name, email, org role, workspaces, a role per workspace, confirm', async () => {
    const email = 'ivy@example.com';
    const prompter = scriptedPrompter([
      ...identitySteps('Ivy Interactive', email),
      {
        kind: 'select',
        message: 'Organization role',
        answer: pick('Org Base'),
        check: (o) => {
          expect(names(o)).toEqual(['Org Admin', 'Org Base']);
          expect(o.default).toBe('org_base');
        },
      },
      {
        kind: 'checkbox',
        message: 'Workspaces to add the user to',
        answer: tick('Marketing', 'Support'),
        check: (o) => expect(names(o)).toEqual(['Default', 'Engineering', 'Finance', 'Marketing', 'Support']),
      },
      {
        kind: 'select',
        message: 'Role in Marketing',
        answer: pick('Editor'),
        check: (o) => {
          expect(names(o)).toEqual(['Reader', 'Editor', 'Admin']);
          expect(o.default).toBe('ws_reader');
        },
      },
      { kind: 'select', message: 'Role in Support', answer: ENTER },
      {
        kind: 'confirm',
        message: 'Add this user and send the invitation?',
        answer: true,
        check: (o) => expect(o.default).toBe(true),
      },
    ]);
    const r = await runInProcess(['users', 'add'], { env, prompter });
    expect(prompter.remaining()).toBe(0);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'About to invite:\n' +
        '  Ivy <ivy@example.com> (Ivy Interactive)\n' +
        '  organization role: Org Base\n' +
        '  workspace Marketing: Editor\n' +
        '  workspace Support: Reader\n',
    );
    expect(r.stderr).toMatch(/✓ invited ivy@example\.com \([0-9a-f-]{36}\) as Org Base\n/);

    expect(await userByEmail(sbx, email)).toMatchObject({
      name: 'Ivy Interactive',
      status: 'invited',
      org_role: { name: 'Org Base' },
    });
    expect(await roleIn(sbx, 'Marketing', email)).toBe('Editor');
    expect(await roleIn(sbx, 'Support', email)).toBe('Reader');
    expect(await roleIn(sbx, 'Finance', email)).toBeUndefined();
  });

  it('an org admin gets no workspace questions', async () => {
    const email = 'oscar@example.com';
    const prompter = scriptedPrompter([
      ...identitySteps('Oscar Admin', email),
      { kind: 'select', message: 'Organization role', answer: pick('Org Admin') },
      { kind: 'confirm', message: 'Add this user and send the invitation?', answer: true },
    ]);
    const r = await runInProcess(['users', 'add'], { env, prompter });
    expect(prompter.asked).toEqual([
      'input: Name',
      'input: Display name',
      'input: Email address',
      'select: Organization role',
      'confirm: Add this user and send the invitation?',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Org Admin is admin on every workspace; no workspace roles to choose.\n');
    expect(r.stderr).toContain('  organization role: Org Admin (admin on every workspace)\n');
    expect(await userByEmail(sbx, email)).toMatchObject({
      status: 'invited',
      org_role: { name: 'Org Admin' },
    });
    // Admin on every workspace through the org role, not through memberships.
    expect((await snapshot(sbx)).memberships).toContain(`Finance|${email}|Admin|org_admin`);
  });

  it('flags that are given are not asked', async () => {
    const email = 'flag.half@example.com';
    const prompter = scriptedPrompter([
      {
        kind: 'input',
        message: 'Display name',
        answer: ENTER,
        check: (o) => expect(o.default).toBe('Half'),
      },
      { kind: 'select', message: 'Organization role', answer: pick('Org Base') },
      { kind: 'confirm', message: 'Add this user and send the invitation?', answer: true },
    ]);
    const r = await runInProcess(
      ['users', 'add', '--name', 'Half Flagged', '--email', email, '--workspace', 'Finance=Reader'],
      { env, prompter },
    );
    expect(prompter.asked).toEqual([
      'input: Display name',
      'select: Organization role',
      'confirm: Add this user and send the invitation?',
    ]);
    expect(r.code).toBe(0);
    expect(await roleIn(sbx, 'Finance', email)).toBe('Reader');
    expect((await userByEmail(sbx, email))?.name).toBe('Half Flagged');
  });

  it('--no-input on a terminal asks nothing and prints the command to run', async () => {
    const before = await snapshot(sbx);
    const r = await runInProcess(['users', 'add', '--no-input', '--email', 'quiet@example.com'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: missing --name (no terminal to ask: stdin/stdout is not a TTY, CI is set, or --no-input)\n' +
        "run: noxus users add --name <name> --email quiet@example.com --org-role 'Org Base' --workspace <workspace>=<role>\n",
    );
    expect(await snapshot(sbx)).toEqual(before);
  });
});

describe('cancelling', () => {
  it('Ctrl-C at a prompt exits 130 and changes nothing', async () => {
    const before = await snapshot(sbx);
    const prompter = scriptedPrompter([
      { kind: 'input', message: 'Name', answer: 'Carl Cancel' },
      { kind: 'input', message: 'Display name', answer: ENTER },
      { kind: 'input', message: 'Email address', answer: ctrlC },
    ]);
    const r = await runInProcess(['users', 'add'], { env, prompter });
    expect(r).toEqual({ code: 130, stdout: '', stderr: 'error: cancelled\n' });
    expect(prompter.remaining()).toBe(0);
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('Ctrl-C with --json gives the error document with exit code 130', async () => {
    const prompter = scriptedPrompter([{ kind: 'input', message: 'Name', answer: ctrlC }]);
    const r = await runInProcess(['users', 'add', '--json'], { env, prompter });
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stderr)).toEqual({
      schema_version: 1,
      error: { code: 'cancelled', exit_code: 130, message: 'cancelled' },
    });
  });

  it('answering no at the summary exits 130 and changes nothing', async () => {
    const before = await snapshot(sbx);
    const prompter = scriptedPrompter([
      ...identitySteps('Nora No', 'nora@example.com'),
      { kind: 'select', message: 'Organization role', answer: pick('Org Base') },
      { kind: 'checkbox', message: 'Workspaces to add the user to', answer: [] },
      { kind: 'confirm', message: 'Add this user and send the invitation?', answer: false },
    ]);
    const r = await runInProcess(['users', 'add'], { env, prompter });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('  no workspace yet\n');
    expect(r.stderr).toContain('error: cancelled; nothing changed\n');
    expect(await snapshot(sbx)).toEqual(before);
  });
});

describe('the scripted prompter', () => {
  it('fails the command on a prompt it was not told about', async () => {
    const prompter = scriptedPrompter([{ kind: 'input', message: 'Name', answer: 'Una Expected' }]);
    const r = await runInProcess(['users', 'add'], { env, prompter });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: unexpected failure: unexpected prompt input "Display name"; expected no more prompts\n',
    );
  });
});
