// The core admin flows, spawned as a user runs them, against a real sandbox: once with a stored login
// (`auth login --with-token --credential-store file`) and once with NOXUS_API_KEY + --url only.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { roleIn, snapshot, userByEmail } from './support.js';

let sbx: TestSandbox;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
});
afterAll(async () => {
  await sbx?.cleanup();
});

interface Mode {
  name: string;
  tag: string;
  /** An existing active user to suspend and reactivate. */
  suspendee: string;
  setup(configDir: string): Promise<void>;
  cli(args: string[], configDir: string): Promise<CliResult>;
}

const modes: Mode[] = [
  {
    name: 'stored login (file credential store)',
    tag: 'stored',
    suspendee: 'katherine@example.com',
    async setup(configDir) {
      const login = await runCli(
        ['auth', 'login', '--with-token', '--credential-store', 'file', '--url', sbx.url],
        { configDir, input: `${sbx.adminKey}\n` },
      );
      expect(login.stderr).toContain(`logged in to ${sbx.url} as key "bootstrap"`);
      expect(login.stderr).toContain('tenant admin; profile default');
      expect(login.code).toBe(0);
      const keyFile = join(configDir, 'credentials', 'default.key');
      expect(login.stderr).toContain(
        `warning: the key is stored unencrypted in file ${keyFile} (plaintext, 0600)\n`,
      );
      expect(readFileSync(keyFile, 'utf8')).toBe(`${sbx.adminKey}\n`);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'));
      expect(config.current).toBe('default');
      expect(config.profiles.default).toMatchObject({ url: sbx.url, credential_store: 'file' });
      expect(JSON.stringify(config)).not.toContain(sbx.adminKey);
    },
    cli: (args, configDir) => runCli(args, { configDir }),
  },
  {
    name: 'NOXUS_API_KEY and --url, no stored login',
    tag: 'env',
    suspendee: 'dennis@example.com',
    async setup() {},
    cli: (args, configDir) =>
      runCli([...args, '--url', sbx.url], { configDir, env: { NOXUS_API_KEY: sbx.adminKey } }),
  },
];

describe.each(modes)('core flows with $name', (mode) => {
  let configDir: string;
  const email = `nina.${mode.tag}@example.com`;
  const run = (...args: string[]) => mode.cli(args, configDir);

  beforeAll(async () => {
    configDir = tempConfigDir();
    await mode.setup(configDir);
  });

  it('auth status says where the key comes from', async () => {
    const r = await run('auth', 'status');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`server\t${sbx.url}\n`);
    expect(r.stdout).toContain('holder\towner@example.com\n');
    expect(r.stdout).toContain(
      mode.tag === 'env'
        ? 'key_from\tenvironment variable NOXUS_API_KEY\n'
        : `key_from\tfile ${join(configDir, 'credentials', 'default.key')} (plaintext, 0600)\n`,
    );
    if (mode.tag === 'stored') expect(r.stderr).toContain('warning: key read from a plaintext file');
    else expect(r.stderr).toBe('');
  });

  it('users add with flags invites the user with the org role and workspace roles', async () => {
    const r = await run(
      'users',
      'add',
      '--name',
      'Nina Flow',
      '--email',
      email,
      '--org-role',
      'Org Base',
      '--workspace',
      'Marketing=Editor',
      '--workspace',
      'Support=Reader',
    );
    expect(r.stderr).toMatch(
      new RegExp(`✓ invited ${email.replace('.', '\\.')} \\([0-9a-f-]{36}\\) as Org Base`),
    );
    expect(r.stderr).toContain(`follow their onboarding with: noxus users onboarding ${email}`);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
    const u = await userByEmail(sbx, email);
    expect(u).toMatchObject({ name: 'Nina Flow', status: 'invited', org_role: { name: 'Org Base' } });
    expect(await roleIn(sbx, 'Marketing', email)).toBe('Editor');
    expect(await roleIn(sbx, 'Support', email)).toBe('Reader');
    expect(await roleIn(sbx, 'Finance', email)).toBeUndefined();
  });

  it('users list --json lists the new user in the documented envelope', async () => {
    const r = await run('users', 'list', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema_version).toBe(1);
    expect(doc.command).toBe('users list');
    const emails = doc.items.map((u: { email: string }) => u.email);
    expect(emails).toContain(email);
    expect(emails).toContain('ada@example.com');
    const nina = doc.items.find((u: { email: string }) => u.email === email);
    expect(nina).toMatchObject({ status: 'invited', name: 'Nina Flow', org_role: { name: 'Org Base' } });
    expect(nina.id).toBe((await userByEmail(sbx, email))?.id);
  });

  it('ws add-member adds the user with the role', async () => {
    const r = await run('ws', 'add-member', 'Finance', email, '--role', 'Reader');
    expect(r.stderr).toContain(`✓ added ${email} to Finance as Reader`);
    expect(r.code).toBe(0);
    expect(await roleIn(sbx, 'Finance', email)).toBe('Reader');
  });

  it('ws add-member of an existing member with the same role is unchanged (exit 0)', async () => {
    const before = await snapshot(sbx);
    const r = await run('ws', 'add-member', 'Finance', email, '--role', 'reader', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema_version: 1, command: 'ws add-member' });
    expect(doc.items).toEqual([expect.objectContaining({ email, outcome: 'unchanged', role: 'Reader' })]);
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('ws set-role changes the role', async () => {
    const r = await run('ws', 'set-role', 'Finance', email, '--role', 'Editor');
    expect(r.stderr).toContain(`✓ ${email} in Finance: Reader → Editor`);
    expect(r.code).toBe(0);
    expect(await roleIn(sbx, 'Finance', email)).toBe('Editor');
  });

  it('ws remove-member needs --yes without a terminal, then removes the member', async () => {
    const refused = await run('ws', 'remove-member', 'Finance', email);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`error: refusing to remove ${email} from Finance without confirmation`);
    expect(refused.stderr).toContain(`run: noxus ws remove-member Finance ${email} --yes`);
    expect(await roleIn(sbx, 'Finance', email)).toBe('Editor');

    const r = await run('ws', 'remove-member', 'Finance', email, '--yes');
    expect(r.stderr).toContain(`✓ removed ${email} from Finance (was Editor)`);
    expect(r.code).toBe(0);
    expect(await roleIn(sbx, 'Finance', email)).toBeUndefined();
    // The other memberships are untouched.
    expect(await roleIn(sbx, 'Marketing', email)).toBe('Editor');
  });

  it('users suspend (with --yes) and reactivate change the status on the server', async () => {
    const who = mode.suspendee;
    const refused = await run('users', 'suspend', who);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`run: noxus users suspend ${who} --yes`);
    expect((await userByEmail(sbx, who))?.status).toBe('active');

    const s = await run('users', 'suspend', who, '--yes');
    expect(s.stderr).toContain(`✓ ${who} is now suspended`);
    expect(s.code).toBe(0);
    expect((await userByEmail(sbx, who))?.status).toBe('suspended');

    const again = await run('users', 'suspend', who, '--yes', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).items[0]).toMatchObject({
      email: who,
      status: 'suspended',
      changed: false,
    });

    const a = await run('users', 'reactivate', who);
    expect(a.stderr).toContain(`✓ ${who} is now active`);
    expect(a.code).toBe(0);
    expect((await userByEmail(sbx, who))?.status).toBe('active');
  });

  it.runIf(mode.tag === 'env')('stores nothing when the key only came from the environment', async () => {
    expect(existsSync(join(configDir, 'credentials'))).toBe(false);
    const status = await runCli(['auth', 'status', '--url', sbx.url], { configDir });
    expect(status.code).toBe(4);
    expect(status.stderr).toContain(`error: not logged in (profile default, ${sbx.url})`);
  });
});
