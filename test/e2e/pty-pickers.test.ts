// Pickers driven through a real pseudo-terminal (tmux), read off the screen as a person would:
// - `ws add-member` against an organization of 2,000 users: the user list is searched by typing;
// - interactive `keys create`: the console's "Restrict permissions?" toggle, the permission
//   checkbox, the expiry question with its default, the summary, the confirmation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { haveTmux, NO_TMUX, TmuxServer, TmuxSession, terminalTestsCanRun } from '../helpers/pty.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { members, roleIn } from './support.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;

/** A tmux server whose commands talk to `sbx` with its bootstrap key (CI unset: prompts allowed). */
function terminalFor(sbx: TestSandbox, configDir: string): TmuxServer {
  return new TmuxServer({
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
}

const run = (server: TmuxServer, ...args: string[]) =>
  server.run(['env', '-u', 'CI', process.execPath, BIN, ...args], ROOT);

describe('a searchable user picker over 2,000 users (tmux)', () => {
  let sbx: TestSandbox;
  let server: TmuxServer;
  let configDir: string;

  beforeAll(async () => {
    if (!terminalTestsCanRun()) return;
    // The scale seed writes the organization in one transaction: 2,000 users in well under a second.
    sbx = await startTestSandbox({ seed: 'scale', scale: { users: 2000, workspaces: 20 } });
    configDir = mkdtempSync(join(tmpdir(), 'noxus-pty-cfg-'));
    server = terminalFor(sbx, configDir);
  }, 60_000);

  afterAll(async () => {
    await server?.kill();
    await sbx?.cleanup();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  it('types part of a name, sees the list narrow, picks, gives a role and adds the user', async (ctx) => {
    if (!haveTmux) ctx.skip(`skipped: ${NO_TMUX}`);
    const ws = 'Workspace 007';
    const inWs = new Set((await members(sbx, ws)).map((m) => m.email));
    const people = sbx.sandbox.model.store.get<{ n: number }>(
      "SELECT count(*) AS n FROM users WHERE kind = 'human' AND status = 'active'",
    )?.n;
    expect(people).toBeGreaterThan(2000);
    const emailOf = (i: number) => `user${String(i).padStart(6, '0')}@scale.example.com`;
    // A user outside the workspace, and how many of user0012xx are outside it too.
    const target = [...Array(100).keys()].map((i) => emailOf(1200 + i)).find((e) => !inWs.has(e)) as string;
    const n = Number(target.slice(4, 10));
    const label = `${target} (User ${n})`;
    const prompt = `Users to add to ${ws}`;

    const t = await run(server, 'ws', 'add-member', ws);
    // The whole list is there, one screenful at a time, with how to filter it.
    let screen = await t.waitFor(
      /type to filter • ↑↓ move \(more below\) • ⏎ choose/,
      'the searchable user list',
    );
    expect(TmuxSession.menu(screen, prompt)).toHaveLength(12);
    expect(TmuxSession.menu(screen, prompt)[0]).toMatchObject({ active: true });

    // Typing narrows the list to the users whose name or email contains the text.
    await t.type('user0012');
    // The typed text shows at once; the filtered list follows when the search resolves, so wait for it.
    const filtered = (s: string) => {
      const menu = TmuxSession.menu(s, prompt);
      return menu.length > 0 && menu.every((c) => /^user0012\d\d@/.test(c.label));
    };
    screen = await t.waitFor(
      (s) => /^\? Users to add to Workspace 007 user0012$/m.test(s) && filtered(s),
      'the list filtered by "user0012"',
    );
    for (const c of TmuxSession.menu(screen, prompt))
      expect(c.label).toMatch(/^user0012\d\d@scale\.example\.com /);
    await t.type(target.slice(8, 10));
    screen = await t.waitFor(
      (s) => TmuxSession.menu(s, prompt).length === 1 && s.includes(`? ${prompt} ${target.slice(0, 10)}`),
      `the list narrowed to ${target}`,
    );
    expect(TmuxSession.menu(screen, prompt)).toEqual([{ label, active: true }]);
    await t.press('Enter');
    await t.waitFor(
      new RegExp(`^✔ ${prompt} ${label.replace(/[.()]/g, '\\$&')}$`, 'm'),
      'the user to be chosen',
    );

    // The list comes back with "done (1 chosen)" first and the cursor on it.
    screen = await t.waitFor(
      (s) => TmuxSession.menu(s, prompt)[0]?.label === 'done (1 chosen)',
      'the list with "done (1 chosen)"',
    );
    expect(TmuxSession.menu(screen, prompt)[0]?.active).toBe(true);
    await t.press('Enter');

    // A role for the user, least privileged first, the cursor on it.
    const rolePrompt = `Role for ${target} in ${ws}`;
    screen = await t.waitFor((s) => TmuxSession.menu(s, rolePrompt).length === 3, 'the role menu');
    expect(TmuxSession.menu(screen, rolePrompt)).toEqual([
      { label: 'Reader', active: true },
      { label: 'Editor', active: false },
      { label: 'Admin', active: false },
    ]);
    await t.press('Enter');

    screen = await t.waitFor(/^\? Add them\?/m, 'the confirmation');
    expect(screen).toContain(`About to add to ${ws}: ${target} as Reader`);
    await t.type('y');
    await t.press('Enter');
    const done = await t.waitFor(/^\[exit \d+\]$/m, 'the command to finish');
    expect(done).toContain(`✓ added ${target} to ${ws} as Reader`);
    expect(done).toMatch(/^\[exit 0\]$/m);
    expect(await roleIn(sbx, ws, target)).toBe('Reader');
  }, 120_000);
});

describe('keys create in a terminal (tmux)', () => {
  let sbx: TestSandbox;
  let server: TmuxServer;
  let configDir: string;

  beforeAll(async () => {
    if (!terminalTestsCanRun()) return;
    sbx = await startTestSandbox({ seed: 'demo' });
    configDir = mkdtempSync(join(tmpdir(), 'noxus-pty-cfg-'));
    server = terminalFor(sbx, configDir);
  });

  afterAll(async () => {
    await server?.kill();
    await sbx?.cleanup();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  async function serverKey(name: string) {
    const r = await sbx.call('GET', '/v1/admin/api-keys');
    const items = (Array.isArray(r.body) ? r.body : r.body.items) as Array<Record<string, unknown>>;
    return items.find((k) => k.name === name) as
      | { restricted: boolean; permissions: string[] | null; expires_at: string | null }
      | undefined;
  }

  it('asks "Restrict permissions?" (yes), the permissions, an expiry (90d), then creates the restricted key', async (ctx) => {
    if (!haveTmux) ctx.skip(`skipped: ${NO_TMUX}`);
    const t = await run(server, 'keys', 'create');
    await t.waitFor(/^\? Workspace/m, 'the workspace menu');
    await t.moveTo('Workspace', 'Marketing');
    await t.press('Enter');
    await t.waitFor(/^\? Key name/m, 'the key name');
    await t.type('tmux laptop');
    await t.press('Enter');

    // The console's toggle, yes by default.
    await t.waitFor(/^\? Restrict permissions\? \(Y\/n\)$/m, 'the Restrict permissions toggle');
    await t.press('Enter');
    await t.waitFor(/^✔ Restrict permissions\? Yes$/m, 'yes');

    const perms = 'Permissions for the key in Marketing';
    const screen = await t.waitFor((s) => TmuxSession.menu(s, perms).length > 0, 'the permission checkbox');
    const flowsRun = TmuxSession.menu(screen, perms).find((c) => c.label.startsWith('flows_run '));
    expect(flowsRun, screen).toBeDefined();
    await t.tick(perms, flowsRun?.label as string);
    await t.press('Enter');

    // The expiry, with the documented default.
    await t.waitFor(/^\? Expires in \(30d, 12h, 2w … or "none"\) \(90d\)$/m, 'the expiry question');
    const before = Date.now();
    await t.press('Enter');
    const summary = await t.waitFor(
      /^\? Create key "tmux laptop" in Marketing\? \(Y\/n\)$/m,
      'the confirmation',
    );
    const after = Date.now();
    expect(summary).toContain('About to create key "tmux laptop" in Marketing, held by owner@example.com:');
    expect(summary).toMatch(/^ {2}permissions: flows_run$/m);
    const expires = /^ {2}expires: (\S+)$/m.exec(summary)?.[1] as string;
    expect(Date.parse(expires)).toBeGreaterThan(before + 90 * DAY - 60_000);
    expect(Date.parse(expires)).toBeLessThanOrEqual(after + 90 * DAY);
    await t.type('y');
    await t.press('Enter');
    const done = await t.waitFor(/^\[exit \d+\]$/m, 'the command to finish');
    expect(done).toMatch(/^\[exit 0\]$/m);
    expect(await serverKey('tmux laptop')).toMatchObject({
      restricted: true,
      permissions: ['flows_run'],
      expires_at: expires,
    });
  }, 90_000);

  it('answering no to the toggle says "unrestricted" in the summary; "none" never expires', async (ctx) => {
    if (!haveTmux) ctx.skip(`skipped: ${NO_TMUX}`);
    const t = await run(server, 'keys', 'create', '--workspace', 'Support', '--name', 'tmux open');
    await t.waitFor(/^\? Restrict permissions\? \(Y\/n\)$/m, 'the Restrict permissions toggle');
    await t.type('n');
    await t.press('Enter');
    await t.waitFor(/^\? Expires in .* \(90d\)$/m, 'the expiry question');
    await t.type('none');
    await t.press('Enter');
    const summary = await t.waitFor(/^\? Create key "tmux open" in Support\?/m, 'the confirmation');
    expect(summary).toMatch(
      /^ {2}permissions: unrestricted \(everything its holder can do in the workspace, now and later\)$/m,
    );
    expect(summary).toMatch(/^ {2}expires: never$/m);
    await t.type('y');
    await t.press('Enter');
    expect(await t.waitFor(/^\[exit \d+\]$/m, 'the command to finish')).toMatch(/^\[exit 0\]$/m);
    expect(await serverKey('tmux open')).toMatchObject({ restricted: false, expires_at: null });
  }, 90_000);
});
