// Applying a saved access plan: its items in order, each write journaled before and after with the
// Idempotency-Key it uses, so that a run killed at any point and resumed does every effect once.
// Names are resolved when the item runs (people invited earlier in the run are found), secrets of
// new keys go to the caller (a 0600 file or stdout) before the step is recorded done, and a person
// removed from the file is offboarded by the offboarding services with their own journal.

import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ApiClient } from '../../api/client.js';
import { createGroup, type GrantTerms, removeMember, setMember } from '../../api/groups.js';
import { createKey, listKeys, revokeKey, rotateKey } from '../../api/keys.js';
import { createRole, deleteRole, updateRole } from '../../api/roles.js';
import {
  createUser,
  reactivateUser,
  removeUser,
  suspendUser,
  type User,
  updateUser,
} from '../../api/users.js';
import type { FeatureId } from '../../domain/features.js';
import { foldName, isOrgAdminRole, type RoleLike } from '../../domain/identity.js';
import { normalizeEmail } from '../../domain/validate.js';
import { ConflictError, NoxusError, UsageError } from '../../errors.js';
import { fileInDir } from '../../util/files.js';
import type { Journal } from '../journal.js';
import {
  beginRun,
  buildPlan,
  checkTransferTarget,
  finishRun,
  type Plan as OffboardPlan,
  type StepResult as OffboardStepResult,
  offboardJournal,
  reviewUser,
  runPlan,
  runState,
  userOrRemoved,
} from '../offboard/index.js';
import { Resolver } from '../resolve.js';
import {
  ACCESS_PLAN_KIND,
  type AccessFile,
  type AccessPlan,
  type AccountGrant,
  type PlanItem,
} from './model.js';

export type ItemOutcome = 'applied' | 'failed' | 'not applied';

/** One item's result, as the command shows it; never a secret (a file path at most). */
export interface ItemResult {
  id: string;
  op: PlanItem['op'];
  kind: PlanItem['kind'];
  subject: string;
  outcome: ItemOutcome;
  message?: string;
  secret_file?: string;
}

/** What the journal records when a write is done. */
export interface StepRecord {
  message: string;
  failed?: boolean;
  secret_file?: string;
  id?: string;
}

export interface NewSecret {
  item: PlanItem;
  /** `account-workspace-key`: the base of the file name. */
  label: string;
  key: { id: string; name: string; value: string };
}

export interface ApplyHooks {
  /** Progress (stderr). */
  onItem?(item: PlanItem, state: 'running' | 'done' | 'skipped' | 'failed', detail?: string): void;
  /** A new secret: written to a file (its path returned) or shown once (undefined). Runs before the step is recorded done. */
  onSecret(s: NewSecret): Promise<string | undefined>;
  /** A person was offboarded: the report is written as `noxus offboard` writes it; returns where. */
  onOffboarded?(plan: OffboardPlan, results: OffboardStepResult[]): string | undefined;
  /** After a write returned, before the journal records it done (tests stop here, as a kill would). */
  afterWrite?(step: string): void | Promise<void>;
  /** After a step is recorded done (tests stop here, as a kill would). */
  afterStep?(step: string): void | Promise<void>;
}

export interface ApplyOptions {
  journal: Journal<StepRecord>;
  /** Where the offboarding journals live (one per person). */
  journalsDir: string;
  server: string;
  hooks: ApplyHooks;
}

export interface ApplyOutcome {
  items: ItemResult[];
  notApplied: ItemResult[];
  failed: number;
}

// ---------------------------------------------------------------------------------------------
// The plan file

/** A plan file's content checked for the shape apply relies on: every problem, or the plan. */
export function parseAccessPlan(text: string, file: string): AccessPlan {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not a JSON access plan (${(e as Error).message})`, {
      hint: 'write one with: noxus access plan -f access.yaml -o plan.json',
    });
  }
  const problems: string[] = [];
  const o = v as Record<string, unknown>;
  const isObj = (x: unknown): x is Record<string, unknown> =>
    typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(v)) problems.push('the plan is not a JSON object');
  else {
    if (o.kind !== ACCESS_PLAN_KIND) problems.push(`kind must be "${ACCESS_PLAN_KIND}"`);
    if (o.schema_version !== 1) problems.push('schema_version must be 1');
    for (const f of ['server', 'base_sha256', 'file_sha256'])
      if (typeof o[f] !== 'string') problems.push(`${f} must be a string`);
    if (!isObj(o.current)) problems.push('current must be an object');
    if (o.transfer_to !== null && typeof o.transfer_to !== 'string')
      problems.push('transfer_to must be a string or null');
    if (!Array.isArray(o.items)) problems.push('items must be a list');
    else {
      const ids = new Set<string>();
      for (const [i, it] of o.items.entries()) {
        const at = `items[${i}]`;
        if (!isObj(it)) {
          problems.push(`${at} must be an object`);
          continue;
        }
        if (typeof it.id !== 'string') problems.push(`${at}.id must be a string`);
        else if (ids.has(it.id)) problems.push(`${at}.id "${it.id}" is given twice`);
        else ids.add(it.id);
        if (!['+', '~', '-'].includes(it.op as string)) problems.push(`${at}.op must be +, ~ or -`);
        if (!KINDS.includes(it.kind as PlanItem['kind']))
          problems.push(`${at}.kind must be one of ${KINDS.join(', ')}`);
        if (typeof it.subject !== 'string') problems.push(`${at}.subject must be a string`);
        for (const f of ['changes', 'effects'])
          if (!Array.isArray(it[f]) || !(it[f] as unknown[]).every((x) => typeof x === 'string'))
            problems.push(`${at}.${f} must be a list of strings`);
        if (!['api', 'guided', 'not available'].includes(it.availability as string))
          problems.push(`${at}.availability must be api, guided or not available`);
        if (it.after !== null && !isObj(it.after)) problems.push(`${at}.after must be an object or null`);
        if (it.before !== null && !isObj(it.before)) problems.push(`${at}.before must be an object or null`);
        if (it.op !== '-' && !isObj(it.after)) problems.push(`${at}.after is needed for ${String(it.op)}`);
        if (it.op !== '+' && !isObj(it.before)) problems.push(`${at}.before is needed for ${String(it.op)}`);
        const kind = it.kind as PlanItem['kind'];
        if (!KINDS.includes(kind)) continue;
        for (const side of ['after', 'before'] as const) {
          const values = it[side];
          if (isObj(values))
            problems.push(...shapeProblems(kind, side, it.op as PlanItem['op'], values, `${at}.${side}`));
        }
      }
    }
  }
  const hint = `write one with: noxus access plan -f ${isObj(v) && typeof o.file === 'string' && o.file ? o.file : 'access.yaml'} -o plan.json`;
  if (problems.length)
    throw new UsageError(
      `${file} is not a usable access plan:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        hint,
      },
    );
  const plan = v as AccessPlan;
  const edited = plan.items.flatMap((it, i) => {
    const why = handEdit(it);
    return why ? [`plan item ${i + 1} (${it.id}) was changed by hand: ${why}`] : [];
  });
  if (edited.length)
    throw new UsageError(`${edited.join('\n')}; make a new plan`, {
      hint: `noxus access plan -f ${plan.file || 'access.yaml'} -o ${file}`,
    });
  return plan;
}

// The values each kind of item carries (ACCESS.md "Plan semantics"): apply writes these, so a value
// of the wrong type would be found only after the items before it were written.
type FieldType = 'string' | 'string?' | 'bool' | 'strings' | 'strings?' | 'scope' | 'grants';
const PERSON: Record<string, FieldType> = {
  email: 'string',
  name: 'string',
  org_role: 'string',
  suspended: 'bool',
};
const ACCOUNT: Record<string, FieldType> = { email: 'string', name: 'string', org_role: 'string' };
const GRANT: Record<string, FieldType> = {
  workspace: 'string',
  user: 'string',
  role: 'string',
  reason: 'string?',
  expires: 'string?',
  account: 'bool',
};
const KEY: Record<string, FieldType> = {
  account: 'string',
  workspace: 'string',
  name: 'string',
  restrict: 'strings?',
  expires: 'string?',
};
const ROLE: Record<string, FieldType> = { name: 'string', scope: 'scope', permissions: 'strings' };
const KEY_ACTIONS: Record<PlanItem['op'], string[]> = {
  '+': ['create'],
  '~': ['replace', 'rotate'],
  '-': ['revoke'],
};

function shapeOf(
  kind: PlanItem['kind'],
  side: 'after' | 'before',
  op: PlanItem['op'],
): Record<string, FieldType> {
  switch (kind) {
    case 'role':
      return ROLE;
    case 'workspace':
      return { name: 'string' };
    case 'person':
      return PERSON;
    case 'account':
      return side === 'after' && op === '+' ? { ...ACCOUNT, workspaces: 'grants' } : ACCOUNT;
    case 'grant':
      return GRANT;
    case 'key':
      return KEY;
    case 'offboard':
      return side === 'after' ? { transfer_to: 'string?' } : ACCOUNT;
  }
}

function shapeProblems(
  kind: PlanItem['kind'],
  side: 'after' | 'before',
  op: PlanItem['op'],
  values: Record<string, unknown>,
  at: string,
): string[] {
  const out: string[] = [];
  const strings = (x: unknown) => Array.isArray(x) && x.every((e) => typeof e === 'string');
  const check = (x: unknown, t: FieldType, where: string) => {
    if (t === 'string' && typeof x !== 'string') out.push(`${where} must be a string`);
    if (t === 'string?' && x !== null && typeof x !== 'string') out.push(`${where} must be a string or null`);
    if (t === 'bool' && typeof x !== 'boolean') out.push(`${where} must be true or false`);
    if (t === 'strings' && !strings(x)) out.push(`${where} must be a list of strings`);
    if (t === 'strings?' && x !== null && !strings(x)) out.push(`${where} must be a list of strings or null`);
    if (t === 'scope' && x !== 'org' && x !== 'workspace') out.push(`${where} must be org or workspace`);
    if (t === 'grants') {
      if (x === undefined) return;
      if (!Array.isArray(x)) out.push(`${where} must be a list`);
      else
        x.forEach((g, i) => {
          if (typeof g !== 'object' || g === null || Array.isArray(g))
            out.push(`${where}[${i}] must be an object`);
          else {
            const grant = g as Record<string, unknown>;
            check(grant.workspace, 'string', `${where}[${i}].workspace`);
            check(grant.role, 'string', `${where}[${i}].role`);
            if (grant.reason !== undefined) check(grant.reason, 'string?', `${where}[${i}].reason`);
            if (grant.expires !== undefined) check(grant.expires, 'string?', `${where}[${i}].expires`);
          }
        });
    }
  };
  for (const [field, t] of Object.entries(shapeOf(kind, side, op))) check(values[field], t, `${at}.${field}`);
  if (kind === 'key' && side === 'after') {
    const allowed = KEY_ACTIONS[op] ?? [];
    if (!allowed.includes(values.action as string))
      out.push(`${at}.action must be ${allowed.join(' or ')} for ${op}`);
  }
  return out;
}

/**
 * Why an item's values are not what its `changes` say (a hand edit), or undefined. The operator
 * reviewed the changes; apply writes the values: every value the item sets (for ~, every value that
 * differs from before) must be the one its changes show, and the item's id must name what its values
 * are about.
 */
function handEdit(item: PlanItem): string | undefined {
  const a = (item.after ?? {}) as Record<string, unknown>;
  const b = (item.before ?? {}) as Record<string, unknown>;
  const about = subjectId(item, a, b);
  if (about.some((id) => id.toLowerCase() !== item.id.toLowerCase()))
    return `its values are about ${about.find((id) => id.toLowerCase() !== item.id.toLowerCase())}, not ${item.id}`;
  const kind = item.kind;
  const shown = (v: unknown) =>
    v === null || v === undefined ? 'none' : Array.isArray(v) ? v.join(', ') : String(v);
  const claims: Array<[string, unknown]> = [];
  const scalar = (fields: string[]) => {
    for (const f of fields)
      if (item.op === '+' ? a[f] !== null && a[f] !== undefined : shown(a[f]) !== shown(b[f]))
        claims.push([f, a[f]]);
  };
  const list = (f: string, empty: string) => {
    const after = a[f] as string[] | null;
    if (item.op === '+') {
      if (after === null) claims.push([f, empty]);
      else for (const p of after) claims.push([f, p]);
      return;
    }
    const before = b[f] as string[] | null;
    if (JSON.stringify(after) === JSON.stringify(before)) return;
    if (kind === 'role') {
      for (const p of after ?? []) if (!(before ?? []).includes(p)) claims.push([f, p]);
      for (const p of before ?? []) if (!(after ?? []).includes(p)) claims.push([f, p]);
    } else if (after === null) claims.push([f, empty]);
    else for (const p of after) claims.push([f, p]);
    if (!claims.some(([x]) => x === f)) claims.push([f, undefined]);
  };
  switch (kind) {
    case 'role':
      if (item.op === '~') scalar(['scope']);
      if (item.op !== '-') list('permissions', '(nothing)');
      break;
    case 'person':
      if (item.op !== '-') scalar(['name', 'org_role']);
      if (item.op === '+' ? a.suspended === true : a.suspended !== b.suspended)
        claims.push(['suspended', a.suspended]);
      break;
    case 'account':
      if (item.op !== '-') scalar(['name', 'org_role']);
      if (item.op === '+')
        for (const g of (a.workspaces as AccountGrant[] | undefined) ?? [])
          claims.push([`workspace ${g.workspace}`, g.role]);
      break;
    case 'grant':
      if (item.op !== '-') scalar(['role', 'reason', 'expires']);
      break;
    case 'key':
      if (item.op === '-') break;
      list('restrict', 'unrestricted');
      scalar(['expires']);
      if (a.action === 'rotate') claims.push(['rotate', undefined]);
      break;
  }
  for (const [field, value] of claims)
    if (!described(item.changes ?? [], field, value))
      return value === undefined
        ? `${field} is not in its changes`
        : `${field} ${JSON.stringify(value)} is not in its changes`;
  return undefined;
}

/** True when a line of `changes` sets `field` to `value` (`field: value`, `field: old → value`, a list). */
function described(changes: readonly string[], field: string, value: unknown): boolean {
  const want =
    value === null ? ['none'] : value === undefined ? undefined : [String(value), JSON.stringify(value)];
  return changes.some((line) => {
    const prefix = [`${field}: `, `${field} added: `, `${field} removed: `].find((p) => line.startsWith(p));
    if (prefix === undefined) return false;
    if (!want) return true;
    const rest = line.slice(prefix.length);
    const arrow = rest.lastIndexOf(' → ');
    const tail = arrow < 0 ? rest : rest.slice(arrow + 3);
    return want.some((w) => tail === w || tail.split(', ').includes(w));
  });
}

/** The ids an item's values make (ACCESS.md "Item ids"): each side that apply acts on. */
function subjectId(item: PlanItem, a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const sides = item.op === '+' ? [a] : item.op === '-' ? [b] : [a, b];
  return sides.map((x) => {
    switch (item.kind) {
      case 'role':
        return `role:${String(x.name)}`;
      case 'workspace':
        return `workspace:${String(x.name)}`;
      case 'person':
      case 'account':
        return `${item.kind}:${String(x.email)}`;
      case 'grant':
        return `grant:${String(x.workspace)}:${String(x.user)}`;
      case 'key':
        return `key:${String(x.account)}:${String(x.workspace)}:${String(x.name)}`;
      default:
        return `offboard:${String(b.email)}`;
    }
  });
}

const KINDS: PlanItem['kind'][] = ['role', 'workspace', 'person', 'account', 'grant', 'key', 'offboard'];

/** Items that may deliver new secrets (and so need a place for them): new, replaced and rotated
 * keys, and offboarding (it rotates the shared keys the person created). */
export const makesSecrets = (item: PlanItem) =>
  item.availability === 'api' &&
  (item.kind === 'offboard' ||
    (item.kind === 'key' && ['create', 'replace', 'rotate'].includes(String(item.after?.action))));

/**
 * Why an operator must confirm an item, judged on its values (never on its `changes` text):
 * offboarding, any org-role change, an org-admin role given to someone new, an org admin
 * reactivated, a role's permissions changed. `isAdminRole` judges an org role by name on the
 * server's roles (and the plan's own). Undefined: no confirmation needed.
 */
export function confirmationReason(
  item: PlanItem,
  isAdminRole: (name: string) => boolean,
): string | undefined {
  const a = (item.after ?? {}) as Record<string, unknown>;
  const b = (item.before ?? {}) as Record<string, unknown>;
  const admin = (role: unknown) => typeof role === 'string' && isAdminRole(role);
  switch (item.kind) {
    case 'offboard':
      return `offboards ${String(b.email)}${a.transfer_to ? ` (work to ${String(a.transfer_to)})` : ''}`;
    case 'role':
      if (
        item.op === '~' &&
        (a.scope !== b.scope || JSON.stringify(a.permissions) !== JSON.stringify(b.permissions))
      )
        return `changes what role ${String(a.name)} grants`;
      return undefined;
    case 'person':
    case 'account': {
      const who = String(item.op === '+' ? a.email : b.email);
      if (item.op === '+')
        return admin(a.org_role) ? `makes ${who} an org admin (${String(a.org_role)})` : undefined;
      if (item.op !== '~') return undefined;
      if (a.org_role !== b.org_role)
        return `changes the org role of ${who}: ${String(b.org_role)} → ${String(a.org_role)}${admin(a.org_role) ? ' (an org admin)' : admin(b.org_role) ? ' (no longer an org admin)' : ''}`;
      if (item.kind === 'person' && b.suspended === true && a.suspended === false && admin(a.org_role))
        return `reactivates ${who}, an org admin (${String(a.org_role)})`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Items whose confirmation depends on which org roles are admin roles (the server's must be read). */
export const judgesOrgRoles = (item: PlanItem) =>
  (item.kind === 'person' || item.kind === 'account') &&
  (item.op === '+' ||
    (item.kind === 'person' && item.before?.suspended === true && item.after?.suspended === false));

/** An org-admin judge by role name: the plan's own roles (as they will be) over the server's. */
export function adminRoleJudge(
  plan: AccessPlan,
  serverRoles: readonly RoleLike[],
): (name: string) => boolean {
  const byName = new Map<string, Pick<RoleLike, 'permissions' | 'scope'>>();
  for (const r of serverRoles) byName.set(foldName(r.name), r);
  for (const i of plan.items)
    if (i.kind === 'role' && i.op !== '-' && i.after)
      byName.set(foldName(String(i.after.name)), {
        scope: i.after.scope as 'org' | 'workspace',
        permissions: i.after.permissions as string[],
      });
  return (name) => {
    const r = byName.get(foldName(name));
    return r ? isOrgAdminRole(r) : false;
  };
}

/** What an item does, in lines derived from its values (what confirming it agrees to). */
export function describeValues(item: PlanItem): string[] {
  const a = (item.after ?? {}) as Record<string, unknown>;
  const b = (item.before ?? {}) as Record<string, unknown>;
  const show = (v: unknown) =>
    v === null || v === undefined ? 'none' : Array.isArray(v) ? v.join(', ') || '(nothing)' : String(v);
  const fields: Record<PlanItem['kind'], string[]> = {
    role: ['scope', 'permissions'],
    workspace: [],
    person: ['name', 'org_role', 'suspended'],
    account: ['name', 'org_role', 'workspaces'],
    grant: ['role', 'reason', 'expires'],
    key: ['restrict', 'expires', 'action'],
    offboard: ['transfer_to'],
  };
  const out: string[] = [];
  for (const f of fields[item.kind] ?? []) {
    const v =
      f === 'workspaces'
        ? ((a.workspaces as AccountGrant[] | undefined) ?? []).map((g) => `${g.workspace} (${g.role})`)
        : a[f];
    if (f === 'action') out.push(`${show(v)}`);
    else if (item.op === '+') {
      if (v !== undefined && v !== null && !(f === 'suspended' && v === false)) out.push(`${f}: ${show(v)}`);
    } else if (item.op === '~') {
      if (show(v) !== show(b[f])) out.push(`${f}: ${show(b[f])} → ${show(v)}`);
    } else if (item.kind === 'offboard') out.push(`${f}: ${show(v)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Drift

/** What changed between two reads of a server's access, one line each (empty: nothing). */
export function accessDifferences(planned: AccessFile, now: AccessFile): string[] {
  const a = flatten(planned);
  const b = flatten(now);
  const out: string[] = [];
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined) out.push(`${k} was removed`);
    else if (w !== v) out.push(`${k} changed: ${v} → ${w}`);
  }
  for (const [k, w] of b) if (!a.has(k)) out.push(`${k} was added: ${w}`);
  return out;
}

function flatten(d: AccessFile): Map<string, string> {
  const m = new Map<string, string>();
  const put = (k: string, v: unknown) => m.set(k, JSON.stringify(v));
  const terms = (g: { role: string; reason?: string | null; expires?: string | null }) => ({
    role: g.role,
    reason: g.reason ?? null,
    expires: g.expires ?? null,
  });
  for (const r of d.roles ?? []) put(`role ${r.name}`, { scope: r.scope, permissions: r.permissions });
  for (const p of d.people ?? [])
    put(`person ${p.email}`, { name: p.name, org_role: p.org_role, suspended: !!p.suspended });
  for (const w of d.workspaces ?? []) {
    put(`workspace ${w.name}`, 'present');
    for (const g of w.members ?? []) put(`grant ${g.user} in ${w.name}`, terms(g));
  }
  for (const s of d.service_accounts ?? []) {
    put(`account ${s.email}`, { name: s.name, org_role: s.org_role });
    for (const g of s.workspaces ?? []) put(`grant ${s.email} in ${g.workspace}`, terms(g));
    for (const k of s.keys ?? [])
      put(`key "${k.name}" of ${s.email} in ${k.workspace}`, {
        restrict: k.restrict ?? null,
        expires: k.expires ?? null,
      });
  }
  return m;
}

const DRIFT_SHOWN = 20;

/**
 * A fresh run refuses a plan the server drifted from: `now` is the server's access read again and
 * `sha256` its canonical hash (read.ts, file.ts). Nothing has been written when this throws.
 */
export function checkDrift(plan: AccessPlan, now: AccessFile, sha256: string, file: string): void {
  if (sha256 === plan.base_sha256) return;
  const diff = accessDifferences(plan.current, now);
  const n = diff.length;
  // The message stays readable; --json carries every difference.
  const shown = n > DRIFT_SHOWN ? [...diff.slice(0, DRIFT_SHOWN), `… and ${n - DRIFT_SHOWN} more`] : diff;
  throw new ConflictError(
    `the server changed since the plan was made${n ? ` (${n} difference${n > 1 ? 's' : ''})` : ''}; nothing was applied${n ? `\n${shown.map((d) => `  - ${d}`).join('\n')}` : ''}`,
    {
      hint: `make a new plan: noxus access plan -f ${plan.file || 'access.yaml'} -o ${file}`,
      data: { differences: diff },
    },
  );
}

/** The server's access now, and its canonical hash: what a plan's `base_sha256` was taken of. */
export async function serverAccessNow(
  r: Resolver,
  has: (id: FeatureId) => boolean,
): Promise<{ doc: AccessFile; sha256: string }> {
  const [{ readServerAccess }, { accessSha256 }] = await Promise.all([
    import('./read.js'),
    import('./file.js'),
  ]);
  const now = await readServerAccess(r, has);
  return { doc: now.doc, sha256: accessSha256(now.doc) };
}

// ---------------------------------------------------------------------------------------------
// The run

/** The journal's run record: a fresh run starts it, completion closes it. */
export const journalState = (j: Journal<StepRecord>) => ({
  begun: !!j.last('plan'),
  complete: !!j.last('complete'),
  /** Items that failed or were not applied in the run that completed (absent in older journals: 0). */
  failed: Number(j.last('complete')?.failed ?? 0),
  notApplied: Number(j.last('complete')?.not_applied ?? 0),
});

export function beginApply(j: Journal<StepRecord>, plan: AccessPlan, secretsDir: string | undefined): void {
  j.reset();
  // The plan's identity, not its content: the file stays where the operator keeps it.
  j.record('plan', {
    base_sha256: plan.base_sha256,
    items: plan.items.length,
    secrets_dir: secretsDir ?? null,
  });
}

export const recordedSecretsDir = (j: Journal<StepRecord>) =>
  (j.last('plan')?.secrets_dir as string | null | undefined) ?? undefined;

/** Runs (or resumes) the plan's items in order. Throws on a failure that a --resume can finish. */
export async function applyAccessPlan(
  client: ApiClient,
  plan: AccessPlan,
  opts: ApplyOptions,
): Promise<ApplyOutcome> {
  const items: ItemResult[] = [];
  const notApplied: ItemResult[] = [];
  const run = new Run(client, plan, opts);
  for (const item of plan.items) {
    const base = { id: item.id, op: item.op, kind: item.kind, subject: item.subject };
    if (item.availability !== 'api') {
      const r: ItemResult = {
        ...base,
        outcome: 'not applied',
        message: item.note ?? `${item.availability} on this server`,
      };
      notApplied.push(r);
      items.push(r);
      opts.hooks.onItem?.(item, 'skipped', r.message);
      continue;
    }
    items.push(await run.item(item));
  }
  opts.journal.record('complete', {
    failed: items.filter((i) => i.outcome === 'failed').length,
    not_applied: notApplied.length,
  });
  return { items, notApplied, failed: items.filter((i) => i.outcome === 'failed').length };
}

/** One write of an item: its own journal step and Idempotency-Key. */
type Write = (idem: string) => Promise<StepRecord>;

class Run {
  private r: Resolver;

  constructor(
    private readonly client: ApiClient,
    private readonly plan: AccessPlan,
    private readonly opts: ApplyOptions,
  ) {
    this.r = new Resolver(client);
  }

  /** Lists change as the run creates things: the next lookup reads them again. */
  private fresh(): void {
    this.r = new Resolver(this.client);
  }

  async item(item: PlanItem): Promise<ItemResult> {
    const base = { id: item.id, op: item.op, kind: item.kind, subject: item.subject };
    const j = this.opts.journal;
    const writes = this.writes(item);
    const steps = writes.map((_, i) => (writes.length === 1 ? item.id : `${item.id}#${i + 1}`));
    const messages: string[] = [];
    let secretFile: string | undefined;
    let earlier = 0;
    this.opts.hooks.onItem?.(item, 'running');
    for (const [i, write] of writes.entries()) {
      const step = steps[i] as string;
      const prior = j.result(step);
      if (prior) {
        earlier++;
        messages.push(prior.message);
        secretFile ??= prior.secret_file;
        if (prior.failed) return this.failed(item, base, messages, secretFile);
        continue;
      }
      const idem = j.key(step) ?? `noxus-access-${randomUUID()}`;
      j.start(step, idem);
      let rec: StepRecord;
      try {
        rec = await write(idem);
      } catch (e) {
        const status = (e as { status?: number }).status;
        const code = (e as { exitCode?: number }).exitCode;
        // The server refused (4xx), or a name is unknown or taken: nothing happened, so the item
        // failed and the run goes on. Anything else may have happened or not (a network error, a
        // 5xx): the run stops and --resume repeats it. A lost login stops the run too.
        const refused =
          code !== 4 &&
          (status !== undefined ? status >= 400 && status < 500 : [2, 5, 6, 7].includes(code ?? 0));
        if (refused) {
          rec = { message: (e as Error).message, failed: true };
        } else {
          throw new NoxusError(`${item.subject}: ${(e as Error).message}`, {
            hint: 'nothing is lost: fix the cause and finish with --resume',
            status,
            requestId: (e as NoxusError).requestId,
            cause: e,
          });
        }
      }
      await this.opts.hooks.afterWrite?.(step);
      j.finish(step, rec);
      await this.opts.hooks.afterStep?.(step);
      messages.push(rec.message);
      secretFile ??= rec.secret_file;
      if (rec.failed) return this.failed(item, base, messages, secretFile);
    }
    if (writes.length === 0) return { ...base, outcome: 'applied', message: 'nothing to change' };
    const message = messages.join('; ') + (earlier === writes.length ? ' (done earlier)' : '');
    this.opts.hooks.onItem?.(item, earlier === writes.length ? 'skipped' : 'done', message);
    return { ...base, outcome: 'applied', message, ...(secretFile ? { secret_file: secretFile } : {}) };
  }

  private failed(
    item: PlanItem,
    base: Omit<ItemResult, 'outcome'>,
    messages: string[],
    secretFile: string | undefined,
  ): ItemResult {
    const message = messages.join('; ');
    this.opts.hooks.onItem?.(item, 'failed', message);
    return { ...base, outcome: 'failed', message, ...(secretFile ? { secret_file: secretFile } : {}) };
  }

  /** The writes of an item, decided by the item alone so that a resume numbers them the same. */
  private writes(item: PlanItem): Write[] {
    const a = (item.after ?? {}) as Record<string, unknown>;
    const b = (item.before ?? {}) as Record<string, unknown>;
    const s = (v: unknown) => (typeof v === 'string' ? v : '');
    switch (item.kind) {
      case 'role':
        if (item.op === '+') return [(idem) => this.roleCreate(a, idem)];
        if (item.op === '~') return [() => this.roleUpdate(s(b.name), a)];
        return [() => this.roleDelete(s(b.name))];
      case 'workspace':
        if (item.op === '+') return [(idem) => this.workspaceCreate(s(a.name), idem)];
        throw new UsageError(`${item.id}: workspaces are only ever added by a plan`);
      case 'person': {
        if (item.op === '+') {
          const w: Write[] = [(idem) => this.invite(a, idem)];
          if (a.suspended === true) w.push((idem) => this.setSuspended(s(a.email), true, idem));
          return w;
        }
        if (item.op === '~') {
          const w: Write[] = [];
          if (a.name !== b.name || a.org_role !== b.org_role)
            w.push(() => this.updatePerson(s(b.email), a, b));
          if (!!a.suspended !== !!b.suspended)
            w.push((idem) => this.setSuspended(s(b.email), !!a.suspended, idem));
          return w;
        }
        throw new UsageError(`${item.id}: a person leaves by an offboard item`);
      }
      case 'account':
        if (item.op === '+') return [(idem) => this.accountCreate(a, idem)];
        if (item.op === '~') return [() => this.updatePerson(s(b.email), a, b)];
        return [() => this.accountDelete(s(b.email))];
      case 'grant':
        if (item.op === '-') return [() => this.grantRemove(s(b.workspace), s(b.user))];
        return [() => this.grantSet(a, b)];
      case 'key': {
        const action = item.op === '-' ? 'revoke' : s(a.action);
        const k = item.op === '-' ? b : a;
        if (action === 'create') return [(idem) => this.keyCreate(item, a, idem)];
        if (action === 'replace') return [() => this.keyRevoke(b), (idem) => this.keyCreate(item, a, idem)];
        if (action === 'rotate') return [(idem) => this.keyRotate(item, a, b, idem)];
        if (action === 'revoke') return [() => this.keyRevoke(k)];
        throw new UsageError(`${item.id}: unknown key action "${action}"`);
      }
      case 'offboard':
        return [() => this.offboard(item)];
    }
  }

  // Roles --------------------------------------------------------------------------------------

  private async roleCreate(a: Record<string, unknown>, idem: string): Promise<StepRecord> {
    const perms = (a.permissions as string[]) ?? [];
    const role = await createRole(
      this.client,
      {
        name: String(a.name),
        description: '',
        permissions: Object.fromEntries(perms.map((p) => [p, true])),
      },
      idem,
    );
    this.fresh();
    return { message: `created role ${role.name} (${perms.join(', ')})`, id: role.id };
  }

  private async roleUpdate(name: string, a: Record<string, unknown>): Promise<StepRecord> {
    const role = await this.r.role(name);
    const perms = (a.permissions as string[]) ?? [];
    await updateRole(this.client, role.id, { permissions: Object.fromEntries(perms.map((p) => [p, true])) });
    this.fresh();
    return { message: `role ${role.name} now grants ${perms.join(', ')}` };
  }

  private async roleDelete(name: string): Promise<StepRecord> {
    const role = await this.r.role(name);
    await deleteRole(this.client, role.id);
    this.fresh();
    return { message: `deleted role ${role.name}` };
  }

  // Workspaces and people ----------------------------------------------------------------------

  private async workspaceCreate(name: string, idem: string): Promise<StepRecord> {
    const g = await createGroup(this.client, { name, description: '' }, idem);
    this.fresh();
    return { message: `created workspace ${g.name}`, id: g.id };
  }

  private async invite(a: Record<string, unknown>, idem: string): Promise<StepRecord> {
    const role = await this.r.role(String(a.org_role), 'org', 'org_role');
    const u = await createUser(
      this.client,
      {
        email: String(a.email),
        name: String(a.name),
        org_role: role.id,
        kind: 'human',
        send_invitation: true,
      },
      idem,
    );
    this.fresh();
    return { message: `invited ${u.email} as ${role.name}`, id: u.id };
  }

  private async user(email: string): Promise<User> {
    return this.r.user(normalizeEmail(email));
  }

  private async setSuspended(email: string, suspended: boolean, idem: string): Promise<StepRecord> {
    const u = await this.user(email);
    await (suspended ? suspendUser : reactivateUser)(this.client, u.id, idem);
    this.fresh();
    return { message: suspended ? `suspended ${u.email}` : `reactivated ${u.email}` };
  }

  private async updatePerson(
    email: string,
    a: Record<string, unknown>,
    b: Record<string, unknown>,
  ): Promise<StepRecord> {
    const u = await this.user(email);
    const body: { name?: string; org_role?: string } = {};
    const said: string[] = [];
    if (a.name !== b.name) {
      body.name = String(a.name);
      said.push(`name "${a.name}"`);
    }
    if (a.org_role !== b.org_role) {
      const role = await this.r.role(String(a.org_role), 'org', 'org_role');
      body.org_role = role.id;
      said.push(`org role ${b.org_role} → ${role.name}`);
    }
    await updateUser(this.client, u.id, body);
    this.fresh();
    return { message: `${u.email}: ${said.join(', ')}` };
  }

  private async accountCreate(a: Record<string, unknown>, idem: string): Promise<StepRecord> {
    const role = await this.r.role(String(a.org_role), 'org', 'org_role');
    const grants = ((a.workspaces as AccountGrant[] | undefined) ?? []).map(async (g) => ({
      group_id: (await this.r.group(g.workspace)).id,
      role: (await this.r.role(g.role, 'workspace', `workspace ${g.workspace}`)).id,
      ...(g.reason ? { reason: g.reason } : {}),
      ...(g.expires ? { expires_at: g.expires } : {}),
    }));
    const u = await createUser(
      this.client,
      {
        email: String(a.email),
        name: String(a.name),
        org_role: role.id,
        kind: 'service',
        workspaces: await Promise.all(grants),
      },
      idem,
    );
    this.fresh();
    const n = (a.workspaces as unknown[] | undefined)?.length ?? 0;
    return { message: `created service account ${u.email} (${role.name}, ${n} grant(s))`, id: u.id };
  }

  private async accountDelete(email: string): Promise<StepRecord> {
    const u = await this.user(email);
    await removeUser(this.client, u.id);
    this.fresh();
    return { message: `deleted service account ${u.email}` };
  }

  // Grants ------------------------------------------------------------------------------------

  private async grantSet(a: Record<string, unknown>, b: Record<string, unknown>): Promise<StepRecord> {
    const g = await this.r.group(String(a.workspace));
    const u = await this.user(String(a.user));
    const role = await this.r.role(String(a.role), 'workspace', `workspace ${g.name}`);
    // A term is sent when the plan sets one or clears one the server had (null clears); a grant
    // without terms sends none, so a server without reasons and expiry is not asked about them.
    const terms: GrantTerms = {};
    if (a.reason != null || b.reason != null) terms.reason = (a.reason as string | null | undefined) ?? null;
    if (a.expires != null || b.expires != null)
      terms.expires_at = (a.expires as string | null | undefined) ?? null;
    await setMember(this.client, g.id, u.id, role.id, terms);
    const said = [
      terms.reason && `reason "${terms.reason}"`,
      terms.expires_at && `expires ${terms.expires_at}`,
    ];
    return { message: [`${u.email} in ${g.name}: ${role.name}`, ...said.filter(Boolean)].join(', ') };
  }

  private async grantRemove(workspace: string, email: string): Promise<StepRecord> {
    const g = await this.r.group(workspace);
    const u = await this.user(email);
    await removeMember(this.client, g.id, u.id);
    return { message: `removed ${u.email} from ${g.name}` };
  }

  // Keys --------------------------------------------------------------------------------------

  /** The id of an account's active key, by workspace and name, as the server has it now. */
  private async keyId(k: Record<string, unknown>): Promise<{ id: string; owner: User } | undefined> {
    const owner = await this.user(String(k.account));
    const g = await this.r.group(String(k.workspace));
    const found = (
      await listKeys(this.client, { owner_id: owner.id, group_id: g.id, status: 'active' })
    ).find((x) => x.name === k.name);
    return found ? { id: found.id, owner } : undefined;
  }

  private async keyCreate(item: PlanItem, a: Record<string, unknown>, idem: string): Promise<StepRecord> {
    const owner = await this.user(String(a.account));
    const g = await this.r.group(String(a.workspace));
    const key = await createKey(
      this.client,
      g.id,
      {
        name: String(a.name),
        permissions: (a.restrict as string[] | null | undefined) ?? null,
        owner_id: owner.id,
        expires_at: (a.expires as string | null | undefined) ?? null,
      },
      idem,
    );
    const file = await this.opts.hooks.onSecret({ item, label: keyLabel(a), key });
    return {
      message: `created key "${key.name}" (${key.id}) for ${owner.email} in ${g.name}; secret ${file ? `written to ${file}` : 'shown once'}`,
      id: key.id,
      ...(file ? { secret_file: file } : {}),
    };
  }

  private async keyRevoke(k: Record<string, unknown>): Promise<StepRecord> {
    const found = await this.keyId(k);
    if (!found) return { message: `key "${String(k.name)}" of ${String(k.account)} was already gone` };
    await revokeKey(this.client, found.id);
    return { message: `revoked key "${String(k.name)}" (${found.id})` };
  }

  private async keyRotate(
    item: PlanItem,
    a: Record<string, unknown>,
    b: Record<string, unknown>,
    idem: string,
  ): Promise<StepRecord> {
    // The key rotated is recorded before the rotation: a repeat after a kill rotates the same id
    // with the same Idempotency-Key (the server replays its reply), even though it is revoked now.
    const j = this.opts.journal;
    const mark = `rotating ${item.id}`;
    let id = j.last(mark)?.key_id as string | undefined;
    if (!id) {
      const found = await this.keyId(b);
      if (!found) throw new ConflictError(`key "${String(b.name)}" of ${String(b.account)} is gone`);
      id = found.id;
      j.record(mark, { key_id: id });
    }
    return this.rotated(item, a, id, idem);
  }

  private async rotated(
    item: PlanItem,
    a: Record<string, unknown>,
    id: string,
    idem: string,
  ): Promise<StepRecord> {
    // No overlap: the old secret stops at once (a file-driven rotation has no one to wait for).
    const res = await rotateKey(this.client, id, 0, idem, (a.expires as string | null | undefined) ?? null);
    const file = await this.opts.hooks.onSecret({ item, label: keyLabel(a), key: res });
    return {
      message: `rotated key "${res.name}": new key ${res.id}, old key ${id} revoked; secret ${file ? `written to ${file}` : 'shown once'}`,
      id: res.id,
      ...(file ? { secret_file: file } : {}),
    };
  }

  // Offboarding -------------------------------------------------------------------------------

  private async offboard(item: PlanItem): Promise<StepRecord> {
    const email = String(item.before?.email);
    const to = item.after?.transfer_to ?? this.plan.transfer_to;
    const user = await userOrRemoved(this.r, email);
    const j = offboardJournal(this.opts.journalsDir, user.id);
    const state = runState(j);
    let plan = state.plan;
    if (!plan || state.complete) {
      if (user.status === 'removed') return { message: `${user.email} was already removed` };
      const access = await reviewUser(this.r, user);
      const target = typeof to === 'string' && to ? await this.user(to) : undefined;
      if (target) await checkTransferTarget(this.r, user, target, access.resources_owned);
      plan = buildPlan(this.opts.server, user, target, access, { overlapSeconds: 0 });
      beginRun(j, plan);
    }
    const outcome = await runPlan(this.client, plan, j, {
      onStep: () => {},
      onSecret: async (step, key) => {
        const file = await this.opts.hooks.onSecret({
          item,
          label: `${email}-${step.title}-${key.name}`,
          key,
        });
        return file ? `written to ${file}` : 'shown once';
      },
    });
    const report = this.opts.hooks.onOffboarded?.(plan, outcome.results);
    finishRun(j);
    this.fresh();
    return {
      message: `offboarded ${user.email}${plan.transfer_to ? `, work transferred to ${plan.transfer_to.email}` : ''}${report ? `; report: ${report}` : ''}`,
    };
  }
}

/**
 * Removes what a secret write killed midway left in `dir` for this plan's keys: writeFileAtomic's
 * `<file>.<pid>.<hex>.tmp`, 0600 and holding a secret the resumed run delivers again. Returns them.
 */
export function removeLeftoverSecretWrites(dir: string, plan: AccessPlan): string[] {
  const files = new Set(
    plan.items
      .filter((i) => i.kind === 'key' && i.after)
      .map((i) => basename(fileInDir(dir, keyLabel(i.after ?? {}), '.key'))),
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^(.+)\.\d+\.[0-9a-f]{12}\.tmp$/.exec(name);
    if (!m || !files.has(m[1] as string)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(join(dir, name));
  }
  return removed;
}

/** The name of a key's secret file: `account-workspace-key`. */
export const keyLabel = (k: Record<string, unknown>) =>
  `${String(k.account)}-${String(k.workspace)}-${String(k.name)}`;
