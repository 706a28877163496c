import type { User } from '../api/users.js';
import type { Context } from '../cli/context.js';
import type { FeatureId } from '../domain/features.js';
import type { Column } from '../io/output.js';
import type { Capabilities } from '../services/capabilities.js';
import type { Resolver } from '../services/resolve.js';

export async function resolverFor(ctx: Context): Promise<Resolver> {
  const [{ Resolver }, client] = await Promise.all([import('../services/resolve.js'), ctx.client()]);
  return new Resolver(client);
}

export const collect = (v: string, prev: string[] = []) => [...prev, v];

import { userStatus } from '../services/users.js';

export { userStatus };

export const userColumns: Column<User>[] = [
  { header: 'Email', value: (u) => u.email },
  { header: 'Name', value: (u) => u.name ?? u.display_name },
  { header: 'Kind', value: (u) => u.kind ?? 'human' },
  { header: 'Status', value: userStatus },
  { header: 'Org role', value: (u) => u.org_role?.name ?? (u.tenant_admin ? 'Org Admin' : '') },
  { header: 'Last active', value: (u) => u.last_active_at ?? '', time: true },
  { header: 'ID', value: (u) => u.id },
];

/**
 * Stops with exit 8, naming the missing feature, before the command reads or writes anything it
 * cannot finish: the command's needs (COMMANDS) plus the extra features its flags ask for.
 * Commands that need only public features skip discovery (no extra requests).
 */
export async function requireFeatures(
  ctx: Context,
  command: string,
  extra: Array<FeatureId | false | undefined> = [],
): Promise<Capabilities | undefined> {
  const { COMMANDS } = await import('../services/capabilities.js');
  const { feature } = await import('../domain/features.js');
  const ids = [...(COMMANDS[command]?.needs ?? []), ...extra.filter((x): x is FeatureId => !!x)];
  if (ids.every((id) => feature(id).public)) return undefined;
  const caps = await ctx.capabilities();
  for (const id of ids) caps.require(id);
  return caps;
}
