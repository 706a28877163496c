import type { ApiClient } from './client.js';

/** One entry of the append-only activity log (extension endpoint GET /v1/admin/activity). */
export interface ActivityEntry {
  id: string;
  at: string;
  actor_user_id: string | null;
  actor_email: string | null;
  actor_key_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  group_id: string | null;
  summary: Record<string, unknown>;
  request_id: string | null;
}

export const queryActivity = (c: ApiClient, q: Record<string, string | undefined>, size = 20) =>
  c.get<{ items: ActivityEntry[]; total: number }>(
    '/v1/admin/activity',
    { ...q, page: 1, size },
    { extension: true },
  );

export type ActivityFilter = Record<string, string | undefined>;

/** Every matching entry, newest first, a page of 500 at a time. */
export async function* activityPages(c: ApiClient, q: ActivityFilter): AsyncGenerator<ActivityEntry[]> {
  const { iteratePages } = await import('./paging.js');
  yield* iteratePages<ActivityEntry>(c, '/v1/admin/activity', q, { pageSize: 500, extension: true });
}
