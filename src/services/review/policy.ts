// Least-privilege policy checks on a review's content: each rule's findings come with the command
// that fixes them, and a rule whose data the export lacks is skipped, never passed.

import { UsageError } from '../../errors.js';
import { type CoverageGap, coverageOf, type ReviewContent, type ReviewGrant, type Section } from './types.js';

export type Severity = 'info' | 'warning' | 'error';
export const SEVERITIES: Severity[] = ['info', 'warning', 'error'];

export interface Policy {
  max_org_admins: number;
  inactive_days: number;
  key_max_age_days: number;
  key_unused_days: number;
  invitation_max_age_days: number;
  grant_expiring_days: number;
  allow_unrestricted_keys: boolean;
  integration_key_pattern: string;
  fail_on: Severity;
  severities: Record<string, Severity>;
}

export const DEFAULT_POLICY: Policy = {
  max_org_admins: 2,
  inactive_days: 90,
  key_max_age_days: 365,
  key_unused_days: 90,
  invitation_max_age_days: 14,
  grant_expiring_days: 14,
  allow_unrestricted_keys: false,
  integration_key_pattern:
    '\\b(ci|cd|deploy|bot|sync|export|import|integration|pipeline|webhook|zapier|etl|cron)\\b',
  fail_on: 'warning',
  severities: {
    too_many_org_admins: 'error',
    inactive_user_with_roles: 'warning',
    unrestricted_key: 'warning',
    degraded_key: 'warning',
    old_key: 'warning',
    unused_key: 'warning',
    personal_key_used_as_integration: 'warning',
    stale_invitation: 'warning',
    active_user_without_workspace: 'info',
    grant_without_reason: 'info',
    grant_expiring_soon: 'info',
    admin_grant_without_expiry: 'info',
  },
};

export function parsePolicy(raw: unknown, file: string): Policy {
  if (raw === null || raw === undefined) return DEFAULT_POLICY;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(`${file}: a policy is a mapping of settings`);
  const p = { ...DEFAULT_POLICY, severities: { ...DEFAULT_POLICY.severities } };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k === 'severities') {
      if (typeof v !== 'object' || v === null)
        throw new UsageError(`${file}: severities must be a mapping of rule → info|warning|error`);
      for (const [rule, sev] of Object.entries(v)) {
        if (!(rule in DEFAULT_POLICY.severities))
          throw new UsageError(
            `${file}: unknown rule "${rule}" in severities (rules: ${Object.keys(DEFAULT_POLICY.severities).join(', ')})`,
          );
        if (!SEVERITIES.includes(sev as Severity))
          throw new UsageError(`${file}: severity of ${rule} must be info, warning or error`);
        p.severities[rule] = sev as Severity;
      }
    } else if (!(k in DEFAULT_POLICY)) {
      throw new UsageError(
        `${file}: unknown setting "${k}" (settings: ${Object.keys(DEFAULT_POLICY).join(', ')})`,
      );
    } else if (k === 'fail_on') {
      if (!SEVERITIES.includes(v as Severity))
        throw new UsageError(`${file}: fail_on must be info, warning or error`);
      p.fail_on = v as Severity;
    } else if (k === 'allow_unrestricted_keys') {
      if (typeof v !== 'boolean')
        throw new UsageError(`${file}: allow_unrestricted_keys must be true or false`);
      p.allow_unrestricted_keys = v;
    } else if (k === 'integration_key_pattern') {
      if (typeof v !== 'string')
        throw new UsageError(`${file}: integration_key_pattern must be a regular expression string`);
      p.integration_key_pattern = v;
    } else {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        throw new UsageError(`${file}: ${k} must be a whole number ≥ 0`);
      (p as unknown as Record<string, number>)[k] = v;
    }
  }
  return p;
}

/** The sections each rule reads besides users and roles; a rule whose data the export lacks is skipped. */
export const RULE_NEEDS: Record<string, Section[]> = {
  too_many_org_admins: [],
  inactive_user_with_roles: ['grants'],
  active_user_without_workspace: ['grants'],
  unrestricted_key: ['keys'],
  degraded_key: ['keys'],
  old_key: ['keys'],
  unused_key: ['keys'],
  personal_key_used_as_integration: ['keys'],
  stale_invitation: ['invitations'],
  grant_without_reason: ['grants'],
  grant_expiring_soon: ['grants'],
  admin_grant_without_expiry: ['grants'],
};

export interface SkippedRule {
  rule: string;
  reason: string;
}

/** The rules this export has no data for, each with what is missing (the coverage's reasons). */
export function skippedRules(c: ReviewContent): SkippedRule[] {
  const gaps = new Map(coverageOf(c).missing.map((m) => [m.section, m]));
  const out: SkippedRule[] = [];
  for (const [rule, needs] of Object.entries(RULE_NEEDS)) {
    const lacking = needs.map((n) => gaps.get(n)).filter((g): g is CoverageGap => !!g);
    if (lacking.length)
      out.push({ rule, reason: `needs ${lacking.map((g) => `${g.section} (${g.reason})`).join(', ')}` });
  }
  return out;
}

export interface Finding {
  rule: string;
  severity: Severity;
  subject: string;
  message: string;
  fix: string;
}

/** `caller`: the email behind the key in use, never suggested for demotion (it would lock you out). */
export function checkReview(c: ReviewContent, policy: Policy, now: Date, caller?: string): Finding[] {
  const out: Finding[] = [];
  const sev = (rule: string) => policy.severities[rule] ?? 'warning';
  const age = (iso: string | null) =>
    iso ? (now.getTime() - Date.parse(iso)) / 86_400_000 : Number.POSITIVE_INFINITY;
  const q = (s: string) => (/^[\w@.+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const skipped = new Set(skippedRules(c).map((x) => x.rule));
  const add = (rule: string, subject: string, message: string, fix: string) => {
    if (!skipped.has(rule)) out.push({ rule, severity: sev(rule), subject, message, fix });
  };

  const admins = c.users.filter((u) => u.org_admin && u.status === 'active' && u.kind === 'human');
  if (admins.length > policy.max_org_admins) {
    // Keep the longest-standing admins; suggest demoting the rest.
    const extra = [...admins]
      .sort(
        (a, b) =>
          Number(b.email === caller) - Number(a.email === caller) ||
          (a.created_at ?? '').localeCompare(b.created_at ?? ''),
      )
      .slice(policy.max_org_admins);
    for (const u of extra) {
      add(
        'too_many_org_admins',
        u.email,
        `${admins.length} org admins, the policy allows ${policy.max_org_admins}`,
        `noxus users update ${q(u.email)} --org-role 'Org Base'`,
      );
    }
  }
  const grantsOf = new Map<string, ReviewGrant[]>();
  for (const g of c.grants) grantsOf.set(g.user_id, [...(grantsOf.get(g.user_id) ?? []), g]);
  for (const u of c.users) {
    const gs = (grantsOf.get(u.id) ?? []).filter((g) => g.via === 'membership');
    if (
      u.status === 'active' &&
      u.kind === 'human' &&
      (gs.length || u.org_admin) &&
      age(u.last_active_on) > policy.inactive_days
    ) {
      add(
        'inactive_user_with_roles',
        u.email,
        `no activity for more than ${policy.inactive_days} days (last ${u.last_active_on ?? 'never'}) but still holds ${u.org_admin ? 'org admin' : `${gs.length} workspace role(s)`}`,
        `noxus offboard ${q(u.email)}`,
      );
    }
    if (u.status === 'active' && u.kind === 'human' && !u.org_admin && gs.length === 0) {
      add(
        'active_user_without_workspace',
        u.email,
        'active but in no workspace',
        `noxus ws add-member <workspace> ${q(u.email)} --role Reader   # or: noxus offboard ${q(u.email)}`,
      );
    }
  }
  const pattern = new RegExp(policy.integration_key_pattern, 'i');
  for (const k of c.keys.filter((x) => x.status === 'active')) {
    const subject = `key "${k.name}" (${k.id}) of ${k.holder} in ${k.workspace}`;
    if (!k.restricted && !k.tenant_admin && !policy.allow_unrestricted_keys) {
      add(
        'unrestricted_key',
        subject,
        `unrestricted: it can do everything its holder can; the holder should replace it with one restricted to what it needs (e.g. noxus keys create --workspace ${q(k.workspace ?? '')} --name ${q(k.name)} --restrict <perms>)`,
        `noxus keys revoke ${k.id}`,
      );
    }
    if (k.degraded) {
      add(
        'degraded_key',
        subject,
        `its holder lost ${k.clipped.join(', ')}; the key silently does less than it was made for`,
        `noxus keys explain ${k.id} && noxus keys revoke ${k.id}`,
      );
    }
    if (age(k.created_at) > policy.key_max_age_days) {
      add(
        'old_key',
        subject,
        `created ${k.created_at.slice(0, 10)}, older than ${policy.key_max_age_days} days`,
        `noxus keys rotate ${k.id} --overlap 1h`,
      );
    }
    if (age(k.last_used_on ?? k.created_at) > policy.key_unused_days) {
      add(
        'unused_key',
        subject,
        `not used for more than ${policy.key_unused_days} days (last ${k.last_used_on ?? 'never'})`,
        `noxus keys revoke ${k.id}`,
      );
    }
    if (k.holder_kind === 'human' && pattern.test(k.name)) {
      const perms = k.restriction ?? k.effective;
      const role =
        ['Reader', 'Editor', 'Admin'].find((r) => {
          const granted = c.roles.find((x) => x.name === r && x.scope === 'workspace')?.permissions ?? [];
          return perms.every((p) => granted.includes(p));
        }) ?? 'Admin';
      add(
        'personal_key_used_as_integration',
        subject,
        `a personal key named like an integration; when ${k.holder} leaves it stops working`,
        `noxus service-accounts create ${q(k.name)} --workspace ${q(`${k.workspace}=${role}`)} --key ${q(k.name)} --restrict ${perms.join(',')} && noxus keys revoke ${k.id}`,
      );
    }
  }
  for (const i of c.invitations) {
    if (age(i.invited_at) > policy.invitation_max_age_days) {
      add(
        'stale_invitation',
        i.email,
        `invited ${i.invited_at.slice(0, 10)}, more than ${policy.invitation_max_age_days} days ago, never accepted`,
        `noxus users resend-invite ${q(i.email)}   # or remove them: noxus users suspend ${q(i.email)}`,
      );
    }
  }
  // Grant terms: a grant from an export made before they existed (no such field) is not judged.
  for (const g of c.grants.filter((x) => x.via === 'membership')) {
    const subject = `${g.email} in ${g.workspace}`;
    const where = `${q(g.workspace)} ${q(g.email)} --role ${q(g.role)}`;
    if (g.reason === null) {
      add(
        'grant_without_reason',
        subject,
        `${g.role} with no recorded reason`,
        `noxus ws set-role ${where} --reason '<why>'`,
      );
    }
    if (g.expires_at) {
      const left = (Date.parse(g.expires_at) - now.getTime()) / 86_400_000;
      if (left <= policy.grant_expiring_days) {
        add(
          'grant_expiring_soon',
          subject,
          `${g.role} lapses ${g.expires_at}, within ${policy.grant_expiring_days} days`,
          `noxus ws set-role ${where} --expires 30d   # to extend it; or let it lapse`,
        );
      }
    } else if (g.expires_at === null && g.role === 'Admin') {
      add(
        'admin_grant_without_expiry',
        subject,
        'workspace Admin with no expiry',
        `noxus ws set-role ${where} --expires 90d   # or lower it: noxus ws set-role ${q(g.workspace)} ${q(g.email)} --role Editor`,
      );
    }
  }
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  return out.sort(
    (a, b) =>
      rank(b.severity) - rank(a.severity) ||
      a.rule.localeCompare(b.rule) ||
      a.subject.localeCompare(b.subject),
  );
}

export function failing(findings: Finding[], policy: Policy): Finding[] {
  return findings.filter((f) => SEVERITIES.indexOf(f.severity) >= SEVERITIES.indexOf(policy.fail_on));
}
