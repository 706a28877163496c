import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth.js';
import { HttpError } from '../errors.js';

export const pagingQuery = {
  page: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  size: { type: 'integer', minimum: 1, maximum: 1000 },
  page_size: { type: 'integer', minimum: 1, maximum: 1000 },
} as const;

export interface Paging {
  page: number;
  size: number;
  offset: number;
}

/** Paging is opt-in where the confirmed API returns a plain array; elsewhere it defaults to page 1. */
export function paging(q: Record<string, unknown>, defaultSize?: number): Paging;
export function paging(q: Record<string, unknown>, defaultSize: number, optional: true): Paging | undefined;
export function paging(q: Record<string, unknown>, defaultSize = 50, optional = false): Paging | undefined {
  const requested = q.page !== undefined || q.size !== undefined || q.page_size !== undefined;
  if (optional && !requested) return undefined;
  const page = (q.page as number | undefined) ?? 1;
  const size = (q.size as number | undefined) ?? (q.page_size as number | undefined) ?? defaultSize;
  return { page, size, offset: (page - 1) * size };
}

export function paged<T>(items: T[], total: number, p: Paging) {
  return { items, total, page: p.page, size: p.size, pages: Math.max(1, Math.ceil(total / p.size)) };
}

/** Pages an in-memory list (the sandbox's lists are small enough to filter in memory). */
export function pageOf<T>(all: T[], p: Paging) {
  return paged(all.slice(p.offset, p.offset + p.size), all.length, p);
}

export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new HttpError(401, 'missing API key: send it in the X-API-Key header');
  return req.principal;
}

export const str = (max = 1000) => ({ type: 'string', maxLength: max }) as const;
