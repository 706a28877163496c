// The key rules of services/keys.ts against a real sandbox: a new key is bound by its holder (and by
// the restricted key that makes it), an unrestricted key shrinks to what every bound allows, and a
// rotation keeps the restriction.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import type { User } from '../../src/api/users.js';
import { PermissionError, UsageError } from '../../src/errors.js';
import {
  assertWithinBounds,
  currentIdentity,
  holderBounds,
  keyOwner,
  parseOverlap,
  parseRestrict,
  planRotation,
  rotateWorkspaceKey,
} from '../../src/services/keys.js';
import { Resolver } from '../../src/services/resolve.js';
import { capabilities } from '../commands/mock.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sbx: TestSandbox;
let admin: ApiClient;
let eng: string;
let reader: User;
const clients: ApiClient[] = [];
const caps = capabilities('all');
const now = new Date();

async function ok(method: string, path: string, body?: unknown) {
  const r = await sbx.call(method, path, { body });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${r.text}`);
  return r.body;
}

function clientWith(key: string): ApiClient {
  const c = new ApiClient({ baseUrl: sbx.url, apiKey: key });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  admin = clientWith(sbx.adminKey);
  eng = (await ok('GET', '/v1/admin/groups/Engineering')).id;
  await ok('POST', '/v1/admin/users', {
    kind: 'service',
    email: 'reader-bot@service.example.com',
    name: 'Reader bot',
    workspaces: [{ group_id: 'Engineering', role: 'Reader' }],
  });
  reader = (await ok('GET', '/v1/admin/users/reader-bot@service.example.com')) as User;
});
afterAll(async () => {
  for (const c of clients) await c.close();
  await sbx.cleanup();
});

/** What the caller and `owner` bound a new key in Engineering to. */
async function boundsFor(client: ApiClient, owner?: User) {
  const r = new Resolver(client);
  const me = await currentIdentity(client);
  const bounds = await holderBounds(r, caps, me, eng, owner);
  if (!bounds) throw new Error('a server with member lists gives bounds');
  return bounds;
}

function refusal(f: () => unknown): PermissionError {
  try {
    f();
  } catch (e) {
    if (e instanceof PermissionError) return e;
    throw e;
  }
  throw new Error('expected a PermissionError');
}

describe('a new key is bound by its holder', () => {
  it('refuses a restriction beyond the owner service account, naming each missing permission', async () => {
    const bounds = await boundsFor(admin, reader);
    const e = refusal(() =>
      assertWithinBounds(['flows_run', 'flows_edit', 'kbs_edit'], bounds, 'Engineering'),
    );
    expect(e.message).toBe(
      'a key can never have more permissions than its creator: service account reader-bot@service.example.com lacks flows_edit, kbs_edit in Engineering (role Reader)',
    );
    expect(e.data).toEqual({ missing: ['flows_edit', 'kbs_edit'] });
  });

  it('takes a restriction within every bound as asked', async () => {
    const bounds = await boundsFor(admin, reader);
    expect(assertWithinBounds(['kbs_query', 'flows_run'], bounds, 'Engineering')).toEqual([
      'flows_run',
      'kbs_query',
    ]);
  });

  it('an unrestricted key shrinks to the overlap of the bounds: the Reader role here', async () => {
    const bounds = await boundsFor(admin, reader);
    expect(bounds.map((b) => `${b.who}: ${b.source}`)).toEqual([
      expect.stringMatching(/^you \(.+\): org admin$/),
      'service account reader-bot@service.example.com: role Reader',
    ]);
    expect(assertWithinBounds(null, bounds, 'Engineering')).toEqual(['flows_run', 'agents_run', 'kbs_query']);
  });

  it('a restricted key cannot make a key with more than its own restriction', async () => {
    const made = await ok('POST', `/v1/admin/groups/${eng}/api-keys`, {
      name: 'narrow',
      permissions: ['flows_run', 'kbs_query'],
    });
    const narrow = clientWith(made.value);
    const bounds = await boundsFor(narrow);
    const e = refusal(() => assertWithinBounds(['flows_run', 'agents_run'], bounds, 'Engineering'));
    expect(e.message).toBe(
      'a key can never have more permissions than its creator: the key you are using lacks agents_run in Engineering (its restriction)',
    );
    expect(assertWithinBounds(null, bounds, 'Engineering')).toEqual(['flows_run', 'kbs_query']);
  });

  it('a holder without a role in the workspace can make no key there', async () => {
    await ok('POST', '/v1/admin/users', {
      kind: 'service',
      email: 'loose@service.example.com',
      name: 'Loose',
    });
    const loose = (await ok('GET', '/v1/admin/users/loose@service.example.com')) as User;
    const bounds = await boundsFor(admin, loose);
    const refused = refusal(() => assertWithinBounds(null, bounds, 'Engineering'));
    expect(refused.message).toBe('service account loose@service.example.com has no role in Engineering');
  });

  it('only a service account can own a key', async () => {
    const r = new Resolver(admin);
    await expect(keyOwner(r, 'reader-bot@service.example.com')).resolves.toMatchObject({ id: reader.id });
    const person = (await r.users()).find((u) => (u.kind ?? 'human') !== 'service') as User;
    await expect(keyOwner(r, person.email)).rejects.toMatchObject({
      name: 'UsageError',
      message: `--owner ${person.email} is a person, not a service account`,
    });
  });
});

describe('rotation', () => {
  it('keeps the restriction and holder; a re-run during the overlap changes nothing unless forced', async () => {
    const made = await ok('POST', `/v1/admin/groups/${eng}/api-keys`, {
      name: 'deploy',
      permissions: ['flows_run'],
      owner_id: reader.id,
    });
    const plan = await planRotation(admin, 'deploy', { overlap: '10m' }, now);
    expect(plan).toMatchObject({ kind: 'rotate', overlapSeconds: 600, expiresAt: null });
    if (plan.kind !== 'rotate') throw new Error('unreachable');
    const res = await rotateWorkspaceKey(admin, plan);
    expect(res.permissions).toEqual(['flows_run']);
    expect(res.holder_id).toBe(reader.id);
    expect(res.replaces.id).toBe(made.id);

    const again = await planRotation(admin, 'deploy', { overlap: '10m' }, now);
    expect(again).toMatchObject({ kind: 'unchanged', key: { id: res.id }, outgoing: { id: made.id } });
    const forced = await planRotation(admin, 'deploy', { overlap: '10m', force: true }, now);
    expect(forced).toMatchObject({ kind: 'rotate', key: { id: res.id, permissions: ['flows_run'] } });
  });

  it('refuses a bad overlap or expiry before any request', async () => {
    const offline = new ApiClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'x' });
    clients.push(offline);
    await expect(planRotation(offline, 'deploy', { overlap: 'soon' }, now)).rejects.toThrow(
      '--overlap must be a duration like 30s, 10m or 1h, got "soon"',
    );
    await expect(planRotation(offline, 'deploy', { expiresIn: '0d' }, now)).rejects.toThrow(UsageError);
  });
});

describe('flag rules', () => {
  it('parseOverlap: seconds, rounded up, at most 30 days', () => {
    expect(parseOverlap(undefined)).toBe(0);
    expect(parseOverlap('10m')).toBe(600);
    expect(parseOverlap('30d')).toBe(2_592_000);
    expect(() => parseOverlap('31d')).toThrow('--overlap can be at most 30d');
  });
  it('parseRestrict: a bare flag picks, a list is deduplicated, an empty list is refused', () => {
    expect(parseRestrict(true)).toBe('pick');
    expect(parseRestrict(false)).toBeUndefined();
    expect(parseRestrict(' flows_run, kbs_query ,flows_run')).toEqual(['flows_run', 'kbs_query']);
    expect(() => parseRestrict(' , ')).toThrow(UsageError);
  });
});
