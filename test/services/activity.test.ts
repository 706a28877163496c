// The activity service: how a resource reference becomes the server's filter, and that the stream
// stops at the limit without asking for a page it does not need.
import { afterEach, describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../../src/api/activity.js';
import { activity, resourceFilter } from '../../src/services/activity.js';
import { type Harness, harness, JSON_HEADERS } from '../api/helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.finish();
});

const entry = (id: string): ActivityEntry => ({
  id,
  at: '2026-03-01T10:00:00.000Z',
  actor_user_id: 'u1',
  actor_email: 'ada@example.com',
  actor_key_id: null,
  action: 'update',
  resource_type: 'user',
  resource_id: 'u2',
  group_id: null,
  summary: {},
  request_id: null,
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('resourceFilter', () => {
  it('TYPE, TYPE:ID and a bare UUID', () => {
    expect(resourceFilter('user')).toEqual({ resource_type: 'user' });
    expect(resourceFilter('api_key:k1')).toEqual({ resource_type: 'api_key', resource_id: 'k1' });
    const uuid = '0b6f3f4e-2c1d-4f7a-9a7e-3c2b1a0f9e8d';
    expect(resourceFilter(uuid)).toEqual({ resource_id: uuid });
    expect(resourceFilter(':x')).toEqual({ resource_type: ':x' });
  });
});

describe('activity', () => {
  it('reads every page when no limit is given', async () => {
    h = harness();
    const q = (page: number) => ({ actor: 'u1', page: String(page), size: '500', page_size: '500' });
    h.pool
      .intercept({ path: '/v1/admin/activity', method: 'GET', query: q(1) })
      .reply(200, { items: [entry('a1'), entry('a2')], total: 3, pages: 2 }, { headers: JSON_HEADERS });
    h.pool
      .intercept({ path: '/v1/admin/activity', method: 'GET', query: q(2) })
      .reply(200, { items: [entry('a3')], total: 3, pages: 2 }, { headers: JSON_HEADERS });
    const got = await collect(activity(h.client, { actor: 'u1' }));
    expect(got.map((e) => e.id)).toEqual(['a1', 'a2', 'a3']);
  });

  it('stops at the limit without fetching the next page', async () => {
    h = harness();
    h.pool
      .intercept({
        path: '/v1/admin/activity',
        method: 'GET',
        query: { page: '1', size: '500', page_size: '500' },
      })
      .reply(200, { items: [entry('a1'), entry('a2')], total: 4, pages: 2 }, { headers: JSON_HEADERS });
    const got = await collect(activity(h.client, { limit: 2 }));
    expect(got.map((e) => e.id)).toEqual(['a1', 'a2']);
    expect(h.calls()).toHaveLength(1);
  });
});
