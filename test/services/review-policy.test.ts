// Each policy rule on hand-made content, with a case that fires it and one just inside the policy;
// the policy file's parsing; fail_on; and rules skipped when the export lacks their section.
import { describe, expect, it } from 'vitest';
import {
  checkReview,
  DEFAULT_POLICY,
  type Finding,
  failing,
  type Policy,
  parsePolicy,
  skippedRules,
} from '../../src/services/review/policy.js';
import type { ReviewContent, ReviewGrant, ReviewKey, ReviewUser } from '../../src/services/review/types.js';

const NOW = new Date('2026-11-29T12:00:00.000Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString();

const user = (email: string, over: Partial<ReviewUser> = {}): ReviewUser => ({
  id: `id-${email}`,
  email,
  name: email.split('@')[0] as string,
  kind: 'human',
  status: 'active',
  org_role: 'Org Base',
  org_admin: false,
  created_at: daysAgo(400),
  last_active_on: daysAgo(1).slice(0, 10),
  ...over,
});
const admin = (email: string, over: Partial<ReviewUser> = {}) =>
  user(email, { org_role: 'Org Admin', org_admin: true, ...over });
const grant = (u: ReviewUser, over: Partial<ReviewGrant> = {}): ReviewGrant => ({
  user_id: u.id,
  email: u.email,
  workspace_id: 'w1',
  workspace: 'Sales',
  role: 'Editor',
  via: 'membership',
  since: null,
  ...over,
});
const key = (over: Partial<ReviewKey> = {}): ReviewKey => ({
  id: 'k1',
  name: 'laptop',
  workspace: 'Sales',
  holder: 'ada@example.com',
  holder_kind: 'human',
  created_by: 'ada@example.com',
  tenant_admin: false,
  restricted: true,
  restriction: ['flows_run'],
  effective: ['flows_run'],
  degraded: false,
  clipped: [],
  status: 'active',
  created_at: daysAgo(10),
  last_used_on: daysAgo(1).slice(0, 10),
  expires_at: null,
  ...over,
});
const ROLES = [
  { name: 'Reader', scope: 'workspace', permissions: ['flows_view'] },
  { name: 'Editor', scope: 'workspace', permissions: ['flows_edit', 'flows_run', 'flows_view'] },
  {
    name: 'Admin',
    scope: 'workspace',
    permissions: ['flows_edit', 'flows_run', 'flows_view', 'members_edit'],
  },
];

function content(over: Partial<ReviewContent> = {}): ReviewContent {
  const ada = user('ada@example.com');
  return {
    organization: 'Acme',
    users: [ada],
    grants: [grant(ada)],
    keys: [],
    system_keys: [],
    service_accounts: [],
    invitations: [],
    roles: ROLES,
    ...over,
  };
}

const rules = (fs: Finding[]) => fs.map((f) => `${f.rule} ${f.subject}`);
const check = (c: ReviewContent, p: Partial<Policy> = {}, caller?: string) =>
  checkReview(c, { ...DEFAULT_POLICY, ...p }, NOW, caller);

describe('review policy rules', () => {
  it('a clean organization has no findings', () => {
    expect(check(content())).toEqual([]);
  });

  it('too_many_org_admins: the newest admins beyond the limit, never the caller', () => {
    const a = admin('a@example.com', { created_at: daysAgo(300) });
    const b = admin('b@example.com', { created_at: daysAgo(200) });
    const c = admin('c@example.com', { created_at: daysAgo(100) });
    const within = content({ users: [a, b] });
    expect(check(within)).toEqual([]);
    const over = content({ users: [a, b, c] });
    expect(check(over)).toEqual([
      {
        rule: 'too_many_org_admins',
        severity: 'error',
        subject: 'c@example.com',
        message: '3 org admins, the policy allows 2',
        fix: "noxus users update c@example.com --org-role 'Org Base'",
      },
    ]);
    // The caller is kept even though newest: the next newest is suggested instead.
    expect(rules(check(over, {}, 'c@example.com'))).toEqual(['too_many_org_admins b@example.com']);
    // Suspended admins and service accounts do not count.
    const quiet = content({ users: [a, b, admin('s@example.com', { status: 'suspended' })] });
    expect(check(quiet)).toEqual([]);
  });

  it('inactive_user_with_roles: past inactive_days with a membership or org admin', () => {
    const idle = user('idle@example.com', { last_active_on: daysAgo(91).slice(0, 10) });
    const fired = check(content({ users: [idle], grants: [grant(idle)] }));
    expect(fired).toEqual([
      {
        rule: 'inactive_user_with_roles',
        severity: 'warning',
        subject: 'idle@example.com',
        message: `no activity for more than 90 days (last ${daysAgo(91).slice(0, 10)}) but still holds 1 workspace role(s)`,
        fix: 'noxus offboard idle@example.com',
      },
    ]);
    const recent = user('idle@example.com', { last_active_on: daysAgo(89).slice(0, 10) });
    expect(check(content({ users: [recent], grants: [grant(recent)] }))).toEqual([]);
    const never = admin('never@example.com', { last_active_on: null });
    expect(check(content({ users: [never], grants: [] })).map((f) => f.message)).toEqual([
      'no activity for more than 90 days (last never) but still holds org admin',
    ]);
  });

  it('active_user_without_workspace: an active human in no workspace (info)', () => {
    const lone = user('lone@example.com');
    expect(check(content({ users: [lone], grants: [] }))).toEqual([
      {
        rule: 'active_user_without_workspace',
        severity: 'info',
        subject: 'lone@example.com',
        message: 'active but in no workspace',
        fix: 'noxus ws add-member <workspace> lone@example.com --role Reader   # or: noxus offboard lone@example.com',
      },
    ]);
    // A grant only via org admin is not a membership; an org admin needs none.
    expect(check(content({ users: [admin('boss@example.com')], grants: [] }))).toEqual([]);
    expect(check(content({ users: [user('svc@example.com', { kind: 'service' })], grants: [] }))).toEqual([]);
  });

  it('unrestricted_key: unless tenant admin or allowed by the policy', () => {
    const k = key({ restricted: false, restriction: null });
    expect(check(content({ keys: [k] }))).toEqual([
      {
        rule: 'unrestricted_key',
        severity: 'warning',
        subject: 'key "laptop" (k1) of ada@example.com in Sales',
        message:
          'unrestricted: it can do everything its holder can; the holder should replace it with one restricted to what it needs (e.g. noxus keys create --workspace Sales --name laptop --restrict <perms>)',
        fix: 'noxus keys revoke k1',
      },
    ]);
    expect(check(content({ keys: [k] }), { allow_unrestricted_keys: true })).toEqual([]);
    expect(check(content({ keys: [key({ restricted: false, tenant_admin: true })] }))).toEqual([]);
    // Revoked keys are not checked.
    expect(check(content({ keys: [{ ...k, status: 'expired' }] }))).toEqual([]);
  });

  it('degraded_key: a key whose holder lost permissions it was made with', () => {
    const k = key({ degraded: true, clipped: ['flows_edit'] });
    expect(check(content({ keys: [k] }))).toEqual([
      {
        rule: 'degraded_key',
        severity: 'warning',
        subject: 'key "laptop" (k1) of ada@example.com in Sales',
        message: 'its holder lost flows_edit; the key silently does less than it was made for',
        fix: 'noxus keys explain k1 && noxus keys revoke k1',
      },
    ]);
    expect(check(content({ keys: [key()] }))).toEqual([]);
  });

  it('old_key: older than key_max_age_days', () => {
    const k = key({ created_at: daysAgo(366) });
    expect(check(content({ keys: [k] }))).toEqual([
      {
        rule: 'old_key',
        severity: 'warning',
        subject: 'key "laptop" (k1) of ada@example.com in Sales',
        message: `created ${daysAgo(366).slice(0, 10)}, older than 365 days`,
        fix: 'noxus keys rotate k1 --overlap 1h',
      },
    ]);
    expect(check(content({ keys: [key({ created_at: daysAgo(364) })] }))).toEqual([]);
  });

  it('unused_key: unused for key_unused_days, or never used since creation that long ago', () => {
    const k = key({ last_used_on: daysAgo(91).slice(0, 10) });
    expect(check(content({ keys: [k] })).map((f) => [f.rule, f.message])).toEqual([
      ['unused_key', `not used for more than 90 days (last ${daysAgo(91).slice(0, 10)})`],
    ]);
    const never = key({ last_used_on: null, created_at: daysAgo(100) });
    expect(check(content({ keys: [never] })).map((f) => [f.rule, f.message])).toEqual([
      ['unused_key', 'not used for more than 90 days (last never)'],
    ]);
    expect(check(content({ keys: [key({ last_used_on: null, created_at: daysAgo(80) })] }))).toEqual([]);
  });

  it('personal_key_used_as_integration: a human key named like an integration, with the smallest role that covers it', () => {
    const k = key({ name: 'ci deploy', restriction: ['flows_edit', 'flows_run'] });
    expect(check(content({ keys: [k] }))).toEqual([
      {
        rule: 'personal_key_used_as_integration',
        severity: 'warning',
        subject: 'key "ci deploy" (k1) of ada@example.com in Sales',
        message: 'a personal key named like an integration; when ada@example.com leaves it stops working',
        fix: "noxus service-accounts create 'ci deploy' --workspace 'Sales=Editor' --key 'ci deploy' --restrict flows_edit,flows_run && noxus keys revoke k1",
      },
    ]);
    // A service account's key, or a name not like an integration, is fine.
    expect(check(content({ keys: [{ ...k, holder_kind: 'service' }] }))).toEqual([]);
    expect(check(content({ keys: [key({ name: 'decision log' })] }))).toEqual([]);
    // The pattern is the policy's.
    expect(check(content({ keys: [k] }), { integration_key_pattern: '^nothing$' })).toEqual([]);
  });

  it('stale_invitation: pending longer than invitation_max_age_days', () => {
    const inv = { user_id: 'u9', email: 'new@example.com', invited_at: daysAgo(15), expires_at: null };
    expect(check(content({ invitations: [inv] }))).toEqual([
      {
        rule: 'stale_invitation',
        severity: 'warning',
        subject: 'new@example.com',
        message: `invited ${daysAgo(15).slice(0, 10)}, more than 14 days ago, never accepted`,
        fix: 'noxus users resend-invite new@example.com   # or remove them: noxus users suspend new@example.com',
      },
    ]);
    expect(check(content({ invitations: [{ ...inv, invited_at: daysAgo(13) }] }))).toEqual([]);
  });

  it('grant_without_reason: a membership whose reason is null (info); an org admin grant or an older export is not judged', () => {
    const ada = user('ada@example.com');
    const zed = admin('zed@example.com');
    const c = content({
      users: [ada, zed],
      grants: [
        grant(ada, { reason: null, expires_at: null }),
        grant(zed, { role: 'Admin', via: 'org_admin', reason: null, expires_at: null }),
      ],
    });
    expect(check(c)).toEqual([
      {
        rule: 'grant_without_reason',
        severity: 'info',
        subject: 'ada@example.com in Sales',
        message: 'Editor with no recorded reason',
        fix: "noxus ws set-role Sales ada@example.com --role Editor --reason '<why>'",
      },
    ]);
    const reasoned = content({ grants: [grant(ada, { reason: 'on call', expires_at: null })] });
    expect(check(reasoned)).toEqual([]);
    // An export made before grant terms existed has no such field: nothing to say about it.
    expect(check(content({ grants: [grant(ada)] }))).toEqual([]);
  });

  it('grant_expiring_soon: an expiry within grant_expiring_days (default 14)', () => {
    const ada = user('ada@example.com');
    const at = (days: number) => new Date(NOW.getTime() + days * 86_400_000).toISOString();
    const c = (days: number) => content({ grants: [grant(ada, { reason: 'launch', expires_at: at(days) })] });
    expect(check(c(13))).toEqual([
      {
        rule: 'grant_expiring_soon',
        severity: 'info',
        subject: 'ada@example.com in Sales',
        message: `Editor lapses ${at(13)}, within 14 days`,
        fix: 'noxus ws set-role Sales ada@example.com --role Editor --expires 30d   # to extend it; or let it lapse',
      },
    ]);
    expect(check(c(15))).toEqual([]);
    expect(rules(check(c(15), { grant_expiring_days: 30 }))).toEqual([
      'grant_expiring_soon ada@example.com in Sales',
    ]);
  });

  it('admin_grant_without_expiry: a workspace Admin membership with no expiry (info unless raised)', () => {
    const ada = user('ada@example.com');
    const zed = admin('zed@example.com');
    const adminGrant = (expires_at: string | null) =>
      content({
        users: [ada, zed],
        grants: [
          grant(ada, { role: 'Admin', reason: 'owner', expires_at }),
          grant(zed, { role: 'Admin', via: 'org_admin', reason: null, expires_at: null }),
          grant(ada, { workspace: 'Eng', workspace_id: 'w2', reason: 'owner', expires_at: null }),
        ],
      });
    expect(check(adminGrant(null))).toEqual([
      {
        rule: 'admin_grant_without_expiry',
        severity: 'info',
        subject: 'ada@example.com in Sales',
        message: 'workspace Admin with no expiry',
        fix: 'noxus ws set-role Sales ada@example.com --role Admin --expires 90d   # or lower it: noxus ws set-role Sales ada@example.com --role Editor',
      },
    ]);
    expect(check(adminGrant('2027-06-01T00:00:00.000Z'))).toEqual([]);
    expect(failing(check(adminGrant(null)), DEFAULT_POLICY)).toEqual([]);
    const strict = parsePolicy({ severities: { admin_grant_without_expiry: 'error' } }, 'p.yaml');
    expect(failing(checkReview(adminGrant(null), strict, NOW), strict).map((f) => f.rule)).toEqual([
      'admin_grant_without_expiry',
    ]);
  });

  it('findings sort by severity, then rule, then subject; severities come from the policy', () => {
    const lone = user('lone@example.com');
    const c = content({
      users: [lone],
      grants: [],
      keys: [key({ id: 'k2', degraded: true, clipped: ['x'] }), key({ id: 'k1', restricted: false })],
    });
    expect(rules(check(c))).toEqual([
      'degraded_key key "laptop" (k2) of ada@example.com in Sales',
      'unrestricted_key key "laptop" (k1) of ada@example.com in Sales',
      'active_user_without_workspace lone@example.com',
    ]);
    const p = {
      ...DEFAULT_POLICY,
      severities: { ...DEFAULT_POLICY.severities, degraded_key: 'error' as const },
    };
    expect(checkReview(c, p, NOW).map((f) => f.severity)).toEqual(['error', 'warning', 'info']);
    expect(failing(checkReview(c, p, NOW), { ...p, fail_on: 'error' }).map((f) => f.rule)).toEqual([
      'degraded_key',
    ]);
    expect(failing(checkReview(c, p, NOW), p)).toHaveLength(2);
    expect(failing(checkReview(c, p, NOW), { ...p, fail_on: 'info' })).toHaveLength(3);
  });

  it('a rule whose section the export could not read is skipped and named', () => {
    const c = content({
      users: [user('lone@example.com')],
      grants: [],
      coverage: {
        complete: false,
        missing: [{ section: 'grants', feature: 'members.list', reason: 'no member lists' }],
      },
    });
    expect(skippedRules(c)).toEqual([
      { rule: 'inactive_user_with_roles', reason: 'needs grants (no member lists)' },
      { rule: 'active_user_without_workspace', reason: 'needs grants (no member lists)' },
      { rule: 'grant_without_reason', reason: 'needs grants (no member lists)' },
      { rule: 'grant_expiring_soon', reason: 'needs grants (no member lists)' },
      { rule: 'admin_grant_without_expiry', reason: 'needs grants (no member lists)' },
    ]);
    expect(check(c)).toEqual([]);
  });
});

describe('parsePolicy', () => {
  it('empty is the default; settings and severities override it', () => {
    expect(parsePolicy(null, 'p.yaml')).toEqual(DEFAULT_POLICY);
    const p = parsePolicy(
      { max_org_admins: 5, fail_on: 'error', allow_unrestricted_keys: true, severities: { old_key: 'info' } },
      'p.yaml',
    );
    expect(p).toEqual({
      ...DEFAULT_POLICY,
      max_org_admins: 5,
      fail_on: 'error',
      allow_unrestricted_keys: true,
      severities: { ...DEFAULT_POLICY.severities, old_key: 'info' },
    });
    // The default is not changed by a parse.
    expect(DEFAULT_POLICY.severities.old_key).toBe('warning');
  });

  it.each([
    [[1], 'p.yaml: a policy is a mapping of settings'],
    [{ max_admins: 1 }, 'p.yaml: unknown setting "max_admins" (settings: '],
    [{ max_org_admins: -1 }, 'p.yaml: max_org_admins must be a whole number ≥ 0'],
    [{ inactive_days: 1.5 }, 'p.yaml: inactive_days must be a whole number ≥ 0'],
    [{ fail_on: 'fatal' }, 'p.yaml: fail_on must be info, warning or error'],
    [{ allow_unrestricted_keys: 'yes' }, 'p.yaml: allow_unrestricted_keys must be true or false'],
    [{ integration_key_pattern: 3 }, 'p.yaml: integration_key_pattern must be a regular expression string'],
    [{ severities: 'loud' }, 'p.yaml: severities must be a mapping of rule → info|warning|error'],
    [{ severities: { nope: 'info' } }, 'p.yaml: unknown rule "nope" in severities (rules: '],
    [{ severities: { old_key: 'loud' } }, 'p.yaml: severity of old_key must be info, warning or error'],
  ])('refuses %j', (raw, message) => {
    expect(() => parsePolicy(raw, 'p.yaml')).toThrow(message);
  });
});
