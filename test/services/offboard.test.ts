// The offboarding rules: what a plan holds for an access report, what counts as drift, and the
// refusals (the last org admin, yourself, a bad transfer target), the pure ones on data and the
// ones that ask the server against a real sandbox seeded with the demo organization.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import type { Access, User } from '../../src/api/users.js';
import { ConflictError, UsageError } from '../../src/errors.js';
import { Journal } from '../../src/services/journal.js';
import {
  buildPlan,
  checkNotLastAdmin,
  checkOffboardable,
  checkPlan,
  checkTargetCanOwn,
  drift,
  fingerprint,
  type Inventory,
  inventoryOf,
  offboardJournal,
  reviewUser,
  runPlan,
  type StepResult,
} from '../../src/services/offboard/index.js';
import { Resolver } from '../../src/services/resolve.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const user = (over: Partial<User> = {}): User =>
  ({
    id: 'u1',
    email: 'una@example.com',
    name: 'Una',
    display_name: 'Una',
    tenant_admin: false,
    is_active: true,
    status: 'active',
    kind: 'human',
    ...over,
  }) as User;

const key = (id: string, name: string, over: Record<string, unknown> = {}) => ({
  id,
  name,
  group_id: 'g1',
  group_name: 'Alpha',
  permissions: null,
  effective_permissions: ['flows_run'],
  last_used_at: null,
  status: 'active',
  ...over,
});

/** An access report: U holds two keys, created a system key and a service account's key, saw a third. */
function access(over: Partial<Access> & { keys_exposed?: unknown[] } = {}): Access {
  return {
    user: user(),
    org_role: 'Org Base',
    org_admin: false,
    workspaces: [
      { group_id: 'g2', group_name: 'Beta', role: 'Reader', via: 'membership' },
      { group_id: 'g1', group_name: 'Alpha', role: 'Editor', via: 'membership' },
    ],
    keys_held: [key('k2', 'u-beta'), key('k1', 'u-alpha')],
    service_account_keys_created: [key('sa1', 'bot-key', { holder_email: 'bot@service.example.com' })],
    system_keys_created: [key('sys1', 'directory', { permissions: ['users:read'] })],
    resources_owned: [
      {
        id: 'r1',
        resource_type: 'workflow',
        type: 'workflow',
        group_id: 'g1',
        name: 'Triage',
        owner_id: 'u1',
        owner_email: 'una@example.com',
      },
    ],
    invitations_pending: [
      {
        id: 'i1',
        user_id: 'x',
        email: 'new@example.com',
        created_at: '2026-01-01T00:00:00Z',
        expires_at: 'z',
      },
    ],
    last_activity_at: '2026-01-02T00:00:00Z',
    activity_count: 12,
    keys_exposed: [
      // Seen and held by someone else: rotated before the removal.
      { ...key('seen1', 'shared'), holder_id: 'u9', holder_email: 'sam@example.com', how: ['rotated'] },
      // Held by U: the removal revokes it, nothing to rotate.
      { ...key('k1', 'u-alpha'), holder_id: 'u1', how: ['created'] },
      // Created by U: already rotated as theirs.
      { ...key('sa1', 'bot-key'), holder_id: 'bot', how: ['created'] },
      // Gone already.
      { ...key('old', 'old'), holder_id: 'u9', status: 'revoked', how: ['rotated'] },
    ],
    ...over,
  } as Access;
}

describe('buildPlan', () => {
  it('orders the steps: review, transfer, suspend, rotations, removal, verify', () => {
    const plan = buildPlan(
      'http://noxus.test',
      user(),
      user({ id: 't1', email: 'theo@example.com' }),
      access(),
    );
    expect(plan.steps.map((s) => [s.id, s.kind, s.title])).toEqual([
      ['review', 'read', 'Review access'],
      ['transfer', 'reversible', 'Reassign 1 resource(s) to theo@example.com and read them back'],
      ['suspend', 'reversible', 'Suspend (sign-in and every key stop at once; reversible)'],
      ['rotate-system:sys1', 'destructive', 'Rotate system key "directory" they created'],
      [
        'rotate-key:sa1',
        'destructive',
        'Rotate service-account key "bot-key" (bot@service.example.com) they created',
      ],
      [
        'rotate-key:seen1',
        'destructive',
        'Rotate key "shared" (sam@example.com) whose secret they saw (rotated)',
      ],
      [
        'remove',
        'destructive',
        'Remove from the organization (2 membership(s), 2 personal key(s) revoked; work and activity kept)',
      ],
      ['verify', 'read', 'Verify work and activity are preserved'],
    ]);
    expect(plan.transfer_to).toEqual({ id: 't1', email: 'theo@example.com' });
    expect(plan.warnings).toEqual([
      '1 invitation(s) they sent are still pending (new@example.com); they stay valid',
    ]);
    expect(plan).toMatchObject({
      schema_version: 1,
      kind: 'noxus-offboarding-plan',
      server: 'http://noxus.test',
    });
    expect(plan.overlap_seconds).toBeUndefined();
  });

  it('keys the user holds are revoked by the removal, not rotated; only keys seen and held by others are', () => {
    const inv = inventoryOf(access());
    expect(inv.keys_held.map((k) => k.id)).toEqual(['k1', 'k2']);
    expect(inv.keys_seen?.map((k) => k.id)).toEqual(['seen1']);
    const rotated = buildPlan('s', user(), undefined, access()).steps.filter((s) =>
      s.id.startsWith('rotate'),
    );
    expect(rotated.map((s) => s.target)).toEqual(['sys1', 'sa1', 'seen1']);
  });

  it('without a transfer target there is no transfer step and a warning says who owns the work', () => {
    const plan = buildPlan('s', user(), undefined, access());
    expect(plan.steps.some((s) => s.id === 'transfer')).toBe(false);
    expect(plan.warnings[0]).toBe(
      'no --transfer-to: 1 resource(s) stay owned by a removed user (they keep working, but nobody owns them)',
    );
  });

  it('with an overlap the rotations say when the old secret stops and the removal waits for them', () => {
    const plan = buildPlan('s', user(), undefined, access(), { overlapSeconds: 3600 });
    expect(plan.overlap_seconds).toBe(3600);
    expect(plan.steps.find((s) => s.id === 'rotate-system:sys1')?.title).toBe(
      'Rotate system key "directory" they created; the old secret stops 1h later',
    );
    expect(plan.steps.find((s) => s.id === 'remove')?.title).toMatch(
      /^Remove from the organization once the old secrets stopped \(1h after their rotation\) /,
    );
  });

  it('the fingerprint ignores activity but not a new key', () => {
    const base = inventoryOf(access());
    expect(fingerprint({ ...base, activity_count: 99, last_activity_at: null })).toBe(fingerprint(base));
    const more = inventoryOf(
      access({ keys_held: [key('k1', 'u-alpha'), key('k2', 'u-beta'), key('k3', 'new')] }),
    );
    expect(fingerprint(more)).not.toBe(fingerprint(base));
  });
});

describe('drift', () => {
  it('lists every difference that matters, and none for activity alone', () => {
    const planned = inventoryOf(access());
    const now: Inventory = {
      ...planned,
      org_role: 'Org Admin',
      workspaces: [
        { group_id: 'g1', group_name: 'Alpha', role: 'Admin', via: 'membership' },
        { group_id: 'g3', group_name: 'Gamma', role: 'Reader', via: 'membership' },
      ],
      keys_held: [...planned.keys_held.slice(1), { ...planned.keys_held[0]!, id: 'k9', name: 'late' }],
      resources: [],
      activity_count: 500,
    };
    expect(drift(planned, now)).toEqual([
      'org role changed: Org Base → Org Admin',
      'role in Alpha changed: Editor → Admin',
      'new workspace access: Gamma as Reader',
      'no longer in workspace Beta',
      'new key: late (k9) in Alpha',
      'key gone since the plan: u-alpha (k1) in Alpha',
      'resource gone since the plan: workflow Triage (r1)',
    ]);
    expect(drift(planned, { ...planned, activity_count: 500, last_activity_at: null })).toEqual([]);
  });
});

describe('checkNotLastAdmin', () => {
  const roles = [
    { id: 'r-admin', name: 'Org Admin', scope: 'org' as const, permissions: ['org:admin'] },
    { id: 'r-base', name: 'Org Base', scope: 'org' as const, permissions: ['org:read'] },
  ];
  const admin = (id: string, over: Partial<User> = {}) =>
    user({
      id,
      email: `${id}@example.com`,
      tenant_admin: true,
      org_role: { id: 'r-admin', name: 'Org Admin' },
      ...over,
    } as Partial<User>);

  it('refuses the last active org admin and lets one go while another remains', () => {
    expect(() =>
      checkNotLastAdmin(admin('a'), roles, [admin('a'), admin('b', { status: 'suspended' })]),
    ).toThrow(
      new ConflictError('a@example.com is the last active org admin', {
        hint: 'make another user org admin first',
      }),
    );
    expect(() => checkNotLastAdmin(admin('a'), roles, [admin('a'), admin('b')])).not.toThrow();
  });

  it('the org role decides over a lagging tenant_admin flag (the rule of domain/identity.ts)', () => {
    // B was demoted: the flag still says admin, the role does not; so A is the last admin.
    const demoted = admin('b', { org_role: { id: 'r-base', name: 'Org Base' } } as Partial<User>);
    expect(() => checkNotLastAdmin(admin('a'), roles, [admin('a'), demoted])).toThrow(
      /last active org admin/,
    );
    // A is not an org admin by role: nothing to protect.
    const notAdmin = admin('a', { org_role: { id: 'r-base', name: 'Org Base' } } as Partial<User>);
    expect(() => checkNotLastAdmin(notAdmin, roles, [notAdmin])).not.toThrow();
  });
});

describe('against a sandbox (demo organization)', () => {
  let sbx: TestSandbox;
  let client: ApiClient;
  const clients: ApiClient[] = [];
  beforeAll(async () => {
    sbx = await startTestSandbox({ seed: 'demo' });
    client = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey });
  });
  afterAll(async () => {
    await client.close();
    for (const c of clients) await c.close();
    await sbx.cleanup();
  });
  const get = async (ref: string) => (await sbx.call('GET', `/v1/admin/users/${ref}`)).body as User;
  /** A client whose key is held by `email` (an act-as key in Engineering). */
  async function clientOf(email: string): Promise<ApiClient> {
    const k = await sbx.call('POST', '/v1/sandbox/act-as', {
      body: { user_id: email, group_id: 'Engineering' },
    });
    const c = new ApiClient({ baseUrl: sbx.url, apiKey: (k.body as { value: string }).value });
    clients.push(c);
    return c;
  }

  it('refuses to offboard the holder of the key in use', async () => {
    const ada = await clientOf('ada@example.com');
    const err = await checkOffboardable(new Resolver(ada), await get('ada@example.com'), undefined).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe('you cannot offboard yourself (the key in use is held by ada@example.com)');
    expect(err.hint).toBe('ask another org admin to run it, with their own key');
  });

  it('refuses a service account, and a transfer target that is the user or not active', async () => {
    const r = new Resolver(client);
    const margaret = await get('margaret@example.com');
    const bot = await get('ci-bot@service.example.com');
    await expect(checkOffboardable(r, bot, undefined)).rejects.toThrow(
      new UsageError('ci-bot@service.example.com is a service account; offboarding is for people', {
        hint: 'delete it with: noxus service-accounts delete ci-bot@service.example.com',
      }),
    );
    await expect(checkOffboardable(r, margaret, margaret)).rejects.toThrow(
      new UsageError('--transfer-to cannot be the user being offboarded'),
    );
    const invited = await get('newhire@example.com');
    await expect(checkOffboardable(r, margaret, invited)).rejects.toThrow(
      new ConflictError(`--transfer-to newhire@example.com is ${invited.status}; pick an active user`),
    );
  });

  it('a transfer target must hold the edit permission of each owned kind where it lives', async () => {
    const r = new Resolver(client);
    const owned = (await reviewUser(r, await get('margaret@example.com'))).resources_owned;
    const ken = await get('ken@example.com');
    const err = await checkTargetCanOwn(r, ken, owned).catch((e) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe(
      '--transfer-to ken@example.com cannot own all the resources: Engineering: needs agents_edit (role Reader); Marketing: needs flows_edit (no role there); Support: needs kbs_edit (no role there)',
    );
    // Grace is an org admin: admin in every workspace, so she can own it all.
    await expect(checkTargetCanOwn(r, await get('grace@example.com'), owned)).resolves.toBeUndefined();
  });

  it('a plan the server drifted from is refused with the differences, and rebuilt with force', async () => {
    const r = new Resolver(client);
    const tim = await get('tim@example.com');
    const plan = buildPlan(sbx.url, tim, undefined, await reviewUser(r, tim));
    await sbx.call('PUT', `/v1/admin/groups/Support/members/${tim.id}`, { body: { role: 'Reader' } });
    const err = await checkPlan(new Resolver(client), sbx.url, plan, tim, { file: 'tim.plan.json' }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe(
      'the plan is stale: the server changed since it was written (1 difference)\n  - new workspace access: Support as Reader',
    );
    expect(err.hint).toBe(
      'write a new plan: noxus offboard tim@example.com --plan-out tim.plan.json  (or apply anyway with --force)',
    );
    const forced = await checkPlan(new Resolver(client), sbx.url, plan, tim, { file: 'x', force: true });
    expect(forced.differences).toEqual(['new workspace access: Support as Reader']);
    expect(forced.plan.created_at).toBe(plan.created_at);
    expect(forced.plan.inventory.workspaces.map((w) => w.group_name).sort()).toEqual([
      'Engineering',
      'Support',
    ]);
    const same = await checkPlan(new Resolver(client), sbx.url, forced.plan, tim, { file: 'x' });
    expect(same.differences).toEqual([]);
  });

  it('a run stopped right after a step (the afterStep hook throwing, as a crash) resumes from the journal without redoing it', async () => {
    const r = new Resolver(client);
    const alan = await get('alan@example.com');
    const plan = buildPlan(sbx.url, alan, undefined, await reviewUser(r, alan));
    const path = offboardJournal(mkdtempSync(join(tmpdir(), 'noxus-offboard-')), alan.id).path;
    const seen: string[] = [];
    const hooks = (stopAfter?: string) => ({
      onStep: (step: { id: string }, state: string) => {
        if (state !== 'running') seen.push(`${step.id} ${state}`);
      },
      onSecret: async () => 'shown once',
      afterStep: (step: { id: string }) => {
        if (step.id === stopAfter) throw new Error(`stopped after ${step.id}`);
      },
    });
    await expect(runPlan(client, plan, Journal.open<StepResult>(path), hooks('suspend'))).rejects.toThrow(
      'stopped after suspend',
    );
    expect((await get(alan.id)).status).toBe('suspended');
    expect(seen.splice(0)).toEqual(['review done', 'suspend done']);

    const out = await runPlan(client, plan, Journal.open<StepResult>(path), hooks());
    expect(seen).toEqual(['review skipped', 'suspend skipped', 'remove done', 'verify done']);
    expect(out.results.map((x) => x.id)).toEqual(['review', 'suspend', 'remove', 'verify']);
    expect((await get(alan.id)).status).toBe('removed');
    const events = readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; step: string });
    // Each step started and finished once across both runs: nothing was done twice.
    expect(events.map((e) => `${e.type} ${e.step}`)).toEqual(
      ['review', 'suspend', 'remove', 'verify'].flatMap((x) => [`started ${x}`, `done ${x}`]),
    );
  });
});
