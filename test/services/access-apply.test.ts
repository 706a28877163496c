// Applying an access plan against a real sandbox seeded with the demo organization: every kind of
// item lands on the server, a run stopped after any write and resumed ends where an uninterrupted
// run does with each write done once, drift is refused before anything is written, and items the
// server cannot do are reported, not applied.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activityPages } from '../../src/api/activity.js';
import { ApiClient } from '../../src/api/client.js';
import { listGroups, listMembers } from '../../src/api/groups.js';
import { listKeys } from '../../src/api/keys.js';
import { listRoles } from '../../src/api/roles.js';
import { listUsers } from '../../src/api/users.js';
import { grantedPermissions } from '../../src/domain/identity.js';
import { ConflictError, UsageError } from '../../src/errors.js';
import {
  type ApplyHooks,
  accessDifferences,
  adminRoleJudge,
  applyAccessPlan,
  beginApply,
  checkDrift,
  confirmationReason,
  type NewSecret,
  parseAccessPlan,
  type StepRecord,
} from '../../src/services/access/apply.js';
import { accessSha256, formatAccessFile, parseAccessFile } from '../../src/services/access/file.js';
import type { AccessFile, AccessPlan, PlanItem } from '../../src/services/access/model.js';
import { planAccess } from '../../src/services/access/plan.js';
import { readServerAccess } from '../../src/services/access/read.js';
import { Journal } from '../../src/services/journal.js';
import { Resolver } from '../../src/services/resolve.js';
import { planOf as bare, EMPTY_ACCESS as EMPTY, planItem as item } from '../helpers/access-plans.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** Plans here prune, and hand offboarded work to Ada. */
const planOf = (server: string, items: PlanItem[], over: Partial<AccessPlan> = {}): AccessPlan =>
  bare(server, items, { prune: true, transfer_to: 'ada@example.com', ...over });

const FUTURE = '2099-01-31T00:00:00.000Z';

/** One of every kind of item, against the demo organization, in the plan's order. */
const everyKind = (): PlanItem[] => [
  item('role', '+', 'Auditor', {
    name: 'Auditor',
    scope: 'workspace',
    permissions: ['flows_run', 'kbs_query'],
  }),
  item(
    'role',
    '~',
    'Tester',
    { name: 'Tester', scope: 'workspace', permissions: ['flows_edit', 'flows_run'] },
    { name: 'Tester', scope: 'workspace', permissions: ['flows_run'] },
  ),
  item('workspace', '+', 'Research', { name: 'Research' }),
  item('person', '+', 'nia@example.com', {
    email: 'nia@example.com',
    name: 'Nia New',
    org_role: 'Org Base',
    suspended: false,
  }),
  item(
    'person',
    '~',
    'ken@example.com',
    { email: 'ken@example.com', name: 'Ken T.', org_role: 'Org Base', suspended: true },
    { email: 'ken@example.com', name: 'Ken Thompson', org_role: 'Org Base', suspended: false },
  ),
  item('account', '+', 'deploy@service.example.com', {
    email: 'deploy@service.example.com',
    name: 'Deploy bot',
    org_role: 'Org Base',
    workspaces: [{ workspace: 'Research', role: 'Editor', reason: 'deploys' }],
  }),
  item('grant', '+', 'Research:nia@example.com', {
    workspace: 'Research',
    user: 'nia@example.com',
    role: 'Auditor',
    reason: 'audit',
    expires: FUTURE,
    account: false,
  }),
  item(
    'grant',
    '~',
    'Marketing:linus@example.com',
    {
      workspace: 'Marketing',
      user: 'linus@example.com',
      role: 'Editor',
      reason: null,
      expires: null,
      account: false,
    },
    {
      workspace: 'Marketing',
      user: 'linus@example.com',
      role: 'Reader',
      reason: null,
      expires: null,
      account: false,
    },
  ),
  item('key', '+', 'deploy@service.example.com:Research:ship', {
    account: 'deploy@service.example.com',
    workspace: 'Research',
    name: 'ship',
    restrict: ['flows_run'],
    expires: FUTURE,
    action: 'create',
  }),
  item(
    'key',
    '~',
    'ci-bot@service.example.com:Engineering:ci deploy',
    {
      account: 'ci-bot@service.example.com',
      workspace: 'Engineering',
      name: 'ci deploy',
      restrict: ['flows_run'],
      expires: null,
      action: 'replace',
    },
    {
      account: 'ci-bot@service.example.com',
      workspace: 'Engineering',
      name: 'ci deploy',
      restrict: ['flows_edit', 'flows_run'],
      expires: null,
    },
  ),
  item('grant', '-', 'Support:alan@example.com', null, {
    workspace: 'Support',
    user: 'alan@example.com',
    role: 'Reader',
    reason: null,
    expires: null,
    account: false,
  }),
  item(
    'offboard',
    '-',
    'radia@example.com',
    { transfer_to: 'ada@example.com' },
    { email: 'radia@example.com', name: 'Radia Perlman', org_role: 'Org Base' },
  ),
];

describe('applyAccessPlan on a real sandbox', () => {
  let sbx: TestSandbox;
  let client: ApiClient;
  let dir: string;

  beforeEach(async () => {
    sbx = await startTestSandbox({ seed: 'demo' });
    client = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey });
    dir = mkdtempSync(join(tmpdir(), 'noxus-access-apply-'));
    secretsSeen.length = 0;
    // A custom role the plan changes (`role ~`).
    const r = await sbx.call('POST', '/v1/admin/roles', {
      body: { name: 'Tester', description: '', permissions: { flows_run: true } },
    });
    expect(r.status).toBe(201);
  });
  afterEach(async () => {
    await client.close();
    await sbx.cleanup();
  });

  const secretsSeen: NewSecret[] = [];
  const hooks = (over: Partial<ApplyHooks> = {}): ApplyHooks => ({
    onSecret: async (s) => {
      secretsSeen.push(s);
      return join(dir, `${s.label}.key`);
    },
    ...over,
  });
  const run = (plan: AccessPlan, journal: Journal<StepRecord>, h: ApplyHooks = hooks()) =>
    applyAccessPlan(client, plan, { journal, journalsDir: join(dir, 'journals'), server: sbx.url, hooks: h });
  const open = () => Journal.open<StepRecord>(join(dir, 'access.jsonl'));

  /** What the server holds that the plan touches, as one comparable value. */
  async function state() {
    const users = [...(await listUsers(client)), ...(await listUsers(client, { status: 'removed' }))];
    const groups = await listGroups(client);
    const members = async (n: string) =>
      (await listMembers(client, groups.find((g) => g.name === n)?.id as string))
        .filter((m) => m.via === 'membership')
        .map((m) => `${m.email}:${m.role.name}:${m.reason ?? ''}:${m.expires_at ?? ''}`)
        .sort();
    const roles = await listRoles(client);
    const keys = await listKeys(client, { status: 'all' });
    const u = (e: string) => users.find((x) => x.email === e);
    return {
      people: ['nia@example.com', 'ken@example.com', 'radia@example.com', 'deploy@service.example.com'].map(
        (e) => `${e}:${u(e)?.name}:${u(e)?.status}:${u(e)?.org_role?.name}`,
      ),
      roles: roles
        .filter((r) => ['Auditor', 'Tester'].includes(r.name))
        .map((r) => `${r.name}:${grantedPermissions(r).sort().join(',')}`)
        .sort(),
      research: await members('Research'),
      marketing: await members('Marketing'),
      support: await members('Support'),
      keys: keys
        .filter((k) => ['ship', 'ci deploy'].includes(k.name))
        .map((k) => `${k.name}:${k.status}:${(k.permissions ?? []).join(',')}`)
        .sort(),
    };
  }

  /** How many activity entries of each action on each kind of resource the log holds. */
  async function actionCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for await (const page of activityPages(client, {}))
      for (const a of page) {
        const k = `${a.action} ${a.resource_type}`;
        counts[k] = (counts[k] ?? 0) + 1;
      }
    return counts;
  }

  it('applies every kind of item, each verified on the server', async () => {
    const journal = open();
    const plan = planOf(sbx.url, everyKind());
    beginApply(journal, plan, dir);
    const out = await run(plan, journal);
    expect(out.items.map((i) => [i.id, i.outcome])).toEqual(plan.items.map((i) => [i.id, 'applied']));
    expect(out.failed).toBe(0);
    const s = await state();
    expect(s.people).toEqual([
      'nia@example.com:Nia New:invited:Org Base',
      'ken@example.com:Ken T.:suspended:Org Base',
      'radia@example.com:Radia Perlman:removed:Org Base',
      'deploy@service.example.com:Deploy bot:active:Org Base',
    ]);
    expect(s.roles).toEqual(['Auditor:flows_run,kbs_query', 'Tester:flows_edit,flows_run']);
    expect(s.research).toEqual([
      'deploy@service.example.com:Editor:deploys:',
      `nia@example.com:Auditor:audit:${FUTURE}`,
    ]);
    expect(s.marketing).toContain('linus@example.com:Editor::');
    expect(s.support.some((m) => m.startsWith('alan@example.com'))).toBe(false);
    expect(s.keys).toEqual([
      'ci deploy:active:flows_run',
      'ci deploy:revoked:flows_edit,flows_run',
      'ship:active:flows_run',
    ]);
    // Both new secrets went to the hook, under `account-workspace-key`.
    expect(secretsSeen.map((x) => x.label)).toEqual([
      'deploy@service.example.com-Research-ship',
      'ci-bot@service.example.com-Engineering-ci deploy',
    ]);
    // The journal names the steps (one per write) and carries no secret.
    const text = readFileSync(journal.path, 'utf8');
    for (const x of secretsSeen) expect(text).not.toContain(x.key.value);
    expect(journal.result('person:ken@example.com#1')?.message).toBe('ken@example.com: name "Ken T."');
    expect(journal.result('person:ken@example.com#2')?.message).toBe('suspended ken@example.com');
    expect(journal.result('key:ci-bot@service.example.com:Engineering:ci deploy#1')?.message).toMatch(
      /^revoked key "ci deploy"/,
    );
    // The offboarding ran with its own journal, transferring to the plan's target.
    expect(out.items.find((i) => i.kind === 'offboard')?.message).toBe(
      'offboarded radia@example.com, work transferred to ada@example.com',
    );
  });

  it('a run stopped after any step and resumed ends as an uninterrupted run, each write once', async () => {
    const plan = planOf(sbx.url, everyKind());
    const journal = open();
    beginApply(journal, plan, dir);
    // A kill after a write returned but before the journal recorded it: the step is repeated with
    // the same Idempotency-Key, and the sandbox answers with the first reply (secret included).
    let stops = 0;
    const stopAt = new Set(['key:deploy@service.example.com:Research:ship', 'person:ken@example.com#2']);
    const stopAfterWrite: ApplyHooks = hooks({
      afterWrite: (step) => {
        if (stopAt.delete(step)) {
          stops++;
          throw new Error(`killed after ${step}`);
        }
      },
    });
    await expect(run(plan, journal, stopAfterWrite)).rejects.toThrow('killed after person:ken@example.com#2');
    let j = open();
    expect(j.interrupted()).toEqual(['person:ken@example.com#2']);
    await expect(run(plan, j, stopAfterWrite)).rejects.toThrow(
      'killed after key:deploy@service.example.com:Research:ship',
    );
    // And a kill after a step was recorded: resumed from the next one.
    let left = 3;
    j = open();
    await expect(
      run(
        plan,
        j,
        hooks({
          afterStep: () => {
            if (--left === 0) throw new Error('killed');
          },
        }),
      ),
    ).rejects.toThrow('killed');
    j = open();
    const out = await run(plan, j);
    expect(stops).toBe(2);
    expect(out.failed).toBe(0);
    expect(out.items.find((i) => i.id === 'role:Auditor')?.message).toMatch(/\(done earlier\)$/);

    // The same final state as an uninterrupted run of the same plan on a fresh sandbox.
    const resumed = await state();
    const replayedShip = secretsSeen.filter((s) => s.label.endsWith('-ship'));
    expect(replayedShip).toHaveLength(2);
    expect(replayedShip[0]?.key.value).toBe(replayedShip[1]?.key.value);
    expect((await listUsers(client)).filter((u) => u.email === 'nia@example.com')).toHaveLength(1);
    const counts = await actionCounts();
    expect(Object.keys(counts).length).toBeGreaterThan(5);
    await client.close();
    await sbx.cleanup();

    sbx = await startTestSandbox({ seed: 'demo' });
    client = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey });
    await sbx.call('POST', '/v1/admin/roles', {
      body: { name: 'Tester', description: '', permissions: { flows_run: true } },
    });
    dir = mkdtempSync(join(tmpdir(), 'noxus-access-apply-'));
    const fresh = open();
    const plan2 = planOf(sbx.url, everyKind());
    beginApply(fresh, plan2, dir);
    await run(plan2, fresh);
    expect(await state()).toEqual(resumed);
    expect(await actionCounts()).toEqual(counts);
  });

  it('a rotation stopped after the write and resumed rotates once, delivering the same secret', async () => {
    const k = {
      account: 'ci-bot@service.example.com',
      workspace: 'Engineering',
      name: 'ci deploy',
      restrict: ['flows_edit', 'flows_run'],
      expires: null,
    };
    const plan = planOf(sbx.url, [
      item('key', '~', 'ci-bot@service.example.com:Engineering:ci deploy', { ...k, action: 'rotate' }, k),
    ]);
    const journal = open();
    beginApply(journal, plan, dir);
    const kill: ApplyHooks = hooks({
      afterWrite: () => {
        throw new Error('killed');
      },
    });
    await expect(run(plan, journal, kill)).rejects.toThrow('killed');
    const out = await run(plan, open());
    expect(out.items[0]?.outcome).toBe('applied');
    expect(secretsSeen).toHaveLength(2);
    expect(secretsSeen[0]?.key.value).toBe(secretsSeen[1]?.key.value);
    const keys = (await listKeys(client, { status: 'all' })).filter((x) => x.name === 'ci deploy');
    expect(keys.map((x) => x.status).sort()).toEqual(['active', 'revoked']);
  });

  it('a new person listed as suspended is invited, then suspended (two steps)', async () => {
    const journal = open();
    const plan = planOf(sbx.url, [
      item('person', '+', 'sue@example.com', {
        email: 'sue@example.com',
        name: 'Sue',
        org_role: 'Org Base',
        suspended: true,
      }),
    ]);
    beginApply(journal, plan, undefined);
    const out = await run(plan, journal);
    expect(out.items[0]?.message).toBe('invited sue@example.com as Org Base; suspended sue@example.com');
    const sue = (await listUsers(client, { status: 'suspended' })).find((u) => u.email === 'sue@example.com');
    expect(sue?.status).toBe('suspended');
  });

  it('removals: an account key revoked, an account deleted, a custom role deleted', async () => {
    const journal = open();
    const ci = { account: 'ci-bot@service.example.com', workspace: 'Engineering', name: 'ci deploy' };
    const plan = planOf(sbx.url, [
      item(
        'key',
        '-',
        'ci-bot@service.example.com:Engineering:ci deploy',
        { ...ci, restrict: ['flows_edit', 'flows_run'], expires: null, action: 'revoke' },
        { ...ci, restrict: ['flows_edit', 'flows_run'], expires: null },
      ),
      item('account', '-', 'ci-bot@service.example.com', null, {
        email: 'ci-bot@service.example.com',
        name: 'CI bot',
        org_role: 'Org Base',
      }),
      item('role', '-', 'Tester', null, { name: 'Tester', scope: 'workspace', permissions: ['flows_run'] }),
    ]);
    beginApply(journal, plan, undefined);
    const out = await run(plan, journal);
    expect(out.items.map((i) => [i.outcome, i.message?.replace(/\(.*\)/, '(id)')])).toEqual([
      ['applied', 'revoked key "ci deploy" (id)'],
      ['applied', 'deleted service account ci-bot@service.example.com'],
      ['applied', 'deleted role Tester'],
    ]);
    expect((await listUsers(client)).some((u) => u.email === 'ci-bot@service.example.com')).toBe(false);
    expect((await listRoles(client)).some((r) => r.name === 'Tester')).toBe(false);
    const keys = (await listKeys(client, { status: 'all' })).filter((k) => k.name === 'ci deploy');
    expect(keys.map((k) => k.status)).toEqual(['revoked']);
  });

  it('items the server cannot do are reported with their note and not applied', async () => {
    const journal = open();
    const plan = planOf(sbx.url, [
      item('workspace', '+', 'Research', { name: 'Research' }),
      item(
        'grant',
        '+',
        'Research:ken@example.com',
        {
          workspace: 'Research',
          user: 'ken@example.com',
          role: 'Reader',
          reason: null,
          expires: null,
          account: false,
        },
        null,
        { availability: 'guided', note: 'in the Noxus web console: Workspaces → Research → Members' },
      ),
    ]);
    beginApply(journal, plan, undefined);
    const out = await run(plan, journal);
    expect(out.notApplied).toEqual([
      {
        id: 'grant:Research:ken@example.com',
        op: '+',
        kind: 'grant',
        subject: 'Research:ken@example.com',
        outcome: 'not applied',
        message: 'in the Noxus web console: Workspaces → Research → Members',
      },
    ]);
    expect(journal.result('grant:Research:ken@example.com')).toBeUndefined();
    const research = (await listGroups(client)).find((g) => g.name === 'Research');
    const m = await listMembers(client, research?.id as string);
    expect(m.map((x) => x.email)).not.toContain('ken@example.com');
  });

  it('a write the server refuses fails that item and the run goes on', async () => {
    const journal = open();
    const plan = planOf(sbx.url, [
      item('grant', '+', 'Nowhere:ken@example.com', {
        workspace: 'Nowhere',
        user: 'ken@example.com',
        role: 'Reader',
        reason: null,
        expires: null,
        account: false,
      }),
      item('workspace', '+', 'Research', { name: 'Research' }),
    ]);
    beginApply(journal, plan, undefined);
    const out = await run(plan, journal);
    expect(out.items.map((i) => [i.id, i.outcome])).toEqual([
      ['grant:Nowhere:ken@example.com', 'failed'],
      ['workspace:Research', 'applied'],
    ]);
    expect(out.items[0]?.message).toMatch(/^no workspace Nowhere/);
  });
});

describe('drift and the plan file', () => {
  const current: AccessFile = {
    ...EMPTY,
    people: [{ email: 'ken@example.com', name: 'Ken', org_role: 'Org Base' }],
    workspaces: [{ name: 'Engineering', members: [{ user: 'ken@example.com', role: 'Reader' }] }],
  };

  it('names what changed and refuses with exit 7', () => {
    const now: AccessFile = {
      ...current,
      people: [{ email: 'ken@example.com', name: 'Ken', org_role: 'Org Admin' }],
      workspaces: [
        { name: 'Engineering', members: [] },
        { name: 'Research', members: [] },
      ],
    };
    expect(accessDifferences(current, now)).toEqual([
      'person ken@example.com changed: {"name":"Ken","org_role":"Org Base","suspended":false} → {"name":"Ken","org_role":"Org Admin","suspended":false}',
      'grant ken@example.com in Engineering was removed',
      'workspace Research was added: "present"',
    ]);
    const plan = planOf('http://x', [], { current, base_sha256: 'a'.repeat(64) });
    let err: unknown;
    try {
      checkDrift(plan, now, 'c'.repeat(64), 'plan.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).exitCode).toBe(7);
    expect((err as Error).message).toBe(
      [
        'the server changed since the plan was made (3 differences); nothing was applied',
        '  - person ken@example.com changed: {"name":"Ken","org_role":"Org Base","suspended":false} → {"name":"Ken","org_role":"Org Admin","suspended":false}',
        '  - grant ken@example.com in Engineering was removed',
        '  - workspace Research was added: "present"',
      ].join('\n'),
    );
    expect(() => checkDrift(plan, now, 'a'.repeat(64), 'plan.json')).not.toThrow();
  });

  it('a plan file of the wrong shape lists every problem', () => {
    expect(() => parseAccessPlan('{', 'p.json')).toThrow(UsageError);
    let err: unknown;
    try {
      parseAccessPlan(
        JSON.stringify({ kind: 'noxus-access', schema_version: 2, items: [{ id: 'a', op: '*' }] }),
        'p.json',
      );
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe(
      [
        'p.json is not a usable access plan:',
        '  - kind must be "noxus-access-plan"',
        '  - schema_version must be 1',
        '  - server must be a string',
        '  - base_sha256 must be a string',
        '  - file_sha256 must be a string',
        '  - current must be an object',
        '  - transfer_to must be a string or null',
        '  - items[0].op must be +, ~ or -',
        '  - items[0].kind must be one of role, workspace, person, account, grant, key, offboard',
        '  - items[0].subject must be a string',
        '  - items[0].changes must be a list of strings',
        '  - items[0].effects must be a list of strings',
        '  - items[0].availability must be api, guided or not available',
        '  - items[0].after must be an object or null',
        '  - items[0].before must be an object or null',
        '  - items[0].after is needed for *',
        '  - items[0].before is needed for *',
      ].join('\n'),
    );
  });
});

describe('a plan item checked against its kind before anything is written', () => {
  const parse = (items: PlanItem[]) => parseAccessPlan(JSON.stringify(planOf('http://x', items)), 'p.json');
  const problem = (items: PlanItem[]): string => {
    try {
      parse(items);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error('expected a refusal');
  };
  const alanBefore = {
    email: 'alan@example.com',
    name: 'Alan Turing',
    org_role: 'Org Base',
    suspended: false,
  };

  it('a broken after or before names the item and the field (exit 2), whatever the items before it', () => {
    const msg = problem([
      item('workspace', '+', 'Research', { name: 'Research' }),
      item('person', '+', 'nia@example.com', { email: 'nia@example.com' }, null, {
        changes: ['name: Nia'],
      }),
      item(
        'grant',
        '~',
        'Research:ken@example.com',
        { workspace: 'Research', user: 'ken@example.com', role: 7 },
        {
          workspace: 'Research',
        },
      ),
      item('key', '+', 'a:b:c', {
        account: 'a',
        workspace: 'b',
        name: 'c',
        restrict: 'all',
        action: 'explode',
      }),
      item('role', '~', 'Tester', { name: 'Tester', scope: 'team', permissions: [1] }, { name: 'Tester' }),
      item('offboard', '-', 'radia@example.com', { transfer_to: 3 }, { email: 'radia@example.com' }),
    ]);
    expect(msg).toBe(
      [
        'p.json is not a usable access plan:',
        '  - items[1].after.name must be a string',
        '  - items[1].after.org_role must be a string',
        '  - items[1].after.suspended must be true or false',
        '  - items[2].after.role must be a string',
        '  - items[2].after.reason must be a string or null',
        '  - items[2].after.expires must be a string or null',
        '  - items[2].after.account must be true or false',
        '  - items[2].before.user must be a string',
        '  - items[2].before.role must be a string',
        '  - items[2].before.reason must be a string or null',
        '  - items[2].before.expires must be a string or null',
        '  - items[2].before.account must be true or false',
        '  - items[3].after.restrict must be a list of strings or null',
        '  - items[3].after.expires must be a string or null',
        '  - items[3].after.action must be create for +',
        '  - items[4].after.scope must be org or workspace',
        '  - items[4].after.permissions must be a list of strings',
        '  - items[4].before.scope must be org or workspace',
        '  - items[4].before.permissions must be a list of strings',
        '  - items[5].after.transfer_to must be a string or null',
        '  - items[5].before.name must be a string',
        '  - items[5].before.org_role must be a string',
      ].join('\n'),
    );
  });

  it('an item whose values its changes do not describe was edited by hand: refused, exit 2', () => {
    // A name change whose after.org_role was edited to Org Admin (the changes still show the name only).
    const edited = item(
      'person',
      '~',
      'alan@example.com',
      { ...alanBefore, name: 'Alan M. Turing', org_role: 'Org Admin' },
      alanBefore,
      { changes: ['name: Alan Turing → Alan M. Turing'] },
    );
    const msg = problem([item('workspace', '+', 'Research', { name: 'Research' }), edited]);
    expect(msg).toBe(
      'plan item 2 (person:alan@example.com) was changed by hand: org_role "Org Admin" is not in its changes; make a new plan',
    );
    const grant = item(
      'grant',
      '+',
      'Research:ken@example.com',
      {
        workspace: 'Research',
        user: 'ken@example.com',
        role: 'Admin',
        reason: null,
        expires: null,
        account: false,
      },
      null,
      { changes: ['role: Reader'] },
    );
    expect(problem([grant])).toBe(
      'plan item 1 (grant:Research:ken@example.com) was changed by hand: role "Admin" is not in its changes; make a new plan',
    );
    const role = item(
      'role',
      '~',
      'Tester',
      { name: 'Tester', scope: 'workspace', permissions: ['flows_delete', 'flows_run'] },
      { name: 'Tester', scope: 'workspace', permissions: ['flows_run'] },
      { changes: ['permissions added: flows_edit'] },
    );
    expect(problem([role])).toBe(
      'plan item 1 (role:Tester) was changed by hand: permissions "flows_delete" is not in its changes; make a new plan',
    );
    // The same items with changes that say what they do pass.
    expect(
      parse([
        { ...edited, changes: ['name: Alan Turing → Alan M. Turing', 'org_role: Org Base → Org Admin'] },
        { ...grant, changes: ['role: Admin'] },
        { ...role, changes: ['permissions added: flows_delete'] },
      ]).items,
    ).toHaveLength(3);
  });
});

describe('what needs confirmation, judged on the values', () => {
  const ROLES = [
    { id: 'r1', name: 'Org Admin', scope: 'org' as const, permissions: ['org:admin'] },
    { id: 'r2', name: 'Org Base', scope: 'org' as const, permissions: [] },
  ];
  const person = (org_role: string) => ({
    email: 'nia@example.com',
    name: 'Nia',
    org_role,
    suspended: false,
  });

  it('an org role the plan itself creates with org:admin counts as an admin role; the base role does not', () => {
    const owner = item('role', '+', 'Owner', { name: 'Owner', scope: 'org', permissions: ['org:admin'] });
    const invite = item('person', '+', 'nia@example.com', person('owner'));
    const isAdmin = adminRoleJudge(planOf('http://x', [owner, invite]), ROLES);
    expect(confirmationReason(invite, isAdmin)).toBe('makes nia@example.com an org admin (owner)');
    expect(
      confirmationReason(item('person', '+', 'nia@example.com', person('Org Base')), isAdmin),
    ).toBeUndefined();
    expect(
      confirmationReason(
        item('account', '+', 'bot@service.example.com', {
          ...person('Org Admin'),
          email: 'bot@service.example.com',
        }),
        isAdmin,
      ),
    ).toBe('makes bot@service.example.com an org admin (Org Admin)');
  });

  it('a change of name only needs none; any org-role change and offboarding do', () => {
    const isAdmin = adminRoleJudge(planOf('http://x', []), ROLES);
    const was = person('Org Base');
    expect(
      confirmationReason(item('person', '~', 'nia@example.com', { ...was, name: 'N' }, was), isAdmin),
    ).toBeUndefined();
    expect(
      confirmationReason(
        item('person', '~', 'nia@example.com', person('Org Base'), person('Org Admin')),
        isAdmin,
      ),
    ).toBe('changes the org role of nia@example.com: Org Admin → Org Base (no longer an org admin)');
    expect(
      confirmationReason(
        item(
          'offboard',
          '-',
          'radia@example.com',
          { transfer_to: 'ada@example.com' },
          { email: 'radia@example.com' },
        ),
        isAdmin,
      ),
    ).toBe('offboards radia@example.com (work to ada@example.com)');
    // Reactivating someone whose role is not an admin role needs none.
    expect(
      confirmationReason(item('person', '~', 'nia@example.com', was, { ...was, suspended: true }), isAdmin),
    ).toBeUndefined();
  });
});

describe('plan then apply: the server ends as the file says', () => {
  it('a plan made by planAccess, applied, leaves nothing to plan', async () => {
    const sbx = await startTestSandbox({ seed: 'demo' });
    const client = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'noxus-access-roundtrip-'));
      const has = () => true;
      const read = () => readServerAccess(new Resolver(client), has);
      const current = await read();
      const want = structuredClone(current.doc);
      want.offboarding = { transfer_to: 'ada@example.com' };
      want.roles.push({ name: 'Auditor', scope: 'workspace', permissions: ['flows_run', 'kbs_query'] });
      want.people = want.people.filter((p) => p.email !== 'radia@example.com');
      want.people.push({ email: 'nia@example.com', name: 'Nia New', org_role: 'Org Base' });
      want.workspaces.push({
        name: 'Research',
        members: [{ user: 'nia@example.com', role: 'Auditor', reason: 'audit', expires: FUTURE }],
      });
      const eng = want.workspaces.find((w) => w.name === 'Engineering');
      const ken = eng?.members.find((m) => m.user === 'ken@example.com');
      if (ken) Object.assign(ken, { role: 'Editor', reason: 'on call' });
      want.service_accounts.push({
        email: 'deploy@service.example.com',
        name: 'Deploy bot',
        org_role: 'Org Base',
        workspaces: [{ workspace: 'Research', role: 'Editor' }],
        keys: [{ name: 'ship', workspace: 'Research', restrict: ['flows_run'] }],
      });
      const located = parseAccessFile('access.yaml', Buffer.from(formatAccessFile(want)));
      const opts = { prune: true, has, roles: await listRoles(client), now: new Date() };
      const { items } = planAccess(located, current, opts);
      expect(items.map((i) => i.id)).toEqual([
        'role:Auditor',
        'workspace:Research',
        'person:nia@example.com',
        'account:deploy@service.example.com',
        'grant:Engineering:ken@example.com',
        'grant:Research:nia@example.com',
        'key:deploy@service.example.com:Research:ship',
        'offboard:radia@example.com',
      ]);
      const plan = planOf(sbx.url, items, {
        current: current.doc,
        base_sha256: accessSha256(current.doc),
        transfer_to: 'ada@example.com',
      });
      // A plan as planAccess writes it passes apply's checks of every item.
      expect(parseAccessPlan(JSON.stringify(plan), 'plan.json').items).toHaveLength(8);
      const journal = Journal.open<StepRecord>(join(dir, 'j.jsonl'));
      beginApply(journal, plan, dir);
      const out = await applyAccessPlan(client, plan, {
        journal,
        journalsDir: join(dir, 'journals'),
        server: sbx.url,
        hooks: { onSecret: async () => undefined },
      });
      expect(out.items.filter((i) => i.outcome !== 'applied')).toEqual([]);
      const after = await read();
      const again = planAccess(located, after, { ...opts, roles: await listRoles(client) });
      expect(again.items).toEqual([]);
    } finally {
      await client.close();
      await sbx.cleanup();
    }
  });
});
