// Reasons and expiry on workspace grants, end to end: the built binary adds a member with both
// against a real sandbox, `ws members` and `review export` show them, and once the sandbox's clock
// passes the expiry the grant is gone and `activity --action lapse` lists its lapse.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/sandbox/clock.js';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const EXPIRES = '2099-01-31T00:00:00.000Z';
// The CLI checks --expires against the real time; the sandbox starts there and is moved by hand.
const clock = manualClock(new Date());
let sbx: TestSandbox;
let cfg: string;
let userId: string;

const nx = (args: string[]) =>
  runCli(args, { env: { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey }, configDir: cfg });

beforeAll(async () => {
  sbx = await startTestSandbox({ clock });
  cfg = tempConfigDir();
  const g = await sbx.call('POST', '/v1/admin/groups', { body: { name: 'Ops' } });
  expect(g.status).toBe(201);
  const u = await sbx.call('POST', '/v1/admin/users', {
    body: { email: 'temp@example.com', name: 'Tem Porary' },
  });
  expect(u.status).toBe(201);
  userId = u.body.id;
});
afterAll(async () => {
  await sbx.cleanup();
});

describe('grant terms end to end', () => {
  it('ws add-member stores the reason and expiry; a re-run is unchanged', async () => {
    const argv = ['ws', 'add-member', 'Ops', 'temp@example.com', '--role', 'Reader'];
    const terms = ['--reason', 'incident 42', '--expires', '2099-01-31'];
    const r = await nx([...argv, ...terms]);
    expect(r).toMatchObject({
      code: 0,
      stdout: '',
      stderr: `✓ added temp@example.com to Ops as Reader (reason: incident 42, expires ${EXPIRES})\n`,
    });
    const again = await nx([...argv, ...terms]);
    expect(again).toMatchObject({
      code: 0,
      stdout: '',
      stderr: `temp@example.com is already Reader in Ops (reason: incident 42, expires ${EXPIRES}) (unchanged)\n`,
    });
  });

  it('ws members --json and review export show them', async () => {
    const m = await nx(['ws', 'members', 'Ops', '--json']);
    expect(m.code, m.stderr).toBe(0);
    const row = JSON.parse(m.stdout).items.find((x: { email: string }) => x.email === 'temp@example.com');
    expect(row).toMatchObject({ role: { name: 'Reader' }, reason: 'incident 42', expires_at: EXPIRES });
    const e = await nx(['review', 'export']);
    expect(e.code, e.stderr).toBe(0);
    const grants = JSON.parse(e.stdout).content.grants.filter(
      (g: { email: string }) => g.email === 'temp@example.com',
    );
    expect(grants).toEqual([
      expect.objectContaining({
        workspace: 'Ops',
        role: 'Reader',
        reason: 'incident 42',
        expires_at: EXPIRES,
      }),
    ]);
  });

  it('review diff names a change of reason or expiry on the same role, a longer one marked', async () => {
    const before = join(cfg, 'before.json');
    const after = join(cfg, 'after.json');
    expect((await nx(['review', 'export', '-o', before])).code).toBe(0);
    const set = await nx([
      'ws',
      'set-role',
      'Ops',
      'temp@example.com',
      '--role',
      'Reader',
      '--reason',
      'incident 43',
      '--expires',
      '2099-01-31',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect((await nx(['review', 'export', '-o', after])).code).toBe(0);
    const d = await nx(['review', 'diff', before, after]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain(
      `## Grant terms changed\n\n- temp@example.com in Ops (Reader): reason "incident 42", expires ${EXPIRES} → reason "incident 43", expires ${EXPIRES}\n`,
    );
    const j = JSON.parse((await nx(['review', 'diff', before, after, '--format', 'json'])).stdout);
    expect(j.grants_terms_changed).toEqual([
      expect.objectContaining({ email: 'temp@example.com', escalation: false }),
    ]);
    expect(j.changes).toBe(1);
  });

  it('past the expiry the grant has lapsed: gone from the members, listed by activity --action lapse', async () => {
    clock.set('2099-01-31T00:00:01.000Z');
    const m = await nx(['ws', 'members', 'Ops', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout).items.map((x: { email: string }) => x.email)).not.toContain(
      'temp@example.com',
    );
    const a = await nx(['activity', '--action', 'lapse', '--json']);
    expect(a.code, a.stderr).toBe(0);
    // One JSON object a line.
    const entries = a.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'lapse',
        resource_type: 'membership',
        at: EXPIRES,
        actor_email: 'system',
        resource_id: expect.stringMatching(new RegExp(`:${userId}$`)),
      }),
    ]);
  });
});
