// Pages of the user list and of a workspace's members, concatenated, are the unpaged list: the
// sandbox keeps member lists and user-list cursors between pages (issue 14), and none of that may
// change which items a page holds or their order, including after a write or a grant's expiry.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/sandbox/clock.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const clock = manualClock('2030-01-01T00:00:00Z');
let sbx: TestSandbox;
const WS = '00000000-0000-4000-8000-000000000000';
const userId = (n: number) => `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

async function ok(method: string, path: string, body?: unknown) {
  const r = await sbx.call(method, path, { body });
  expect(r.status, `${method} ${path}: ${r.text}`).toBeLessThan(300);
  return r.body;
}

/** Every page of `path` at `size`, in the order given (default 1, 2, … up to the reported count). */
async function pages(path: string, size: number, order?: number[]) {
  const sep = path.includes('?') ? '&' : '?';
  const first = await ok('GET', `${path}${sep}page=1&size=${size}`);
  const got = new Map<number, unknown[]>([[1, first.items]]);
  const all = order ?? Array.from({ length: first.pages }, (_, i) => i + 1);
  for (const p of all) {
    if (got.has(p)) continue;
    const r = await ok('GET', `${path}${sep}page=${p}&page_size=${size}`);
    expect(r.total).toBe(first.total);
    got.set(p, r.items);
  }
  return {
    total: first.total as number,
    items: [...got.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, x]) => x),
  };
}

async function expectPagesEqualFull(path: string, sizes: number[]) {
  const full = await ok('GET', path);
  expect(Array.isArray(full)).toBe(true);
  for (const size of sizes) {
    const paged = await pages(path, size);
    expect(paged.total, `${path} at ${size}`).toBe(full.length);
    expect(paged.items, `${path} at ${size}`).toEqual(full);
  }
  return full as Array<Record<string, unknown>>;
}

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'scale', scale: { users: 40, workspaces: 2 }, clock });
  // Org admins are in every member list "via org_admin"; some also hold a grant made before they
  // were promoted. Others are suspended (still listed) or removed (never listed).
  for (const n of [3, 4, 5, 17, 18, 30, 39])
    await ok('PATCH', `/v1/admin/users/${userId(n)}`, { org_role: 'Org Admin' });
  await ok('PUT', `/v1/admin/groups/${WS}/members/${userId(7)}`, { role: 'ws_reader' });
  await ok('PATCH', `/v1/admin/users/${userId(7)}`, { org_role: 'Org Admin' });
  for (const n of [5, 8, 21]) await ok('POST', `/v1/admin/users/${userId(n)}/suspend`);
  for (const n of [4, 9, 22]) await ok('DELETE', `/v1/admin/users/${userId(n)}`);
  // Users created through the API sort among the seeded ones by their own emails.
  await ok('POST', '/v1/admin/users', { email: 'Zed.Admin@Example.com', name: 'Zed', org_role: 'Org Admin' });
  await ok('POST', '/v1/admin/users', { email: 'a-b_c@example.com', name: 'Abc', send_invitation: false });
});
afterAll(async () => {
  await sbx.cleanup();
});

describe('GET /v1/admin/groups/{id}/members, paged', () => {
  it('concatenates to the unpaged list at every page size, pages ending on org-admin rows included', async () => {
    const full = await expectPagesEqualFull(`/v1/admin/groups/${WS}/members`, [1, 2, 3, 5, 7, 1000]);
    const via = full.map((m) => m.via);
    // Org admins sit between members, so pages of 1, 2, 3 … start and end on them.
    const between = via.findIndex(
      (v, i) => v === 'org_admin' && via[i - 1] === 'membership' && via[i + 1] === 'membership',
    );
    expect(between).toBeGreaterThan(0);
    const ids = full.map((m) => m.user_id);
    for (const n of [3, 5, 7, 17, 18, 30, 39]) expect(ids).toContain(userId(n));
    for (const n of [4, 9, 22]) expect(ids).not.toContain(userId(n));
    expect(new Set(ids).size).toBe(ids.length);
    expect(full.find((m) => m.user_id === userId(5))?.status).toBe('suspended');
  });

  it('answers pages asked out of order, and pages after a write show the write', async () => {
    const path = `/v1/admin/groups/${WS}/members`;
    const before = await ok('GET', path);
    expect((await pages(path, 4, [3, 1, 2, 5, 4, 6, 7, 8, 9, 10, 11, 12])).items).toEqual(before);
    await ok('GET', `${path}?page=1&size=4`);
    await ok('PATCH', `/v1/admin/users/${userId(17)}`, { org_role: 'Org Base' });
    await ok('POST', `/v1/admin/users/${userId(11)}/suspend`);
    const after = await expectPagesEqualFull(path, [4]);
    expect(after).not.toEqual(before);
    expect(after.some((m) => m.user_id === userId(17) && m.via === 'org_admin')).toBe(false);
  });

  it('drops a grant from the next page once it expires, with no write in between', async () => {
    const path = `/v1/admin/groups/${WS}/members`;
    const expires = new Date(clock().getTime() + 60_000).toISOString();
    await ok('PUT', `${path}/${userId(10)}`, { role: 'ws_editor', expires_at: expires });
    const withGrant = await pages(path, 3);
    expect(withGrant.items.some((m) => (m as { user_id: string }).user_id === userId(10))).toBe(true);
    clock.advance(61_000);
    const later = await pages(path, 3);
    expect(later.items.some((m) => (m as { user_id: string }).user_id === userId(10))).toBe(false);
    expect(later.total).toBe(withGrant.total - 1);
    expect(later.items).toEqual(await ok('GET', path));
  });
});

describe('GET /v1/admin/users, paged', () => {
  it('concatenates to the unpaged list for every filter and page size', async () => {
    for (const q of [
      '',
      '?status=active',
      '?status=suspended',
      '?status=removed',
      '?kind=human',
      '?q=admin',
    ]) {
      await expectPagesEqualFull(`/v1/admin/users${q}`, [1, 3, 7, 50]);
    }
    const all = await ok('GET', '/v1/admin/users');
    expect(all.map((u: { email: string }) => u.email)).toContain('Zed.Admin@Example.com');
    expect(all.some((u: { id: string }) => u.id === userId(4))).toBe(false);
  });

  it('answers pages asked out of order or twice, and after a write shows the write', async () => {
    const full = await ok('GET', '/v1/admin/users');
    expect((await pages('/v1/admin/users', 6, [2, 2, 1, 4, 3, 5, 7, 6])).items).toEqual(full);
    await ok('GET', '/v1/admin/users?page=1&size=6');
    await ok('DELETE', `/v1/admin/users/${userId(12)}`);
    const after = await expectPagesEqualFull('/v1/admin/users', [6]);
    expect(after.length).toBe(full.length - 1);
    expect(after.some((u) => u.id === userId(12))).toBe(false);
  });
});
