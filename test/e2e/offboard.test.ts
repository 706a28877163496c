// `noxus offboard` end to end, spawned as a user runs it, against real sandboxes built through the
// API (see offboard-fixture.ts): the uninterrupted run and what it leaves behind, plan → apply with
// drift detection, the crash matrix (SIGKILL after every step, a 500 on every mutating route, a lost
// reply on every mutating route) finished with --resume, and the refusals.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../src/sandbox/server.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import {
  ADMIN2_EMAIL,
  acceptInvitation,
  actAs,
  activeUser,
  activity,
  BOT_EMAIL,
  BOT_KEY_NAME,
  buildFixture,
  expectedSteps,
  type Fixture,
  noxus,
  ok,
  PENDING_EMAIL,
  type Run,
  type Snapshot,
  SYSTEM_KEY_NAME,
  snapshot,
  T_EMAIL,
  U_EMAIL,
  U_KEYS,
  WORKSPACES,
} from './offboard-fixture.js';

interface Dirs {
  root: string;
  cfg: string;
  secrets: string;
  reports: string;
}
const CRASH_PRELOAD = fileURLToPath(new URL('../helpers/crash-after-step.mjs', import.meta.url));
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
function dirs(): Dirs {
  const root = mkdtempSync(join(tmpdir(), 'noxus-offboard-'));
  made.push(root);
  return { root, cfg: join(root, 'config'), secrets: join(root, 'secrets'), reports: join(root, 'reports') };
}

const offboard = (f: Fixture, d: Dirs, env?: Record<string, string>) =>
  noxus(
    f,
    [
      'offboard',
      U_EMAIL,
      '--transfer-to',
      T_EMAIL,
      '--yes',
      '--secrets-dir',
      d.secrets,
      '--report-dir',
      d.reports,
    ],
    { configDir: d.cfg, env },
  );
const resume = (f: Fixture, d: Dirs) =>
  noxus(
    f,
    ['offboard', U_EMAIL, '--resume', '--yes', '--secrets-dir', d.secrets, '--report-dir', d.reports],
    {
      configDir: d.cfg,
    },
  );

const show = (r: Run) => `exit ${r.code} signal ${r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

type JournalEvent = { type: string; step?: string; result?: { id: string; status: string } };
function journal(d: Dirs, f: Fixture): JournalEvent[] {
  const file = join(d.cfg, 'journals', `offboard-${f.u.id}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
const doneSteps = (events: JournalEvent[]) =>
  events.filter((e) => e.type === 'done').map((e) => e.result?.id as string);

const status = async (f: Fixture, key: string, path = '/v1/admin/me') =>
  (await f.sbx.call('GET', path, { key })).status;

/** The new secrets written by the rotations: exactly one file per rotated key, 0600, and they work. */
async function checkRotatedSecrets(f: Fixture, d: Dirs): Promise<{ system: string; bot: string }> {
  const files = readdirSync(d.secrets).sort();
  expect(files).toHaveLength(2);
  const sysFile = files.find((x) => x.startsWith(`${SYSTEM_KEY_NAME}-`));
  const botFile = files.find((x) => x.startsWith(`${BOT_KEY_NAME}-`));
  expect(sysFile, files.join(', ')).toMatch(/^u-system-directory-[0-9a-f-]{36}\.key$/);
  expect(botFile, files.join(', ')).toMatch(/^build-bot-alpha-[0-9a-f-]{36}\.key$/);
  const secret = (file: string) => {
    const p = join(d.secrets, file);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    return readFileSync(p, 'utf8').trim();
  };
  const newSys = secret(sysFile as string);
  const newBot = secret(botFile as string);
  expect(newSys).toMatch(/^noxus_[0-9A-Za-z]{20,}$/);
  expect(newSys).not.toBe(f.systemKey.secret);
  expect(newBot).not.toBe(f.botKey.secret);
  // The system key keeps its org permission (users:read); the bot's key its workspace access.
  expect(await status(f, newSys, '/v1/admin/users')).toBe(200);
  expect(await status(f, f.systemKey.secret, '/v1/admin/users')).toBe(401);
  expect(await status(f, newBot, '/v1/workflows')).toBe(200);
  expect(await status(f, f.botKey.secret, '/v1/workflows')).toBe(401);
  return {
    system: (sysFile as string).slice(SYSTEM_KEY_NAME.length + 1, -4),
    bot: (botFile as string).slice(BOT_KEY_NAME.length + 1, -4),
  };
}

/** Every effect of the offboarding is in the activity log exactly once. */
async function checkEffectsOnce(f: Fixture): Promise<void> {
  const log = await activity(f.sbx);
  const on = (id: string) => log.filter((e) => e.resource_id === id);
  const suspended = on(f.u.id).filter(
    (e) => e.action === 'update' && e.resource_type === 'user' && e.summary.status?.after === 'suspended',
  );
  expect(suspended).toHaveLength(1);
  const removed = on(f.u.id).filter((e) => e.action === 'delete' && e.resource_type === 'user');
  expect(removed).toHaveLength(1);
  expect(removed[0]?.summary.status).toEqual({ before: 'suspended', after: 'removed' });
  for (const r of f.resources) {
    const moves = on(r.id).filter((e) => e.action === 'update' && e.summary.owner);
    expect(moves, `${r.type} ${r.name}`).toHaveLength(1);
    expect(moves[0]?.summary.owner).toEqual({ before: U_EMAIL, after: T_EMAIL });
  }
  const newSystem = log.filter(
    (e) =>
      e.action === 'create' && e.resource_type === 'system_key' && e.summary.rotated_from === f.systemKey.id,
  );
  expect(newSystem).toHaveLength(1);
  expect(on(f.systemKey.id).filter((e) => e.action === 'delete')).toHaveLength(1);
  const newBot = log.filter(
    (e) => e.action === 'create' && e.resource_type === 'api_key' && e.summary.rotated_from === f.botKey.id,
  );
  expect(newBot).toHaveLength(1);
  expect(on(f.botKey.id).filter((e) => e.action === 'delete')).toHaveLength(1);
  // Exactly one active key of each rotated name, and no rotation of a rotation.
  const sys: Array<{ name: string; status: string }> = await ok(f.sbx, 'GET', '/v1/admin/system-keys');
  expect(
    sys
      .filter((k) => k.name === SYSTEM_KEY_NAME)
      .map((k) => k.status)
      .sort(),
  ).toEqual(['active', 'revoked']);
  const bot = await ok(f.sbx, 'GET', `/v1/admin/api-keys?status=all&owner_id=${f.bot.id}`);
  expect(bot.items.map((k: { status: string }) => k.status).sort()).toEqual(['active', 'revoked']);
}

// The state an uninterrupted offboarding leaves, to compare every interrupted one with. The first
// test provides it; when run alone, another test computes it on its own sandbox.
let baselineP: Promise<Snapshot> | undefined;
function baseline(): Promise<Snapshot> {
  baselineP ??= (async () => {
    const f = await buildFixture();
    try {
      const r = await offboard(f, dirs());
      expect(r.code, show(r)).toBe(0);
      return await snapshot(f.sbx);
    } finally {
      await f.sbx.cleanup();
    }
  })();
  return baselineP;
}

/** After a finished offboarding: effects once, the secrets work, and the state is the baseline's. */
async function checkFinished(f: Fixture, d: Dirs): Promise<void> {
  await checkEffectsOnce(f);
  await checkRotatedSecrets(f, d);
  expect(await snapshot(f.sbx)).toEqual(await baseline());
  const events = journal(d, f);
  expect(doneSteps(events).sort()).toEqual(expectedSteps(f).sort());
  expect(events.at(-1)?.type).toBe('complete');
}

describe('noxus offboard U --transfer-to T (uninterrupted)', () => {
  it('removes U, hands every resource to T, revokes and rotates the keys, keeps the activity, writes the report', async () => {
    const f = await buildFixture();
    try {
      const d = dirs();
      const before = await activity(f.sbx, `actor=${f.u.id}`);
      expect(before.length).toBeGreaterThanOrEqual(14); // 9 resources, system key, bot, its key, invitation…
      // Before: U's keys all work.
      for (const k of Object.values(f.u.keys)) expect(await status(f, k.secret)).toBe(200);

      const r = await offboard(f, d);
      expect(r.code, show(r)).toBe(0);
      expect(r.signal).toBeNull();
      expect(r.stderr).toContain(`✓ offboarded ${U_EMAIL}; report: ${d.reports}/offboard-${U_EMAIL}-`);
      expect(r.stderr).toContain('[✓] Reassign 9 resource(s) to theo@example.com and read them back');
      expect(r.stderr).toContain('removed; 4 key(s) revoked');
      expect(r.stderr).toContain(
        'warning: 1 invitation(s) they sent are still pending (pending.invitee@example.com); they stay valid',
      );
      expect(r.stdout).toBe(''); // secrets went to files, not to the terminal

      // The state every interrupted run must end in (taken before the checks below mint keys for T).
      const snap = await snapshot(f.sbx);
      expect(snap.users).toContain(`${U_EMAIL} removed human Org Admin`);
      expect(snap.memberships.filter((m) => m.includes(U_EMAIL))).toEqual([]);
      expect(snap.resources).toHaveLength(9);
      expect(snap.resources.every((x) => x.endsWith(`owner=${T_EMAIL}`))).toBe(true);
      expect(snap.activePerHolder).toEqual({ [BOT_EMAIL]: 1, 'owner@example.com': 1 });
      expect(snap.keys[`system ${SYSTEM_KEY_NAME} created_by=${U_EMAIL}`]).toEqual({ active: 0, total: 1 });
      expect(snap.keys[`system ${SYSTEM_KEY_NAME} created_by=owner@example.com`]).toEqual({
        active: 1,
        total: 1,
      });
      expect(snap.keys[`workspace Alpha/${BOT_KEY_NAME} holder=${BOT_EMAIL}`]).toEqual({
        active: 1,
        total: 2,
      });
      baselineP ??= Promise.resolve(snap);

      // U is removed.
      expect((await ok(f.sbx, 'GET', `/v1/admin/users/${f.u.id}`)).status).toBe('removed');

      // Every resource is T's and T can read it in its workspace.
      for (const ws of WORKSPACES) {
        const tKey = await actAs(f.sbx, f.t.id, f.groups[ws], `t-${ws}`);
        for (const res of f.resources.filter((x) => x.ws === ws)) {
          const got = await f.sbx.call('GET', `${res.path}/${res.id}`, { key: tKey.secret });
          expect(got.status, `${res.name}: ${got.text}`).toBe(200);
          expect(got.body).toMatchObject({
            id: res.id,
            name: res.name,
            owner_id: f.t.id,
            owner_email: T_EMAIL,
          });
        }
      }

      // U's personal keys are dead (restricted and unrestricted alike).
      for (const [name, k] of Object.entries(f.u.keys)) expect(await status(f, k.secret), name).toBe(401);
      expect(await status(f, f.u.keys.restricted.secret, '/v1/workflows')).toBe(401);

      // Rotated keys: only the new secrets work.
      const newIds = await checkRotatedSecrets(f, d);
      for (const secret of [f.systemKey.secret, f.botKey.secret]) {
        expect(r.stdout + r.stderr).not.toContain(secret);
      }
      for (const file of readdirSync(d.secrets)) {
        expect(r.stdout + r.stderr).not.toContain(readFileSync(join(d.secrets, file), 'utf8').trim());
      }

      // The activity log still holds every entry by U.
      const after = await activity(f.sbx, `actor=${f.u.id}`);
      expect(after.length).toBeGreaterThanOrEqual(before.length);
      const afterIds = new Set(after.map((e) => e.id));
      expect(before.filter((e) => !afterIds.has(e.id))).toEqual([]);

      await checkEffectsOnce(f);

      // The report, Markdown and JSON.
      const reports = readdirSync(d.reports).sort();
      expect(reports).toHaveLength(2);
      expect(reports[0]).toMatch(/^offboard-ursula@example\.com-.*\.json$/);
      expect(reports[1]).toMatch(/^offboard-ursula@example\.com-.*\.md$/);
      const json = JSON.parse(readFileSync(join(d.reports, reports[0] as string), 'utf8'));
      expect(json).toMatchObject({
        schema_version: 1,
        kind: 'noxus-offboarding-report',
        plan: { user: { id: f.u.id, email: U_EMAIL }, transfer_to: { id: f.t.id, email: T_EMAIL } },
      });
      const inv = json.plan.inventory;
      expect(inv.resources.map((x: { name: string }) => x.name).sort()).toEqual(
        f.resources.map((x) => x.name).sort(),
      );
      expect(inv.keys_held.map((k: { name: string }) => k.name).sort()).toEqual(Object.values(U_KEYS).sort());
      expect(inv.system_keys_created).toEqual([
        { id: f.systemKey.id, name: SYSTEM_KEY_NAME, permissions: ['users:read'] },
      ]);
      expect(inv.service_account_keys_created).toEqual([
        { id: f.botKey.id, name: BOT_KEY_NAME, workspace: 'Alpha', holder: BOT_EMAIL },
      ]);
      expect(inv.invitations_pending.map((i: { email: string }) => i.email)).toEqual([PENDING_EMAIL]);
      expect(json.results.map((x: { id: string }) => x.id)).toEqual(expectedSteps(f));
      expect(json.results.every((x: { status: string }) => x.status === 'done')).toBe(true);
      const rotations = json.results.filter((x: { id: string }) => x.id.startsWith('rotate'));
      expect(rotations.map((x: { data: unknown }) => x.data)).toEqual([
        { old_key: f.systemKey.id, new_key: newIds.system, secret: expect.stringContaining('written to ') },
        { old_key: f.botKey.id, new_key: newIds.bot, secret: expect.stringContaining('written to ') },
      ]);
      expect(JSON.stringify(json)).not.toMatch(/noxus_[0-9A-Za-z]{20,}/); // no secret in the report
      const md = readFileSync(join(d.reports, reports[1] as string), 'utf8');
      expect(md).toContain(`# Offboarding of ${U_EMAIL}`);
      expect(md).toContain(`Resources reassigned to: ${T_EMAIL}`);
      for (const res of f.resources) expect(md).toContain(`${res.type} "${res.name}" (${res.id})`);
      for (const name of Object.values(U_KEYS)) expect(md).toContain(name);
      expect(md).toContain(`System keys created: ${SYSTEM_KEY_NAME} (${f.systemKey.id})`);
      expect(md).toContain(`Service-account keys created: ${BOT_KEY_NAME} (${f.botKey.id})`);
      expect(md).toContain(`Pending invitations sent: ${PENDING_EMAIL}`);
      expect(md).toContain(
        `Rotate system key "${SYSTEM_KEY_NAME}" they created | rotated: new key ${newIds.system}`,
      );
      expect(md).toContain(
        `Rotate service-account key "${BOT_KEY_NAME}" (${BOT_EMAIL}) they created | rotated: new key ${newIds.bot}`,
      );
      expect(md).toContain('Resources: 9 intact, owned by theo@example.com');

      // The invitation U sent stays valid: the invitee can still accept it.
      await acceptInvitation(f.sbx, PENDING_EMAIL);
      expect(
        (await ok(f.sbx, 'GET', `/v1/admin/users?status=active`)).map((u: { email: string }) => u.email),
      ).toContain(PENDING_EMAIL);
    } finally {
      await f.sbx.cleanup();
    }
  });
});

describe('plan → apply', () => {
  it('--plan-out changes nothing; a stale plan is refused (exit 7, naming the new key); --force applies it', async () => {
    const f = await buildFixture();
    try {
      const d = dirs();
      const planFile = join(d.root, 'ursula.plan.json');
      const s0 = await snapshot(f.sbx);
      const planned = await noxus(
        f,
        ['offboard', U_EMAIL, '--transfer-to', T_EMAIL, '--plan-out', planFile],
        {
          configDir: d.cfg,
        },
      );
      expect(planned.code, show(planned)).toBe(0);
      expect(planned.stderr).toContain(
        `plan written to ${planFile}; nothing was changed. Apply it with: noxus offboard ${U_EMAIL} --apply ${planFile}`,
      );
      expect(await snapshot(f.sbx)).toEqual(s0);
      for (const k of Object.values(f.u.keys)) expect(await status(f, k.secret)).toBe(200);
      expect(journal(d, f)).toEqual([]);
      const plan = JSON.parse(readFileSync(planFile, 'utf8'));
      expect(statSync(planFile).mode & 0o777).toBe(0o600);
      expect(plan).toMatchObject({
        kind: 'noxus-offboarding-plan',
        user: { id: f.u.id, email: U_EMAIL },
        transfer_to: { id: f.t.id, email: T_EMAIL },
      });
      expect(plan.steps.map((s: { id: string }) => s.id)).toEqual(expectedSteps(f));

      // Drift: a key is made for U after the plan was written.
      const late = await actAs(f.sbx, f.u.id, f.groups.Gamma, 'u-late-key');
      const s1 = await snapshot(f.sbx);
      const stale = await noxus(f, ['offboard', U_EMAIL, '--apply', planFile, '--yes'], { configDir: d.cfg });
      expect(stale.code, show(stale)).toBe(7);
      expect(stale.stderr).toContain(
        'error: the plan is stale: the server changed since it was written (1 difference)',
      );
      expect(stale.stderr).toContain(`  - new key: u-late-key (${late.id}) in Gamma`);
      expect(stale.stderr).toContain(
        `write a new plan: noxus offboard ${U_EMAIL} --transfer-to ${T_EMAIL} --plan-out ${planFile}  (or apply anyway with --force)`,
      );
      expect(await snapshot(f.sbx)).toEqual(s1);
      expect(await status(f, late.secret)).toBe(200);
      expect(journal(d, f)).toEqual([]);

      const forced = await noxus(
        f,
        [
          'offboard',
          U_EMAIL,
          '--apply',
          planFile,
          '--force',
          '--yes',
          '--secrets-dir',
          d.secrets,
          '--report-dir',
          d.reports,
        ],
        { configDir: d.cfg },
      );
      expect(forced.code, show(forced)).toBe(0);
      expect(forced.stderr).toContain(
        `warning: applying a stale plan (--force): new key: u-late-key (${late.id}) in Gamma`,
      );
      expect(forced.stderr).toContain('removed; 5 key(s) revoked');
      expect(await status(f, late.secret)).toBe(401);
      for (const k of Object.values(f.u.keys)) expect(await status(f, k.secret)).toBe(401);
      await checkEffectsOnce(f);
      await checkRotatedSecrets(f, d);
      const snap = await snapshot(f.sbx);
      expect(snap.users).toContain(`${U_EMAIL} removed human Org Admin`);
      expect(snap.resources.every((x) => x.endsWith(`owner=${T_EMAIL}`))).toBe(true);
    } finally {
      await f.sbx.cleanup();
    }
  });
});

const STEP_KINDS = [
  'review',
  'transfer',
  'suspend',
  'rotate-system',
  'rotate-key',
  'remove',
  'verify',
] as const;
/** The environment that makes the spawned CLI die by SIGKILL once the journal has `step` done. */
const crashAfter = (step: string) => ({
  CRASH_AFTER_STEP: step,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(CRASH_PRELOAD).href}`.trim(),
});
const stepOf = (f: Fixture, kind: string) => expectedSteps(f).find((s) => s.split(':')[0] === kind) as string;

describe('crash matrix: SIGKILL right after each step, then --resume', () => {
  for (const [i, kind] of STEP_KINDS.entries()) {
    it(`killed after "${kind}": --resume finishes with exit 0 and the same end state`, async () => {
      const f = await buildFixture();
      try {
        const d = dirs();
        const step = stepOf(f, kind);
        const crashed = await offboard(f, d, crashAfter(step));
        expect(crashed.signal, show(crashed)).toBe('SIGKILL');
        expect(crashed.code).toBeNull();
        const events = journal(d, f);
        expect(doneSteps(events)).toEqual(expectedSteps(f).slice(0, i + 1));
        expect(events.at(-1)).toMatchObject({ type: 'done', result: { id: step } });
        expect(existsSync(d.reports) ? readdirSync(d.reports) : []).toEqual([]);
        const u = await ok(f.sbx, 'GET', `/v1/admin/users/${f.u.id}`);
        expect(u.status).toBe(i < 2 ? 'active' : i < STEP_KINDS.indexOf('remove') ? 'suspended' : 'removed');

        // A plain re-run does not start over: it points at --resume.
        const again = await offboard(f, d);
        expect(again.code, show(again)).toBe(7);
        expect(again.stderr).toContain(`error: an offboarding of ${U_EMAIL} was interrupted`);
        expect(again.stderr).toContain(`finish it with: noxus offboard ${U_EMAIL} --resume`);

        const resumed = await resume(f, d);
        expect(resumed.code, show(resumed)).toBe(0);
        expect(resumed.stderr.match(/\(done earlier\)/g) ?? []).toHaveLength(i + 1);
        expect(resumed.stderr).toContain(`✓ offboarded ${U_EMAIL}; report: `);
        expect(readdirSync(d.reports)).toHaveLength(2);
        await checkFinished(f, d);
      } finally {
        await f.sbx.cleanup();
      }
    });
  }
});

const MUTATING: Array<{ kind: string; method: string; route: string }> = [
  { kind: 'transfer', method: 'POST', route: '/v1/admin/transfers' },
  { kind: 'suspend', method: 'POST', route: '/v1/admin/users/:id/suspend' },
  { kind: 'remove', method: 'DELETE', route: '/v1/admin/users/:id' },
  { kind: 'rotate-system', method: 'POST', route: '/v1/admin/system-keys/:id/rotate' },
  { kind: 'rotate-key', method: 'POST', route: '/v1/admin/api-keys/:id/rotate' },
];

describe('crash matrix: the server answers 500 once to each mutating step, then --resume', () => {
  for (const m of MUTATING) {
    it(`500 on ${m.method} ${m.route} (${m.kind}): exit 1 with the resume hint, then --resume finishes`, async () => {
      const rule: FaultRule = { method: m.method, route: m.route, status: 500, times: 1 };
      const f = await buildFixture([rule]);
      try {
        const d = dirs();
        const step = stepOf(f, m.kind);
        const i = expectedSteps(f).indexOf(step);
        const first = await offboard(f, d);
        expect(first.code, show(first)).toBe(1);
        expect(rule.times).toBe(0); // the fault was hit
        expect(first.stderr).toContain(`error: offboarding of ${U_EMAIL} stopped: `);
        expect(first.stderr).toContain('injected fault (500)');
        expect(first.stderr).toContain(
          `nothing is lost: fix the cause and finish with: noxus offboard ${U_EMAIL} --resume --yes`,
        );
        const events = journal(d, f);
        expect(doneSteps(events)).toEqual(expectedSteps(f).slice(0, i));
        expect(events.at(-1)).toMatchObject({ type: 'started', step });

        const resumed = await resume(f, d);
        expect(resumed.code, show(resumed)).toBe(0);
        expect(resumed.stderr.match(/\(done earlier\)/g) ?? []).toHaveLength(i);
        await checkFinished(f, d);
      } finally {
        await f.sbx.cleanup();
      }
    });
  }
});

describe('crash matrix: the reply to each mutating step is lost after the change was made', () => {
  for (const m of MUTATING) {
    it(`lost reply on ${m.method} ${m.route} (${m.kind}): the retry does not do it twice`, async () => {
      const rule: FaultRule = { method: m.method, route: m.route, status: 500, times: 1, after: true };
      const f = await buildFixture([rule]);
      try {
        const d = dirs();
        const first = await offboard(f, d);
        expect(rule.times).toBe(0);
        expect(first.code, show(first)).toBe(0);
        await checkFinished(f, d);
      } finally {
        await f.sbx.cleanup();
      }
    });
  }
});

describe('crash matrix: the reply to each mutating step never arrives (the client gives up), then --resume', () => {
  for (const m of MUTATING) {
    it(`every reply on ${m.method} ${m.route} (${m.kind}) lost: exit 1, then --resume does not do it twice`, async () => {
      const rule: FaultRule = { method: m.method, route: m.route, status: 500, times: 1000, after: true };
      const f = await buildFixture([rule]);
      try {
        const d = dirs();
        const step = stepOf(f, m.kind);
        const i = expectedSteps(f).indexOf(step);
        // A short overall deadline makes the client give up after a few lost replies.
        const first = await offboard(f, d, { NOXUS_DEADLINE: '1' });
        expect(first.code, show(first)).toBe(1);
        expect(rule.times).toBeLessThan(1000);
        expect(first.stderr).toContain(
          `error: offboarding of ${U_EMAIL} stopped: connection to ${f.sbx.url} failed: `,
        );
        expect(first.stderr).toContain(`noxus offboard ${U_EMAIL} --resume --yes`);
        const events = journal(d, f);
        expect(doneSteps(events)).toEqual(expectedSteps(f).slice(0, i));
        expect(events.at(-1)).toMatchObject({ type: 'started', step });

        rule.times = 0; // the network is back
        const resumed = await resume(f, d);
        expect(resumed.code, show(resumed)).toBe(0);
        await checkFinished(f, d);
      } finally {
        await f.sbx.cleanup();
      }
    });
  }
});

describe('refusals: exit with the documented code and change nothing', () => {
  it('service account (2), yourself (7), a suspended (7) / removed (7) / self (2) --transfer-to', async () => {
    const f = await buildFixture();
    try {
      const everywhere = WORKSPACES.map((w) => ({ group_id: f.groups[w], role: 'Editor' }));
      const suspended = await activeUser(f.sbx, 'sam.suspended@example.com', 'Org Base', everywhere);
      await ok(f.sbx, 'POST', `/v1/admin/users/${suspended}/suspend`);
      const removed = await activeUser(f.sbx, 'rita.removed@example.com', 'Org Base', everywhere);
      await ok(f.sbx, 'DELETE', `/v1/admin/users/${removed}`);
      const s0 = await snapshot(f.sbx);

      const cases: Array<{ what: string; args: string[]; key?: string; code: number; text: string[] }> = [
        {
          what: 'a service account',
          args: ['offboard', BOT_EMAIL, '--yes'],
          code: 2,
          text: [
            `error: ${BOT_EMAIL} is a service account; offboarding is for people`,
            `delete it with: noxus service-accounts delete ${BOT_EMAIL}`,
          ],
        },
        {
          what: 'yourself',
          args: ['offboard', U_EMAIL, '--transfer-to', T_EMAIL, '--yes'],
          key: f.u.keys.admin.secret,
          code: 7,
          text: [`error: you cannot offboard yourself (the key in use is held by ${U_EMAIL})`],
        },
        {
          what: 'a suspended --transfer-to',
          args: ['offboard', U_EMAIL, '--transfer-to', 'sam.suspended@example.com', '--yes'],
          code: 7,
          text: ['error: --transfer-to sam.suspended@example.com is suspended; pick an active user'],
        },
        {
          what: 'a removed --transfer-to',
          args: ['offboard', U_EMAIL, '--transfer-to', 'rita.removed@example.com', '--yes'],
          code: 7,
          text: ['error: --transfer-to rita.removed@example.com is removed; pick an active user'],
        },
        {
          what: 'the user themself as --transfer-to',
          args: ['offboard', U_EMAIL, '--transfer-to', U_EMAIL, '--yes'],
          code: 2,
          text: ['error: --transfer-to cannot be the user being offboarded'],
        },
      ];
      for (const c of cases) {
        const d = dirs();
        const r = await noxus(f, [...c.args, '--report-dir', d.reports], { configDir: d.cfg, key: c.key });
        expect(r.code, `${c.what}\n${show(r)}`).toBe(c.code);
        for (const t of c.text) expect(r.stderr, c.what).toContain(t);
        expect(existsSync(join(d.cfg, 'journals')) ? readdirSync(join(d.cfg, 'journals')) : []).toEqual([]);
        expect(existsSync(d.reports), c.what).toBe(false);
        expect(await snapshot(f.sbx), c.what).toEqual(s0);
      }
      // U's keys were never touched.
      for (const k of Object.values(f.u.keys)) expect(await status(f, k.secret)).toBe(200);
    } finally {
      await f.sbx.cleanup();
    }
  });

  it('the last active org admin (7)', async () => {
    const sbx = await startTestSandbox({ seed: 'empty' });
    try {
      // An automation key held by the organization, so that the caller is not the owner themself.
      const sys = await ok(sbx, 'POST', '/v1/admin/system-keys', {
        name: 'automation',
        permissions: [],
        tenant_admin: true,
      });
      const s0 = await snapshot(sbx);
      const d = dirs();
      const r = await noxus({ sbx }, ['offboard', 'owner@example.com', '--yes'], {
        configDir: d.cfg,
        key: sys.value,
      });
      expect(r.code, show(r)).toBe(7);
      expect(r.stderr).toContain('error: owner@example.com is the last active org admin');
      expect(r.stderr).toContain('make another user org admin first');
      expect(await snapshot(sbx)).toEqual(s0);
      expect(
        (await ok(sbx, 'GET', '/v1/admin/users?status=active')).map((u: { email: string }) => u.email),
      ).toEqual(['owner@example.com']);
      // With a second org admin the same command is no longer refused for that reason (it can fail
      // later, but not as "last org admin").
      await activeUser(sbx, ADMIN2_EMAIL, 'Org Admin');
      const plan = await noxus({ sbx }, ['offboard', 'owner@example.com', '--dry-run'], {
        configDir: d.cfg,
        key: sys.value,
      });
      expect(plan.code, show(plan)).toBe(0);
      expect(plan.stderr).toContain('Dry run: nothing was changed.');
    } finally {
      await sbx.cleanup();
    }
  });
});
