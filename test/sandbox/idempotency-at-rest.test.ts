// Idempotency records at rest (src/sandbox/idempotency.ts): a replay of a response that carries a
// new key's secret is returned with the right Idempotency-Key and is nowhere in the database files
// (noxus.db, -wal, -shm), nor is the Idempotency-Key itself; a row left in flight by a crash is
// answered "still in progress" while the server runs (marked so clients can wait) and reclaimed by
// the next start.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/sandbox/db.js';
import { IdempotencyStore } from '../../src/sandbox/idempotency.js';
import { startSandbox } from '../../src/sandbox/runtime.js';
import { hashSecret } from '../../src/sandbox/secrets.js';
import { Store } from '../../src/sandbox/store.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sbx: TestSandbox | undefined;
afterEach(async () => {
  await sbx?.cleanup();
  sbx = undefined;
});

/** Every file of the data folder that SQLite writes, concatenated. */
function dbBytes(dataDir: string): Buffer {
  return Buffer.concat(
    readdirSync(dataDir)
      .filter((f) => f.startsWith('noxus.db'))
      .map((f) => readFileSync(join(dataDir, f))),
  );
}

async function defaultGroup(s: TestSandbox): Promise<string> {
  const groups = (await s.call('GET', '/v1/admin/groups')).body as Array<{ id: string; name: string }>;
  return (groups.find((g) => g.name === 'Default') as { id: string }).id;
}

describe('a replayed response carrying a secret', () => {
  it('comes back with the same Idempotency-Key and is not in the database files', async () => {
    sbx = await startTestSandbox();
    const gid = await defaultGroup(sbx);
    const idem = `idem-${'k'.repeat(24)}-secret-replay`;
    const headers = { 'Idempotency-Key': idem };
    const first = await sbx.call('POST', `/v1/admin/groups/${gid}/api-keys`, {
      body: { name: 'ci' },
      headers,
    });
    expect(first.status).toBe(201);
    const secret = first.body.value as string;
    expect(secret).toMatch(/^noxus_[0-9A-Za-z]{43}$/);

    const replay = await sbx.call('POST', `/v1/admin/groups/${gid}/api-keys`, {
      body: { name: 'ci' },
      headers,
    });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(first.text);

    // Another Idempotency-Key is another request: a second key, not the first one's secret.
    const other = await sbx.call('POST', `/v1/admin/groups/${gid}/api-keys`, {
      body: { name: 'ci' },
      headers: { 'Idempotency-Key': `${idem}-2` },
    });
    expect(other.status).toBe(201);
    expect(other.body.value).not.toBe(secret);

    const bytes = dbBytes(sbx.dataDir);
    expect(bytes.length).toBeGreaterThan(4096);
    expect(bytes.includes(secret)).toBe(false);
    expect(bytes.includes(other.body.value as string)).toBe(false);
    expect(bytes.includes(idem)).toBe(false);
    // The row exists (sealed): the replay above came from it, not from a lucky re-run.
    const db = openDatabase(join(sbx.dataDir, 'noxus.db'));
    try {
      const rows = db.prepare('SELECT key_hash, body FROM idempotency').all() as Array<{
        key_hash: string;
        body: Buffer;
      }>;
      expect(rows).toHaveLength(2);
      for (const r of rows) {
        expect(r.key_hash).toMatch(/^[0-9a-f]{64}$/);
        expect(r.body.includes('noxus_')).toBe(false);
      }
    } finally {
      db.close();
    }
  });

  it('a sealed body opens only with its own Idempotency-Key', () => {
    const db = openDatabase(':memory:');
    const idem = new IdempotencyStore(new Store(db));
    const right = idem.ref('key-1', 'client-key');
    idem.claim(right, 'POST', '/v1/x');
    idem.complete(right, 'POST', '/v1/x', 201, '{"value":"noxus_secret"}');
    const rec = idem.find(right);
    expect(rec?.status).toBe(201);
    expect(idem.open(right, rec as NonNullable<typeof rec>)).toBe('{"value":"noxus_secret"}');
    // Same lookup row, wrong sealing key (as if someone guessed the row): it does not open.
    const wrong = { ...right, secret: idem.ref('key-1', 'other-key').secret };
    expect(idem.open(wrong, rec as NonNullable<typeof rec>)).toBeUndefined();
    // Another caller's key id with the same Idempotency-Key finds nothing.
    expect(idem.find(idem.ref('key-2', 'client-key'))).toBeUndefined();
    db.close();
  });
});

describe('a row left in flight by a crash', () => {
  it('answers 409 idempotency_in_progress while the server runs, and is reclaimed by the next start', async () => {
    sbx = await startTestSandbox();
    const { dataDir, adminKey } = sbx;
    // What a request killed mid-handler leaves: the claimed row with no status.
    const side = openDatabase(join(dataDir, 'noxus.db'));
    const me = (
      side.prepare('SELECT id FROM api_keys WHERE hash = ?').get(hashSecret(adminKey)) as { id: string }
    ).id;
    const store = new IdempotencyStore(new Store(side));
    store.claim(store.ref(me, 'crashed-create'), 'POST', '/v1/admin/groups');
    side.close();
    const body = { name: 'After the crash' };
    const headers = { 'Idempotency-Key': 'crashed-create' };
    const busy = await sbx.call('POST', '/v1/admin/groups', { body, headers });
    expect(busy.status).toBe(409);
    expect(busy.body).toEqual({
      detail: 'a request with Idempotency-Key crashed-create is still in progress',
      code: 'idempotency_in_progress',
    });
    expect(busy.headers.get('retry-after')).toBe('1');
    await sbx.close();
    const closed = sbx;
    sbx = undefined;

    const again = await startSandbox({ dataDir, port: 0, version: 'test' });
    try {
      const r = await fetch(`${again.url}/v1/admin/groups`, {
        method: 'POST',
        headers: { 'x-api-key': adminKey, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      expect(r.status).toBe(201);
      expect(((await r.json()) as { name: string }).name).toBe('After the crash');
    } finally {
      await again.close();
      rmSync(closed.dataDir, { recursive: true, force: true });
    }
  });
});

describe('a user creation whose reply a crash lost', () => {
  it('is answered by the retry after the restart with the user it created, not a conflict', async () => {
    sbx = await startTestSandbox();
    const { dataDir, adminKey } = sbx;
    const body = { email: 'lost-reply@example.com', name: 'Lost Reply' };
    const first = await sbx.call('POST', '/v1/admin/users', {
      body,
      headers: { 'Idempotency-Key': 'create-lost-reply' },
    });
    expect(first.status).toBe(201);
    await sbx.close();
    const closed = sbx;
    sbx = undefined;
    // What a kill between the commit and the reply leaves: the user, and the record still in flight.
    const side = openDatabase(join(dataDir, 'noxus.db'));
    expect(side.prepare('UPDATE idempotency SET status = NULL, body = NULL').run().changes).toBe(1);
    side.close();

    const again = await startSandbox({ dataDir, port: 0, version: 'test' });
    const post = (key: string) =>
      fetch(`${again.url}/v1/admin/users`, {
        method: 'POST',
        headers: { 'x-api-key': adminKey, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
    try {
      const retry = await post('create-lost-reply');
      expect(retry.status).toBe(201);
      const u = (await retry.json()) as { id: string; invitation: { state: string } };
      expect(u.id).toBe(first.body.id);
      expect(u.invitation.state).toBe(first.body.invitation.state);
      // (control) another request for the same email is the conflict it always was.
      expect((await post('someone-else')).status).toBe(409);
    } finally {
      await again.close();
      rmSync(closed.dataDir, { recursive: true, force: true });
    }
  });
});
