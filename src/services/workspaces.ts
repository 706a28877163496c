// Workspaces and their members: each change is checked against the server (names, members, org
// admins) before its one write, so a refused command changes nothing.

import type { ApiClient } from '../api/client.js';
import {
  createGroup,
  deleteGroup,
  type GrantTerms,
  type Group,
  listMembers,
  type Member,
  type MembershipChange,
  removeMember,
  setMember,
  updateGroup,
} from '../api/groups.js';
import type { Role } from '../api/roles.js';
import type { User } from '../api/users.js';
import { findByRef, foldName, isOrgAdmin, type RefKind } from '../domain/identity.js';
import { nameProblem, parseDuration } from '../domain/validate.js';
import { ConflictError, NotFoundError, PermissionError, UsageError } from '../errors.js';
import type { Resolver } from './resolve.js';
import { checkName } from './users.js';

/** `--reason` and `--expires` of a grant, checked before any request; `relative` for a duration. */
export interface TermsInput {
  terms: GrantTerms;
  relative: boolean;
}

const MAX_REASON_LENGTH = 500;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ZONED = /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * `--expires 30d|12h|2w` (from now), `YYYY-MM-DD` (that day, 00:00 UTC) or an ISO 8601 date-time
 * with a time zone; the instant must be in the future. Flags not given stay out of the body, so a
 * re-run without them keeps what the grant has.
 */
export function parseGrantTerms(o: { reason?: string; expires?: string }, now: Date): TermsInput {
  const terms: GrantTerms = {};
  let relative = false;
  if (o.reason !== undefined) {
    const p = nameProblem(o.reason, MAX_REASON_LENGTH);
    if (p) throw new UsageError(`--reason ${p}`);
    terms.reason = o.reason;
  }
  if (o.expires !== undefined) {
    const v = o.expires.trim();
    const ms = parseDuration(v);
    let t: number;
    if (ms !== undefined) {
      t = now.getTime() + ms;
      relative = true;
    } else {
      const iso = DAY.test(v) ? `${v}T00:00:00Z` : ZONED.test(v) ? v : '';
      t = iso ? Date.parse(iso) : Number.NaN;
      if (Number.isNaN(t))
        throw new UsageError(
          `--expires takes a duration (30d, 12h, 2w), a date (YYYY-MM-DD) or an ISO 8601 time with a zone, got "${o.expires}"`,
        );
      if (t <= now.getTime()) throw new UsageError(`--expires ${o.expires} is in the past`);
    }
    terms.expires_at = new Date(t).toISOString();
  }
  return { terms, relative };
}

// A duration re-run a moment later lands on a slightly later instant: within this, it is the same expiry.
const RELATIVE_SLACK_MS = 60 * 60_000;

/** Whether a grant already carries these terms (what was not given is kept, so it matches). */
export function sameTerms(
  m: { reason?: string | null; expires_at?: string | null } | undefined,
  t: TermsInput,
): boolean {
  if (!m) return false;
  if (t.terms.reason !== undefined && (m.reason ?? null) !== t.terms.reason) return false;
  const want = t.terms.expires_at;
  if (!want) return true;
  if (!m.expires_at) return false;
  const diff = Date.parse(want) - Date.parse(m.expires_at);
  return t.relative ? diff >= 0 && diff < RELATIVE_SLACK_MS : diff === 0;
}

/** Refuses a name another workspace has (names compare as references do). */
async function assertFreeName(r: Resolver, name: string, exceptId?: string): Promise<void> {
  const dup = (await r.groups()).find((g) => g.id !== exceptId && foldName(g.name) === foldName(name));
  if (dup) throw new ConflictError(`a workspace named "${dup.name}" already exists (${dup.id})`);
}

/** Creates a workspace; with `dryRun`, only checks the name and returns undefined. */
export async function createWorkspace(
  r: Resolver,
  input: { name: string; description: string; dryRun?: boolean },
): Promise<Group | undefined> {
  checkName(input.name, 'workspace name');
  await assertFreeName(r, input.name);
  if (input.dryRun) return undefined;
  return createGroup(r.client, { name: input.name, description: input.description });
}

export interface RenameResult {
  group: Group;
  /** The renamed workspace; absent when unchanged or on a dry run. */
  updated?: Group;
  changed: boolean;
}

export async function renameWorkspace(
  r: Resolver,
  ref: string,
  name: string,
  o: { dryRun?: boolean } = {},
): Promise<RenameResult> {
  const group = await r.group(ref);
  if (group.name === name) return { group, changed: false };
  await assertFreeName(r, name, group.id);
  if (o.dryRun) return { group, changed: true };
  return { group, updated: await updateGroup(r.client, group.id, { name }), changed: true };
}

export async function deleteWorkspace(client: ApiClient, group: Group): Promise<void> {
  await deleteGroup(client, group.id);
}

/** Members are users: referred to by id or email, as users are. */
const MEMBER_REF: RefKind<Member> = {
  what: 'user',
  label: 'email',
  id: (m) => m.user_id,
  name: (m) => m.email,
};

const orgRoleHint = (email: string) => `noxus users update ${email} --org-role "Org Base"`;

/** A member change: the workspace, the user and their current membership (which must exist). */
export interface MemberTarget {
  group: Group;
  user: User;
  member: Member;
}

async function memberOf(r: Resolver, wRef: string, uRef: string) {
  const group = await r.group(wRef);
  const user = await r.user(uRef);
  const member = (await listMembers(r.client, group.id)).find((x) => x.user_id === user.id);
  return { group, user, member };
}

export interface SetRolePlan extends MemberTarget {
  role: Role;
  terms: GrantTerms;
  changed: boolean;
}

/** What `ws set-role` would change; an org admin's derived role and a non-member are refused. */
export async function planSetRole(
  r: Resolver,
  wRef: string,
  uRef: string,
  roleRef: string,
  terms: TermsInput = { terms: {}, relative: false },
): Promise<SetRolePlan> {
  const group = await r.group(wRef);
  const user = await r.user(uRef);
  const role = await r.role(roleRef, 'workspace', '--role');
  const member = (await listMembers(r.client, group.id)).find((x) => x.user_id === user.id);
  if (member?.via === 'org_admin') {
    throw new ConflictError(`${user.email} is admin on ${group.name} through their org role`, {
      hint: `change their org role first: ${orgRoleHint(user.email)}`,
    });
  }
  if (!member) {
    throw new NotFoundError(`${user.email} is not a member of ${group.name}`, {
      hint: `add them with: noxus ws add-member ${group.name} ${user.email} --role ${role.name}`,
    });
  }
  const changed = member.role.id !== role.id || !sameTerms(member, terms);
  // Unchanged terms stay out of the body: a duration re-run does not push the expiry on.
  return { group, user, member, role, terms: sameTerms(member, terms) ? {} : terms.terms, changed };
}

export async function setRole(client: ApiClient, plan: SetRolePlan): Promise<MembershipChange | undefined> {
  return setMember(client, plan.group.id, plan.user.id, plan.role.id, plan.terms);
}

/** What `ws remove-member` would remove; an org admin's derived membership cannot be removed. */
export async function planRemoveMember(r: Resolver, wRef: string, uRef: string): Promise<MemberTarget> {
  const { group, user, member } = await memberOf(r, wRef, uRef);
  if (member?.via === 'org_admin') {
    throw new ConflictError(
      `${user.email} is admin on ${group.name} through their org role and cannot be removed from one workspace`,
      { hint: `change their org role instead: ${orgRoleHint(user.email)}` },
    );
  }
  if (!member) throw new NotFoundError(`${user.email} is not a member of ${group.name}`);
  return { group, user, member };
}

export async function removeWorkspaceMember(client: ApiClient, t: MemberTarget): Promise<void> {
  await removeMember(client, t.group.id, t.user.id);
}

/** Active users who could be added to a workspace: not yet members, not org admins. */
export async function addableUsers(r: Resolver, current: readonly Member[]): Promise<User[]> {
  const roles = await r.roles();
  return (await r.users({ status: 'active' })).filter(
    (u) => !current.some((m) => m.user_id === u.id) && !isOrgAdmin(u, roles),
  );
}

export interface NewMember {
  email: string;
  id: string;
  member?: Member;
}

/**
 * Every user `ws add-member` names, checked before the first write: org admins (admin everywhere)
 * and removed users are refused, and a member with another role than `role` is a conflict. A key
 * that may not list users (a workspace Reader's) cannot add members either, and only the server can
 * say which permission is missing: such references are checked against the member list only, and
 * the server's answer to the first write is reported as is.
 */
export async function checkNewMembers(
  r: Resolver,
  group: Group,
  refs: readonly string[],
  current: readonly Member[],
  role: { id: string; name: string } | undefined,
): Promise<NewMember[]> {
  const listable = await r.users().then(
    () => true,
    (e: unknown) => {
      if (e instanceof PermissionError) return false;
      throw e;
    },
  );
  const orgAdminError = (email: string) =>
    new UsageError(
      `${email} is an org admin and therefore admin on every workspace; a workspace role cannot be given`,
      { hint: `to change that, change their org role: ${orgRoleHint(email)}` },
    );
  const alreadyMember = (email: string, m: Member, wanted: string) =>
    new ConflictError(`${email} is already a member of ${group.name} as ${m.role.name}`, {
      hint: `to change the role: noxus ws set-role ${group.name} ${email} --role ${shellQuote(wanted)}`,
    });
  const roles = await r.roles();
  const found: NewMember[] = [];
  for (const ref of refs) {
    if (!listable) {
      const m = findByRef(current, ref, MEMBER_REF);
      if (m?.via === 'org_admin') throw orgAdminError(m.email);
      if (m && role && m.role.id !== role.id) throw alreadyMember(m.email, m, role.name);
      found.push({ email: m?.email ?? ref, id: m?.user_id ?? ref, member: m });
      continue;
    }
    const u = await r.user(ref);
    if (isOrgAdmin(u, roles)) throw orgAdminError(u.email);
    if (u.status === 'removed') throw new ConflictError(`${u.email} was removed from the organization`);
    const m = current.find((x) => x.user_id === u.id);
    if (m && role && m.role.id !== role.id) throw alreadyMember(u.email, m, role.name);
    found.push({ email: u.email, id: u.id, member: m });
  }
  return found;
}

export interface AddRow {
  email: string;
  user_id: string;
  workspace: string;
  role: string;
  /** With the extension `members.terms` (null when the grant has none). */
  reason?: string | null;
  expires_at?: string | null;
  action: string;
}

export type AddResult = AddRow & { outcome: string; message?: string };

/**
 * Adds the rows planned as `add`, one write each. A single user's failure is thrown as is; with
 * several, failures are recorded per row and the first one is returned for the exit code.
 */
export async function addMembers(
  client: ApiClient,
  group: Group,
  rows: readonly AddRow[],
  roleIds: ReadonlyMap<string, string>,
  terms: GrantTerms = {},
): Promise<{ results: AddResult[]; failures: unknown[] }> {
  const results: AddResult[] = [];
  const failures: unknown[] = [];
  for (const row of rows) {
    if (row.action === 'unchanged') {
      results.push({ ...row, outcome: 'unchanged' });
      continue;
    }
    try {
      const change = await setMember(
        client,
        group.id,
        row.user_id,
        roleIds.get(row.user_id) as string,
        terms,
      );
      const kept =
        'reason' in row ? { reason: change?.reason ?? null, expires_at: change?.expires_at ?? null } : {};
      results.push({
        ...row,
        ...kept,
        user_id: change?.user_id ?? row.user_id,
        outcome: row.action === 'update' ? 'updated' : 'added',
      });
    } catch (e) {
      if (rows.length === 1) throw e;
      failures.push(e);
      results.push({ ...row, outcome: 'failed', message: (e as Error).message });
    }
  }
  return { results, failures };
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** ` (reason: …, expires …)`, or nothing for a grant without terms or a command without the flags. */
export function termsText(x: { reason?: string | null; expires_at?: string | null }): string {
  const parts = [x.reason ? `reason: ${x.reason}` : '', x.expires_at ? `expires ${x.expires_at}` : ''].filter(
    Boolean,
  );
  return parts.length ? ` (${parts.join(', ')})` : '';
}
