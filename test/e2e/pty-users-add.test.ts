// `noxus users add` driven through a real pseudo-terminal (tmux), the way an administrator uses it:
// read each prompt off the screen, type, move with the arrow keys, tick with space.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { haveTmux, NO_TMUX, TmuxServer, type TmuxSession, terminalTestsCanRun } from '../helpers/pty.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Member {
  user_id: string;
  email: string;
  role: { id: string; name: string };
  via: string;
}

describe('noxus users add in a terminal (tmux)', () => {
  let sbx: TestSandbox;
  let server: TmuxServer;
  let configDir: string;

  beforeAll(async () => {
    if (!terminalTestsCanRun()) return;
    sbx = await startTestSandbox({ seed: 'demo' });
    configDir = mkdtempSync(join(tmpdir(), 'noxus-pty-cfg-'));
    // The server's environment is what the CLI sees. CI is deliberately absent: with CI set the CLI
    // refuses to prompt. The key travels in the environment, never on a command line.
    server = new TmuxServer({
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LANG: 'C.UTF-8',
        LC_ALL: 'C.UTF-8',
        TERM: 'xterm-256color',
        NOXUS_BACKEND_URL: sbx.url,
        NOXUS_API_KEY: sbx.adminKey,
        NOXUS_CONFIG_DIR: configDir,
      },
    });
  });

  afterAll(async () => {
    await server?.kill();
    await sbx?.cleanup();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  const startAdd = (): Promise<TmuxSession> =>
    server.run(['env', '-u', 'CI', process.execPath, BIN, 'users', 'add'], ROOT);

  async function userByEmail(email: string) {
    const r = await sbx.call('GET', '/v1/admin/users');
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body), r.text).toBe(true);
    const rows = r.body as Array<{ id: string; email: string } & Record<string, unknown>>;
    return rows.find((u) => u.email === email);
  }

  async function membersByWorkspace(): Promise<Map<string, Member[]>> {
    const g = await sbx.call('GET', '/v1/admin/groups');
    expect(g.status).toBe(200);
    const out = new Map<string, Member[]>();
    for (const group of g.body as Array<{ id: string; name: string }>) {
      const m = await sbx.call('GET', `/v1/admin/groups/${group.id}/members`);
      expect(m.status).toBe(200);
      expect(Array.isArray(m.body), m.text).toBe(true);
      out.set(group.name, m.body as Member[]);
    }
    return out;
  }

  function outboxFor(email: string): string[] {
    return readdirSync(join(sbx.dataDir, 'outbox')).filter((f) => f.endsWith(`-${email}.eml`));
  }

  it('walks name, display name, email, org role, workspaces and their roles, then invites', async (ctx) => {
    if (!haveTmux) ctx.skip(`skipped: ${NO_TMUX}`);
    const email = 'pat.pty@example.com';
    const t = await startAdd();

    await t.waitFor(/^\? Name/m, 'the Name prompt');
    await t.type('Pat Terminal');
    await t.press('Enter');

    // The display name is offered as the first word of the name; accept it.
    await t.waitFor(/^\? Display name \(Pat\)/m, 'the Display name prompt with its default');
    await t.press('Enter');
    await t.waitFor(/^✔ Display name Pat$/m, 'the accepted display name');

    await t.waitFor(/^\? Email address/m, 'the Email prompt');
    await t.type(email);
    await t.press('Enter');

    // Org role: go to the other choice and back with the arrows, then choose Org Base.
    await t.waitFor(/^\? Organization role/m, 'the Organization role menu');
    await t.moveTo('Organization role', 'Org Admin');
    await t.moveTo('Organization role', 'Org Base');
    await t.press('Enter');
    await t.waitFor(/^✔ Organization role Org Base$/m, 'Org Base to be chosen');

    await t.waitFor(/^\? Workspaces to add the user to/m, 'the workspace checkbox');
    await t.tick('Workspaces to add the user to', 'Engineering');
    await t.tick('Workspaces to add the user to', 'Support');
    await t.press('Enter');
    await t.waitFor(/^✔ Workspaces to add the user to Engineering, Support$/m, 'the two ticked workspaces');

    await t.waitFor(/^\? Role in Engineering/m, 'the role menu for Engineering');
    await t.moveTo('Role in Engineering', 'Editor');
    await t.press('Enter');
    await t.waitFor(/^✔ Role in Engineering Editor$/m, 'Editor in Engineering');

    await t.waitFor(/^\? Role in Support/m, 'the role menu for Support');
    await t.moveTo('Role in Support', 'Admin');
    await t.press('Enter');
    await t.waitFor(/^✔ Role in Support Admin$/m, 'Admin in Support');

    const summary = await t.waitFor(/^\? Add this user and send the invitation\?/m, 'the confirmation');
    expect(summary).toContain('About to invite:');
    expect(summary).toContain(`Pat <${email}> (Pat Terminal)`);
    expect(summary).toMatch(/^ {2}organization role: Org Base$/m);
    expect(summary).toMatch(/^ {2}workspace Engineering: Editor$/m);
    expect(summary).toMatch(/^ {2}workspace Support: Admin$/m);
    await t.type('y');
    await t.press('Enter');

    const done = await t.waitFor(/^\[exit \d+\]$/m, 'the command to finish');
    expect(done).toMatch(
      new RegExp(`^✓ invited ${email.replace(/\./g, '\\.')} \\(\\S+\\) as Org Base$`, 'm'),
    );
    expect(done).toMatch(/^\[exit 0\]$/m);

    const user = await userByEmail(email);
    expect(user).toMatchObject({
      email,
      name: 'Pat Terminal',
      display_name: 'Pat',
      status: 'invited',
      org_role: { name: 'Org Base' },
      tenant_admin: false,
    });
    const members = await membersByWorkspace();
    const mine = (ws: string) => members.get(ws)?.filter((m) => m.user_id === user?.id) ?? [];
    expect(mine('Engineering')).toEqual([
      expect.objectContaining({ role: expect.objectContaining({ name: 'Editor' }), via: 'membership' }),
    ]);
    expect(mine('Support')).toEqual([
      expect.objectContaining({ role: expect.objectContaining({ name: 'Admin' }), via: 'membership' }),
    ]);
    for (const other of ['Default', 'Marketing', 'Finance']) expect(mine(other)).toEqual([]);

    const mails = outboxFor(email);
    expect(mails).toHaveLength(1);
    const eml = readFileSync(join(sbx.dataDir, 'outbox', mails[0] as string), 'utf8');
    expect(eml).toMatch(new RegExp(`^To: .*${email.replace(/\./g, '\\.')}`, 'm'));
  }, 90_000);

  it('asks no workspace question for an org admin and says they are admin everywhere', async (ctx) => {
    if (!haveTmux) ctx.skip(`skipped: ${NO_TMUX}`);
    const email = 'olga.pty@example.com';
    const t = await startAdd();

    await t.waitFor(/^\? Name/m, 'the Name prompt');
    await t.type('Olga Admin');
    await t.press('Enter');
    // Enter a display name of one's own instead of the default.
    await t.waitFor(/^\? Display name \(Olga\)/m, 'the Display name prompt');
    await t.type('Oli');
    await t.press('Enter');
    await t.waitFor(/^\? Email address/m, 'the Email prompt');
    await t.type(email);
    await t.press('Enter');

    await t.waitFor(/^\? Organization role/m, 'the Organization role menu');
    await t.moveTo('Organization role', 'Org Admin');
    await t.press('Enter');
    await t.waitFor(/^✔ Organization role Org Admin$/m, 'Org Admin to be chosen');

    const summary = await t.waitFor(/^\? Add this user and send the invitation\?/m, 'the confirmation');
    expect(summary).toContain('Org Admin is admin on every workspace; no workspace roles to choose.');
    expect(summary).not.toContain('Workspaces to add the user to');
    expect(summary).not.toMatch(/Role in /);
    expect(summary).toContain(`Oli <${email}> (Olga Admin)`);
    expect(summary).toMatch(/^ {2}organization role: Org Admin \(admin on every workspace\)$/m);
    expect(summary).not.toMatch(/^ {2}workspace /m);
    expect(summary).not.toContain('no workspace yet');
    await t.type('y');
    await t.press('Enter');

    const done = await t.waitFor(/^\[exit \d+\]$/m, 'the command to finish');
    expect(done).toMatch(
      new RegExp(`^✓ invited ${email.replace(/\./g, '\\.')} \\(\\S+\\) as Org Admin$`, 'm'),
    );
    expect(done).toMatch(/^\[exit 0\]$/m);
    expect(done).not.toContain('Workspaces to add the user to');

    const user = await userByEmail(email);
    expect(user).toMatchObject({
      email,
      display_name: 'Oli',
      status: 'invited',
      org_role: { name: 'Org Admin' },
      tenant_admin: true,
    });
    // No explicit memberships: admin on every workspace through the org role.
    const members = await membersByWorkspace();
    expect(members.size).toBeGreaterThan(1);
    for (const [ws, list] of members) {
      const mine = list.filter((m) => m.user_id === user?.id);
      expect(mine, ws).toEqual([
        expect.objectContaining({ via: 'org_admin', role: expect.objectContaining({ name: 'Admin' }) }),
      ]);
    }
    expect(outboxFor(email)).toHaveLength(1);
  }, 90_000);
});
