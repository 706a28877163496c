// `noxus offboard --overlap`: the shared keys U created are rotated with an overlap, so the new
// secrets are delivered while the old ones still work; U is suspended at once; the removal (which
// revokes every key U saw) waits until the old secrets stopped, and --resume does it then. The
// sandbox runs on a manual clock, so the overlap passes without sleeping.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/sandbox/clock.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import {
  BOT_KEY_NAME,
  buildFixture,
  type Fixture,
  noxus,
  ok,
  type Run,
  SYSTEM_KEY_NAME,
  T_EMAIL,
  U_EMAIL,
} from './offboard-fixture.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const show = (r: Run) => `exit ${r.code} signal ${r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
const status = async (f: Fixture, key: string, path: string) =>
  (await f.sbx.call('GET', path, { key })).status;

describe('noxus offboard U --transfer-to T --overlap 1h', () => {
  it('delivers the new secrets while the old ones work, suspends U at once, and removes U on --resume after the overlap', async () => {
    const clock = manualClock(new Date());
    const f = await buildFixture(undefined, clock);
    try {
      const root = mkdtempSync(join(tmpdir(), 'noxus-offboard-overlap-'));
      made.push(root);
      const cfg = join(root, 'config');
      const secrets = join(root, 'secrets');
      const reports = join(root, 'reports');
      const run = (args: string[]) =>
        noxus(f, ['offboard', U_EMAIL, ...args, '--yes', '--secrets-dir', secrets, '--report-dir', reports], {
          configDir: cfg,
        });
      const due = new Date(clock().getTime() + 3_600_000).toISOString();
      const pending = `removal of ${U_EMAIL} is due after ${due}; run noxus offboard ${U_EMAIL} --resume --yes then`;

      const r = await run(['--transfer-to', T_EMAIL, '--overlap', '1h']);
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(pending);
      expect(r.stderr).toContain(
        `warning: --overlap 1h: the old secrets of 2 rotated key(s) keep working until the new ones are in place; ${U_EMAIL} is suspended at once and removed by --resume once they stopped\n`,
      );
      expect(r.stderr).toContain(
        `[✓] Rotate system key "${SYSTEM_KEY_NAME}" they created; the old secret stops 1h later: rotated: new key `,
      );
      expect(r.stderr).toContain(`; old key ${f.systemKey.id} stops at ${due}; new secret written to `);
      expect(r.stderr).toContain('[✓] Suspend (sign-in and every key stop at once; reversible): suspended\n');
      expect(r.stderr).not.toContain('[✓] Remove');
      expect(r.stderr).not.toContain('[ ] Remove');

      // The new secrets are delivered, and both generations work during the overlap.
      const files = readdirSync(secrets).sort();
      expect(files).toHaveLength(2);
      const secretOf = (prefix: string) =>
        readFileSync(join(secrets, files.find((x) => x.startsWith(`${prefix}-`)) as string), 'utf8').trim();
      const newSys = secretOf(SYSTEM_KEY_NAME);
      const newBot = secretOf(BOT_KEY_NAME);
      expect(await status(f, f.systemKey.secret, '/v1/admin/users')).toBe(200);
      expect(await status(f, newSys, '/v1/admin/users')).toBe(200);
      expect(await status(f, f.botKey.secret, '/v1/workflows')).toBe(200);
      expect(await status(f, newBot, '/v1/workflows')).toBe(200);
      // U's own access ended: suspended, their personal keys refused; the work is T's already.
      expect((await ok(f.sbx, 'GET', `/v1/admin/users/${f.u.id}`)).status).toBe('suspended');
      for (const [name, k] of Object.entries(f.u.keys))
        expect(await status(f, k.secret, '/v1/admin/me'), name).toBe(401);
      expect(existsSync(reports)).toBe(false); // the report is written when the offboarding finishes

      // Before the time: --resume does nothing more and says the same; a second offboarding is refused.
      clock.advance(30 * 60_000);
      const early = await run(['--resume', '--json']);
      expect(early.code, show(early)).toBe(0);
      expect(early.stderr).toBe(`${pending}\n`);
      expect(JSON.parse(early.stdout)).toMatchObject({
        schema_version: 1,
        command: 'offboard',
        status: 'removal_pending',
        removal_due_at: due,
        secrets: [],
        report: null,
      });
      expect((await ok(f.sbx, 'GET', `/v1/admin/users/${f.u.id}`)).status).toBe('suspended');
      expect(await status(f, f.botKey.secret, '/v1/workflows')).toBe(200);
      const again = await run(['--transfer-to', T_EMAIL]);
      expect(again.code, show(again)).toBe(7);
      expect(again.stderr).toContain(
        `an offboarding of ${U_EMAIL} is under way: their removal is due after ${due}`,
      );

      // After the overlap the old secrets have stopped, and --resume removes U and verifies.
      clock.advance(30 * 60_000 + 1_000);
      expect(await status(f, f.systemKey.secret, '/v1/admin/users')).toBe(401);
      expect(await status(f, f.botKey.secret, '/v1/workflows')).toBe(401);
      const late = await run(['--resume']);
      expect(late.code, show(late)).toBe(0);
      expect(late.stderr).toContain(
        '[✓] Remove from the organization once the old secrets stopped (1h after their rotation) (org admin role, 4 personal key(s) revoked; work and activity kept): removed; ',
      );
      expect(late.stderr).toContain('[✓] Verify work and activity are preserved: 9 resource(s) intact');
      expect(late.stderr).toMatch(new RegExp(`✓ offboarded ${U_EMAIL.replace('.', '\\.')}; report: `));
      expect(late.stdout).toBe('');
      expect((await ok(f.sbx, 'GET', `/v1/admin/users/${f.u.id}`)).status).toBe('removed');
      expect(await status(f, f.systemKey.secret, '/v1/admin/users')).toBe(401);
      expect(await status(f, f.botKey.secret, '/v1/workflows')).toBe(401);
      // The new secrets, which U never saw, survive the removal.
      expect(await status(f, newSys, '/v1/admin/users')).toBe(200);
      expect(await status(f, newBot, '/v1/workflows')).toBe(200);
      expect(readdirSync(reports)).toHaveLength(2);
      const events = readFileSync(join(cfg, 'journals', `offboard-${f.u.id}.jsonl`), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; due_at?: string });
      expect(events.filter((e) => e.type === 'deferred').map((e) => e.due_at)).toEqual([due, due]);
      expect(events.at(-1)?.type).toBe('complete');

      // Finished: another --resume has nothing to do.
      const done = await run(['--resume']);
      expect(done.code, show(done)).toBe(0);
      expect(done.stderr).toBe(`the offboarding of ${U_EMAIL} already finished; nothing to resume\n`);
    } finally {
      await f.sbx.cleanup();
    }
  });

  it('on a server without the user-management API --overlap is refused before anything changes', async () => {
    const sbx = await startTestSandbox({ seed: 'demo', api: 'public' });
    try {
      const root = mkdtempSync(join(tmpdir(), 'noxus-offboard-overlap-'));
      made.push(root);
      const r = await noxus({ sbx }, ['offboard', 'grace@example.com', '--overlap', '1h', '--yes'], {
        configDir: join(root, 'config'),
      });
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toContain(
        'error: --overlap needs the full user-management API: the removal waits for the old secrets, and removing is done in the web console here\n',
      );
      const users: Array<{ email: string; is_active: boolean }> = await ok(sbx, 'GET', '/v1/admin/users');
      expect(users.find((u) => u.email === 'grace@example.com')?.is_active).toBe(true);
    } finally {
      await sbx.cleanup();
    }
  });

  it('--overlap goes into the plan; --apply may repeat it, not change it; a bad duration is a usage error', async () => {
    const f = await buildFixture();
    try {
      const root = mkdtempSync(join(tmpdir(), 'noxus-offboard-overlap-'));
      made.push(root);
      const cfg = join(root, 'config');
      const planFile = join(root, 'u.plan.json');
      const out = await noxus(
        f,
        ['offboard', U_EMAIL, '--transfer-to', T_EMAIL, '--overlap', '2d', '--plan-out', planFile],
        { configDir: cfg },
      );
      expect(out.code, show(out)).toBe(0);
      const plan = JSON.parse(readFileSync(planFile, 'utf8'));
      expect(plan.overlap_seconds).toBe(2 * 86_400);
      expect(plan.steps.map((s: { title: string }) => s.title)).toContain(
        `Rotate service-account key "${BOT_KEY_NAME}" (build-bot@example.com) they created; the old secret stops 2d later`,
      );
      const changed = await noxus(f, ['offboard', U_EMAIL, '--apply', planFile, '--overlap', '1h', '--yes'], {
        configDir: cfg,
      });
      expect(changed.code, show(changed)).toBe(2);
      expect(changed.stderr).toContain(
        `error: ${planFile} was planned with --overlap 2d; --overlap 1h would change it`,
      );
      const bad = await noxus(f, ['offboard', U_EMAIL, '--overlap', 'soon', '--dry-run'], { configDir: cfg });
      expect(bad.code, show(bad)).toBe(2);
      expect(bad.stderr).toContain('--overlap must be a duration like 30s, 10m or 1h, got "soon"');
      expect((await ok(f.sbx, 'GET', `/v1/admin/users/${f.u.id}`)).status).toBe('active');
    } finally {
      await f.sbx.cleanup();
    }
  });
});
