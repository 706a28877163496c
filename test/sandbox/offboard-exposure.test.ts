// The CLI's offboarding plan against a sandbox that records key exposure (D7, D8): a key the user
// only saw (they rotated a service account's key) is rotated before the removal, so the service
// account keeps working with a secret the user never had.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { getAccess, type User } from '../../src/api/users.js';
import {
  buildPlan,
  fingerprint,
  inventoryOf,
  offboardJournal,
  runPlan,
} from '../../src/services/offboard/index.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sbx: TestSandbox;
let client: ApiClient;

async function ok(method: string, path: string, body?: unknown, key?: string) {
  const r = await sbx.call(method, path, { body, key });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${r.text}`);
  return r.body;
}

const journal = () => offboardJournal(mkdtempSync(join(tmpdir(), 'noxus-exposure-')), 'u');

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  client = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey });
});
afterAll(async () => {
  await client.close();
  await sbx.cleanup();
});

describe('offboarding a user who saw a shared key', () => {
  it('plans a rotation of the key they saw before the removal, and the service account keeps working', async () => {
    const eng = (await ok('GET', '/v1/admin/groups/Engineering')).id;
    const svc = await ok('POST', '/v1/admin/users', {
      kind: 'service',
      email: 'nightly@service.example.com',
      name: 'Nightly',
      workspaces: [{ group_id: 'Engineering', role: 'Editor' }],
    });
    const shared = await ok('POST', `/v1/admin/groups/${eng}/api-keys`, {
      name: 'nightly',
      owner_id: svc.id,
    });
    const linusKey = await ok('POST', '/v1/sandbox/act-as', {
      user_id: 'linus@example.com',
      group_id: 'Engineering',
    });
    // Linus, Admin in Engineering, rotates the service account's key: he now has its secret.
    const seen = await ok('POST', `/v1/admin/api-keys/${shared.id}/rotate`, {}, linusKey.value);

    const linus = (await ok('GET', '/v1/admin/users/linus@example.com')) as User;
    const access = await getAccess(client, linus.id);
    const inv = inventoryOf(access);
    expect(inv.keys_seen).toEqual([
      {
        id: seen.id,
        name: 'nightly',
        kind: 'workspace',
        workspace: 'Engineering',
        holder: 'nightly@service.example.com',
        how: ['rotated'],
      },
    ]);
    const plan = buildPlan(sbx.url, linus, undefined, access);
    expect(plan.fingerprint).toBe(fingerprint(inv));
    const ids = plan.steps.map((s) => s.id);
    // Linus owns work and no --transfer-to is given, so there is no transfer step.
    expect(ids).toEqual(['review', 'suspend', `rotate-key:${seen.id}`, 'remove', 'verify']);
    expect(plan.steps.find((s) => s.id === `rotate-key:${seen.id}`)?.title).toBe(
      'Rotate key "nightly" (nightly@service.example.com) whose secret they saw (rotated)',
    );

    const secrets: string[] = [];
    await runPlan(client, plan, journal(), {
      onStep: () => {},
      onSecret: async (_step, key) => {
        secrets.push(key.value);
        return 'shown once';
      },
    });
    expect(secrets).toHaveLength(1);
    // The secret Linus saw is dead; the one only the operator saw works for the service account.
    const old = await sbx.call('GET', '/v1/admin/me', { key: seen.value });
    expect(old.status).toBe(401);
    expect(old.body.detail).toBe('API key revoked (rotated)');
    const fresh = await sbx.call('GET', '/v1/admin/me', { key: secrets[0] });
    expect(fresh.status).toBe(200);
    expect(fresh.body.holder.email).toBe('nightly@service.example.com');
    expect((await ok('GET', `/v1/admin/users/${linus.id}`)).status).toBe('removed');
  });

  it('a plan from an access report without keys_exposed keeps its former steps and fingerprint', async () => {
    const margaret = (await ok('GET', '/v1/admin/users/margaret@example.com')) as User;
    const { keys_exposed: _dropped, ...older } = (await getAccess(client, margaret.id)) as Awaited<
      ReturnType<typeof getAccess>
    > & { keys_exposed?: unknown };
    const inv = inventoryOf(older);
    expect(inv.keys_seen).toBeUndefined();
    const plan = buildPlan(sbx.url, margaret, undefined, older);
    expect(plan.steps.some((s) => s.title.includes('whose secret they saw'))).toBe(false);
  });
});
