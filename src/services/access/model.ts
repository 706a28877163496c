// Access as code: the shapes shared by the access file (what the organization's access should be),
// the state read from a server (what it is), and a saved plan (the difference, to be applied).
// Types only: file.ts reads and writes the file, read.ts reads a server, plan.ts diffs, apply.ts
// applies. docs/access.md and docs/access.schema.json document the file for its readers.

import type { FeatureId } from '../../domain/features.js';
import type { Finding } from '../review/policy.js';

export const ACCESS_KIND = 'noxus-access' as const;
export const ACCESS_PLAN_KIND = 'noxus-access-plan' as const;

/** One grant of a workspace role. `reason`/`expires` null or absent: none. */
export interface AccessGrant {
  role: string;
  reason?: string | null;
  /** ISO 8601 instant (UTC, `Z`), as the server stores it. */
  expires?: string | null;
}

/** A person's grant, listed under the workspace. */
export interface MemberGrant extends AccessGrant {
  /** The person's email (as in `people`). */
  user: string;
}

/** A service account's grant, listed under the account. */
export interface AccountGrant extends AccessGrant {
  workspace: string;
}

export interface AccessPerson {
  email: string;
  name: string;
  /** An organization role's name (built-in or custom). */
  org_role: string;
  /** Present and true only for a suspended person. */
  suspended?: boolean;
}

export interface AccessWorkspace {
  name: string;
  /** People's grants, by email order. Org admins are never listed (admin everywhere by their org role). */
  members: MemberGrant[];
}

export interface AccessKey {
  name: string;
  workspace: string;
  /** Permission names the key is restricted to; null or absent: unrestricted (the account's role). */
  restrict?: string[] | null;
  expires?: string | null;
  /** File-only: the plan proposes a rotation once the key is older than this (e.g. 90d). Never exported. */
  rotate_every?: string;
}

export interface AccessServiceAccount {
  email: string;
  name: string;
  org_role: string;
  workspaces: AccountGrant[];
  keys: AccessKey[];
}

export interface AccessRole {
  name: string;
  scope: 'org' | 'workspace';
  permissions: string[];
}

/** What a section of the file could not be read from the server (export on the public API). */
export interface AccessGap {
  section: 'members' | 'service_accounts' | 'keys' | 'people';
  feature: FeatureId;
  reason: string;
}

/** The access file. Field order here is the file's order. */
export interface AccessFile {
  version: 1;
  kind: typeof ACCESS_KIND;
  /** Server-assigned, informational: where and what the export read. Ignored by plan. */
  server?: string;
  organization?: string | null;
  /** Server-assigned: sections the export could not read. Ignored by plan. */
  unreadable?: AccessGap[];
  /** Whom a person removed from the file (with --prune) hands their work to. */
  offboarding?: { transfer_to: string };
  /** Custom roles only; the built-in roles are not listed. */
  roles: AccessRole[];
  /** Humans, including invited ones. Service accounts are in `service_accounts`. */
  people: AccessPerson[];
  workspaces: AccessWorkspace[];
  service_accounts: AccessServiceAccount[];
}

/** Where a value came from in the file: 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** A path into the file, e.g. ['workspaces', 2, 'members', 0, 'role']. */
export type FilePath = ReadonlyArray<string | number>;

/** A parsed file with the position of every value (the nearest enclosing one for a missing value). */
export interface LocatedAccessFile {
  file: string;
  doc: AccessFile;
  sha256: string;
  at(path: FilePath): Position;
}

/** One problem in the file, reported as `file:line:column: message`. */
export interface FileProblem extends Position {
  message: string;
}

/**
 * A server's access as read (read.ts): the same shape as the file, plus what the file leaves out
 * and a plan needs: ids, people the file does not manage, keys held by people.
 */
export interface ServerAccess {
  doc: AccessFile;
  ids: {
    users: Record<string, string>; // email (lower case) → id
    workspaces: Record<string, string>; // name → id
    roles: Record<string, string>; // name → id
    keys: Record<string, string>; // `${account email}\0${workspace}\0${key name}` → id
  };
  /** Each account key's creation instant (for rotate_every), by the same key as ids.keys. */
  keyCreatedAt: Record<string, string>;
  /** Personal keys of people (not managed by the file, but judged by the policy). */
  personalKeys: Array<{
    id: string;
    name: string;
    workspace: string;
    holder: string;
    restricted: boolean;
    /** The permissions a restricted key is limited to (null: unrestricted; absent: not read). */
    restriction?: string[] | null;
    /** A tenant-admin key (the organization's bootstrap key): judged as review check judges it. */
    tenant_admin?: boolean;
  }>;
  /** The email behind the key in use: never offboarded or demoted by a plan. */
  caller: string | null;
  /** Sections that could not be read; their items are not known (see AccessGap). */
  unreadable: AccessGap[];
  /**
   * Account keys the server holds more than once under the same account, workspace and name
   * (active, ids oldest first). `doc` lists only the oldest; a plan refuses such a server.
   */
  duplicateKeys?: Array<{ account: string; workspace: string; name: string; ids: string[] }>;
  /** People (lower-case emails) whose invitation is still pending: they cannot own work yet. */
  invited?: string[];
}

export type PlanOp = '+' | '~' | '-';
export type PlanKind = 'role' | 'workspace' | 'person' | 'account' | 'grant' | 'key' | 'offboard';

/** How an item can be carried out on this server. */
export type Availability = 'api' | 'guided' | 'not available';

export interface PlanItem {
  /** Stable across plans of the same change, unique in a plan: e.g. `grant:Research:alice@example.com`. */
  id: string;
  op: PlanOp;
  kind: PlanKind;
  /** What the item is about, in words: `alice@example.com in Research`. */
  subject: string;
  /** Field changes, each `field: before → after` (or `field: value` for + and -). */
  changes: string[];
  /** What else the change does: an org-role change's effect on every workspace, keys that shrink… */
  effects: string[];
  /** The values the item sets (the apply step's input), by the file's field names. */
  after: Record<string, unknown> | null;
  /** The values the server had when the plan was made (null for +). */
  before: Record<string, unknown> | null;
  /** The feature the item needs, and what this server can do with it. */
  feature: FeatureId;
  availability: Availability;
  /** Why not available, or the console steps when guided. */
  note?: string;
  /** Where in the file the item comes from (absent for prune removals). */
  at?: Position;
}

/** Present on the server, absent from the file: reported; removed only with --prune. */
export interface Unmanaged {
  kind: PlanKind;
  subject: string;
  /** What --prune would do with it (or why it never would). */
  prune: string;
}

export interface AccessPlan {
  schema_version: 1;
  kind: typeof ACCESS_PLAN_KIND;
  server: string;
  tool_version: string;
  created_at: string;
  /** The access file the plan was made from, and its sha256 (bytes). */
  file: string;
  file_sha256: string;
  /** sha256 of the canonical JSON of `current`: apply re-reads the server and refuses on drift. */
  base_sha256: string;
  /** The server's access when the plan was made (no secrets: keys are names and restrictions). */
  current: AccessFile;
  prune: boolean;
  transfer_to: string | null;
  items: PlanItem[];
  unmanaged: Unmanaged[];
  /** The policy's findings on the desired state (a plan with failing findings is never written). */
  findings: Finding[];
}
