// Offboarding as plan → apply. The plan is a reviewable file: the inventory of the user's access
// and work, and the steps in the order trusted systems teach (look, transfer, cut access reversibly,
// rotate what they could have seen, remove, verify). Applying re-reads the server and refuses a
// stale plan; every step is journaled before and after, so a crash resumes without doing anything
// twice.

import { createHash, randomUUID } from 'node:crypto';
import type { ApiClient } from '../api/client.js';
import { rotateKey, rotateSystemKey } from '../api/keys.js';
import { getMe } from '../api/me.js';
import {
  type Access,
  getAccess,
  removeUser,
  suspendUser,
  transferResources,
  type User,
} from '../api/users.js';
import { ConflictError, NoxusError, UsageError } from '../errors.js';
import type { Resolver } from './resolve.js';

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

/** Refusals that protect the organization: service accounts, yourself, the last org admin, bad targets. */
export async function checkOffboardable(r: Resolver, user: User, target: User | undefined): Promise<void> {
  if ((user.kind ?? 'human') === 'service') {
    throw new UsageError(`${user.email} is a service account; offboarding is for people`, {
      hint: `delete it with: noxus service-accounts delete ${user.email}`,
    });
  }
  if (user.status === 'removed')
    throw new ConflictError(`${user.email} was already removed from the organization`);
  const me = await getMe(r.client);
  if (me.holder?.id === user.id) {
    throw new ConflictError(`you cannot offboard yourself (the key in use is held by ${user.email})`, {
      hint: 'ask another org admin to run it, with their own key',
    });
  }
  if (user.tenant_admin) {
    const { isOrgAdminRole } = await import('../domain/identity.js');
    const roles = await r.roles();
    const admins = (await r.users({ status: 'active' })).filter((u) => {
      const role = roles.find((x) => x.id === u.org_role?.id);
      return role ? isOrgAdminRole(role) : u.tenant_admin;
    });
    if (!admins.some((u) => u.id !== user.id)) {
      throw new ConflictError(`${user.email} is the last active org admin`, {
        hint: 'make another user org admin first',
      });
    }
  }
  if (target) {
    if (target.id === user.id) throw new UsageError('--transfer-to cannot be the user being offboarded');
    if ((target.status ?? (target.is_active ? 'active' : 'inactive')) !== 'active') {
      throw new ConflictError(
        `--transfer-to ${target.email} is ${target.status ?? 'not active'}; pick an active user`,
      );
    }
  }
}

const OWN_PERMISSION: Record<string, string> = {
  workflow: 'flows_edit',
  agent: 'agents_edit',
  knowledge_base: 'kbs_edit',
};

/**
 * Why `target` cannot own the resources (one line per workspace: the edit permission of each kind
 * it lacks there), empty when it can: the server's transfer rule.
 */
type OwnCheck = (target: User) => Promise<string[]>;

async function ownCheck(r: Resolver, resources: Access['resources_owned']): Promise<OwnCheck> {
  const { listMembers } = await import('../api/groups.js');
  const { grantedPermissions } = await import('../domain/identity.js');
  const { expandWorkspacePermissions } = await import('../domain/permissions.js');
  const roles = await r.roles();
  const groups = await r.groups();
  const nameOf = (id: string) => groups.find((g) => g.id === id)?.name ?? id;
  const groupIds = [...new Set(resources.map((x) => x.group_id))].sort((a, b) =>
    nameOf(a).localeCompare(nameOf(b)),
  );
  // One member list per workspace, shared by every candidate.
  const members = new Map(
    await Promise.all(groupIds.map(async (id) => [id, await listMembers(r.client, id)] as const)),
  );
  return async (target) => {
    const problems: string[] = [];
    for (const groupId of groupIds) {
      const m = members.get(groupId)?.find((x) => x.user_id === target.id);
      const role = m ? roles.find((x) => x.id === m.role.id) : undefined;
      const perms = new Set(
        m?.via === 'org_admin'
          ? ['workspace_admin']
          : expandWorkspacePermissions(role ? grantedPermissions(role) : []),
      );
      const has = (p: string) => perms.has(p) || perms.has('workspace_admin');
      const needed = [
        ...new Set(
          resources
            .filter((x) => x.group_id === groupId)
            .map((x) => OWN_PERMISSION[x.resource_type] ?? 'flows_edit'),
        ),
      ];
      const order = Object.values(OWN_PERMISSION);
      const lacking = needed.filter((p) => !has(p)).sort((a, b) => order.indexOf(a) - order.indexOf(b));
      if (lacking.length) {
        const name = nameOf(groupId);
        problems.push(
          `${name}: needs ${lacking.join(', ')} (${m ? `role ${m.role.name}` : 'no role there'})`,
        );
      }
    }
    return problems;
  };
}

/** The transfer target must be able to own each resource where it lives (edit rights of that kind). */
export async function checkTargetCanOwn(
  r: Resolver,
  target: User,
  resources: Access['resources_owned'],
): Promise<void> {
  const problems = await (await ownCheck(r, resources))(target);
  if (problems.length) {
    throw new ConflictError(
      `--transfer-to ${target.email} cannot own all the resources: ${problems.join('; ')}`,
      {
        hint: 'give them a suitable role in those workspaces first (noxus ws add-member / ws set-role), or pick another --transfer-to',
      },
    );
  }
}

/**
 * Who may take over `user`'s resources: active people other than the user who hold the edit
 * permission of each owned kind in its workspace. The others are listed with the reason.
 */
export async function transferCandidates(
  r: Resolver,
  user: User,
  resources: Access['resources_owned'],
): Promise<{ eligible: User[]; ineligible: Array<{ user: User; reason: string }> }> {
  const check = await ownCheck(r, resources);
  const eligible: User[] = [];
  const ineligible: Array<{ user: User; reason: string }> = [];
  const people = (await r.users({ status: 'active' })).filter(
    (u) => u.id !== user.id && (u.kind ?? 'human') === 'human',
  );
  for (const u of people) {
    const problems = await check(u);
    if (problems.length) ineligible.push({ user: u, reason: problems.join('; ') });
    else eligible.push(u);
  }
  return { eligible, ineligible };
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

export interface StepResult {
  id: string;
  title: string;
  status: 'done' | 'skipped';
  detail: string;
  /** How the outcome is known (the report's "How" column); every step of the full API run is automated. */
  outcome?: 'automated' | 'confirmed' | 'verified';
  data?: Record<string, unknown>;
}

export interface JournalIO {
  done(step: string): StepResult | undefined;
  idempotencyKey(step: string): string | undefined;
  started(step: string, idempotencyKey: string): void;
  /** The server refused the step (4xx): nothing happened, so a retry is a new request. */
  refused(step: string): void;
  finished(result: StepResult): void;
}

export interface RunHooks {
  onStep(step: PlanStep, state: 'running' | 'done' | 'skipped', detail?: string): void;
  /** A new secret from a rotation; the caller writes it to the secrets dir or shows it once. */
  onSecret(step: PlanStep, key: { id: string; name: string; value: string }): Promise<string>;
  /** Test seam: called after each step is journaled as done. */
  afterStep?(step: PlanStep): void;
}

/** The removal waits for the old secrets of an overlapping rotation: until then it is `deferred`. */
export interface RunOutcome {
  results: StepResult[];
  deferred?: { step: string; due_at: string };
}

/** Runs (or resumes) the plan's steps in order, up to a removal that is not due yet. */
export async function runPlan(
  client: ApiClient,
  plan: Plan,
  journal: JournalIO,
  hooks: RunHooks,
): Promise<RunOutcome> {
  const results: StepResult[] = [];
  for (const step of plan.steps) {
    const prior = journal.done(step.id);
    if (prior) {
      hooks.onStep(step, 'skipped', `${prior.detail} (done earlier)`);
      results.push(prior);
      continue;
    }
    if (step.id === 'remove' && plan.overlap_seconds) {
      const due = await removalDueAt(client, results);
      if (due) return { results, deferred: { step: step.id, due_at: due } };
    }
    hooks.onStep(step, 'running');
    const idem = journal.idempotencyKey(step.id) ?? `noxus-offboard-${randomUUID()}`;
    journal.started(step.id, idem);
    let result: StepResult;
    try {
      result = await runStep(client, plan, step, idem, hooks);
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status !== undefined && status >= 400 && status < 500) journal.refused(step.id);
      throw e;
    }
    journal.finished(result);
    hooks.onStep(step, 'done', result.detail);
    results.push(result);
    hooks.afterStep?.(step);
  }
  return { results };
}

/**
 * When the last old secret of this run's overlapping rotations stops, if one still works. The
 * server's view decides (its clock set the expiry), so a removal is never early by a skewed local
 * clock; a key that is gone or already stopped does not hold the removal back.
 */
async function removalDueAt(client: ApiClient, results: StepResult[]): Promise<string | undefined> {
  const { getKey, listSystemKeys } = await import('../api/keys.js');
  let systemKeys: Awaited<ReturnType<typeof listSystemKeys>> | undefined;
  let due: string | undefined;
  for (const r of results) {
    const old = r.data?.old_key;
    if (!r.id.startsWith('rotate') || typeof old !== 'string' || !r.data?.old_expires_at) continue;
    let key: { status?: string; expires_at: string | null } | undefined;
    if (r.id.startsWith('rotate-system:')) {
      systemKeys ??= await listSystemKeys(client);
      key = systemKeys.find((k) => k.id === old);
    } else {
      key = await getKey(client, old).catch((e) => {
        if ((e as { status?: number }).status === 404) return undefined;
        throw e;
      });
    }
    if (key?.status !== 'active') continue;
    const at = key.expires_at ?? String(r.data.old_expires_at);
    if (!due || at > due) due = at;
  }
  return due;
}

async function runStep(
  client: ApiClient,
  plan: Plan,
  step: PlanStep,
  idem: string,
  hooks: RunHooks,
): Promise<StepResult> {
  const base = { id: step.id, title: step.title, status: 'done' as const };
  const userId = plan.user.id;
  if (step.id === 'review') {
    const a = inventoryOf(await getAccess(client, userId));
    return {
      ...base,
      detail: `${a.workspaces.length} workspace(s), ${a.keys_held.length} key(s), ${a.resources.length} resource(s)`,
      data: { inventory: a },
    };
  }
  if (step.id === 'transfer') {
    const ids = plan.inventory.resources.map((r) => r.id);
    const t = await transferResources(
      client,
      { from_user: userId, to_user: step.target as string, resource_ids: ids },
      idem,
    );
    const after = await getAccess(client, step.target as string);
    const owned = new Set(after.resources_owned.map((r) => r.id));
    const missing = ids.filter((id) => !owned.has(id));
    if (missing.length)
      throw new NoxusError(
        `read-back failed: ${missing.length} resource(s) are not owned by the target after the transfer (${missing.join(', ')})`,
      );
    return {
      ...base,
      detail: `${ids.length} resource(s) now owned by ${plan.transfer_to?.email} (read back)`,
      data: { transferred: ids, this_run: t.transferred.length },
    };
  }
  if (step.id === 'suspend') {
    const u = await suspendUser(client, userId);
    return {
      ...base,
      detail: u.changed === false ? 'already suspended' : 'suspended',
      data: { before: plan.user.status, after: 'suspended' },
    };
  }
  if (step.id === 'remove') {
    const u = await removeUser(client, userId);
    return {
      ...base,
      detail: u.changed === false ? 'already removed' : `removed; ${u.revoked_keys.length} key(s) revoked`,
      data: { revoked_keys: u.revoked_keys },
    };
  }
  if (step.id.startsWith('rotate-system:') || step.id.startsWith('rotate-key:')) {
    const system = step.id.startsWith('rotate-system:');
    const id = step.target as string;
    const overlap = plan.overlap_seconds ?? 0;
    try {
      const res = system
        ? await rotateSystemKey(client, id, overlap, idem)
        : await rotateKey(client, id, overlap, idem);
      const where = await hooks.onSecret(step, res);
      const until = overlap ? (res.replaces?.expires_at ?? null) : null;
      return {
        ...base,
        detail: `rotated: new key ${res.id}; old key ${id} ${until ? `stops at ${until}` : 'revoked'}; new secret ${where}`,
        data: { old_key: id, new_key: res.id, secret: where, ...(until ? { old_expires_at: until } : {}) },
      };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      // The old key is gone. If our own interrupted rotation made its replacement and the reply
      // (with the only copy of the secret) was lost, rotate the replacement again so the new
      // secret reaches the operator; otherwise someone else already dealt with the key.
      const { listKeys, listSystemKeys } = await import('../api/keys.js');
      const replacement = system
        ? (await listSystemKeys(client)).find((k) => k.rotated_from === id && k.status === 'active')
        : (await listKeys(client, { status: 'active' })).find((k) => k.rotated_from === id);
      if (!replacement) return { ...base, status: 'skipped', detail: `skipped: ${e.message}` };
      const again = system
        ? await rotateSystemKey(client, replacement.id, 0, `${idem}-again`)
        : await rotateKey(client, replacement.id, 0, `${idem}-again`);
      const where = await hooks.onSecret(step, again);
      return {
        ...base,
        detail: `rotated: new key ${again.id} (the reply of an interrupted rotation was lost, so its replacement ${replacement.id} was rotated again); new secret ${where}`,
        data: { old_key: id, new_key: again.id, secret: where },
      };
    }
  }
  if (step.id === 'verify') {
    const owner = plan.transfer_to?.id ?? userId;
    const a = await getAccess(client, owner);
    const owned = new Set(a.resources_owned.map((r) => r.id));
    const lost = plan.inventory.resources.filter((r) => !owned.has(r.id));
    const { queryActivity } = await import('../api/activity.js');
    const activity = await queryActivity(client, { actor: userId }, 1);
    if (lost.length)
      throw new NoxusError(
        `${lost.length} resource(s) are missing after offboarding: ${lost.map((r) => r.name).join(', ')}`,
      );
    if (activity.total < plan.inventory.activity_count) {
      throw new NoxusError(
        `activity entries by the user dropped from ${plan.inventory.activity_count} to ${activity.total}`,
      );
    }
    return {
      ...base,
      detail: `${plan.inventory.resources.length} resource(s) intact, ${activity.total} activity entries by the user preserved`,
      data: { resources: plan.inventory.resources.length, activity_entries: activity.total },
    };
  }
  throw new UsageError(`the plan has an unknown step "${step.id}"`);
}
