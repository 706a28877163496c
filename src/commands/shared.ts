import type { User } from '../api/users.js';
import type { Context } from '../cli/context.js';
import type { Column } from '../io/output.js';
import type { Resolver } from '../services/resolve.js';

export async function resolverFor(ctx: Context): Promise<Resolver> {
  const [{ Resolver }, client] = await Promise.all([import('../services/resolve.js'), ctx.client()]);
  return new Resolver(client);
}

export const collect = (v: string, prev: string[] = []) => [...prev, v];

export const userStatus = (u: User) => u.status ?? (u.is_active ? 'active' : 'inactive');

export const userColumns: Column<User>[] = [
  { header: 'Email', value: (u) => u.email },
  { header: 'Name', value: (u) => u.name ?? u.display_name },
  { header: 'Kind', value: (u) => u.kind ?? 'human' },
  { header: 'Status', value: userStatus },
  { header: 'Org role', value: (u) => u.org_role?.name ?? (u.tenant_admin ? 'Org Admin' : '') },
  { header: 'Last active', value: (u) => u.last_active_at ?? '', time: true },
  { header: 'ID', value: (u) => u.id },
];

/** Whether `userId` holds the key in use: demoting or suspending them locks this caller out. */
export async function isCurrentHolder(r: Resolver, userId: string): Promise<boolean> {
  const { getMe } = await import('../api/me.js');
  return (await getMe(r.client)).holder?.id === userId;
}
