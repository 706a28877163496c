// The shapes of an access review: the snapshot's content (what is hashed), the document around it,
// and a streamed view of the content for exports too large to hold as objects.

import type { FeatureId } from '../../domain/features.js';

export const REVIEW_KIND = 'noxus-access-review' as const;

export interface ReviewUser {
  id: string;
  email: string;
  name: string;
  kind: string;
  status: string;
  org_role: string;
  org_admin: boolean;
  created_at: string | null;
  /** Day precision: the review itself must not change what it reviews. */
  last_active_on: string | null;
}

export interface ReviewGrant {
  user_id: string;
  email: string;
  workspace_id: string;
  workspace: string;
  role: string;
  via: 'membership' | 'org_admin';
  /**
   * When the grant began: the membership's role was set, or the user became org admin. Null when
   * the server does not say (absent in exports made before it existed).
   */
  since?: string | null;
  /** Why the grant was given and when it lapses (null when it has none; absent in older exports). */
  reason?: string | null;
  expires_at?: string | null;
}

export interface ReviewKey {
  id: string;
  name: string;
  workspace: string | null;
  holder: string | null;
  holder_kind: string | null;
  created_by: string | null;
  tenant_admin: boolean;
  restricted: boolean;
  restriction: string[] | null;
  effective: string[];
  degraded: boolean;
  clipped: string[];
  status: string;
  created_at: string;
  last_used_on: string | null;
  expires_at: string | null;
}

export interface ReviewSystemKey {
  id: string;
  name: string;
  permissions: string[];
  tenant_admin: boolean;
  created_by: string | null;
  status: string;
  created_at: string;
  last_used_on: string | null;
  expires_at: string | null;
}

export interface ReviewServiceAccount {
  id: string;
  email: string;
  status: string;
  workspaces: string[];
}

export interface ReviewInvitation {
  user_id: string;
  email: string;
  invited_at: string;
  expires_at: string | null;
}

export interface ReviewRole {
  name: string;
  scope: string;
  permissions: string[];
}

export interface ReviewContent {
  organization: string | null;
  users: ReviewUser[];
  grants: ReviewGrant[];
  keys: ReviewKey[];
  system_keys: ReviewSystemKey[];
  service_accounts: ReviewServiceAccount[];
  invitations: ReviewInvitation[];
  roles: ReviewRole[];
  /** Absent in exports made before coverage existed (those were complete). */
  workspaces?: Array<{ id: string; name: string }>;
  coverage?: Coverage;
}

/** The sections a server may be unable to provide (the rest come from the public API). */
export type Section = 'grants' | 'keys' | 'service_accounts' | 'invitations';

export interface CoverageGap {
  section: Section;
  /** The feature that would provide it (the catalogue's id), and why it could not be read. */
  feature: FeatureId;
  reason: string;
}

/** What the export could not read; hashed with the rest, so a partial export never passes for a full one. */
export interface Coverage {
  complete: boolean;
  missing: CoverageGap[];
}

export function coverageOf(c: Pick<ReviewContent, 'coverage'>): Coverage {
  return c.coverage ?? { complete: true, missing: [] };
}

export interface ReviewDoc {
  schema_version: 1;
  kind: typeof REVIEW_KIND;
  server: string;
  tool_version: string;
  generated_at: string;
  content: ReviewContent;
  sha256: string;
}

/**
 * Rows read in order, each as its compact JSON (exactly `JSON.stringify(row)`), as many times as
 * needed: the users and grants of a large organization live on disk, not in memory.
 */
export interface Rows {
  readonly count: number;
  lines(): AsyncIterable<string>;
}

/** A ReviewContent whose two sections that grow with the organization are streamed. */
export interface ReviewSource extends Omit<ReviewContent, 'users' | 'grants'> {
  users: Rows;
  grants: Rows;
  /** The org admins, in user order (the Markdown names them before the user table). */
  admins: ReviewUser[];
}

/** A document whose content is streamed; `sha256` is known once the content has been read once. */
export interface ReviewSourceDoc extends Omit<ReviewDoc, 'content'> {
  content: ReviewSource;
}

export function arrayRows(rows: readonly unknown[]): Rows {
  return {
    count: rows.length,
    async *lines() {
      for (const r of rows) yield JSON.stringify(r);
    },
  };
}

export async function* rowObjects<T>(rows: Rows): AsyncGenerator<T> {
  for await (const line of rows.lines()) yield JSON.parse(line) as T;
}

/** The streamed view of content already in memory (a parsed export, a test's fixture). */
export function sourceOf(c: ReviewContent): ReviewSource {
  const { users, grants, ...rest } = c;
  return {
    ...rest,
    users: arrayRows(users),
    grants: arrayRows(grants),
    admins: users.filter((u) => u.org_admin),
  };
}

export function docSourceOf(d: ReviewDoc): ReviewSourceDoc {
  return { ...d, content: sourceOf(d.content) };
}

/** Reads a streamed source back into objects (policy checks work on the whole content). */
export async function materialize(s: ReviewSource): Promise<ReviewContent> {
  const { users, grants, admins: _admins, ...rest } = s;
  const all = async <T>(r: Rows) => {
    const out: T[] = [];
    for await (const x of rowObjects<T>(r)) out.push(x);
    return out;
  };
  const content: ReviewContent = {
    organization: rest.organization,
    users: await all<ReviewUser>(users),
    grants: await all<ReviewGrant>(grants),
    keys: rest.keys,
    system_keys: rest.system_keys,
    service_accounts: rest.service_accounts,
    invitations: rest.invitations,
    roles: rest.roles,
  };
  if (rest.workspaces) content.workspaces = rest.workspaces;
  if (rest.coverage) content.coverage = rest.coverage;
  return content;
}
