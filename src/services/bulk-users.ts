// `users add --from-csv`: validate the whole file against the server, plan each row (invite,
// update, or nothing), then apply with a journal so that a killed run resumes without inviting
// anyone twice.

import { randomUUID } from 'node:crypto';
import type { ApiClient } from '../api/client.js';
import { listMembers, setMember } from '../api/groups.js';
import { createUser, type DeliveryState, listUsers, type User, updateUser } from '../api/users.js';
import {
  ambiguityMessage,
  isOrgAdminRole,
  matchRef,
  type RefKind,
  ROLE_REF,
  roleScope,
  WORKSPACE_REF,
} from '../domain/identity.js';
import { didYouMean } from '../domain/match.js';
import { emailProblem, nameProblem, normalizeEmail } from '../domain/validate.js';
import { runPool } from '../util/pool.js';
import { type InputProblem, inputError, readCsv } from './bulk.js';
import type { Journal } from './journal.js';
import type { Resolver } from './resolve.js';

export const USER_COLUMNS = {
  required: ['email', 'name'],
  optional: ['display_name', 'org_role', 'workspaces'],
};
const COL = { email: 1, name: 2, display_name: 3, org_role: 4, workspaces: 5 } as const;

export interface UserRowPlan {
  row: number;
  email: string;
  name: string;
  displayName?: string;
  orgRole: { id: string; name: string; admin: boolean };
  grants: Array<{ groupId: string; workspace: string; roleId: string; role: string }>;
  existing?: User;
  action: 'invite' | 'update' | 'none';
  changes: string[];
}

export interface RowResult {
  row: number;
  email: string;
  action: string;
  outcome: 'invited' | 'pending delivery' | 'updated' | 'unchanged' | 'failed' | 'planned';
  message: string;
}

/**
 * "invited" only once the server says the email left; a server that reports no delivery state
 * (it sends before answering) counts as sent.
 */
export function deliveryOutcome(state: DeliveryState | undefined): 'invited' | 'pending delivery' {
  return state === undefined || state === 'sent' ? 'invited' : 'pending delivery';
}

function deliveryMessage(d: { state?: DeliveryState; last_error?: string | null } | undefined, sent: string) {
  if (!d?.state || d.state === 'sent') return sent;
  if (d.state === 'failed')
    return `invitation email failed: ${d.last_error ?? 'unknown error'}; resend with: noxus users resend-invite`;
  return d.last_error
    ? `invitation email pending delivery (last attempt: ${d.last_error})`
    : 'invitation email pending delivery';
}

export async function planUsersCsv(file: string, r: Resolver): Promise<UserRowPlan[]> {
  const { header, rows } = readCsv(file, USER_COLUMNS);
  const col = (name: keyof typeof COL) => header.indexOf(name) + 1 || COL[name];
  const problems: InputProblem[] = [];
  const [roles, groups, users] = await Promise.all([r.roles(), r.groups(), r.users()]);
  const byEmail = new Map(users.map((u) => [normalizeEmail(u.email), u]));
  const seen = new Map<string, number>();
  const plans: UserRowPlan[] = [];

  for (const { line, cells } of rows) {
    const bad = (column: number, message: string) => problems.push({ line, column, message });
    // An ambiguous name is a problem of its own line (listing the matches), never "the first one".
    const find = <T>(
      column: number,
      items: readonly T[],
      ref: string,
      k: RefKind<T>,
    ): T | null | undefined => {
      const m = matchRef(items, ref, k);
      if (m.kind === 'one') return m.item;
      if (m.kind === 'none') return undefined;
      const a = ambiguityMessage(ref, m.items, k);
      bad(column, `${a.message}; ${a.hint}`);
      return null;
    };
    const findRole = (column: number, ref: string) => find(column, roles, ref, ROLE_REF);
    const findGroup = (column: number, ref: string) => find(column, groups, ref, WORKSPACE_REF);
    const email = cells.email ?? '';
    const ep = emailProblem(email);
    if (ep) bad(col('email'), `email ${ep}`);
    else {
      const key = normalizeEmail(email);
      const first = seen.get(key);
      if (first !== undefined)
        bad(col('email'), `${email} is also on line ${first} (emails compare case-insensitively)`);
      else seen.set(key, line);
    }
    const name = cells.name ?? '';
    const np = nameProblem(name);
    if (np) bad(col('name'), `name ${np}`);
    const displayName = cells.display_name || undefined;
    if (displayName && nameProblem(displayName))
      bad(col('display_name'), `display_name ${nameProblem(displayName)}`);
    const orgRef = cells.org_role || 'Org Base';
    const orgRole = findRole(col('org_role'), orgRef);
    if (orgRole === undefined)
      bad(
        col('org_role'),
        `unknown org role "${orgRef}" (known: ${roles
          .filter((x) => roleScope(x) === 'org')
          .map((x) => x.name)
          .join(', ')})`,
      );
    else if (orgRole && roleScope(orgRole) !== 'org')
      bad(col('org_role'), `"${orgRole.name}" is a workspace role, not an organization role`);
    const admin = !!orgRole && isOrgAdminRole(orgRole);
    const grants: UserRowPlan['grants'] = [];
    const wsText = (cells.workspaces ?? '').trim();
    if (wsText) {
      if (admin)
        bad(col('workspaces'), `${orgRole?.name} is admin on every workspace; leave workspaces empty`);
      const used = new Set<string>();
      for (const part of wsText
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const i = part.lastIndexOf('=');
        if (i <= 0 || i === part.length - 1) {
          bad(col('workspaces'), `"${part}" is not WORKSPACE=ROLE`);
          continue;
        }
        const g = findGroup(col('workspaces'), part.slice(0, i).trim());
        const role = findRole(col('workspaces'), part.slice(i + 1).trim());
        const near = (ref: string, names: string[]) => {
          const m = didYouMean(ref, names);
          return m ? ` (${m})` : '';
        };
        if (g === undefined)
          bad(
            col('workspaces'),
            `unknown workspace "${part.slice(0, i).trim()}"${near(
              part.slice(0, i).trim(),
              groups.map((x) => x.name),
            )}`,
          );
        if (role === undefined)
          bad(
            col('workspaces'),
            `unknown workspace role "${part.slice(i + 1).trim()}"${near(
              part.slice(i + 1).trim(),
              roles.map((x) => x.name),
            )}`,
          );
        else if (role && roleScope(role) !== 'workspace')
          bad(col('workspaces'), `"${role.name}" is an organization role, not a workspace role`);
        if (g && used.has(g.id)) bad(col('workspaces'), `workspace ${g.name} is listed twice`);
        if (g && role) {
          used.add(g.id);
          grants.push({ groupId: g.id, workspace: g.name, roleId: role.id, role: role.name });
        }
      }
    }
    if (!orgRole) continue;
    plans.push({
      row: line,
      email,
      name,
      displayName,
      orgRole: { id: orgRole.id, name: orgRole.name, admin },
      grants,
      existing: byEmail.get(normalizeEmail(email)),
      action: 'invite',
      changes: [],
    });
  }
  if (problems.length) throw inputError(file, problems);

  // Existing users: compare with what the file asks for.
  const groupIds = [
    ...new Set(plans.filter((p) => p.existing).flatMap((p) => p.grants.map((g) => g.groupId))),
  ];
  const members = new Map<string, Map<string, string>>();
  for (const gid of groupIds) {
    members.set(
      gid,
      new Map(
        (await listMembers(r.client, gid))
          .filter((m) => m.via === 'membership')
          .map((m) => [m.user_id, m.role.id]),
      ),
    );
  }
  for (const p of plans) {
    if (!p.existing) continue;
    if (p.existing.org_role && p.existing.org_role.id !== p.orgRole.id)
      p.changes.push(`org role ${p.existing.org_role.name} → ${p.orgRole.name}`);
    for (const g of p.grants) {
      const current = members.get(g.groupId)?.get(p.existing.id);
      if (current !== g.roleId)
        p.changes.push(
          `${g.workspace}: ${current ? (roles.find((x) => x.id === current)?.name ?? current) : 'none'} → ${g.role}`,
        );
    }
    p.action = p.changes.length ? 'update' : 'none';
  }
  return plans;
}

/** What the journal keeps of a finished row (the step is the row's line number). */
export interface RowJournal {
  action: string;
  outcome: string;
  message?: string;
}

export interface ApplyOptions {
  concurrency: number;
  journal: Journal<RowJournal>;
  resume: boolean;
  onThrottle: (listener: () => void) => void;
  onProgress: (done: number, total: number, r: RowResult) => void;
  /** How long to wait at the end for pending invitation emails to leave (default 10 s). */
  settleMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export async function applyUsers(
  client: ApiClient,
  plans: UserRowPlan[],
  o: ApplyOptions,
): Promise<RowResult[]> {
  const results = new Map<number, RowResult>();
  // Rows whose invitation email had not left when last seen, by email: refreshed at the end.
  const pendingByEmail = new Map<string, number>();
  const record = (res: RowResult) => {
    results.set(res.row, res);
    o.onProgress(results.size, plans.length, res);
  };
  const todo: UserRowPlan[] = [];
  for (const p of plans) {
    const prior = o.resume ? o.journal.result(String(p.row)) : undefined;
    if (prior && prior.outcome !== 'failed') {
      record({
        row: p.row,
        email: p.email,
        action: prior.action,
        outcome: prior.outcome as RowResult['outcome'],
        message: prior.message ?? 'done by an earlier run',
      });
    } else if (p.action === 'none' && o.resume && o.journal.key(String(p.row)) !== undefined) {
      // The interrupted run's write reached the server; its reply never reached us. Whether the
      // email left is the server's to say, not ours to assume.
      const action = 'invite';
      const d = p.existing?.invitation?.delivery;
      const outcome = p.existing?.status === 'invited' ? deliveryOutcome(d?.state) : 'invited';
      const message = deliveryMessage(d, 'completed by the interrupted run');
      o.journal.finish(String(p.row), { action, outcome, message });
      record({ row: p.row, email: p.email, action, outcome, message });
    } else todo.push(p);
  }
  await runPool(
    todo,
    o.concurrency,
    async (p) => {
      if (p.action === 'none') {
        record({
          row: p.row,
          email: p.email,
          action: 'none',
          outcome: 'unchanged',
          message: 'already matches',
        });
        return;
      }
      const idem = o.journal.key(String(p.row)) ?? `noxus-bulk-${randomUUID()}`;
      o.journal.start(String(p.row), idem);
      let res: RowResult;
      try {
        if (p.action === 'invite') {
          const u = await createUser(
            client,
            {
              email: p.email,
              name: p.name,
              display_name: p.displayName,
              org_role: p.orgRole.id,
              workspaces: p.grants.map((g) => ({ group_id: g.groupId, role: g.roleId })),
            },
            idem,
          );
          res = {
            row: p.row,
            email: p.email,
            action: 'invite',
            outcome: deliveryOutcome(u.invitation?.state),
            message: deliveryMessage(u.invitation, u.invitation?.delivered_to ?? ''),
          };
        } else {
          const u = p.existing as User;
          if (p.existing?.org_role?.id !== p.orgRole.id)
            await updateUser(client, u.id, { org_role: p.orgRole.id });
          for (const g of p.grants) await setMember(client, g.groupId, u.id, g.roleId);
          res = {
            row: p.row,
            email: p.email,
            action: 'update',
            outcome: 'updated',
            message: p.changes.join('; '),
          };
        }
      } catch (e) {
        const err = e as { exitCode?: number; message: string };
        // Authentication and connectivity problems stop the run (every row would fail the same way).
        if (err.exitCode === 4) throw e;
        res = { row: p.row, email: p.email, action: p.action, outcome: 'failed', message: err.message };
      }
      o.journal.finish(String(p.row), { action: res.action, outcome: res.outcome, message: res.message });
      record(res);
    },
    o.onThrottle,
  );
  for (const r of results.values())
    if (r.outcome === 'pending delivery') pendingByEmail.set(normalizeEmail(r.email), r.row);
  if (pendingByEmail.size) await settleDeliveries(client, pendingByEmail, results, o);
  return plans.map((p) => results.get(p.row) as RowResult);
}

/**
 * The server's outbox retries pending emails on its own; give it a little time, then report what
 * it says. Journal entries are updated so that a later --resume starts from the truth.
 */
async function settleDeliveries(
  client: ApiClient,
  pending: Map<string, number>,
  results: Map<number, RowResult>,
  o: ApplyOptions,
): Promise<void> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const until = Date.now() + (o.settleMs ?? 10_000);
  for (;;) {
    const invited = await listUsers(client, { status: 'invited' });
    const seen = new Map(invited.map((u) => [normalizeEmail(u.email), u]));
    for (const [email, row] of [...pending]) {
      const u = seen.get(email);
      const d = u?.invitation?.delivery;
      // Gone from the invited list: accepted (so the email arrived) or removed meanwhile.
      if (u && d?.state === 'pending') continue;
      pending.delete(email);
      const prev = results.get(row) as RowResult;
      const outcome = u ? deliveryOutcome(d?.state) : 'invited';
      const message = u
        ? deliveryMessage(d, 'invitation email sent')
        : 'no longer invited (accepted or removed)';
      if (outcome === prev.outcome && message === prev.message) continue;
      const next = { ...prev, outcome, message };
      results.set(row, next);
      o.journal.finish(String(row), { action: next.action, outcome, message });
    }
    if (!pending.size || Date.now() >= until) return;
    await sleep(250);
  }
}
