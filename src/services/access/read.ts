// A server's access, read into the access file's shape: what `access export` writes and what a plan
// compares the file with. Sections the server cannot show are named in `unreadable`, never guessed.

import { memberPages } from '../../api/groups.js';
import { type ApiKey, listKeys } from '../../api/keys.js';
import { getMe } from '../../api/me.js';
import { getAccess, type User } from '../../api/users.js';
import { type FeatureId, notAvailableMessage } from '../../domain/features.js';
import { foldName, grantedPermissions, isOrgAdmin, roleScope } from '../../domain/identity.js';
import { runPool } from '../../util/pool.js';
import type { Resolver } from '../resolve.js';
import { looksBuiltin } from '../roles.js';
import { normalizeAccess } from './file.js';
import {
  ACCESS_KIND,
  type AccessGap,
  type AccessKey,
  type AccessPerson,
  type AccessServiceAccount,
  type MemberGrant,
  type ServerAccess,
} from './model.js';

/** The key of `ids.keys` and `keyCreatedAt`: an account key by what the file calls it. */
export const accountKeyId = (account: string, workspace: string, name: string) =>
  `${account.toLowerCase()}\0${workspace}\0${name}`;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function readServerAccess(
  r: Resolver,
  has: (id: FeatureId) => boolean,
  opts: { onProgress?: (s: string) => void; concurrency?: number } = {},
): Promise<ServerAccess> {
  const progress = opts.onProgress ?? (() => {});
  const client = r.client;
  const unreadable: AccessGap[] = [];
  const gap = (section: AccessGap['section'], feature: FeatureId) =>
    unreadable.push({ section, feature, reason: notAvailableMessage(feature) });
  const haveMembers = has('members.list');
  const haveKeys = has('keys.list');
  const [users, groups, roles, keys, me] = await Promise.all([
    r.users(),
    r.groups(),
    r.roles(),
    haveKeys ? listKeys(client, { status: 'active' }) : Promise.resolve([] as ApiKey[]),
    getMe(client),
  ]);
  progress(`${users.length} users, ${groups.length} workspaces, ${keys.length} keys`);

  // Service accounts exist only where users say their kind; elsewhere everyone reads as a person.
  const kindKnown = users.every((u) => u.kind !== undefined);
  if (!kindKnown) gap('service_accounts', 'service-accounts');
  if (!haveMembers) gap('members', 'members.list');
  if (!haveKeys) gap('keys', 'keys.list');

  const live = users.filter((u) => u.status !== 'removed');
  const isAccount = (u: User) => u.kind === 'service';
  const byId = new Map(live.map((u) => [u.id, u]));
  // The public API says only tenant_admin: its org roles read as the two built-in ones.
  const orgRole = (u: User) => u.org_role?.name ?? (u.tenant_admin ? 'Org Admin' : 'Org Base');
  // A file's names are never empty: a user without one is named by the next thing the server says.
  const nameOf = (u: User) => u.name || u.display_name || u.email;
  const admins = new Set(live.filter((u) => isOrgAdmin(u, roles)).map((u) => u.id));

  const people: AccessPerson[] = live
    .filter((u) => !isAccount(u))
    .map((u) => ({
      email: u.email,
      name: nameOf(u),
      org_role: orgRole(u),
      ...(u.status === 'suspended' ? { suspended: true } : {}),
    }));
  const accounts = new Map<string, AccessServiceAccount>(
    live
      .filter(isAccount)
      .map((u) => [
        u.id,
        { email: u.email, name: nameOf(u), org_role: orgRole(u), workspaces: [], keys: [] },
      ]),
  );

  const members = new Map<string, MemberGrant[]>(groups.map((g) => [g.id, []]));
  if (haveMembers) {
    let done = 0;
    await runPool(
      groups,
      opts.concurrency ?? 8,
      async (g) => {
        for await (const page of memberPages(client, g.id, 1000)) {
          for (const m of page) {
            // An org admin is admin everywhere by the org role: the file never lists their grants.
            // Nor the grants of users not in the list (removed ones).
            if (m.via !== 'membership' || admins.has(m.user_id) || !byId.has(m.user_id)) continue;
            const terms = {
              role: m.role.name,
              ...(m.reason ? { reason: m.reason } : {}),
              ...(m.expires_at ? { expires: new Date(m.expires_at).toISOString() } : {}),
            };
            const account = accounts.get(m.user_id);
            if (account) account.workspaces.push({ workspace: g.name, ...terms });
            else members.get(g.id)?.push({ user: (byId.get(m.user_id) as User).email, ...terms });
          }
        }
        if (++done % 10 === 0 || done === groups.length)
          progress(`members of ${done}/${groups.length} workspaces`);
      },
      () => {},
    );
  }

  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const ids: ServerAccess['ids'] = {
    users: Object.fromEntries(live.map((u) => [u.email.toLowerCase(), u.id])),
    workspaces: Object.fromEntries(groups.map((g) => [g.name, g.id])),
    roles: Object.fromEntries(roles.map((x) => [x.name, x.id])),
    keys: {},
  };
  const keyCreatedAt: Record<string, string> = {};
  const personalKeys: ServerAccess['personalKeys'] = [];
  // Oldest first: when an account holds two keys of one name in a workspace, the file lists the
  // oldest and duplicateKeys names them all (the file refuses duplicates; a plan refuses the server).
  const sameName = new Map<string, NonNullable<ServerAccess['duplicateKeys']>[number]>();
  const active = keys
    .filter((k) => k.status === 'active' && k.group_id)
    .sort((a, b) => cmp(a.created_at ?? '', b.created_at ?? '') || cmp(a.id, b.id));
  for (const k of active) {
    const workspace = k.group_name ?? groupName.get(k.group_id as string) ?? (k.group_id as string);
    const holderId = k.holder_id ?? k.owner_id;
    const account = holderId ? accounts.get(holderId) : undefined;
    if (account) {
      const key: AccessKey = {
        name: k.name,
        workspace,
        ...(k.permissions ? { restrict: [...k.permissions] } : {}),
        ...(k.expires_at ? { expires: new Date(k.expires_at).toISOString() } : {}),
      };
      // Names match as the file's duplicate check matches them (folded).
      const fold = accountKeyId(account.email, foldName(workspace), foldName(k.name));
      const seen = sameName.get(fold);
      if (seen) {
        seen.ids.push(k.id);
        continue;
      }
      sameName.set(fold, { account: account.email, workspace, name: k.name, ids: [k.id] });
      account.keys.push(key);
      const id = accountKeyId(account.email, workspace, k.name);
      ids.keys[id] = k.id;
      if (k.created_at) keyCreatedAt[id] = k.created_at;
    } else {
      const holder = k.holder_email ?? (holderId ? byId.get(holderId)?.email : undefined) ?? holderId ?? '';
      personalKeys.push({
        id: k.id,
        name: k.name,
        workspace,
        holder,
        restricted: k.restricted,
        restriction: k.restricted ? [...(k.permissions ?? [])].sort() : null,
        tenant_admin: k.tenant_admin,
      });
    }
  }
  personalKeys.sort(
    (a, b) =>
      cmp(a.holder, b.holder) || cmp(a.workspace, b.workspace) || cmp(a.name, b.name) || cmp(a.id, b.id),
  );

  const doc = normalizeAccess({
    version: 1,
    kind: ACCESS_KIND,
    server: client.baseUrl.href.replace(/\/+$/, ''),
    organization: me.organization ?? null,
    unreadable,
    roles: roles
      .filter((x) => !(x.builtin === true || (x.builtin === undefined && looksBuiltin(x))))
      .map((x) => ({ name: x.name, scope: roleScope(x), permissions: grantedPermissions(x) })),
    people,
    workspaces: groups.map((g) => ({ name: g.name, members: members.get(g.id) ?? [] })),
    service_accounts: [...accounts.values()],
  });
  return {
    doc,
    ids,
    keyCreatedAt,
    personalKeys,
    caller: me.holder?.email || null,
    unreadable: doc.unreadable ?? [],
    duplicateKeys: [...sameName.values()].filter((d) => d.ids.length > 1),
    invited: live
      .filter((u) => u.status === 'invited')
      .map((u) => u.email.toLowerCase())
      .sort(),
  };
}

/** Whether `current` holds this account key, in this workspace, with exactly this restriction. */
export function heldAccountKey(current: ServerAccess): (account: string, key: AccessKey) => boolean {
  const norm = (xs: readonly string[] | null | undefined) => (xs?.length ? [...xs].sort().join(',') : '');
  const fold = foldName;
  return (account, key) => {
    const a = current.doc.service_accounts.find((x) => fold(x.email) === fold(account));
    return !!a?.keys.some(
      (k) =>
        fold(k.workspace) === fold(key.workspace) &&
        fold(k.name) === fold(key.name) &&
        norm(k.restrict) === norm(key.restrict),
    );
  };
}

/** What each of these people owns (the per-user access report), by workspace name. */
export async function readOwnedWork(
  r: Resolver,
  current: ServerAccess,
  emails: readonly string[],
): Promise<Array<{ email: string; resources: Array<{ workspace: string; resource_type: string }> }>> {
  const groups = await r.groups();
  const nameOf = (id: string) => groups.find((g) => g.id === id)?.name ?? id;
  return Promise.all(
    emails.map(async (email) => {
      const id = current.ids.users[email.toLowerCase()];
      const access = id ? await getAccess(r.client, id) : undefined;
      return {
        email,
        resources: (access?.resources_owned ?? []).map((x) => ({
          workspace: nameOf(x.group_id),
          resource_type: x.resource_type,
        })),
      };
    }),
  );
}
