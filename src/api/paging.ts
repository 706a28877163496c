import { createHash } from 'node:crypto';
import { NoxusError } from '../errors.js';
import type { ApiClient, Query } from './client.js';
import type { ApiReason } from './reasons.js';

export interface Page<T> {
  items: T[];
  total?: number;
  page?: number;
  size?: number;
  pages?: number;
}

export interface PagingOptions {
  /** Items asked for per page (sent as both `size` and `page_size`). Default 100. */
  pageSize?: number;
  /** The list is one of our extension endpoints (a 404 route means "not available on this server"). */
  extension?: boolean;
  /** Validates (and normalises) each item: a wrong shape is "invalid response from GET …". */
  item?: (value: unknown, what: string, index: number) => unknown;
}

const DEFAULT_PAGE_SIZE = 100;

function isPage(value: unknown): value is Page<unknown> {
  return value !== null && typeof value === 'object' && Array.isArray((value as { items?: unknown }).items);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Yields each page's items, fetching pages one after another. A plain JSON array is the whole
 * list (the admin lists that return arrays are not paged). Stops at the last page by `pages`,
 * then `total`, then a short page; and, so that a server that ignores `page` cannot loop us,
 * at an empty page or a page seen before.
 */
export async function* iteratePages<T>(
  client: Pick<ApiClient, 'get'>,
  path: string,
  query: Query = {},
  opts: PagingOptions = {},
): AsyncGenerator<T[], void, undefined> {
  const size = Math.max(1, Math.floor(opts.pageSize ?? DEFAULT_PAGE_SIZE));
  const seenPages = new Set<string>();
  let seenItems = 0;
  for (let page = 1; ; page++) {
    const data = await client.get<unknown>(
      path,
      { ...query, page, size, page_size: size },
      { extension: opts.extension },
    );
    const check = (list: unknown[]): T[] =>
      opts.item ? list.map((x, i) => opts.item?.(x, `GET ${path}`, seenItems + i) as T) : (list as T[]);
    if (Array.isArray(data)) {
      if (data.length > 0) yield check(data);
      return;
    }
    if (!isPage(data)) {
      throw new NoxusError(
        `invalid response from GET ${path}: expected a JSON array or an object with items`,
        {
          hint: 'the server, or a proxy in front of it, answered with something the Noxus API does not send; check the server URL',
          reason: { kind: 'unexpected_response' } satisfies ApiReason,
        },
      );
    }
    const items = check(data.items);
    if (items.length === 0) return;
    const fingerprint = createHash('sha256').update(JSON.stringify(items)).digest('base64');
    if (seenPages.has(fingerprint)) return;
    seenPages.add(fingerprint);
    yield items;
    seenItems += items.length;

    const pages = num(data.pages);
    const total = num(data.total);
    if (pages !== undefined) {
      if (page >= pages) return;
    } else if (total !== undefined) {
      if (seenItems >= total) return;
    } else {
      const served = num(data.size);
      if (items.length < (served && served > 0 ? served : size)) return;
    }
  }
}

/** Every item of a list endpoint, in order, whichever shape the server uses. */
export async function listAll<T>(
  client: Pick<ApiClient, 'get'>,
  path: string,
  query: Query = {},
  opts: PagingOptions = {},
): Promise<T[]> {
  const all: T[] = [];
  for await (const items of iteratePages<T>(client, path, query, opts)) all.push(...items);
  return all;
}
