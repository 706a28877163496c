// `noxus offboard` in a real pseudo-terminal (tmux), on the full API: the access review comes before
// the transfer question, only users who can own every resource are offered (the first is the
// default, nobody is last), a bad choice is asked again, and each step shows once on the screen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { haveTmux, NO_TMUX, TmuxServer, TmuxSession, terminalTestsCanRun } from '../helpers/pty.js';
import {
  ADMIN2_EMAIL,
  activeUser,
  buildFixture,
  type Fixture,
  T_EMAIL,
  U_EMAIL,
} from './offboard-fixture.js';

const ROOT = resolve(import.meta.dirname, '../..');
const READER_EMAIL = 'rita@example.com';
const QUESTION = `${U_EMAIL} owns 9 resource(s). Who takes them over?`;
const NOBODY = 'nobody (they stay owned by a removed user)';

describe('noxus offboard on a terminal (tmux)', () => {
  let f: Fixture;
  let server: TmuxServer;
  let dir: string;

  beforeAll(async () => {
    if (!terminalTestsCanRun()) return;
    f = await buildFixture();
    // Rita can read U's work but not edit it: she cannot own it, so she is never offered.
    await activeUser(f.sbx, READER_EMAIL, 'Org Base', [
      { group_id: f.groups.Alpha, role: 'Reader' },
      { group_id: f.groups.Beta, role: 'Reader' },
      { group_id: f.groups.Gamma, role: 'Reader' },
    ]);
    dir = mkdtempSync(join(tmpdir(), 'noxus-pty-offboard-'));
    server = new TmuxServer({
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LANG: 'C.UTF-8',
        LC_ALL: 'C.UTF-8',
        TERM: 'xterm-256color',
        NO_COLOR: '1',
        NOXUS_BACKEND_URL: f.sbx.url,
        NOXUS_API_KEY: f.sbx.adminKey,
        NOXUS_CONFIG_DIR: join(dir, 'config'),
      },
    });
  });

  afterAll(async () => {
    await server?.kill();
    await f?.sbx.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reviews first, offers only eligible users, asks again after a bad choice, and prints each step once', async (ctx) => {
    if (!haveTmux) ctx.skip(`skipped: ${NO_TMUX}`);
    const t = await server.run(
      [
        'env',
        '-u',
        'CI',
        process.execPath,
        BIN,
        'offboard',
        U_EMAIL,
        '--transfer-to',
        READER_EMAIL,
        '--secrets-dir',
        join(dir, 'secrets'),
        '--report-dir',
        join(dir, 'reports'),
      ],
      ROOT,
    );

    // A --transfer-to who cannot own the work is explained, after the review, and the question follows.
    let screen = await t.waitFor((s) => TmuxSession.menu(s, QUESTION).length > 0, 'the transfer question');
    const review = screen.indexOf(`Offboarding ${U_EMAIL} (ursula), org role Org Admin (org admin)\n`);
    const owned = screen.indexOf('  resources they own: ');
    const refusal = screen.indexOf(
      `warning: --transfer-to ${READER_EMAIL} cannot own all the resources: Alpha: needs flows_edit, agents_edit, kbs_edit (role Reader); `,
    );
    const question = screen.indexOf(`? ${QUESTION}`);
    expect(review, screen).toBeGreaterThanOrEqual(0);
    expect(owned).toBeGreaterThan(review);
    expect(refusal, screen).toBeGreaterThan(owned);
    expect(question).toBeGreaterThan(refusal);
    expect(screen).toContain(`not offered (cannot own all the resources): ${READER_EMAIL} (Alpha: needs `);

    // Only users who can own everything (T, an Editor everywhere; the org admins), then nobody; the
    // cursor starts on the first of them.
    const menu = TmuxSession.menu(screen, QUESTION);
    const labels = menu.map((c) => c.label);
    expect(
      labels
        .slice(0, -1)
        .map((l) => l.split(' ')[0])
        .sort(),
    ).toEqual([ADMIN2_EMAIL, 'owner@example.com', T_EMAIL].sort());
    expect(labels.at(-1)).toBe(NOBODY);
    expect(labels.some((l) => l.startsWith(READER_EMAIL))).toBe(false);
    expect(menu.findIndex((c) => c.active)).toBe(0);
    const first = (labels[0] as string).split(' ')[0] as string;

    // Nobody, then "no": the question comes again (nothing aborts).
    await t.moveTo(QUESTION, NOBODY);
    await t.press('Enter');
    screen = await t.waitFor(/^\? Leave them with nobody\?/m, 'the nobody confirmation');
    expect(screen).toContain(
      'warning: 9 resource(s) stay owned by a removed user (they keep working, but nobody owns them)\n',
    );
    await t.type('n');
    await t.press('Enter');
    const again = (s: string) => s.slice(s.indexOf('✔ Leave them with nobody? No'));
    screen = await t.waitFor(
      (s) => s.includes('✔ Leave them with nobody? No') && TmuxSession.menu(again(s), QUESTION).length > 0,
      'the transfer question, asked again',
    );
    expect(again(screen).split('\n')[1]).toBe(`? ${QUESTION}`);
    expect(TmuxSession.menu(again(screen), QUESTION).map((c) => c.label)).toEqual(labels);
    expect(TmuxSession.menu(again(screen), QUESTION).findIndex((c) => c.active)).toBe(0);

    // The default (the first eligible user) takes the work.
    await t.press('Enter');
    screen = await t.waitFor(
      /^\? Offboard ursula@example\.com \(suspend, remove, rotate 2 key\(s\)\)\?/m,
      'the confirmation',
    );
    expect(screen).toContain(`  2. Reassign 9 resource(s) to ${first} and read them back [reversible]\n`);
    // The review is not printed a second time with the plan.
    expect(screen.split(`Offboarding ${U_EMAIL} (ursula)`).length).toBe(2);
    await t.type('y');
    await t.press('Enter');
    screen = await t.waitFor(/^\[exit \d+\]$/m, 'the end');
    expect(screen).toMatch(/^\[exit 0\]$/m);
    expect(screen).toMatch(new RegExp(`^✓ offboarded ${U_EMAIL.replace('.', '\\.')}; report: .+\\.md$`, 'm'));

    // Each step shows once: one line with its outcome, no leftover "running" line.
    const run = screen.slice(screen.indexOf('✔ Offboard ursula@example.com'));
    expect(run, screen).toMatch(/^✔ Offboard/);
    const lines = run.split('\n');
    const titles = [
      'Review access',
      `Reassign 9 resource(s) to ${first} and read them back`,
      'Suspend (sign-in and every key stop at once; reversible)',
      'Rotate system key "u-system-directory" they created',
      'Rotate service-account key "build-bot-alpha" (build-bot@example.com) they created',
      'Remove from the organization (org admin role, 4 personal key(s) revoked; work and activity kept)',
      'Verify work and activity are preserved',
    ];
    for (const title of titles) {
      expect(
        lines.filter((l) => l.includes(title)),
        `${title}\n${run}`,
      ).toEqual([expect.stringMatching(new RegExp(`^\\[✓\\] ${title.replace(/[()[\]."]/g, '\\$&')}: `))]);
    }
    expect(lines.filter((l) => l.startsWith('[ ]'))).toEqual([]);
  });
});
