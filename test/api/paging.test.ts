import { afterEach, describe, expect, it } from 'vitest';
import { iteratePages, listAll } from '../../src/api/paging.js';
import { NoxusError } from '../../src/errors.js';
import { failure, type Harness, harness, JSON_HEADERS } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h.finish();
});

const page = (n: number, size: number) => `/v1/agents?page=${n}&size=${size}&page_size=${size}`;
const ids = (...xs: string[]) => xs.map((id) => ({ id }));

describe('listAll', () => {
  it('accepts a plain array as the whole list', async () => {
    h = harness();
    h.pool
      .intercept({ path: page(1, 100), method: 'GET' })
      .reply(200, ids('a', 'b', 'c'), { headers: JSON_HEADERS });
    expect(await listAll(h.client, '/v1/agents')).toEqual(ids('a', 'b', 'c'));
    expect(h.calls()).toHaveLength(1);
  });

  it('fetches every page of {items, total, page, size, pages} in order', async () => {
    h = harness();
    h.pool
      .intercept({ path: page(1, 2), method: 'GET' })
      .reply(200, { items: ids('a', 'b'), total: 5, page: 1, size: 2, pages: 3 });
    h.pool
      .intercept({ path: page(2, 2), method: 'GET' })
      .reply(200, { items: ids('c', 'd'), total: 5, page: 2, size: 2, pages: 3 });
    h.pool
      .intercept({ path: page(3, 2), method: 'GET' })
      .reply(200, { items: ids('e'), total: 5, page: 3, size: 2, pages: 3 });
    expect(await listAll(h.client, '/v1/agents', {}, { pageSize: 2 })).toEqual(ids('a', 'b', 'c', 'd', 'e'));
    expect(h.calls().map((c) => c.path)).toEqual([page(1, 2), page(2, 2), page(3, 2)]);
  });

  it('keeps the caller query and sends page, size and page_size', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/workflows?type=flow&page=1&size=10&page_size=10', method: 'GET' })
      .reply(200, { items: ids('w1'), total: 1, page: 1, size: 10, pages: 1 });
    expect(await listAll(h.client, '/v1/workflows', { type: 'flow' }, { pageSize: 10 })).toEqual(ids('w1'));
  });

  it('stops on total when pages is absent', async () => {
    h = harness();
    h.pool.intercept({ path: page(1, 2), method: 'GET' }).reply(200, { items: ids('a', 'b'), total: 3 });
    h.pool.intercept({ path: page(2, 2), method: 'GET' }).reply(200, { items: ids('c'), total: 3 });
    expect(await listAll(h.client, '/v1/agents', {}, { pageSize: 2 })).toEqual(ids('a', 'b', 'c'));
  });

  it('stops on a short page when there is no total or pages, using the size the server served', async () => {
    h = harness();
    // The server caps size at 2 though 3 were asked for.
    h.pool.intercept({ path: page(1, 3), method: 'GET' }).reply(200, { items: ids('a', 'b'), size: 2 });
    h.pool.intercept({ path: page(2, 3), method: 'GET' }).reply(200, { items: ids('c'), size: 2 });
    expect(await listAll(h.client, '/v1/agents', {}, { pageSize: 3 })).toEqual(ids('a', 'b', 'c'));
  });

  it('stops at an empty page even if pages promises more', async () => {
    h = harness();
    h.pool.intercept({ path: page(1, 2), method: 'GET' }).reply(200, { items: ids('a', 'b'), pages: 9 });
    h.pool.intercept({ path: page(2, 2), method: 'GET' }).reply(200, { items: [], pages: 9 });
    expect(await listAll(h.client, '/v1/agents', {}, { pageSize: 2 })).toEqual(ids('a', 'b'));
    expect(h.calls()).toHaveLength(2);
  });

  it('stops when a server that ignores `page` repeats a page', async () => {
    h = harness();
    h.pool.intercept({ path: page(1, 2), method: 'GET' }).reply(200, { items: ids('a', 'b'), total: 100 });
    h.pool.intercept({ path: page(2, 2), method: 'GET' }).reply(200, { items: ids('c', 'd'), total: 100 });
    h.pool.intercept({ path: page(3, 2), method: 'GET' }).reply(200, { items: ids('a', 'b'), total: 100 });
    expect(await listAll(h.client, '/v1/agents', {}, { pageSize: 2 })).toEqual(ids('a', 'b', 'c', 'd'));
    expect(h.calls()).toHaveLength(3);
  });

  it('rejects a body that is neither shape', async () => {
    h = harness();
    h.pool.intercept({ path: page(1, 100), method: 'GET' }).reply(200, { data: [] });
    const err = await failure(listAll(h.client, '/v1/agents'));
    expect(err.constructor).toBe(NoxusError);
    expect(err.message).toBe(
      'invalid response from GET /v1/agents: expected a JSON array or an object with items',
    );
  });

  it('passes errors of a later page through', async () => {
    h = harness();
    h.pool.intercept({ path: page(1, 1), method: 'GET' }).reply(200, { items: ids('a'), pages: 2 });
    h.pool.intercept({ path: page(2, 1), method: 'GET' }).reply(403, { detail: 'nope' });
    const err = await failure(listAll(h.client, '/v1/agents', {}, { pageSize: 1 }));
    expect(err.message).toBe('permission denied (HTTP 403): nope');
  });
});

describe('iteratePages', () => {
  it('yields each page as it arrives', async () => {
    h = harness();
    h.pool.intercept({ path: page(1, 2), method: 'GET' }).reply(200, { items: ids('a', 'b'), pages: 2 });
    h.pool.intercept({ path: page(2, 2), method: 'GET' }).reply(200, { items: ids('c'), pages: 2 });
    const pages: unknown[] = [];
    for await (const items of iteratePages(h.client, '/v1/agents', {}, { pageSize: 2 })) {
      pages.push(items);
      // Nothing beyond the page being consumed has been fetched.
      expect(h.calls()).toHaveLength(pages.length);
    }
    expect(pages).toEqual([ids('a', 'b'), ids('c')]);
  });

  it('yields nothing for an empty list', async () => {
    h = harness();
    h.pool.intercept({ path: page(1, 100), method: 'GET' }).reply(200, []);
    const pages: unknown[] = [];
    for await (const items of iteratePages(h.client, '/v1/agents')) pages.push(items);
    expect(pages).toEqual([]);
  });
});
