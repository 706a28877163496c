// Bad input is refused with the exact exit code and message, and NOTHING changes on the server: the
// users, every workspace membership and the activity log are compared before and after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { snapshot } from './support.js';

let sbx: TestSandbox;
let cfg: string;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  cfg = tempConfigDir();
});
afterAll(async () => {
  await sbx?.cleanup();
});

interface Case {
  what: string;
  args: string[];
  code: number;
  /** The whole of stderr. */
  stderr: string;
}

const add = (...extra: string[]) => ['users', 'add', '--name', 'Bad Input', ...extra];

const cases: Case[] = [
  // users add: emails
  ...['a@b', 'two@@example.com', 'sp ace@example.com', 'no-at.example.com'].map((email) => ({
    what: `users add with the invalid email ${JSON.stringify(email)}`,
    args: add('--email', email),
    code: 2,
    stderr: `error: --email: "${email}" is not a valid email address\n`,
  })),
  {
    what: 'users add with an empty --name',
    args: ['users', 'add', '--name', '', '--email', 'bad@example.com'],
    code: 2,
    stderr: 'error: --name must not be empty\n',
  },
  // users add: roles and workspaces
  {
    what: 'users add with an unknown org role',
    args: add('--email', 'bad@example.com', '--org-role', 'Org Bsae'),
    code: 2,
    stderr:
      'error: unknown organization role "Org Bsae" for --org-role\ndid you mean Org Base? known: Org Admin, Org Base\n',
  },
  {
    what: 'users add with a workspace role as org role',
    args: add('--email', 'bad@example.com', '--org-role', 'Editor'),
    code: 2,
    stderr:
      'error: "Editor" is a workspace role; --org-role needs an organization role\norganization roles: Org Admin, Org Base\n',
  },
  {
    what: 'users add with an unknown workspace',
    args: add('--email', 'bad@example.com', '--workspace', 'Marketng=Editor'),
    code: 5,
    stderr: 'error: no workspace Marketng\ndid you mean Marketing?\n',
  },
  {
    what: 'users add with an unknown workspace role',
    args: add('--email', 'bad@example.com', '--workspace', 'Marketing=Edtor'),
    code: 2,
    stderr:
      'error: unknown workspace role "Edtor" for --workspace Marketing=\ndid you mean Editor? known: Admin, Editor, Reader\n',
  },
  {
    what: 'users add with an org role used as a workspace role',
    args: add('--email', 'bad@example.com', '--workspace', 'Marketing=Org Base'),
    code: 2,
    stderr:
      'error: "Org Base" is an organization role; --workspace Marketing= needs a workspace role\nworkspace roles: Admin, Editor, Reader\n',
  },
  {
    what: 'users add with a workspace role for an org admin',
    args: add('--email', 'bad@example.com', '--org-role', 'Org Admin', '--workspace', 'Marketing=Editor'),
    code: 2,
    stderr:
      'error: Org Admin is an org admin role: org admins are admins on every workspace, so --workspace roles cannot be given\n' +
      'drop the --workspace flags, or choose a non-admin --org-role such as "Org Base"\n',
  },
  {
    what: 'users add with a second role for the same workspace',
    args: add(
      '--email',
      'bad@example.com',
      '--workspace',
      'Marketing=Editor',
      '--workspace',
      'marketing=Reader',
    ),
    code: 2,
    stderr:
      'error: workspace Marketing is given twice (Editor and Reader); a user has one role per workspace\n',
  },
  {
    what: 'users add with --workspace lacking =ROLE',
    args: add('--email', 'bad@example.com', '--workspace', 'Marketing'),
    code: 2,
    stderr: 'error: --workspace takes WORKSPACE=ROLE, got "Marketing"\ne.g. --workspace Marketing=Editor\n',
  },
  {
    what: 'users add with a duplicate email',
    args: add('--email', 'Linus@Example.com', '--workspace', 'Support=Reader'),
    code: 7,
    stderr:
      'error: a user with email linus@example.com already exists (active)\n' +
      'to add an existing user to a workspace: noxus ws add-member Support linus@example.com --role Reader\n',
  },
  // ws add-member
  {
    what: 'ws add-member of an org admin',
    args: ['ws', 'add-member', 'Marketing', 'grace@example.com', '--role', 'Reader'],
    code: 2,
    stderr:
      'error: grace@example.com is an org admin and therefore admin on every workspace; a workspace role cannot be given\n' +
      'to change that, change their org role: noxus users update grace@example.com --org-role "Org Base"\n',
  },
  {
    what: 'ws add-member giving a second role in the same workspace',
    args: ['ws', 'add-member', 'Support', 'alan@example.com', '--role', 'Editor'],
    code: 7,
    stderr:
      'error: alan@example.com is already a member of Support as Reader\n' +
      'to change the role: noxus ws set-role Support alan@example.com --role Editor\n',
  },
  {
    what: 'ws add-member with an org role',
    args: ['ws', 'add-member', 'Finance', 'radia@example.com', '--role', 'Org Admin'],
    code: 2,
    stderr:
      'error: "Org Admin" is an organization role; --role needs a workspace role\nworkspace roles: Admin, Editor, Reader\n',
  },
  {
    what: 'ws add-member where one of the users is unknown (validated before the first write)',
    args: ['ws', 'add-member', 'Finance', 'radia@example.com', 'radiia@example.com', '--role', 'Reader'],
    code: 5,
    stderr: 'error: no user radiia@example.com\ndid you mean radia@example.com?\n',
  },
  {
    what: 'ws add-member to an unknown workspace',
    args: ['ws', 'add-member', 'Enginering', 'radia@example.com', '--role', 'Reader'],
    code: 5,
    stderr: 'error: no workspace Enginering\ndid you mean Engineering?\n',
  },
  // ws set-role / remove-member
  {
    what: 'ws set-role with an org role',
    args: ['ws', 'set-role', 'Marketing', 'linus@example.com', '--role', 'Org Admin'],
    code: 2,
    stderr:
      'error: "Org Admin" is an organization role; --role needs a workspace role\nworkspace roles: Admin, Editor, Reader\n',
  },
  {
    what: 'ws set-role of an org admin',
    args: ['ws', 'set-role', 'Marketing', 'ada@example.com', '--role', 'Editor'],
    code: 7,
    stderr:
      'error: ada@example.com is admin on Marketing through their org role\n' +
      'change their org role first: noxus users update ada@example.com --org-role "Org Base"\n',
  },
  {
    what: 'ws set-role of a non-member',
    args: ['ws', 'set-role', 'Finance', 'ken@example.com', '--role', 'Editor'],
    code: 5,
    stderr:
      'error: ken@example.com is not a member of Finance\nadd them with: noxus ws add-member Finance ken@example.com --role Editor\n',
  },
  {
    what: 'ws remove-member of an org admin',
    args: ['ws', 'remove-member', 'Marketing', 'ada@example.com', '--yes'],
    code: 7,
    stderr:
      'error: ada@example.com is admin on Marketing through their org role and cannot be removed from one workspace\n' +
      'change their org role instead: noxus users update ada@example.com --org-role "Org Base"\n',
  },
  {
    what: 'users update with a workspace role as org role',
    args: ['users', 'update', 'alan@example.com', '--org-role', 'Reader'],
    code: 2,
    stderr:
      'error: "Reader" is a workspace role; --org-role needs an organization role\norganization roles: Org Admin, Org Base\n',
  },
];

describe('refused input changes nothing', () => {
  it.each(cases)('$what → exit $code', async ({ args, code, stderr }) => {
    const before = await snapshot(sbx);
    const r = await runCli(args, {
      configDir: cfg,
      env: { NOXUS_API_KEY: sbx.adminKey, NOXUS_BACKEND_URL: sbx.url },
    });
    expect(r.stderr).toBe(stderr);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(code);
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('the snapshot sees a change (so the comparisons above can fail)', async () => {
    const before = await snapshot(sbx);
    const r = await runCli(['ws', 'add-member', 'Finance', 'radia@example.com', '--role', 'Reader'], {
      configDir: cfg,
      env: { NOXUS_API_KEY: sbx.adminKey, NOXUS_BACKEND_URL: sbx.url },
    });
    expect(r.code).toBe(0);
    const after = await snapshot(sbx);
    expect(after.memberships).toContain('Finance|radia@example.com|Reader|membership');
    expect(after.activity).toBe(before.activity + 1);
  });
});
