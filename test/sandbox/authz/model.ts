// The reference model of who may do what, written from docs/api.md and the authorization decisions
// of issue 12 (D1–D8) and issue 16 (D11, grants that lapse) only. It deliberately imports nothing
// from the sandbox's authorization code or src/domain/effective.ts: it is the independent oracle the
// server is compared with. The permission names come from the catalogue.

import { ORG_PERMISSIONS, WORKSPACE_PERMISSIONS } from '../../../src/domain/permissions.js';

export const ALL_WS: readonly string[] = WORKSPACE_PERMISSIONS;
export const ALL_ORG: readonly string[] = ORG_PERMISSIONS;

export interface MUser {
  id: string;
  kind: 'human' | 'service';
  status: 'active' | 'suspended' | 'removed';
  orgAdmin: boolean;
  /** Raw permissions of the user's role per workspace id. */
  roles: Record<string, readonly string[]>;
  /** When a grant ends, per workspace id (ISO 8601): from that instant it does not exist (D11). */
  lapsesAt?: Record<string, string>;
}

export interface MKey {
  id: string;
  kind: 'workspace' | 'system';
  group: string | null;
  createdBy: string | null;
  owner: string | null;
  restriction: readonly string[] | null;
  tenantAdmin: boolean;
  /** A system key's permission list (may hold `area:*`). */
  sysPerms: readonly string[];
  state: 'active' | 'revoked' | 'expired';
}

export const expandWs = (ps: readonly string[]): string[] =>
  ps.includes('workspace_admin') ? [...ALL_WS] : ALL_WS.filter((p) => ps.includes(p));
export const expandOrg = (ps: readonly string[]): string[] =>
  ALL_ORG.filter((p) =>
    ps.some((q) => q === p || q === '*' || (q.endsWith(':*') && p.startsWith(q.slice(0, -1)))),
  );
const subset = (a: readonly string[], b: readonly string[]): boolean => a.every((p) => b.includes(p));

export class RefModel {
  users = new Map<string, MUser>();
  keys = new Map<string, MKey>();
  /** The sandbox's time as the test moved it (ms), for grants that lapse. */
  now = 0;

  /** The raw permissions of the user's live grant in W: none once it lapsed (D11). */
  grant(u: MUser, group: string): readonly string[] {
    const end = u.lapsesAt?.[group];
    if (end !== undefined && Date.parse(end) <= this.now) return [];
    return u.roles[group] ?? [];
  }

  holder(k: MKey): MUser | undefined {
    const id = k.owner ?? k.createdBy;
    return id ? this.users.get(id) : undefined;
  }
  holderId(k: MKey): string | null {
    return k.kind === 'workspace' ? (k.owner ?? k.createdBy) : null;
  }
  /** Expired and revoked keys, and keys of suspended or removed holders, get 401. */
  authenticates(k: MKey): boolean {
    return k.state === 'active' && (k.kind === 'system' || this.holder(k)?.status === 'active');
  }
  /** A user's permissions in a workspace: all if org admin, else their role's, else none. */
  userWs(u: MUser | undefined, group: string): string[] {
    if (u?.status !== 'active') return [];
    return u.orgAdmin ? [...ALL_WS] : expandWs(this.grant(u, group));
  }
  /** A workspace key's effective set in its own workspace: restriction ∩ holder's current permissions. */
  keyWs(k: MKey): string[] {
    if (k.kind !== 'workspace' || !k.group) return [];
    const held = this.userWs(this.holder(k), k.group);
    return (k.restriction ? expandWs(k.restriction) : [...ALL_WS]).filter((p) => held.includes(p));
  }
  /** D1. */
  org(k: MKey): string[] {
    if (k.kind === 'system') return k.tenantAdmin ? [...ALL_ORG] : expandOrg(k.sysPerms);
    const h = this.holder(k);
    return k.tenantAdmin && h?.status === 'active' && h.orgAdmin ? [...ALL_ORG] : [];
  }
  /** D2: workspace permissions of a caller in W. */
  wsIn(k: MKey, group: string): string[] {
    if (this.org(k).includes('org:admin')) return [...ALL_WS];
    return k.kind === 'workspace' && k.group === group ? this.keyWs(k) : [];
  }
  /**
   * What a caller may do "with a key of that workspace" (docs/api.md): the key's own effective set.
   * A restriction narrows what a key does in its workspace even when its holder is an org admin; D2's
   * "org admin ⇒ every workspace permission" is what the caller holds when compared with a key or a
   * member it acts on (D3 b, D6).
   */
  ownWs(k: MKey, group: string): string[] {
    return k.kind === 'workspace' && k.group === group ? this.keyWs(k) : [];
  }
  /** The permissions of a member's current role in W (an org admin is admin everywhere). */
  currentRole(u: MUser, group: string): string[] {
    return u.orgAdmin ? [...ALL_WS] : expandWs(this.grant(u, group));
  }
  /**
   * Who sees a workspace key: users:read; a workspace_admin key of its workspace; its creator or
   * holder; and whoever may revoke it (users:write), since a key one may revoke cannot be hidden.
   */
  seesKey(c: MKey, k: MKey): boolean {
    if (k.kind !== 'workspace' || !k.group) return false;
    const me = this.holderId(c);
    return (
      this.org(c).includes('users:read') ||
      this.org(c).includes('users:write') ||
      this.ownWs(c, k.group).includes('workspace_admin') ||
      (me !== null && (me === k.createdBy || me === this.holderId(k)))
    );
  }
  /** D3: rotating (c applies: a restricted key never obtains an unrestricted one) or revoking key k. */
  mayReplace(c: MKey, k: MKey, rotating: boolean): boolean {
    const group = k.group as string;
    const me = this.holderId(c);
    const manage =
      this.org(c).includes('users:write') ||
      this.ownWs(c, group).includes('workspace_admin') ||
      (me !== null && (me === k.createdBy || me === this.holderId(k)));
    // The holder may always revoke their own key; between keys of one holder in one workspace the
    // restrictions are compared (the holder bounds both), otherwise what the caller holds now.
    if (!rotating && me !== null && me === this.holderId(k)) return true;
    const same = me !== null && me === this.holderId(k) && c.kind === 'workspace' && c.group === group;
    const holds = same
      ? subset(
          k.restriction ? expandWs(k.restriction) : ALL_WS,
          c.restriction ? expandWs(c.restriction) : ALL_WS,
        ) &&
        (!k.tenantAdmin || c.tenantAdmin)
      : subset(k.restriction ? expandWs(k.restriction) : ALL_WS, this.wsIn(c, group)) &&
        (!k.tenantAdmin || subset(ALL_ORG, this.org(c)));
    const narrower = rotating && c.kind === 'workspace' && c.restriction !== null && k.restriction === null;
    return manage && holds && !narrower;
  }
  /** D4 and D5: a person's tenant-admin key whose holder is an active org admin. */
  isAdminPerson(c: MKey): boolean {
    const h = this.holder(c);
    return (
      c.kind === 'workspace' && c.tenantAdmin && h?.kind === 'human' && h.status === 'active' && h.orgAdmin
    );
  }
  /** D6: changing or removing a member's workspace role. */
  outranks(c: MKey, target: MUser, group: string): boolean {
    return subset(this.currentRole(target, group), this.wsIn(c, group));
  }
}
