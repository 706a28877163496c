// The activity log as the CLI asks for it: a resource reference split into type and id, a workspace
// given by name, and an optional cap, streamed so big ranges never sit in memory.
import { type ActivityEntry, type ActivityFilter, activityPages } from '../api/activity.js';
import type { ApiClient } from '../api/client.js';

export interface ActivityQuery {
  actor?: string;
  action?: string;
  /** TYPE, TYPE:ID, or a bare id (a UUID). */
  resource?: string;
  /** A workspace name or id. */
  workspace?: string;
  since?: string;
  until?: string;
  /** At most this many entries (default: all). */
  limit?: number;
}

/** `user`, `user:ID` or a bare UUID → the server's resource_type / resource_id. */
export function resourceFilter(ref: string): { resource_type?: string; resource_id?: string } {
  if (/^[0-9a-f-]{36}$/i.test(ref)) return { resource_id: ref };
  const i = ref.indexOf(':');
  if (i > 0) return { resource_type: ref.slice(0, i), resource_id: ref.slice(i + 1) };
  return { resource_type: ref };
}

export async function* activity(client: ApiClient, q: ActivityQuery): AsyncGenerator<ActivityEntry> {
  const filter: ActivityFilter = {
    actor: q.actor,
    action: q.action,
    since: q.since,
    until: q.until,
    ...(q.resource ? resourceFilter(q.resource) : {}),
  };
  if (q.workspace) {
    const { Resolver } = await import('./resolve.js');
    filter.group_id = (await new Resolver(client).group(q.workspace)).id;
  }
  const limit = q.limit ?? Number.POSITIVE_INFINITY;
  let n = 0;
  for await (const page of activityPages(client, filter)) {
    for (const entry of page) {
      yield entry;
      if (++n >= limit) return;
    }
  }
}
