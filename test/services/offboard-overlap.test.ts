// The offboarding plan with an overlap, run in-process against a sandbox on a manual clock: the
// removal is deferred while an old secret still works (the server's clock decides), and the same
// journal finishes it once the overlap has passed.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { getAccess, type User } from '../../src/api/users.js';
import { manualClock } from '../../src/sandbox/clock.js';
import { buildPlan, offboardJournal, overlapText, runPlan } from '../../src/services/offboard/index.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const clock = manualClock(new Date());
let sbx: TestSandbox;
let client: ApiClient;

async function ok(method: string, path: string, body?: unknown, key?: string) {
  const r = await sbx.call(method, path, { body, key });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${r.text}`);
  return r.body;
}

/** A real journal in a temporary directory, and the steps it saw started, in order. */
function tempJournal() {
  const journal = offboardJournal(mkdtempSync(join(tmpdir(), 'noxus-overlap-')), 'u');
  const started = () =>
    readFileSync(journal.path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; step?: string })
      .filter((e) => e.type === 'started')
      .map((e) => e.step);
  return { journal, started };
}

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo', clock });
  client = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey });
});
afterAll(async () => {
  await client.close();
  await sbx.cleanup();
});

describe('overlapText', () => {
  it('writes the overlap in its largest whole unit', () => {
    expect([60, 1800, 3600, 5400, 86_400, 172_800, 45].map(overlapText)).toEqual([
      '1m',
      '30m',
      '1h',
      '90m',
      '1d',
      '2d',
      '45s',
    ]);
  });
});

describe('offboarding with an overlap', () => {
  it('defers the removal until the old secret of the shared key stopped, then finishes from the same journal', async () => {
    const eng = (await ok('GET', '/v1/admin/groups/Engineering')).id;
    await ok('POST', '/v1/admin/users', {
      kind: 'service',
      email: 'nightly@service.example.com',
      name: 'Nightly',
      workspaces: [{ group_id: 'Engineering', role: 'Editor' }],
    });
    const svc = (await ok('GET', '/v1/admin/users/nightly@service.example.com')) as User;
    const shared = await ok('POST', `/v1/admin/groups/${eng}/api-keys`, {
      name: 'nightly',
      owner_id: svc.id,
    });
    const linusKey = await ok('POST', '/v1/sandbox/act-as', {
      user_id: 'linus@example.com',
      group_id: 'Engineering',
    });
    // Linus rotates the service account's key: he has seen the secret in use now.
    const seen = await ok('POST', `/v1/admin/api-keys/${shared.id}/rotate`, {}, linusKey.value);

    const linus = (await ok('GET', '/v1/admin/users/linus@example.com')) as User;
    const plan = buildPlan(sbx.url, linus, undefined, await getAccess(client, linus.id), {
      overlapSeconds: 600,
    });
    expect(plan.overlap_seconds).toBe(600);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'review',
      'suspend',
      `rotate-key:${seen.id}`,
      'remove',
      'verify',
    ]);
    expect(plan.steps.find((s) => s.id === 'remove')?.title).toMatch(
      /^Remove from the organization once the old secrets stopped \(10m after their rotation\) \(/,
    );

    const { journal, started } = tempJournal();
    const secrets: string[] = [];
    const hooks = {
      onStep: () => {},
      onSecret: async (_s: unknown, key: { value: string }) => {
        secrets.push(key.value);
        return 'shown once';
      },
    };
    const due = new Date(clock().getTime() + 600_000).toISOString();
    const first = await runPlan(client, plan, journal, hooks);
    expect(first.deferred).toEqual({ step: 'remove', due_at: due });
    expect(started()).toEqual(['review', 'suspend', `rotate-key:${seen.id}`]);
    expect(first.results.find((r) => r.id.startsWith('rotate'))?.data).toMatchObject({
      old_key: seen.id,
      old_expires_at: due,
    });
    expect((await ok('GET', `/v1/admin/users/${linus.id}`)).status).toBe('suspended');
    // Both secrets work for the service account during the overlap.
    expect((await sbx.call('GET', '/v1/admin/me', { key: seen.value })).status).toBe(200);
    expect((await sbx.call('GET', '/v1/admin/me', { key: secrets[0] })).status).toBe(200);

    // One second before the end: still deferred, nothing else runs.
    clock.advance(599_000);
    const early = await runPlan(client, plan, journal, hooks);
    expect(early.deferred).toEqual({ step: 'remove', due_at: due });
    expect(started()).toHaveLength(3);

    clock.advance(1_000);
    const last = await runPlan(client, plan, journal, hooks);
    expect(last.deferred).toBeUndefined();
    expect(started().slice(3)).toEqual(['remove', 'verify']);
    expect((await ok('GET', `/v1/admin/users/${linus.id}`)).status).toBe('removed');
    expect((await sbx.call('GET', '/v1/admin/me', { key: seen.value })).status).toBe(401);
    const fresh = await sbx.call('GET', '/v1/admin/me', { key: secrets[0] });
    expect(fresh.status).toBe(200);
    expect(fresh.body.holder.email).toBe('nightly@service.example.com');
    expect(secrets).toHaveLength(1);
  });

  it('without rotations an overlap changes nothing: no overlap in the plan, the removal runs at once', async () => {
    const ken = (await ok('GET', '/v1/admin/users/ken@example.com')) as User;
    const plan = buildPlan(sbx.url, ken, undefined, await getAccess(client, ken.id), {
      overlapSeconds: 3600,
    });
    expect(plan.steps.some((s) => s.id.startsWith('rotate'))).toBe(false);
    expect(plan.overlap_seconds).toBeUndefined();
    expect(plan.steps.find((s) => s.id === 'remove')?.title).toMatch(/^Remove from the organization \(/);
  });
});
