// Drift: what changed on the server between the plan and its application. A plan that drifted is
// refused (unless forced), because the reviewed steps no longer cover what the user can reach.

import type { Inventory } from './plan.js';

/** Human-readable differences between the plan's inventory and the server's current one. */
export function drift(planned: Inventory, now: Inventory): string[] {
  const out: string[] = [];
  const diffIds = <T extends { id: string }>(label: string, a: T[], b: T[], show: (x: T) => string) => {
    const before = new Set(a.map((x) => x.id));
    const after = new Set(b.map((x) => x.id));
    for (const x of b) if (!before.has(x.id)) out.push(`new ${label}: ${show(x)}`);
    for (const x of a) if (!after.has(x.id)) out.push(`${label} gone since the plan: ${show(x)}`);
  };
  if (planned.org_role !== now.org_role) out.push(`org role changed: ${planned.org_role} → ${now.org_role}`);
  const ws = (i: Inventory) => new Map(i.workspaces.map((w) => [w.group_id, w]));
  const [a, b] = [ws(planned), ws(now)];
  for (const [id, w] of b) {
    const p = a.get(id);
    if (!p) out.push(`new workspace access: ${w.group_name} as ${w.role}`);
    else if (p.role !== w.role) out.push(`role in ${w.group_name} changed: ${p.role} → ${w.role}`);
  }
  for (const [id, w] of a) if (!b.has(id)) out.push(`no longer in workspace ${w.group_name}`);
  diffIds('key', planned.keys_held, now.keys_held, (k) => `${k.name} (${k.id}) in ${k.workspace}`);
  diffIds(
    'service-account key',
    planned.service_account_keys_created,
    now.service_account_keys_created,
    (k) => `${k.name} (${k.id})`,
  );
  diffIds('system key', planned.system_keys_created, now.system_keys_created, (k) => `${k.name} (${k.id})`);
  diffIds('key they saw', planned.keys_seen ?? [], now.keys_seen ?? [], (k) => `${k.name} (${k.id})`);
  diffIds('resource', planned.resources, now.resources, (r) => `${r.type} ${r.name} (${r.id})`);
  return out;
}
