// Applying a plan: every step is journaled before and after, so a crash resumes without doing
// anything twice, and a removal after an overlapping rotation waits until the old secrets stopped.

import { randomUUID } from 'node:crypto';
import { queryActivity } from '../../api/activity.js';
import type { ApiClient } from '../../api/client.js';
import { getKey, listKeys, listSystemKeys, rotateKey, rotateSystemKey } from '../../api/keys.js';
import { getAccess, removeUser, suspendUser, transferResources } from '../../api/users.js';
import { ConflictError, NoxusError, UsageError } from '../../errors.js';
import { Journal, journalPath } from '../journal.js';
import { inventoryOf, type Plan, type PlanStep } from './plan.js';

export interface StepResult {
  id: string;
  title: string;
  status: 'done' | 'skipped';
  detail: string;
  /** How the outcome is known (the report's "How" column); every step of the full API run is automated. */
  outcome?: 'automated' | 'confirmed' | 'verified';
  data?: Record<string, unknown>;
}

/** What a run needs of its journal (services/journal.ts): a step's result, its key, start, finish, refuse. */
export type StepJournal = Pick<Journal<StepResult>, 'result' | 'key' | 'start' | 'finish' | 'refuse'>;

/** The offboarding journal of a user, with the run's own records: the plan, a deferral, completion. */
export function offboardJournal(dir: string, userId: string): Journal<StepResult> {
  return Journal.open<StepResult>(journalPath(dir, `offboard-${userId}`));
}

export interface OffboardRun {
  plan?: Plan;
  /** Where rotated secrets go is part of the run: a resume writes them to the same place. */
  secretsDir?: string;
  /** Set while the removal waits for the old secrets of an overlapping rotation to stop. */
  removalDueAt?: string;
  complete: boolean;
}

export function runState(j: Journal<StepResult>): OffboardRun {
  const begun = j.last('plan');
  return {
    plan: begun?.plan as Plan | undefined,
    secretsDir: (begun?.secrets_dir as string | null | undefined) ?? undefined,
    removalDueAt: j.last('deferred')?.due_at as string | undefined,
    complete: !!j.last('complete'),
  };
}

/** A new run starts a fresh journal whose first line is the plan it runs. */
export function beginRun(j: Journal<StepResult>, plan: Plan, secretsDir?: string): void {
  j.reset();
  j.record('plan', { plan, secrets_dir: secretsDir ?? null });
}

export function deferRemoval(j: Journal<StepResult>, dueAt: string): void {
  j.record('deferred', { step: 'remove', due_at: dueAt });
}

export function finishRun(j: Journal<StepResult>): void {
  j.record('complete');
}

export interface RunHooks {
  onStep(step: PlanStep, state: 'running' | 'done' | 'skipped', detail?: string): void;
  /** A new secret from a rotation; the caller writes it to the secrets dir or shows it once. */
  onSecret(step: PlanStep, key: { id: string; name: string; value: string }): Promise<string>;
  /** Called after each step is journaled as done (tests stop a run here, as a crash would). */
  afterStep?(step: PlanStep): void | Promise<void>;
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
  journal: StepJournal,
  hooks: RunHooks,
): Promise<RunOutcome> {
  const results: StepResult[] = [];
  for (const step of plan.steps) {
    const prior = journal.result(step.id);
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
    const idem = journal.key(step.id) ?? `noxus-offboard-${randomUUID()}`;
    journal.start(step.id, idem);
    let result: StepResult;
    try {
      result = await runStep(client, plan, step, idem, hooks);
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status !== undefined && status >= 400 && status < 500) journal.refuse(step.id);
      throw e;
    }
    journal.finish(step.id, result);
    hooks.onStep(step, 'done', result.detail);
    results.push(result);
    await hooks.afterStep?.(step);
  }
  return { results };
}

/**
 * When the last old secret of this run's overlapping rotations stops, if one still works. The
 * server's view decides (its clock set the expiry), so a removal is never early by a skewed local
 * clock; a key that is gone or already stopped does not hold the removal back.
 */
async function removalDueAt(client: ApiClient, results: StepResult[]): Promise<string | undefined> {
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
