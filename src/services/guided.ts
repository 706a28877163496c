// Where the API stops, the operator continues in the Noxus web console. This module plans those
// console steps (the documented clicks, with the exact values to enter) next to the steps the public
// API can still do, and verifies each outcome through the public API wherever it can read it. It is
// pure planning and checking over data: the commands prompt, render and fetch.

import type { ApiClient } from '../api/client.js';
import { createSystemKey, listSystemKeys, revokeSystemKey, type SystemKey } from '../api/keys.js';
import { listUsers, type User } from '../api/users.js';
import { type FeatureId, feature, notAvailableMessage } from '../domain/features.js';
import { normalizeEmail } from '../domain/validate.js';

/** How a step's outcome is known. */
export type Outcome = 'automated' | 'confirmed' | 'verified';

/** What the public API can read back to prove a step happened. */
export type Check =
  | { kind: 'user-present'; email: string; tenant_admin: boolean }
  | { kind: 'user-gone'; id: string; email: string }
  | { kind: 'system-key-absent'; id: string; name: string };

export interface GuidedStep {
  id: string;
  /** console: the operator does it in the web console; api: the CLI does it. */
  mode: 'console' | 'api';
  title: string;
  /** Console location, as the documentation names it. */
  where?: string;
  /** What to do there, in order. */
  actions: string[];
  /** The values to enter. */
  values: Array<{ field: string; value: string }>;
  /** How the outcome is verified through the public API; absent: the operator's confirmation is all. */
  check?: Check;
}

export interface GuidedPlan {
  schema_version: 1;
  kind: 'noxus-console-steps';
  command: string;
  /** The features this server lacks, which is why there are console steps. */
  missing: Array<{ feature: FeatureId; reason: string }>;
  steps: GuidedStep[];
}

const plan = (command: string, missing: FeatureId[], steps: GuidedStep[]): GuidedPlan => ({
  schema_version: 1,
  kind: 'noxus-console-steps',
  command,
  missing: missing.map((id) => ({ feature: id, reason: notAvailableMessage(id) })),
  steps,
});

/** The outcome a step gets when it succeeds: verified when the API read it back. */
export function outcomeOf(step: GuidedStep): Outcome {
  if (step.check) return 'verified';
  return step.mode === 'api' ? 'automated' : 'confirmed';
}

// ---- users add -----------------------------------------------------------------------------------

export interface NewUserInput {
  name: string;
  displayName: string;
  email: string;
  orgRole: string;
  orgAdmin: boolean;
  workspaces: Array<{ workspace: string; role: string }>;
}

/** Settings → Users → Add user, as the documentation walks it. */
export function planUserAdd(u: NewUserInput, missing: FeatureId[] = ['users.invite']): GuidedPlan {
  const where = feature('users.invite').console ?? 'Settings → Users → Add user';
  const steps: GuidedStep[] = [
    {
      id: 'add-user',
      mode: 'console',
      title: 'Open Settings → Users, click "Add user" and enter the user',
      where,
      actions: [
        'Go to Settings → Users',
        'Click "Add user"',
        'Enter the name, the email address and the organization role',
        u.workspaces.length
          ? 'Select the workspaces to add the user to'
          : u.orgAdmin
            ? 'Select no workspace (an org admin is admin on every workspace)'
            : 'Select no workspace',
      ],
      values: [
        { field: 'Name', value: u.name },
        { field: 'Email address', value: u.email },
        { field: 'Organization role', value: u.orgRole },
        { field: 'Workspaces', value: u.workspaces.map((w) => w.workspace).join(', ') || 'none' },
      ],
    },
  ];
  if (u.workspaces.length) {
    steps.push({
      id: 'workspace-roles',
      mode: 'console',
      title: 'Click "Next" and select the role for each workspace',
      where,
      actions: ['Click "Next"', 'Select the role for each workspace'],
      values: u.workspaces.map((w) => ({ field: `Role in ${w.workspace}`, value: w.role })),
    });
  }
  steps.push({
    id: 'invite',
    mode: 'console',
    title: 'Click "Add": the user receives the invitation email',
    where,
    actions: ['Click "Add"'],
    values: [],
    check: { kind: 'user-present', email: u.email, tenant_admin: u.orgAdmin },
  });
  return plan('users add', missing, steps);
}

// ---- ws add-member -------------------------------------------------------------------------------

export function planAddMembers(
  workspace: string,
  users: Array<{ email: string; role: string }>,
  missing: FeatureId[] = ['members.manage'],
): GuidedPlan {
  const where = feature('members.manage').console ?? 'Workspace settings → Users → Add users';
  return plan('ws add-member', missing, [
    {
      id: 'open-workspace',
      mode: 'console',
      title: `Open the workspace ${workspace}: Workspace settings → Users`,
      where,
      actions: [`Switch to the workspace ${workspace}`, 'Go to Workspace settings → Users'],
      values: [{ field: 'Workspace', value: workspace }],
    },
    {
      id: 'add-users',
      mode: 'console',
      title: 'Click "Add users", select each user and their role, then click "Add"',
      where,
      actions: ['Click "Add users"', 'Select the users', 'Select the role for each user', 'Click "Add"'],
      values: users.map((x) => ({ field: x.email, value: x.role })),
    },
  ]);
}

// ---- offboard ------------------------------------------------------------------------------------

export interface OffboardInput {
  user: { id: string; email: string; display_name: string; tenant_admin: boolean };
  /** The system keys to invalidate: those the user created (and any the operator added). */
  systemKeys: Array<{ id: string; name: string }>;
  /** Active system keys whose creator the server does not report: the operator must judge them. */
  unattributedSystemKeys?: Array<{ id: string; name: string }>;
  /** Create a replacement for each system key before revoking it. */
  replace: boolean;
  /** What the server can do by API; each missing one becomes a console step. */
  can: { listSystemKeys: boolean; createSystemKeys: boolean; revokeSystemKeys: boolean };
}

/**
 * Offboarding on a server without the user-management endpoints, in the documented order: review
 * access, remove the user from the organization (console), invalidate keys (API where possible).
 */
export function planOffboard(o: OffboardInput, missing: FeatureId[]): GuidedPlan {
  const u = o.user;
  const steps: GuidedStep[] = [
    {
      id: 'review',
      mode: 'api',
      title: `Review access of ${u.email} through the public API`,
      actions: ['Read the user, the system keys and the workspaces'],
      values: [],
    },
  ];
  if (o.replace && o.can.createSystemKeys) {
    for (const k of o.systemKeys)
      steps.push({
        id: `replace-system:${k.id}`,
        mode: 'api',
        title: `Create a replacement for system key "${k.name}" (same name and permissions)`,
        actions: ['POST /v1/admin/system-keys'],
        values: [],
      });
  }
  steps.push({
    id: 'remove',
    mode: 'console',
    title: `Remove ${u.email} from the organization`,
    where: feature('users.remove').console ?? 'Settings → Users → (the user) → Remove',
    actions: ['Go to Settings → Users', `Open ${u.email}`, 'Click "Remove" and confirm'],
    values: [
      { field: 'User', value: `${u.display_name} <${u.email}>` },
      ...(u.tenant_admin ? [{ field: 'Note', value: 'an org admin: make sure another admin remains' }] : []),
    ],
    check: { kind: 'user-gone', id: u.id, email: u.email },
  });
  for (const k of o.systemKeys) {
    steps.push(
      o.can.revokeSystemKeys
        ? {
            id: `revoke-system:${k.id}`,
            mode: 'api',
            title: `Revoke system key "${k.name}" they created`,
            actions: [`DELETE /v1/admin/system-keys/${k.id}`],
            values: [],
            ...(o.can.listSystemKeys ? { check: { kind: 'system-key-absent', id: k.id, name: k.name } } : {}),
          }
        : {
            id: `revoke-system:${k.id}`,
            mode: 'console',
            title: `Revoke system key "${k.name}" they created`,
            where: 'Settings → API keys',
            actions: [`Revoke the system key "${k.name}"`],
            values: [{ field: 'Key', value: `${k.name} (${k.id})` }],
          },
    );
  }
  const unknown = o.unattributedSystemKeys ?? [];
  if (unknown.length) {
    // The public key list need not say who created a key: never conclude "none" from silence.
    steps.push({
      id: 'review-system-keys',
      mode: 'console',
      title: `Review ${unknown.length} system key(s) whose creator this server does not report; rotate any ${u.email} created or saw`,
      where: 'Settings → API keys',
      actions: [
        'Open Settings → API keys',
        `For each key below: if ${u.email} created it or knew its secret, create a replacement, move its integrations, then revoke it`,
      ],
      values: unknown.map((k) => ({ field: 'Key', value: `${k.name} (${k.id})` })),
    });
  }
  steps.push({
    id: 'workspace-keys',
    mode: 'console',
    title: 'Rotate the workspace API keys they created or could have seen',
    where: feature('keys.revoke').console ?? 'Workspace Control → API keys → Revoke',
    actions: [
      'In each workspace: Workspace Control → API keys',
      `Revoke (or replace, then revoke) every key ${u.email} created or whose secret they saw`,
    ],
    values: [{ field: 'Created by', value: u.email }],
  });
  return plan('offboard', missing, steps);
}

// ---- verification --------------------------------------------------------------------------------

export interface Verdict {
  ok: boolean;
  detail: string;
}

/** Reads the public API's answer for one check. Pure: the caller fetched `seen`. */
export function judge(
  check: Check,
  seen: {
    users?: Array<Pick<User, 'id' | 'email' | 'tenant_admin' | 'is_active' | 'status'>>;
    systemKeys?: Array<Pick<SystemKey, 'id'> & { status?: string | null }>;
  },
): Verdict {
  if (check.kind === 'user-present') {
    const u = (seen.users ?? []).find((x) => normalizeEmail(x.email) === normalizeEmail(check.email));
    if (!u) return { ok: false, detail: `${check.email} is not in GET /v1/admin/users yet` };
    if (u.tenant_admin !== check.tenant_admin)
      return {
        ok: false,
        detail: `${check.email} is in GET /v1/admin/users but ${u.tenant_admin ? 'is' : 'is not'} an org admin (expected ${check.tenant_admin ? 'org admin' : 'not org admin'})`,
      };
    return { ok: true, detail: `${check.email} appears in GET /v1/admin/users (${u.id})` };
  }
  if (check.kind === 'user-gone') {
    const u = (seen.users ?? []).find(
      (x) => x.id === check.id || normalizeEmail(x.email) === normalizeEmail(check.email),
    );
    if (!u || u.status === 'removed')
      return { ok: true, detail: `${check.email} is gone from GET /v1/admin/users` };
    if (u.is_active === false)
      return { ok: true, detail: `${check.email} is is_active: false in GET /v1/admin/users` };
    return { ok: false, detail: `${check.email} is still active in GET /v1/admin/users` };
  }
  const k = (seen.systemKeys ?? []).find((x) => x.id === check.id);
  if (!k) return { ok: true, detail: `system key "${check.name}" is absent from GET /v1/admin/system-keys` };
  if (k.status && k.status !== 'active')
    return { ok: true, detail: `system key "${check.name}" is ${k.status} in GET /v1/admin/system-keys` };
  return { ok: false, detail: `system key "${check.name}" is still listed as active` };
}

/** Fetches what `check` needs from the public API and judges it. */
export async function verify(client: ApiClient, check: Check): Promise<Verdict> {
  if (check.kind === 'system-key-absent') return judge(check, { systemKeys: await listSystemKeys(client) });
  return judge(check, { users: await listUsers(client) });
}

/** The system keys a user created, as far as the list says (`created_by` may be absent on a public server). */
export function systemKeysCreatedBy(keys: SystemKey[], userId: string): SystemKey[] {
  return keys.filter((k) => k.created_by === userId && (k.status ?? 'active') === 'active');
}

/** Active system keys whose creator the list does not name. */
export function unattributedSystemKeys(keys: SystemKey[]): SystemKey[] {
  return keys.filter((k) => !k.created_by && (k.status ?? 'active') === 'active');
}

/** A new system key with the old one's name and permissions (the public API has no rotate call). */
export async function replaceSystemKey(
  client: ApiClient,
  old: SystemKey,
  idempotencyKey?: string,
): Promise<SystemKey> {
  return createSystemKey(
    client,
    { name: old.name, permissions: [...(old.permissions ?? [])], tenant_admin: !!old.tenant_admin },
    idempotencyKey,
  );
}

/** DELETE /v1/admin/system-keys/{id}; an already absent key is fine (the step is idempotent). */
export async function revokeSystemKeyById(
  client: ApiClient,
  id: string,
): Promise<'revoked' | 'already absent'> {
  try {
    await revokeSystemKey(client, id);
    return 'revoked';
  } catch (e) {
    if ((e as { status?: number }).status === 404) return 'already absent';
    throw e;
  }
}
