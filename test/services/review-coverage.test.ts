// Partial review exports: the coverage section is hashed, rules without data are skipped (and said
// so), and a diff between a partial and a full export compares only what both hold.
import { describe, expect, it } from 'vitest';
import { diffReviews } from '../../src/services/review/diff.js';
import { contentHash, jsonText, makeDoc, parseReview } from '../../src/services/review/doc.js';
import { checkReview, DEFAULT_POLICY, skippedRules } from '../../src/services/review/policy.js';
import type { ReviewContent } from '../../src/services/review/types.js';
import { verifyExport } from '../../src/services/review/verify.js';

const NOW = new Date('2026-11-29T12:00:00.000Z');

function content(partial: boolean): ReviewContent {
  const missing = partial
    ? [
        {
          section: 'grants' as const,
          feature: 'members.list' as const,
          reason: 'workspace member lists are not available on this server',
        },
        {
          section: 'keys' as const,
          feature: 'keys.list' as const,
          reason: 'listing workspace keys is not available on this server',
        },
      ]
    : [];
  return {
    organization: 'Acme',
    users: [
      {
        id: 'u1',
        email: 'ada@example.com',
        name: 'Ada',
        kind: 'human',
        status: 'active',
        org_role: 'Org Admin',
        org_admin: true,
        created_at: '2026-01-01T00:00:00.000Z',
        last_active_on: '2026-11-28',
      },
      {
        id: 'u2',
        email: 'bob@example.com',
        name: 'Bob',
        kind: 'human',
        status: 'active',
        org_role: 'Org Base',
        org_admin: false,
        created_at: '2026-01-02T00:00:00.000Z',
        last_active_on: null,
      },
    ],
    grants: partial
      ? []
      : [
          {
            user_id: 'u2',
            email: 'bob@example.com',
            workspace_id: 'g1',
            workspace: 'Marketing',
            role: 'Reader',
            via: 'membership',
          },
        ],
    keys: partial
      ? []
      : [
          {
            id: 'k1',
            name: 'ci deploy',
            workspace: 'Marketing',
            holder: 'bob@example.com',
            holder_kind: 'human',
            created_by: 'bob@example.com',
            tenant_admin: false,
            restricted: false,
            restriction: null,
            effective: ['flows_run'],
            degraded: false,
            clipped: [],
            status: 'active',
            created_at: '2026-11-01T00:00:00.000Z',
            last_used_on: '2026-11-28',
            expires_at: null,
          },
        ],
    system_keys: [],
    service_accounts: [],
    invitations: [],
    roles: [{ name: 'Reader', scope: 'workspace', permissions: ['flows_run'] }],
    workspaces: [{ id: 'g1', name: 'Marketing' }],
    coverage: { complete: !partial, missing },
  };
}

describe('partial review exports', () => {
  it('the sha256 covers the coverage section: the same data with another coverage hashes differently', async () => {
    const a = content(true);
    const b = { ...a, coverage: { complete: true, missing: [] } };
    expect(contentHash(a)).not.toBe(contentHash(b));
    // A file whose coverage was edited away is refused as modified.
    const doc = makeDoc(a, 'http://x', 'test', NOW);
    const text = await jsonText(doc);
    expect(parseReview(text, 'q.json').content).toEqual(a);
    const forged = JSON.parse(text);
    forged.content.coverage = { complete: true, missing: [] };
    expect(() => parseReview(JSON.stringify(forged), 'q.json')).toThrow(
      'q.json was modified after export: its content does not match its sha256',
    );
    // review verify agrees: the partial export verifies; with its coverage edited away it is tampered (exit 1).
    expect(verifyExport(text, 'q.json')).toEqual({
      file: 'q.json',
      format: 'json',
      covers: 'the "content" object (generated_at, server and tool_version are outside it)',
      sha256: doc.sha256,
    });
    expect(() => verifyExport(JSON.stringify(forged), 'q.json')).toThrow(
      expect.objectContaining({
        exitCode: 1,
        message: `q.json does not match its sha256: its content was modified after export (recorded ${doc.sha256}, computed ${contentHash(forged.content)})`,
      }),
    );
  });

  it('review check skips the rules it has no data for and names why; the others still run', () => {
    const c = content(true);
    expect(skippedRules(c)).toEqual([
      {
        rule: 'inactive_user_with_roles',
        reason: 'needs grants (workspace member lists are not available on this server)',
      },
      {
        rule: 'active_user_without_workspace',
        reason: 'needs grants (workspace member lists are not available on this server)',
      },
      {
        rule: 'unrestricted_key',
        reason: 'needs keys (listing workspace keys is not available on this server)',
      },
      { rule: 'degraded_key', reason: 'needs keys (listing workspace keys is not available on this server)' },
      { rule: 'old_key', reason: 'needs keys (listing workspace keys is not available on this server)' },
      { rule: 'unused_key', reason: 'needs keys (listing workspace keys is not available on this server)' },
      {
        rule: 'personal_key_used_as_integration',
        reason: 'needs keys (listing workspace keys is not available on this server)',
      },
      ...['grant_without_reason', 'grant_expiring_soon', 'admin_grant_without_expiry'].map((rule) => ({
        rule,
        reason: 'needs grants (workspace member lists are not available on this server)',
      })),
    ]);
    // Bob is in no workspace as far as this export can tell: with grants unknown that is not a finding.
    expect(
      checkReview(c, { ...DEFAULT_POLICY, max_org_admins: 0 }, NOW).map((f) => `${f.rule} ${f.subject}`),
    ).toEqual(['too_many_org_admins ada@example.com']);
    expect(skippedRules(content(false))).toEqual([]);
    expect(checkReview(content(false), DEFAULT_POLICY, NOW).map((f) => `${f.rule} ${f.subject}`)).toEqual([
      'inactive_user_with_roles bob@example.com',
      'personal_key_used_as_integration key "ci deploy" (k1) of bob@example.com in Marketing',
      'unrestricted_key key "ci deploy" (k1) of bob@example.com in Marketing',
    ]);
  });

  it('review diff between a partial and a full export says coverage differs and does not count the missing sections as removed', () => {
    const partial = makeDoc(content(true), 'http://x', 'test', NOW);
    const full = makeDoc(content(false), 'http://x', 'test', NOW);
    const d = diffReviews(partial, full);
    expect(d.coverage_differs).toBe(true);
    expect(d.coverage.not_compared).toEqual(['grants', 'keys']);
    expect(d.coverage.old.map((m) => m.section)).toEqual(['grants', 'keys']);
    expect(d.coverage.new).toEqual([]);
    expect([d.grants_added, d.keys_added, d.grants_removed, d.keys_revoked]).toEqual([[], [], [], []]);
    expect(d.changes).toBe(0);
    const same = diffReviews(full, full);
    expect(same.coverage_differs).toBe(false);
    expect(same.coverage.not_compared).toEqual([]);
  });

  it('an export made before coverage existed counts as complete', () => {
    const { coverage: _c, workspaces: _w, ...old } = content(false);
    const d = diffReviews(
      makeDoc(old, 'http://x', 'test', NOW),
      makeDoc(content(false), 'http://x', 'test', NOW),
    );
    expect(d.coverage_differs).toBe(false);
    expect(skippedRules(old)).toEqual([]);
  });
});
