// Interactive `ws add-member` on a (fake) terminal against real sandboxes: a role asked for each
// user ("Select the appropriate role for each user"), least privileged first with the cursor there,
// and a long user list searched by typing (a search-then-add loop) instead of scrolled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chosenChoiceName, doneChoiceName } from '../../src/cli/interact.js';
import { filterChoices } from '../../src/io/prompter.js';
import type { Env } from '../../src/io/streams.js';
import { members, roleIn } from '../e2e/support.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ENTER, pick, runInProcess, scriptedPrompter, tempDir, tick, typeAndPick } from './support.js';

let demo: TestSandbox;
let scale: TestSandbox;

const envFor = (s: TestSandbox): Env => ({
  NOXUS_API_KEY: s.adminKey,
  NOXUS_BACKEND_URL: s.url,
  NOXUS_CONFIG_DIR: tempDir(),
  NO_COLOR: '1',
});

beforeAll(async () => {
  [demo, scale] = await Promise.all([
    startTestSandbox({ seed: 'demo' }),
    startTestSandbox({ seed: 'scale', scale: { users: 40, workspaces: 4 } }),
  ]);
});
afterAll(async () => {
  await Promise.all([demo?.cleanup(), scale?.cleanup()]);
});

const names = (o: { choices?: Array<{ name: string }> }) => o.choices?.map((c) => c.name);

describe('ws add-member in a terminal: a role for each user', () => {
  it('asks a role per selected user, least privileged first, the cursor on the least privileged', async () => {
    const env = envFor(demo);
    // A custom role with fewer permissions than Reader goes first; one between Editor and Admin after Editor.
    for (const [name, perms] of [
      ['Runner', 'flows_run'],
      [
        'Builder',
        'flows_edit,flows_delete,flows_run,agents_edit,agents_delete,agents_run,kbs_edit,kbs_delete,kbs_query,integrations_edit',
      ],
    ] as const) {
      const made = await runInProcess(['roles', 'create', '--name', name, '--permissions', perms, '--yes'], {
        env,
        tty: false,
      });
      expect(made.code, made.stderr).toBe(0);
    }
    const order = ['Runner', 'Reader', 'Editor', 'Builder', 'Admin'];
    const prompter = scriptedPrompter([
      {
        kind: 'checkbox',
        message: 'Users to add to Finance',
        answer: tick('alan@example.com (Alan Turing)', 'ken@example.com (Ken Thompson)'),
        // Members (barbara, katherine) and org admins (ada, grace) are not offered.
        check: (o) => expect(names(o)?.some((n) => /barbara|katherine|ada@|grace@/.test(n))).toBe(false),
      },
      {
        kind: 'select',
        message: 'Role for alan@example.com in Finance',
        answer: pick('Editor'),
        check: (o) => {
          expect(names(o)).toEqual(order);
          expect(o.default).toBe(o.choices[0]?.value);
        },
      },
      {
        kind: 'select',
        message: 'Role for ken@example.com in Finance',
        answer: pick('Reader'),
        check: (o) => expect(names(o)).toEqual(order),
      },
      { kind: 'confirm', message: 'Add them?', answer: true },
    ]);
    const r = await runInProcess(['ws', 'add-member', 'Finance'], { env, prompter });
    expect(prompter.remaining()).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      'About to add to Finance: alan@example.com as Editor, ken@example.com as Reader\n' +
        '✓ added alan@example.com to Finance as Editor\n' +
        '✓ added ken@example.com to Finance as Reader\n',
    );
    expect(await roleIn(demo, 'Finance', 'alan@example.com')).toBe('Editor');
    expect(await roleIn(demo, 'Finance', 'ken@example.com')).toBe('Reader');
  });

  it('--role applies to every user named and asks no role', async () => {
    const prompter = scriptedPrompter([{ kind: 'confirm', message: 'Add them?', answer: true }]);
    const r = await runInProcess(
      ['ws', 'add-member', 'Finance', 'tim@example.com', 'radia@example.com', '--role', 'Reader'],
      { env: envFor(demo), prompter },
    );
    expect(prompter.remaining()).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(
      'About to add to Finance: tim@example.com as Reader, radia@example.com as Reader',
    );
  });

  it('a user who is already a member is left as is and not asked about', async () => {
    const prompter = scriptedPrompter([
      { kind: 'select', message: 'Role for linus@example.com in Support', answer: ENTER },
      { kind: 'confirm', message: 'Add them?', answer: true },
    ]);
    const r = await runInProcess(['ws', 'add-member', 'Support', 'alan@example.com', 'linus@example.com'], {
      env: envFor(demo),
      prompter,
    });
    expect(prompter.remaining()).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('alan@example.com is already Reader in Support (unchanged)\n');
    expect(r.stderr).toContain('✓ added linus@example.com to Support as Runner\n');
  });

  it('without a terminal and without --role: exit 2 with the command to run', async () => {
    const r = await runInProcess(['ws', 'add-member', 'Finance', 'tim@example.com'], {
      env: envFor(demo),
      tty: false,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('run: noxus ws add-member Finance tim@example.com --role <role>');
  });
});

describe('ws add-member in a terminal: a long user list is searched by typing', () => {
  it('types to filter, adds, takes one back out, finishes with "done"; a role for each', async () => {
    const env = envFor(scale);
    const inWs = new Set((await members(scale, 'Workspace 001')).map((m) => m.email));
    const outside = Array.from(
      { length: 40 },
      (_, i) => `user${String(i).padStart(6, '0')}@scale.example.com`,
    ).filter((e) => !inWs.has(e));
    expect(outside.length).toBeGreaterThan(15);
    const [first, second, third] = outside as [string, string, string];
    const label = (email: string) => `${email} (User ${Number(email.slice(4, 10))})`;
    const prompter = scriptedPrompter([
      {
        kind: 'search',
        message: 'Users to add to Workspace 001',
        answer: typeAndPick(first.slice(0, 10)),
        check: (o) => {
          expect(names(o)).toEqual(outside.map(label));
          // Typing narrows the list to the one user whose email starts so.
          expect(filterChoices(o.choices, first.slice(0, 10)).map((c) => c.name)).toEqual([label(first)]);
        },
      },
      {
        kind: 'search',
        message: 'Users to add to Workspace 001',
        answer: typeAndPick(`user ${Number(second.slice(4, 10))}`, label(second)),
        check: (o) => {
          expect(names(o)?.[0]).toBe(doneChoiceName(1));
          expect(names(o)).toContain(chosenChoiceName(label(first)));
        },
      },
      {
        kind: 'search',
        message: 'Users to add to Workspace 001',
        answer: typeAndPick(third.slice(0, 10)),
        check: (o) => expect(names(o)?.[0]).toBe(doneChoiceName(2)),
      },
      // Choosing a chosen one again takes it back out.
      {
        kind: 'search',
        message: 'Users to add to Workspace 001',
        answer: pick(chosenChoiceName(label(second))),
      },
      {
        kind: 'search',
        message: 'Users to add to Workspace 001',
        answer: typeAndPick('done'),
        check: (o) => expect(names(o)?.[0]).toBe(doneChoiceName(2)),
      },
      { kind: 'select', message: `Role for ${first} in Workspace 001`, answer: ENTER },
      { kind: 'select', message: `Role for ${third} in Workspace 001`, answer: pick('Editor') },
      { kind: 'confirm', message: 'Add them?', answer: true },
    ]);
    const r = await runInProcess(['ws', 'add-member', 'Workspace 001'], { env, prompter });
    expect(prompter.remaining()).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(
      `About to add to Workspace 001: ${first} as Reader, ${third} as Editor`,
    );
    expect(await roleIn(scale, 'Workspace 001', first)).toBe('Reader');
    expect(await roleIn(scale, 'Workspace 001', third)).toBe('Editor');
    expect(await roleIn(scale, 'Workspace 001', second)).toBeUndefined();
  });
});
