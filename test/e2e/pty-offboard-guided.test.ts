// `noxus offboard` against the public-only sandbox, in a real pseudo-terminal (tmux): the CLI walks the
// documented offboarding, the test plays the operator in the web console (the sandbox's stand-in)
// between the steps, and the written report says which steps the public API verified.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { consoleClient } from '../helpers/console.js';
import { haveTmux, NO_TMUX, TmuxServer, terminalTestsCanRun } from '../helpers/pty.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('noxus offboard, guided through the web console on the public API (tmux)', () => {
  let sbx: TestSandbox;
  let server: TmuxServer;
  let dir: string;

  beforeAll(async () => {
    if (!terminalTestsCanRun()) return;
    sbx = await startTestSandbox({ seed: 'demo', api: 'public' });
    dir = mkdtempSync(join(tmpdir(), 'noxus-pty-guided-'));
    server = new TmuxServer({
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LANG: 'C.UTF-8',
        LC_ALL: 'C.UTF-8',
        TERM: 'xterm-256color',
        NOXUS_BACKEND_URL: sbx.url,
        NOXUS_API_KEY: sbx.adminKey,
        NOXUS_CONFIG_DIR: join(dir, 'config'),
      },
    });
  });

  afterAll(async () => {
    await server?.kill();
    await sbx?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reviews, replaces and revokes her system key by API, waits for the console removal, verifies each step, and reports it', async (ctx) => {
    if (!haveTmux) ctx.skip(`skipped: ${NO_TMUX}`);
    const users = async () => {
      const r = await sbx.call('GET', '/v1/admin/users');
      expect(r.status).toBe(200);
      return r.body as Array<{ id: string; email: string; is_active: boolean; status?: string }>;
    };
    const grace = (await users()).find((u) => u.email === 'grace@example.com');
    if (!grace) throw new Error('no grace in the demo seed');
    const key = sbx.sandbox.model.createSystemKey(
      { userId: grace.id, email: grace.email, keyId: null },
      { name: 'nightly export', permissions: ['users:read'] },
    ).key;
    const reports = join(dir, 'reports');
    const secrets = join(dir, 'secrets');

    const t = await server.run(
      [
        'env',
        '-u',
        'CI',
        process.execPath,
        BIN,
        'offboard',
        'grace@example.com',
        '--report-dir',
        reports,
        '--secrets-dir',
        secrets,
      ],
      ROOT,
    );
    await t.waitFor(
      /^\? grace@example\.com created 1 system key\(s\) \(nightly export\)\. Create a replacement for each before revoking it\?/m,
      'the replacement question',
    );
    await t.type('y');
    await t.press('Enter');
    let screen = await t.waitFor(
      /^\? Offboard grace@example\.com \(remove in the console, revoke 1 system key\(s\)\)\?/m,
      'the confirmation',
    );
    expect(screen).toContain(
      'Steps:\n  1. Review access of grace@example.com through the public API [by API]\n',
    );
    expect(screen).toContain('  3. Remove grace@example.com from the organization [web console]\n');
    await t.type('y');
    await t.press('Enter');

    // Steps 1 and 2 run by API; step 3 waits for the operator.
    screen = await t.waitFor(/^\? Step 3 done in the console\?/m, 'the console step');
    expect(screen).toMatch(
      /^✓ step 1: grace@example\.com: org admin, active; 1 system key\(s\) they created; 5 workspace\(s\) on the server \(automated\)$/m,
    );
    expect(screen).toMatch(/^✓ step 2: new key \S+; new secret written to .+ \(automated\)$/m);
    expect(screen).toContain(
      '[3/5] In the Noxus web console: Remove grace@example.com from the organization\n',
    );
    expect(screen).toContain(
      '   - Click "Remove" and confirm\n     User: Grace <grace@example.com>\n     Note: an org admin: make sure another admin remains\n',
    );

    // Saying "done" before doing it: the public API still lists her as active, so it is not verified.
    await t.type('y');
    await t.press('Enter');
    screen = await t.waitFor(/^\? Check again\?/m, 'the verification retry');
    expect(screen).toContain(
      'warning: not verified: grace@example.com is still active in GET /v1/admin/users\n',
    );

    // Now the operator removes her in the web console, and the check passes.
    await consoleClient(sbx.url, sbx.adminKey).removeUser('grace@example.com');
    await t.type('y');
    await t.press('Enter');
    screen = await t.waitFor(/^\? Step 5 done in the console\?/m, 'the workspace keys step');
    expect(screen).toMatch(
      /^✓ step 3: done in the console; grace@example\.com is gone from GET \/v1\/admin\/users \(verified by the API\)$/m,
    );
    expect(screen).toMatch(
      new RegExp(
        `^✓ step 4: (revoked|already absent) \\(DELETE /v1/admin/system-keys/${key.id}\\); system key "nightly export" is (absent from|revoked in) GET /v1/admin/system-keys \\(verified by the API\\)$`,
        'm',
      ),
    );
    await t.type('y');
    await t.press('Enter');
    screen = await t.waitFor(/^\[exit \d+\]$/m, 'the end');
    expect(screen).toMatch(/^✓ step 5: done in the console \(confirmed by the operator\)$/m);
    expect(screen).toMatch(/^✓ offboarded grace@example\.com; report: .+\.md$/m);
    expect(screen).toMatch(/^\[exit 0\]$/m);

    // The server agrees: she is gone, her system key is revoked, its replacement is active.
    expect((await users()).some((u) => u.id === grace.id && u.is_active)).toBe(false);
    const sk = (await sbx.call('GET', '/v1/admin/system-keys')).body as Array<{
      id: string;
      name: string;
      status: string;
    }>;
    expect(
      sk.filter((k) => k.name === 'nightly export' && k.status === 'active').map((k) => k.id),
    ).not.toContain(key.id);
    expect(sk.filter((k) => k.name === 'nightly export' && k.status === 'active')).toHaveLength(1);
    expect(readdirSync(secrets)).toHaveLength(1);

    // The report marks each step: automated, verified by the API, confirmed by the operator.
    const files = readdirSync(reports).sort();
    expect(files).toHaveLength(2);
    const md = readFileSync(join(reports, files[1] as string), 'utf8');
    expect(md).toContain('| # | Step | Result | How |\n');
    expect(md).toMatch(
      /\| 1 \| Review access of grace@example\.com through the public API \| .* \| automated \|\n/,
    );
    expect(md).toMatch(
      /\| 2 \| Create a replacement for system key "nightly export" \(same name and permissions\) \| new key .* \| automated \|\n/,
    );
    expect(md).toContain(
      '| 3 | Remove grace@example.com from the organization | done in the console; grace@example.com is gone from GET /v1/admin/users | verified by the API |\n',
    );
    expect(md).toMatch(
      /\| 4 \| Revoke system key "nightly export" they created \| (revoked|already absent) .* \| verified by the API \|\n/,
    );
    expect(md).toContain(
      '| 5 | Rotate the workspace API keys they created or could have seen | done in the console | confirmed by the operator |\n',
    );
    const json = JSON.parse(readFileSync(join(reports, files[0] as string), 'utf8'));
    expect(json).toMatchObject({ kind: 'noxus-offboarding-report', mode: 'guided', user: { id: grace.id } });
    expect(json.results.map((x: { id: string; outcome: string }) => `${x.id} ${x.outcome}`)).toEqual([
      'review automated',
      `replace-system:${key.id} automated`,
      'remove verified',
      `revoke-system:${key.id} verified`,
      'workspace-keys confirmed',
    ]);
    expect(JSON.stringify(json)).not.toMatch(/noxus_[0-9A-Za-z]{20,}/);
  });
});
