// The offboarding plan: a reviewable file with the inventory of the user's access and work, and the
// steps in the order trusted systems teach (look, transfer, cut access reversibly, rotate what they
// could have seen, remove, verify).

import { createHash } from 'node:crypto';
import type { Access, User } from '../../api/users.js';
import { UsageError } from '../../errors.js';

export const PLAN_KIND = 'noxus-offboarding-plan';

export interface PlanStep {
  id: string;
  title: string;
  /** reversible: can be undone (suspend, transfer); destructive: cannot (remove, rotate). */
  kind: 'read' | 'reversible' | 'destructive';
  target?: string;
}

export interface Inventory {
  org_role: string | null;
  org_admin: boolean;
  workspaces: Array<{ group_id: string; group_name: string; role: string; via: string }>;
  keys_held: Array<{
    id: string;
    name: string;
    workspace: string | null;
    restriction: string[] | null;
    effective: string[];
    last_used_at: string | null;
  }>;
  service_account_keys_created: Array<{
    id: string;
    name: string;
    workspace: string | null;
    holder: string | null;
  }>;
  system_keys_created: Array<{ id: string; name: string; permissions: string[] | null }>;
  /** Active keys held by others whose secret the user saw (rotated, act-as, …); absent in older plans. */
  keys_seen?: Array<{
    id: string;
    name: string;
    kind: 'workspace' | 'system';
    workspace: string | null;
    holder: string | null;
    how: string[];
  }>;
  resources: Array<{ id: string; type: string; group_id: string; name: string }>;
  invitations_pending: Array<{ id: string; email: string; created_at: string }>;
  last_activity_at: string | null;
  activity_count: number;
}

export interface Plan {
  schema_version: 1;
  kind: typeof PLAN_KIND;
  created_at: string;
  server: string;
  user: { id: string; email: string; name: string; status: string };
  transfer_to: { id: string; email: string } | null;
  inventory: Inventory;
  fingerprint: string;
  steps: PlanStep[];
  warnings: string[];
  /**
   * How long the old secret of each rotated shared key keeps working (`--overlap`); absent or 0:
   * it stops at once. With an overlap the removal, which revokes every key the user saw, waits
   * until the old secrets have stopped.
   */
  overlap_seconds?: number;
}

/** The access report as a sandbox that records key exposure returns it (`keys_exposed`). */
type AccessWithExposure = Access & {
  keys_exposed?: Array<{
    id: string;
    name: string;
    kind?: string;
    group_id?: string | null;
    group_name?: string | null;
    holder_id?: string | null;
    holder_email?: string | null;
    status: string;
    how?: string[];
  }>;
};

/** Keys the user saw but does not hold and did not create: removal revokes them, so they are rotated first. */
function keysSeen(a: AccessWithExposure): Inventory['keys_seen'] {
  if (!a.keys_exposed) return undefined;
  const listed = new Set([...a.service_account_keys_created, ...a.system_keys_created].map((k) => k.id));
  return a.keys_exposed
    .filter((k) => k.status === 'active' && k.holder_id !== a.user.id && !listed.has(k.id))
    .map((k) => ({
      id: k.id,
      name: k.name,
      kind: k.kind === 'system' ? ('system' as const) : ('workspace' as const),
      workspace: k.group_name ?? k.group_id ?? null,
      holder: k.holder_email ?? null,
      how: k.how ?? [],
    }));
}

export function inventoryOf(a: AccessWithExposure): Inventory {
  const byId = <T extends { id: string }>(xs: T[]) =>
    [...xs].sort((p, q) => (p.id < q.id ? -1 : p.id > q.id ? 1 : 0));
  const seen = keysSeen(a);
  return {
    org_role: a.org_role,
    org_admin: a.org_admin,
    workspaces: [...a.workspaces].sort((p, q) => p.group_id.localeCompare(q.group_id)),
    keys_held: byId(a.keys_held).map((k) => ({
      id: k.id,
      name: k.name,
      workspace: k.group_name ?? k.group_id ?? null,
      restriction: k.permissions,
      effective: k.effective_permissions ?? [],
      last_used_at: k.last_used_at,
    })),
    service_account_keys_created: byId(a.service_account_keys_created).map((k) => ({
      id: k.id,
      name: k.name,
      workspace: k.group_name ?? null,
      holder: k.holder_email ?? null,
    })),
    system_keys_created: byId(a.system_keys_created).map((k) => ({
      id: k.id,
      name: k.name,
      permissions: k.permissions,
    })),
    ...(seen ? { keys_seen: byId(seen) } : {}),
    resources: byId(a.resources_owned).map((r) => ({
      id: r.id,
      type: r.resource_type,
      group_id: r.group_id,
      name: r.name,
    })),
    invitations_pending: byId(a.invitations_pending).map((i) => ({
      id: i.id,
      email: i.email,
      created_at: i.created_at,
    })),
    last_activity_at: a.last_activity_at,
    activity_count: a.activity_count,
  };
}

/** What must not change between plan and apply: access, keys and owned work (not activity). */
export function fingerprint(inv: Inventory): string {
  const stable = {
    org_role: inv.org_role,
    workspaces: inv.workspaces.map((w) => `${w.group_id}:${w.role}:${w.via}`),
    keys_held: inv.keys_held.map((k) => k.id),
    sa: inv.service_account_keys_created.map((k) => k.id),
    system: inv.system_keys_created.map((k) => k.id),
    // Only when there are any, so that plans written before exposure was recorded stay valid.
    ...(inv.keys_seen?.length ? { seen: inv.keys_seen.map((k) => k.id) } : {}),
    resources: inv.resources.map((r) => r.id),
  };
  return createHash('sha256').update(JSON.stringify(stable)).digest('hex');
}

/** `3600` → `1h`, `5400` → `90m`: the overlap as the operator wrote it. */
export function overlapText(seconds: number): string {
  for (const [unit, n] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const)
    if (seconds % n === 0) return `${seconds / n}${unit}`;
  return `${seconds}s`;
}

export function buildPlan(
  server: string,
  user: User,
  target: User | undefined,
  access: Access,
  opts: { overlapSeconds?: number } = {},
): Plan {
  const inv = inventoryOf(access);
  const overlap = opts.overlapSeconds ?? 0;
  const after = overlap ? `; the old secret stops ${overlapText(overlap)} later` : '';
  const steps: PlanStep[] = [{ id: 'review', title: 'Review access', kind: 'read' }];
  const warnings: string[] = [];
  if (inv.resources.length) {
    if (target) {
      steps.push({
        id: 'transfer',
        title: `Reassign ${inv.resources.length} resource(s) to ${target.email} and read them back`,
        kind: 'reversible',
        target: target.id,
      });
    } else {
      warnings.push(
        `no --transfer-to: ${inv.resources.length} resource(s) stay owned by a removed user (they keep working, but nobody owns them)`,
      );
    }
  }
  steps.push({
    id: 'suspend',
    title: 'Suspend (sign-in and every key stop at once; reversible)',
    kind: 'reversible',
  });
  // Rotated before the removal, which revokes every key whose secret they saw: the holders keep
  // working with a secret the user never had.
  for (const k of inv.system_keys_created)
    steps.push({
      id: `rotate-system:${k.id}`,
      title: `Rotate system key "${k.name}" they created${after}`,
      kind: 'destructive',
      target: k.id,
    });
  for (const k of inv.service_account_keys_created) {
    steps.push({
      id: `rotate-key:${k.id}`,
      title: `Rotate service-account key "${k.name}" (${k.holder}) they created${after}`,
      kind: 'destructive',
      target: k.id,
    });
  }
  for (const k of inv.keys_seen ?? []) {
    steps.push({
      id: `${k.kind === 'system' ? 'rotate-system' : 'rotate-key'}:${k.id}`,
      title: `Rotate ${k.kind === 'system' ? 'system key' : 'key'} "${k.name}"${k.holder ? ` (${k.holder})` : ''} whose secret they saw (${k.how.join(', ')})${after}`,
      kind: 'destructive',
      target: k.id,
    });
  }
  const rotations = steps.filter((s) => s.id.startsWith('rotate')).length;
  steps.push({
    id: 'remove',
    title: `Remove from the organization${overlap && rotations ? ` once the old secrets stopped (${overlapText(overlap)} after their rotation)` : ''} (${inv.org_admin ? 'org admin role' : `${inv.workspaces.filter((w) => w.via === 'membership').length} membership(s)`}, ${inv.keys_held.length} personal key(s) revoked; work and activity kept)`,
    kind: 'destructive',
  });
  steps.push({ id: 'verify', title: 'Verify work and activity are preserved', kind: 'read' });
  if (inv.invitations_pending.length) {
    warnings.push(
      `${inv.invitations_pending.length} invitation(s) they sent are still pending (${inv.invitations_pending.map((i) => i.email).join(', ')}); they stay valid`,
    );
  }
  if (overlap && rotations) {
    warnings.push(
      `--overlap ${overlapText(overlap)}: the old secrets of ${rotations} rotated key(s) keep working until the new ones are in place; ${user.email} is suspended at once and removed by --resume once they stopped`,
    );
  }
  return {
    schema_version: 1,
    kind: PLAN_KIND,
    created_at: new Date().toISOString(),
    server,
    user: {
      id: user.id,
      email: user.email,
      name: user.name ?? user.display_name,
      status: user.status ?? 'active',
    },
    transfer_to: target ? { id: target.id, email: target.email } : null,
    inventory: inv,
    fingerprint: fingerprint(inv),
    steps,
    warnings,
    ...(overlap && rotations ? { overlap_seconds: overlap } : {}),
  };
}

export function parsePlan(text: string, file: string): Plan {
  let p: Plan;
  try {
    p = JSON.parse(text) as Plan;
  } catch {
    throw new UsageError(`${file} is not a plan (not JSON)`);
  }
  if (p?.kind !== PLAN_KIND || p.schema_version !== 1 || !Array.isArray(p.steps) || !p.user?.id) {
    throw new UsageError(
      `${file} is not a noxus offboarding plan (kind ${String((p as { kind?: unknown })?.kind)})`,
    );
  }
  return p;
}
