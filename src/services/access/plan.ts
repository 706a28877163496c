// The difference between an access file (what the organization's access should be) and a server's
// access (what it is), as the ordered list of items apply carries out, plus what the server has and
// the file does not manage. Pure: the command reads the file and the server, this only compares.

import type { Role } from '../../api/roles.js';
import { difference, keyRequested } from '../../domain/effective.js';
import { type FeatureId, feature, notAvailableMessage } from '../../domain/features.js';
import { foldName, grantedPermissions, isOrgAdminRole, type RoleLike } from '../../domain/identity.js';
import { expandWorkspacePermissions, WORKSPACE_PERMISSIONS } from '../../domain/permissions.js';
import { BUILTIN_ROLES } from '../../domain/roles.js';
import { parseDuration } from '../../domain/validate.js';
import { ConflictError } from '../../errors.js';
import { checkReview, type Finding, type Policy, SEVERITIES } from '../review/policy.js';
import type { ReviewContent, ReviewGrant, ReviewKey, ReviewUser } from '../review/types.js';
import type {
  AccessFile,
  AccessGap,
  AccessGrant,
  AccessKey,
  Availability,
  FilePath,
  LocatedAccessFile,
  PlanItem,
  PlanKind,
  Position,
  ServerAccess,
  Unmanaged,
} from './model.js';

export interface PlanOptions {
  prune: boolean;
  /** Whether the server has a feature (the command's capabilities). */
  has: (id: FeatureId) => boolean;
  /** The server's roles, built-in and custom (the file lists only custom ones). */
  roles: readonly Role[];
  now: Date;
}

export interface PlanResult {
  items: PlanItem[];
  unmanaged: Unmanaged[];
}

// ---------------------------------------------------------------------------------------------
// Values compared after normalisation: the file accepts dates and any order, the server does not.

const lower = (s: string) => s.toLowerCase();
const iso = (v: string | null | undefined): string | null => (v ? new Date(v).toISOString() : null);
const restriction = (r: readonly string[] | null | undefined): string[] | null =>
  r === null || r === undefined ? null : [...new Set(r)].sort();
const sameList = (a: readonly string[] | null, b: readonly string[] | null) =>
  a === null || b === null ? a === b : a.length === b.length && a.every((x, i) => x === b[i]);

interface Terms {
  role: string;
  reason: string | null;
  expires: string | null;
}
const terms = (g: AccessGrant): Terms => ({
  role: g.role,
  reason: g.reason ?? null,
  expires: iso(g.expires),
});

const show = (v: unknown): string => {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return v.length ? v.join(', ') : '(nothing)';
  return String(v);
};
const quoted = (v: string | null) => (v === null ? 'none' : JSON.stringify(v));
const showRestrict = (r: readonly string[] | null) => (r === null ? 'unrestricted' : show(r));

/** `field: before → after` for each field that differs. */
function diffLines(fields: Array<[string, string, string]>): string[] {
  return fields.filter(([, a, b]) => a !== b).map(([f, a, b]) => `${f}: ${a} → ${b}`);
}

const PROMOTION = 'admin on every workspace';

const keyId = (account: string, workspace: string, name: string) => `${account}\0${workspace}\0${name}`;

// ---------------------------------------------------------------------------------------------
// Roles: the server's (built-in and custom) with the file's custom roles over them.

type RoleBook = (name: string) => RoleLike | undefined;

/** Role names match as references do (folded), so `reader` in a file is the server's `Reader`. */
function roleBook(server: readonly RoleLike[], custom: AccessFile['roles']): RoleBook {
  const byName = new Map<string, RoleLike>();
  for (const r of server) byName.set(foldName(r.name), r);
  for (const r of custom)
    byName.set(foldName(r.name), {
      id: `file:${r.name}`,
      name: r.name,
      scope: r.scope,
      permissions: r.permissions,
    });
  return (name) => byName.get(foldName(name));
}

const isAdmin = (book: RoleBook, orgRole: string | undefined) => {
  const r = orgRole === undefined ? undefined : book(orgRole);
  return r ? isOrgAdminRole(r) : false;
};

/** What a workspace role lets its holder do there (expanded as the server expands it). */
const rolePermissions = (book: RoleBook, role: string | undefined): string[] => {
  const r = role === undefined ? undefined : book(role);
  return r ? expandWorkspacePermissions(grantedPermissions(r)) : [];
};

// ---------------------------------------------------------------------------------------------
// Availability: what this server can do with an item.

function availability(
  needs: FeatureId[],
  has: (id: FeatureId) => boolean,
): { feature: FeatureId; availability: Availability; note?: string } {
  const missing = needs.filter((id) => !has(id));
  if (missing.length === 0) return { feature: needs[0] as FeatureId, availability: 'api' };
  const impossible = missing.find((id) => !feature(id).console);
  if (impossible !== undefined)
    return { feature: impossible, availability: 'not available', note: notAvailableMessage(impossible) };
  const guided = missing[0] as FeatureId;
  return {
    feature: guided,
    availability: 'guided',
    note: `in the Noxus web console: ${feature(guided).console}`,
  };
}

// ---------------------------------------------------------------------------------------------

interface PersonState {
  email: string;
  name: string;
  org_role: string;
  suspended: boolean;
}

interface GrantRow extends Terms {
  workspace: string;
  user: string;
  account: boolean;
}

/**
 * The file with each workspace and custom role named as the server spells it: names match folded,
 * as role references do, so `finance` in a file is the server's `Finance` everywhere the plan
 * compares or applies names.
 */
export function onServerNames(doc: AccessFile, current: ServerAccess): AccessFile {
  const spelled = new Map<string, string>();
  for (const w of current.doc.workspaces)
    if (!spelled.has(foldName(w.name))) spelled.set(foldName(w.name), w.name);
  const name = (n: string) => spelled.get(foldName(n)) ?? n;
  const roleName = new Map(current.doc.roles.map((r) => [foldName(r.name), r.name]));
  return {
    ...doc,
    roles: doc.roles.map((r) => ({ ...r, name: roleName.get(foldName(r.name)) ?? r.name })),
    workspaces: doc.workspaces.map((w) => ({ ...w, name: name(w.name) })),
    service_accounts: doc.service_accounts.map((a) => ({
      ...a,
      workspaces: a.workspaces.map((g) => ({ ...g, workspace: name(g.workspace) })),
      keys: a.keys.map((k) => ({ ...k, workspace: name(k.workspace) })),
    })),
  };
}

/** A server whose account holds two active keys of one name: which one a plan means is unknowable. */
function refuseDuplicateKeys(current: ServerAccess): void {
  const dups = current.duplicateKeys ?? [];
  if (!dups.length) return;
  const what = dups.map(
    (d) =>
      `${d.ids.length} active keys named "${d.name}" of ${d.account} in ${d.workspace} (${d.ids.join(', ')})`,
  );
  const revoke = dups.flatMap((d) => d.ids.slice(1).map((id) => `noxus keys revoke ${id}`));
  throw new ConflictError(`the server holds ${what.join('; ')}: a plan cannot tell them apart`, {
    hint: `keep one of each and revoke the others, e.g.: ${revoke.join('; ')}`,
    data: { duplicate_keys: dups },
  });
}

/**
 * The plan: every item in application order (roles, workspaces, people, accounts, grants, keys,
 * then with `prune` the removals), and what the server has that the file does not list.
 */
export function planAccess(desired: LocatedAccessFile, current: ServerAccess, opts: PlanOptions): PlanResult {
  refuseDuplicateKeys(current);
  const want = onServerNames(desired.doc, current);
  const cur = current.doc;
  const gaps = new Map<AccessGap['section'], AccessGap>(current.unreadable.map((g) => [g.section, g]));
  const known = (s: AccessGap['section']) => !gaps.has(s);
  const wantBook = roleBook(opts.roles, want.roles);
  /** The role's own spelling, so a folded match is no change. */
  const canon = (name: string) => wantBook(name)?.name ?? name;
  const wantTerms = (g: AccessGrant): Terms => ({ ...terms(g), role: canon(g.role) });
  const curBook = roleBook(opts.roles, cur.roles);
  const at = (path: FilePath): Position => desired.at(path);
  const items: PlanItem[] = [];
  const unmanaged: Unmanaged[] = [];
  const conflicts: string[] = [];
  const caller = current.caller ? lower(current.caller) : null;
  const transferTo = want.offboarding?.transfer_to ?? null;

  const push = (
    base: Omit<PlanItem, 'feature' | 'availability' | 'note'>,
    needs: FeatureId[],
    section?: AccessGap['section'],
  ) => {
    const a = availability(needs, opts.has);
    const gap = section ? gaps.get(section) : undefined;
    const notes = [gap ? `current state unknown: ${gap.reason}` : undefined, a.note].filter(Boolean);
    const item: PlanItem = { ...base, feature: a.feature, availability: a.availability };
    if (notes.length) item.note = notes.join('; ');
    items.push(item);
  };
  const leftOut = (kind: PlanKind, subject: string, prune: string) =>
    unmanaged.push({ kind, subject, prune });

  // What the server has, by the keys the file uses (a section it could not read is empty).
  const curPeople = new Map<string, PersonState>();
  if (known('people'))
    for (const p of cur.people)
      curPeople.set(lower(p.email), {
        email: lower(p.email),
        name: p.name,
        org_role: p.org_role,
        suspended: !!p.suspended,
      });
  const curAccounts = new Map(
    known('service_accounts') ? cur.service_accounts.map((a) => [lower(a.email), a]) : [],
  );
  const curWorkspaces = new Set(cur.workspaces.map((w) => w.name));
  const curMembers = new Map<string, Map<string, Terms>>();
  if (known('members'))
    for (const w of cur.workspaces)
      curMembers.set(w.name, new Map(w.members.map((m) => [lower(m.user), terms(m)])));
  const curKeys = new Map<string, AccessKey & { account: string }>();
  if (known('keys'))
    for (const a of curAccounts.values())
      for (const k of a.keys)
        curKeys.set(keyId(lower(a.email), k.workspace, k.name), { ...k, account: lower(a.email) });

  const wantPeople = new Map(want.people.map((p, i) => [lower(p.email), { p, i }]));
  const wantAccounts = new Map(want.service_accounts.map((a, i) => [lower(a.email), { a, i }]));
  const wantWorkspaces = new Set(want.workspaces.map((w) => w.name));
  const allWorkspaces = [...new Set([...want.workspaces.map((w) => w.name), ...curWorkspaces])].sort();
  const wantGrantsOf = (email: string) =>
    want.workspaces.flatMap((w) =>
      w.members.filter((m) => lower(m.user) === email).map((m) => ({ workspace: w.name, role: m.role })),
    );
  const curRoleIn = (email: string, ws: string) => curMembers.get(ws)?.get(email)?.role;
  const wantRoleIn = (email: string, ws: string) =>
    want.workspaces.find((w) => w.name === ws)?.members.find((m) => lower(m.user) === email)?.role;

  /** Personal keys of a person that lose permissions when their bound changes. */
  const personalKeyEffects = (
    email: string,
    bound: (ws: string, side: 'before' | 'after') => string[],
    onlyIn?: string,
  ) =>
    current.personalKeys
      .filter((k) => lower(k.holder) === email && (onlyIn === undefined || k.workspace === onlyIn))
      .flatMap((k) => {
        // A restricted key loses only what its restriction asked for; a server that did not say
        // what the restriction is leaves "may".
        const asked = (ps: string[]) => (k.restriction ? ps.filter((p) => k.restriction?.includes(p)) : ps);
        const lost = asked(difference(bound(k.workspace, 'before'), bound(k.workspace, 'after')));
        if (!lost.length) return [];
        const after = asked(bound(k.workspace, 'after'));
        const may = k.restricted && k.restriction === undefined ? 'may ' : '';
        const what =
          after.length === 0
            ? `${may}stop${may ? '' : 's'} working (no role in ${k.workspace})`
            : `${may}lose${may ? '' : 's'} ${lost.join(', ')}`;
        return [`personal key "${k.name}" in ${k.workspace} ${what}`];
      });
  const personBound =
    (email: string, adminBefore: boolean, adminAfter: boolean) =>
    (ws: string, side: 'before' | 'after'): string[] => {
      if (side === 'before')
        return adminBefore ? [...WORKSPACE_PERMISSIONS] : rolePermissions(curBook, curRoleIn(email, ws));
      return adminAfter ? [...WORKSPACE_PERMISSIONS] : rolePermissions(wantBook, wantRoleIn(email, ws));
    };
  /** Account keys (as the file wants them) that lose permissions when the account's bound changes. */
  const accountKeyEffects = (
    keys: readonly AccessKey[],
    bound: (ws: string, side: 'before' | 'after') => string[],
  ) =>
    keys.flatMap((k) => {
      const asked = keyRequested(restriction(k.restrict));
      const before = asked.filter((p) => bound(k.workspace, 'before').includes(p));
      const after = asked.filter((p) => bound(k.workspace, 'after').includes(p));
      const lost = difference(before, after);
      if (!lost.length) return [];
      return [
        after.length === 0
          ? `key "${k.name}" in ${k.workspace} stops working (no role in ${k.workspace})`
          : `key "${k.name}" in ${k.workspace} loses ${lost.join(', ')}`,
      ];
    });

  const orgRoleEffects = (email: string, adminBefore: boolean, adminAfter: boolean): string[] => {
    if (adminAfter && !adminBefore)
      return [`${PROMOTION} (${allWorkspaces.length}: ${allWorkspaces.join(', ')})`];
    if (adminBefore && !adminAfter) {
      const kept = wantGrantsOf(email);
      const account = wantAccounts.get(email)?.a.workspaces ?? [];
      const list = [...kept, ...account].map((g) => `${g.workspace} (${g.role})`);
      return [
        `no longer admin on ${allWorkspaces.length} workspaces; keeps only the grants the file lists: ${list.length ? list.join(', ') : 'none'}`,
      ];
    }
    return [];
  };

  // 1. Roles.
  const curRoles = new Map(cur.roles.map((r) => [r.name, r]));
  want.roles.forEach((r, i) => {
    const perms = [...r.permissions].sort();
    const after = { name: r.name, scope: r.scope, permissions: perms };
    const was = curRoles.get(r.name);
    if (!was) {
      push(
        {
          id: `role:${r.name}`,
          op: '+',
          kind: 'role',
          subject: `${r.name} (${r.scope})`,
          changes: [`permissions: ${show(perms)}`],
          effects: [],
          after,
          before: null,
          at: at(['roles', i]),
        },
        ['roles.create'],
      );
      return;
    }
    const before = { name: was.name, scope: was.scope, permissions: [...was.permissions].sort() };
    if (sameList(before.permissions, perms) && before.scope === r.scope) return;
    const added = perms.filter((p) => !before.permissions.includes(p));
    const removed = before.permissions.filter((p) => !perms.includes(p));
    push(
      {
        id: `role:${r.name}`,
        op: '~',
        kind: 'role',
        subject: `${r.name} (${r.scope})`,
        changes: [
          ...(before.scope !== r.scope ? [`scope: ${before.scope} → ${r.scope}`] : []),
          ...(added.length ? [`permissions added: ${added.join(', ')}`] : []),
          ...(removed.length ? [`permissions removed: ${removed.join(', ')}`] : []),
        ],
        effects: [],
        after,
        before,
        at: at(['roles', i]),
      },
      ['roles.update'],
    );
  });

  // 2. Workspaces (never removed).
  want.workspaces.forEach((w, i) => {
    if (curWorkspaces.has(w.name)) return;
    push(
      {
        id: `workspace:${w.name}`,
        op: '+',
        kind: 'workspace',
        subject: w.name,
        changes: [],
        effects: [],
        after: { name: w.name },
        before: null,
        at: at(['workspaces', i]),
      },
      ['workspaces.create'],
    );
  });

  // 3. People.
  for (const [email, { p, i }] of wantPeople) {
    const after: PersonState = { email, name: p.name, org_role: canon(p.org_role), suspended: !!p.suspended };
    const was = curPeople.get(email);
    const adminAfter = isAdmin(wantBook, p.org_role);
    if (!was) {
      push(
        {
          id: `person:${email}`,
          op: '+',
          kind: 'person',
          subject: email,
          changes: [
            `name: ${p.name}`,
            `org_role: ${after.org_role}`,
            ...(after.suspended ? ['suspended: true'] : []),
          ],
          effects: orgRoleEffects(email, false, adminAfter),
          after: { ...after },
          before: null,
          at: at(['people', i]),
        },
        after.suspended ? ['users.invite', 'users.suspend'] : ['users.invite'],
        'people',
      );
      continue;
    }
    const changes = diffLines([
      ['name', was.name, after.name],
      ['org_role', was.org_role, after.org_role],
      ['suspended', String(was.suspended), String(after.suspended)],
    ]);
    if (!changes.length) continue;
    const adminBefore = isAdmin(curBook, was.org_role);
    const effects = orgRoleEffects(email, adminBefore, adminAfter);
    // A suspended org admin is admin nowhere: reactivating one adds an active org admin.
    if (was.suspended && !after.suspended && adminBefore && adminAfter)
      effects.push(`${PROMOTION} again (${allWorkspaces.length}: ${allWorkspaces.join(', ')})`);
    if (adminBefore !== adminAfter)
      effects.push(...personalKeyEffects(email, personBound(email, adminBefore, adminAfter)));
    if (email === caller && adminBefore && !adminAfter)
      conflicts.push(`demote ${email} from ${was.org_role} to ${after.org_role}`);
    if (email === caller && after.suspended && !was.suspended) conflicts.push(`suspend ${email}`);
    const needs: FeatureId[] = [];
    if (was.name !== after.name || was.org_role !== after.org_role) needs.push('users.update');
    if (was.suspended !== after.suspended) needs.push('users.suspend');
    push(
      {
        id: `person:${email}`,
        op: '~',
        kind: 'person',
        subject: email,
        changes,
        effects,
        after: { ...after },
        before: { ...was },
        at: at(['people', i]),
      },
      needs,
    );
  }

  // 4. Service accounts (a new one carries its grants).
  for (const [email, { a, i }] of wantAccounts) {
    const grants = a.workspaces.map((g) => ({
      workspace: g.workspace,
      role: canon(g.role),
      reason: g.reason ?? null,
      expires: iso(g.expires),
    }));
    const was = curAccounts.get(email);
    const adminAfter = isAdmin(wantBook, a.org_role);
    if (!was) {
      const needs: FeatureId[] = ['service-accounts'];
      if (grants.length) needs.push('members.manage');
      if (grants.some((g) => g.reason !== null || g.expires !== null)) needs.push('members.terms');
      push(
        {
          id: `account:${email}`,
          op: '+',
          kind: 'account',
          subject: email,
          changes: [
            `name: ${a.name}`,
            `org_role: ${canon(a.org_role)}`,
            ...grants.map((g) => `workspace ${g.workspace}: ${g.role}`),
          ],
          effects: orgRoleEffects(email, false, adminAfter),
          after: { email, name: a.name, org_role: canon(a.org_role), workspaces: grants },
          before: null,
          at: at(['service_accounts', i]),
        },
        needs,
        'service_accounts',
      );
      continue;
    }
    const orgRole = canon(a.org_role);
    const changes = diffLines([
      ['name', was.name, a.name],
      ['org_role', was.org_role, orgRole],
    ]);
    if (!changes.length) continue;
    const adminBefore = isAdmin(curBook, was.org_role);
    const effects = orgRoleEffects(email, adminBefore, adminAfter);
    if (adminBefore !== adminAfter) {
      const wasGrant = new Map(was.workspaces.map((g) => [g.workspace, g.role]));
      const wantGrant = new Map(a.workspaces.map((g) => [g.workspace, g.role]));
      effects.push(
        ...accountKeyEffects(a.keys, (ws, side) =>
          side === 'before'
            ? adminBefore
              ? [...WORKSPACE_PERMISSIONS]
              : rolePermissions(curBook, wasGrant.get(ws))
            : adminAfter
              ? [...WORKSPACE_PERMISSIONS]
              : rolePermissions(wantBook, wantGrant.get(ws)),
        ),
      );
    }
    if (email === caller && adminBefore && !adminAfter)
      conflicts.push(`demote ${email} from ${was.org_role} to ${orgRole}`);
    push(
      {
        id: `account:${email}`,
        op: '~',
        kind: 'account',
        subject: email,
        changes,
        effects,
        after: { email, name: a.name, org_role: orgRole },
        before: { email, name: was.name, org_role: was.org_role },
        at: at(['service_accounts', i]),
      },
      ['users.update'],
    );
  }

  // 5. Grants, people's then accounts' (a new account's grants are in its item).
  const grantItem = (
    row: GrantRow,
    was: Terms | undefined,
    position: Position,
    section: AccessGap['section'],
    effectsOf: () => string[],
  ) => {
    const after = { ...row };
    const needs: FeatureId[] = ['members.manage'];
    const id = `grant:${row.workspace}:${row.user}`;
    const subject = `${row.user} in ${row.workspace}`;
    if (!was) {
      if (row.reason !== null || row.expires !== null) needs.push('members.terms');
      push(
        {
          id,
          op: '+',
          kind: 'grant',
          subject,
          changes: [
            `role: ${row.role}`,
            ...(row.reason !== null ? [`reason: ${quoted(row.reason)}`] : []),
            ...(row.expires !== null ? [`expires: ${row.expires}`] : []),
          ],
          effects: [],
          after,
          before: null,
          at: position,
        },
        needs,
        section,
      );
      return;
    }
    const changes = diffLines([
      ['role', was.role, row.role],
      ['reason', quoted(was.reason), quoted(row.reason)],
      ['expires', show(was.expires), show(row.expires)],
    ]);
    if (!changes.length) return;
    if (was.reason !== row.reason || was.expires !== row.expires) needs.push('members.terms');
    push(
      {
        id,
        op: '~',
        kind: 'grant',
        subject,
        changes,
        effects: was.role !== row.role ? effectsOf() : [],
        after,
        before: { workspace: row.workspace, user: row.user, ...was, account: row.account },
        at: position,
      },
      needs,
      section,
    );
  };
  want.workspaces.forEach((w, wi) => {
    w.members.forEach((m, mi) => {
      const user = lower(m.user);
      const t = wantTerms(m);
      const was = curMembers.get(w.name)?.get(user);
      const adminBefore = curPeople.has(user) && isAdmin(curBook, curPeople.get(user)?.org_role);
      const adminAfter = isAdmin(wantBook, wantPeople.get(user)?.p.org_role);
      grantItem(
        { workspace: w.name, user, ...t, account: false },
        was,
        at(['workspaces', wi, 'members', mi]),
        'members',
        () => personalKeyEffects(user, personBound(user, adminBefore, adminAfter), w.name),
      );
    });
  });
  for (const [email, { a, i }] of wantAccounts) {
    const was = curAccounts.get(email);
    if (!was) continue;
    const wasGrants = new Map(was.workspaces.map((g) => [g.workspace, terms(g)]));
    a.workspaces.forEach((g, gi) => {
      const t = wantTerms(g);
      const before = wasGrants.get(g.workspace);
      grantItem(
        { workspace: g.workspace, user: email, ...t, account: true },
        before,
        at(['service_accounts', i, 'workspaces', gi]),
        // Accounts' grants come from the member lists.
        known('service_accounts') ? 'members' : 'service_accounts',
        () =>
          accountKeyEffects(
            a.keys.filter((k) => k.workspace === g.workspace),
            (_ws, side) =>
              rolePermissions(
                side === 'before' ? curBook : wantBook,
                side === 'before' ? before?.role : t.role,
              ),
          ),
      );
    });
  }

  // 6. Keys of service accounts.
  for (const [email, { a, i }] of wantAccounts) {
    a.keys.forEach((k, ki) => {
      const r = restriction(k.restrict);
      const expires = iso(k.expires);
      const id = `key:${email}:${k.workspace}:${k.name}`;
      const subject = `"${k.name}" of ${email} in ${k.workspace}`;
      const base = { account: email, workspace: k.workspace, name: k.name, restrict: r, expires };
      const createNeeds: FeatureId[] = ['keys.create', 'keys.owner'];
      if (r !== null) createNeeds.push('keys.restrict');
      if (expires !== null) createNeeds.push('keys.expiry');
      const position = at(['service_accounts', i, 'keys', ki]);
      const was = curKeys.get(keyId(email, k.workspace, k.name));
      if (!was) {
        push(
          {
            id,
            op: '+',
            kind: 'key',
            subject,
            changes: [`restrict: ${showRestrict(r)}`, ...(expires ? [`expires: ${expires}`] : [])],
            effects: ['its secret is shown once, when the plan is applied'],
            after: { ...base, action: 'create' },
            before: null,
            at: position,
          },
          createNeeds,
          'keys',
        );
        return;
      }
      const before = {
        account: email,
        workspace: k.workspace,
        name: k.name,
        restrict: restriction(was.restrict),
        expires: iso(was.expires),
      };
      const changes = [
        ...(sameList(before.restrict, r)
          ? []
          : [`restrict: ${showRestrict(before.restrict)} → ${showRestrict(r)}`]),
        ...diffLines([['expires', show(before.expires), show(expires)]]),
      ];
      if (changes.length) {
        push(
          {
            id,
            op: '~',
            kind: 'key',
            subject,
            changes,
            effects: ['replaced: the old key is revoked and a new one created; its secret is shown once'],
            after: { ...base, action: 'replace' },
            before,
            at: position,
          },
          [...createNeeds, 'keys.revoke'],
          'keys',
        );
        return;
      }
      const period = k.rotate_every === undefined ? undefined : parseDuration(k.rotate_every);
      const created = current.keyCreatedAt[keyId(email, k.workspace, k.name)];
      if (period !== undefined && created && opts.now.getTime() - Date.parse(created) > period) {
        push(
          {
            id,
            op: '~',
            kind: 'key',
            subject,
            changes: [`rotate: created ${created}, older than rotate_every ${k.rotate_every}`],
            effects: ['rotated: the old secret stops working; the new one is shown once'],
            after: { ...base, action: 'rotate' },
            before,
            at: position,
          },
          ['keys.rotate'],
          'keys',
        );
      }
    });
  }

  // 7. What the server has and the file does not: reported; removed only with --prune.
  const prune = opts.prune;
  const removals: PlanItem[][] = [[], [], [], [], []]; // grant, key, offboard, account, role
  const pushRemoval = (stage: number, ...args: Parameters<typeof push>) => {
    const before = items.length;
    push(...args);
    removals[stage]?.push(...items.splice(before));
  };

  // A role the file still assigns is never removed: its holders would lose it (the server refuses).
  const named = new Set(
    [
      ...want.people.map((p) => p.org_role),
      ...want.service_accounts.flatMap((a) => [a.org_role, ...a.workspaces.map((g) => g.role)]),
      ...want.workspaces.flatMap((w) => w.members.map((m) => m.role)),
    ].map(foldName),
  );
  for (const r of cur.roles) {
    if (want.roles.some((x) => x.name === r.name)) continue;
    if (named.has(foldName(r.name)))
      leftOut('role', r.name, 'named by the file but not listed under roles: kept');
    else if (!prune) leftOut('role', r.name, 'deleted with --prune');
    else
      pushRemoval(
        4,
        {
          id: `role:${r.name}`,
          op: '-',
          kind: 'role',
          subject: `${r.name} (${r.scope})`,
          changes: [`permissions: ${show([...r.permissions].sort())}`],
          effects: [],
          after: null,
          before: { name: r.name, scope: r.scope, permissions: [...r.permissions].sort() },
        },
        ['roles.delete'],
      );
  }
  for (const w of cur.workspaces)
    if (!wantWorkspaces.has(w.name))
      leftOut('workspace', w.name, 'never removed: a workspace holds work (delete it with noxus ws delete)');

  if (known('people'))
    for (const [email, was] of curPeople) {
      // A server that does not say who is a service account reads accounts as people: an account
      // the file lists is never offboarded for it.
      if (wantPeople.has(email) || wantAccounts.has(email)) continue;
      if (!prune) {
        leftOut(
          'person',
          email,
          email === caller
            ? 'never offboarded: the identity of the key in use (--prune refuses; list them in people)'
            : `offboarded with --prune (work to ${transferTo ?? 'nobody: set offboarding.transfer_to'})`,
        );
        continue;
      }
      if (email === caller) conflicts.push(`offboard ${email}`);
      const grants = known('members')
        ? `${[...curMembers.values()].filter((m) => m.has(email)).length} workspace grant(s) removed`
        : 'workspace grants: unknown on this server';
      const keys = known('keys')
        ? `${current.personalKeys.filter((k) => lower(k.holder) === email).length} personal key(s) revoked`
        : 'personal keys: unknown on this server';
      pushRemoval(
        2,
        {
          id: `offboard:${email}`,
          op: '-',
          kind: 'offboard',
          subject: email,
          changes: [`name: ${was.name}`, `org_role: ${was.org_role}`],
          effects: [
            `offboarding checklist: ${grants}, ${keys}, work transferred to ${transferTo ?? 'nobody (offboarding.transfer_to is not set)'}`,
          ],
          after: { transfer_to: transferTo },
          before: { email, name: was.name, org_role: was.org_role },
        },
        ['users.remove'],
      );
    }

  if (known('members'))
    for (const w of cur.workspaces) {
      if (!wantWorkspaces.has(w.name)) continue;
      const listed = new Set(
        want.workspaces.find((x) => x.name === w.name)?.members.map((m) => lower(m.user)),
      );
      for (const [user, t] of curMembers.get(w.name) ?? []) {
        // An unmanaged person's grants go with them (reported, or offboarded, as one).
        if (listed.has(user) || wantAccounts.has(user) || (curPeople.has(user) && !wantPeople.has(user)))
          continue;
        const subject = `${user} in ${w.name}`;
        if (!prune) {
          leftOut('grant', subject, 'removed with --prune');
          continue;
        }
        const adminBefore = isAdmin(curBook, curPeople.get(user)?.org_role);
        const adminAfter = isAdmin(wantBook, wantPeople.get(user)?.p.org_role);
        pushRemoval(
          0,
          {
            id: `grant:${w.name}:${user}`,
            op: '-',
            kind: 'grant',
            subject,
            changes: [`role: ${t.role}`],
            effects: personalKeyEffects(user, personBound(user, adminBefore, adminAfter), w.name),
            after: null,
            before: { workspace: w.name, user, ...t, account: false },
          },
          ['members.manage'],
        );
      }
    }

  if (known('service_accounts'))
    for (const [email, was] of curAccounts) {
      const wanted = wantAccounts.get(email)?.a;
      if (!wanted) {
        if (!prune) {
          leftOut('account', email, 'deleted with --prune (with its keys)');
          continue;
        }
        if (email === caller) conflicts.push(`delete the service account ${email}`);
        pushRemoval(
          3,
          {
            id: `account:${email}`,
            op: '-',
            kind: 'account',
            subject: email,
            changes: [`name: ${was.name}`, `org_role: ${was.org_role}`],
            effects: was.keys.length ? [`its ${was.keys.length} key(s) stop working`] : [],
            after: null,
            before: { email, name: was.name, org_role: was.org_role },
          },
          ['users.remove'],
        );
        continue;
      }
      for (const g of was.workspaces) {
        if (!wantWorkspaces.has(g.workspace)) continue;
        if (wanted.workspaces.some((x) => x.workspace === g.workspace)) continue;
        const subject = `${email} in ${g.workspace}`;
        if (!prune) {
          leftOut('grant', subject, 'removed with --prune');
          continue;
        }
        pushRemoval(
          0,
          {
            id: `grant:${g.workspace}:${email}`,
            op: '-',
            kind: 'grant',
            subject,
            changes: [`role: ${g.role}`],
            effects: [],
            after: null,
            before: { workspace: g.workspace, user: email, ...terms(g), account: true },
          },
          ['members.manage'],
        );
      }
    }

  if (known('keys'))
    for (const [k, was] of curKeys) {
      const wanted = wantAccounts.get(was.account)?.a;
      if (!wanted) continue; // deleted with its account, or reported with it
      if (wanted.keys.some((x) => keyId(was.account, x.workspace, x.name) === k)) continue;
      const subject = `"${was.name}" of ${was.account} in ${was.workspace}`;
      if (!prune) {
        leftOut('key', subject, 'revoked with --prune');
        continue;
      }
      const before = {
        account: was.account,
        workspace: was.workspace,
        name: was.name,
        restrict: restriction(was.restrict),
        expires: iso(was.expires),
      };
      pushRemoval(
        1,
        {
          id: `key:${was.account}:${was.workspace}:${was.name}`,
          op: '-',
          kind: 'key',
          subject,
          changes: [`restrict: ${showRestrict(before.restrict)}`],
          effects: [],
          after: { ...before, action: 'revoke' },
          before,
        },
        ['keys.revoke'],
      );
    }

  if (conflicts.length) {
    throw new ConflictError(
      `this plan would ${conflicts.join(', ')}: ${caller} is the identity of the key in use`,
      {
        hint: "keep that person in the file with their org role, or make the plan with another org admin's key",
        data: { caller, refused: conflicts },
      },
    );
  }
  return { items: [...items, ...removals.flat()], unmanaged };
}

// ---------------------------------------------------------------------------------------------
// The policy on the desired state.

/** Rules about activity over time: a file says nothing about them. */
// ---------------------------------------------------------------------------------------------
// Where the work of the people a plan offboards goes.

/** The edit permission a new owner needs for each kind of resource (the server's transfer rule). */
const OWN_PERMISSION: Record<string, string> = {
  workflow: 'flows_edit',
  agent: 'agents_edit',
  knowledge_base: 'kbs_edit',
};

/** What one person the plan offboards owns, by workspace name. */
export interface OwnedWork {
  email: string;
  resources: ReadonlyArray<{ workspace: string; resource_type: string }>;
}

/**
 * Why the work of the people a plan offboards cannot go where the file sends it, judged on the
 * desired state: the target's org role and grants as the file has them, which the plan applies
 * before any offboarding. Empty when every transfer can happen.
 */
export function transferProblems(
  desired: AccessFile,
  roles: readonly RoleLike[],
  owned: readonly OwnedWork[],
  current?: ServerAccess,
): string[] {
  const book = roleBook(roles, desired.roles);
  const target = desired.offboarding?.transfer_to;
  const person = target ? desired.people.find((p) => lower(p.email) === lower(target)) : undefined;
  const out: string[] = [];
  // Work goes only to someone active on the server when the offboarding runs: a pending
  // invitation (including one this plan sends) cannot be accepted by a plan.
  if (target && current && !person?.suspended && owned.some((o) => o.resources.length > 0)) {
    const t = lower(target);
    const there = current.doc.people.find((p) => lower(p.email) === t);
    const state = !there
      ? 'not in the organization yet (this plan invites them; accept first)'
      : current.invited?.includes(t)
        ? 'invited (accept first)'
        : // Suspended on the server but not in the file: the plan reactivates them before offboarding.
          undefined;
    if (state) return [`${target} cannot receive work: ${state}`];
  }
  for (const o of owned) {
    if (o.resources.length === 0) continue;
    if (!target) {
      out.push(`${o.email} owns ${o.resources.length} resource(s) and offboarding.transfer_to is not set`);
      continue;
    }
    if (person?.suspended) {
      out.push(`${o.email}'s work cannot go to ${target}: the file suspends them`);
      continue;
    }
    if (!person || isAdmin(book, person.org_role)) continue;
    const byWorkspace = new Map<string, Set<string>>();
    for (const r of o.resources) {
      const needed = byWorkspace.get(r.workspace) ?? new Set<string>();
      needed.add(OWN_PERMISSION[r.resource_type] ?? 'flows_edit');
      byWorkspace.set(r.workspace, needed);
    }
    for (const [ws, needed] of [...byWorkspace].sort(([a], [b]) => a.localeCompare(b))) {
      const role = desired.workspaces
        .find((w) => foldName(w.name) === foldName(ws))
        ?.members.find((m) => lower(m.user) === lower(target))?.role;
      const perms = new Set(rolePermissions(book, role));
      const order = Object.values(OWN_PERMISSION);
      const lacking = [...needed]
        .filter((p) => !perms.has(p) && !perms.has('workspace_admin'))
        .sort((a, b) => order.indexOf(a) - order.indexOf(b));
      if (lacking.length)
        out.push(
          `${o.email}'s work in ${ws} cannot go to ${target}: needs ${lacking.join(', ')} (${role ? `role ${role}` : 'no role there'} in the file)`,
        );
    }
  }
  return out;
}

export const NOT_JUDGED = [
  'inactive_user_with_roles',
  'old_key',
  'unused_key',
  'stale_invitation',
  'degraded_key',
] as const;

export interface DesiredFindings {
  /** At or above the policy's fail_on and caused by this plan: the plan is refused. */
  failing: Finding[];
  /** Every other finding: there before this plan, or below fail_on. */
  existing: Finding[];
  notJudged: string[];
}

/** The desired state as a review's content: what `review check` would see once the plan is applied. */
export function desiredReview(
  desired: AccessFile,
  current: ServerAccess,
  items: readonly PlanItem[],
  roles: readonly RoleLike[] = BUILTIN_ROLES,
  now: Date = new Date(0),
): ReviewContent {
  const book = roleBook(roles, desired.roles);
  const createdAt = now.toISOString();
  const users: ReviewUser[] = [];
  const grants: ReviewGrant[] = [];
  const keys: ReviewKey[] = [];
  const workspaces = [
    ...new Set([...desired.workspaces.map((w) => w.name), ...current.doc.workspaces.map((w) => w.name)]),
  ].sort();
  const user = (email: string, name: string, kind: string, status: string, orgRole: string) => {
    const admin = isAdmin(book, orgRole);
    users.push({
      id: email,
      email,
      name,
      kind,
      status,
      org_role: orgRole,
      org_admin: admin,
      created_at: null,
      last_active_on: null,
    });
    if (admin && status === 'active')
      for (const ws of workspaces)
        grants.push({
          user_id: email,
          email,
          workspace_id: ws,
          workspace: ws,
          role: 'Admin',
          via: 'org_admin',
        });
  };
  /** What a holder may do in a workspace once the plan is applied (a key's upper bound). */
  const boundIn = (email: string, ws: string): string[] => {
    const u = users.find((x) => x.email === email);
    if (u?.org_admin) return [...WORKSPACE_PERMISSIONS];
    const g = grants.find((x) => x.email === email && x.workspace === ws && x.via === 'membership');
    return rolePermissions(book, g?.role);
  };
  const grant = (email: string, ws: string, g: AccessGrant) =>
    grants.push({
      user_id: email,
      email,
      workspace_id: ws,
      workspace: ws,
      role: g.role,
      via: 'membership',
      reason: g.reason ?? null,
      expires_at: iso(g.expires),
    });
  for (const p of desired.people)
    user(lower(p.email), p.name, 'human', p.suspended ? 'suspended' : 'active', p.org_role);
  for (const a of desired.service_accounts) user(lower(a.email), a.name, 'service', 'active', a.org_role);
  for (const w of desired.workspaces) for (const m of w.members) grant(lower(m.user), w.name, m);
  for (const a of desired.service_accounts) {
    const email = lower(a.email);
    for (const g of a.workspaces) grant(email, g.workspace, g);
    for (const k of a.keys) {
      const id = current.ids.keys[keyId(email, k.workspace, k.name)];
      const r = restriction(k.restrict);
      keys.push({
        id: id ?? 'new',
        name: k.name,
        workspace: k.workspace,
        holder: email,
        holder_kind: 'service',
        created_by: null,
        tenant_admin: false,
        restricted: r !== null,
        restriction: r,
        effective: boundIn(email, k.workspace).filter((p) => keyRequested(r).includes(p)),
        degraded: false,
        clipped: [],
        status: 'active',
        created_at: current.keyCreatedAt[keyId(email, k.workspace, k.name)] ?? createdAt,
        last_used_on: null,
        expires_at: iso(k.expires),
      });
    }
  }
  // Personal keys stay as they are (people manage their own), except an offboarded person's.
  const offboarded = new Set(items.filter((i) => i.kind === 'offboard').map((i) => i.subject));
  for (const k of current.personalKeys) {
    const holder = lower(k.holder);
    if (offboarded.has(holder)) continue;
    keys.push({
      id: k.id,
      name: k.name,
      workspace: k.workspace,
      holder,
      holder_kind: 'human',
      created_by: holder,
      tenant_admin: k.tenant_admin === true,
      restricted: k.restricted,
      restriction: k.restriction ?? null,
      // What the key can do once the plan is applied: its restriction within its holder's bound.
      effective: k.restriction
        ? k.restriction.filter((p) => boundIn(holder, k.workspace).includes(p))
        : boundIn(holder, k.workspace),
      degraded: false,
      clipped: [],
      status: 'active',
      created_at: createdAt,
      last_used_on: null,
      expires_at: null,
    });
  }
  const customNames = new Set(desired.roles.map((r) => r.name));
  return {
    organization: desired.organization ?? current.doc.organization ?? null,
    users,
    grants,
    keys,
    system_keys: [],
    service_accounts: desired.service_accounts.map((a) => ({
      id: lower(a.email),
      email: lower(a.email),
      status: 'active',
      workspaces: a.workspaces.map((g) => g.workspace),
    })),
    invitations: [],
    roles: [
      ...roles
        .filter((r) => !customNames.has(r.name))
        .map((r) => ({ name: r.name, scope: r.scope ?? 'workspace', permissions: grantedPermissions(r) })),
      ...desired.roles.map((r) => ({ name: r.name, scope: r.scope, permissions: [...r.permissions] })),
    ],
    workspaces: workspaces.map((w) => ({ id: w, name: w })),
  };
}

/** The subject of a key finding, as review/policy.ts words it. */
const keySubject = (k: Pick<ReviewKey, 'name' | 'id' | 'holder' | 'workspace'>) =>
  `key "${k.name}" (${k.id}) of ${k.holder} in ${k.workspace}`;

/**
 * The policy's findings on the desired state. A finding fails the plan (at or above fail_on) only
 * when the plan adds or changes its subject; too_many_org_admins only when the plan adds an org admin.
 */
export function policyOnDesired(
  desired: LocatedAccessFile,
  current: ServerAccess,
  items: readonly PlanItem[],
  policy: Policy,
  now: Date,
  roles: readonly RoleLike[] = BUILTIN_ROLES,
): DesiredFindings {
  const content = desiredReview(onServerNames(desired.doc, current), current, items, roles, now);
  const skip = new Set<string>(NOT_JUDGED);
  const findings = checkReview(content, policy, now, current.caller ?? undefined).filter(
    (f) => !skip.has(f.rule),
  );
  const changed = new Set<string>();
  let addsAdmin = false;
  for (const i of items) {
    if (i.op === '-' && i.kind !== 'grant') continue;
    changed.add(i.subject);
    if (i.kind === 'grant') {
      const user = (i.after ?? i.before)?.user;
      if (typeof user === 'string') changed.add(user);
    }
    if (i.kind === 'account' && i.op === '+')
      for (const g of (i.after?.workspaces ?? []) as Array<{ workspace: string }>)
        changed.add(`${i.subject} in ${g.workspace}`);
    // orgRoleEffects words a promotion (and a new admin) this way, and only those.
    if ((i.kind === 'person' || i.kind === 'account') && i.effects.some((e) => e.startsWith(PROMOTION)))
      addsAdmin = true;
    if (i.kind === 'key' && i.op !== '-') {
      const a = i.after as { account: string; workspace: string; name: string; action: string };
      if (a.action === 'rotate') continue;
      const k = content.keys.find(
        (x) => x.holder === a.account && x.workspace === a.workspace && x.name === a.name,
      );
      if (k) changed.add(keySubject(k));
    }
  }
  const rank = (s: string) => SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]);
  const failing: Finding[] = [];
  const existing: Finding[] = [];
  for (const f of findings) {
    const caused = f.rule === 'too_many_org_admins' ? addsAdmin : changed.has(f.subject);
    (caused && rank(f.severity) >= rank(policy.fail_on) ? failing : existing).push(f);
  }
  return { failing, existing, notJudged: [...NOT_JUDGED] };
}
