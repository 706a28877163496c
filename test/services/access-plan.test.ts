// planAccess on hand-made files and server states: every item kind and op in application order,
// their ids and before/after shapes, org-role effects, prune against unmanaged, rotation, what a
// public-API server can do, the caller's protection, and the policy on the desired state.
import { describe, expect, it } from 'vitest';
import type { FeatureId } from '../../src/domain/features.js';
import { feature } from '../../src/domain/features.js';
import { BUILTIN_ROLES } from '../../src/domain/roles.js';
import { ConflictError } from '../../src/errors.js';
import type {
  AccessFile,
  FilePath,
  LocatedAccessFile,
  PlanItem,
  ServerAccess,
} from '../../src/services/access/model.js';
import {
  desiredReview,
  planAccess,
  policyOnDesired,
  transferProblems,
} from '../../src/services/access/plan.js';
import { renderPlanMarkdown, renderPlanText } from '../../src/services/access/render.js';
import { DEFAULT_POLICY } from '../../src/services/review/policy.js';

const NOW = new Date('2026-11-29T12:00:00.000Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString();
const ROLES = [...BUILTIN_ROLES];

function serverDoc(): AccessFile {
  return {
    version: 1,
    kind: 'noxus-access',
    server: 'http://noxus.test',
    organization: 'Example Corp',
    roles: [
      { name: 'Auditor', scope: 'workspace', permissions: ['flows_run', 'kbs_query'] },
      { name: 'Old', scope: 'workspace', permissions: ['flows_run'] },
    ],
    people: [
      { email: 'ada@example.com', name: 'Ada', org_role: 'Org Admin' },
      { email: 'bob@example.com', name: 'Bob', org_role: 'Org Base' },
      { email: 'carl@example.com', name: 'Carl', org_role: 'Org Admin' },
      { email: 'dora@example.com', name: 'Dora', org_role: 'Org Base' },
    ],
    workspaces: [
      {
        name: 'Engineering',
        members: [
          { user: 'bob@example.com', role: 'Reader', reason: 'on call' },
          { user: 'dora@example.com', role: 'Editor', reason: 'team', expires: '2027-01-31T00:00:00.000Z' },
        ],
      },
      { name: 'Legacy', members: [] },
      { name: 'Sales', members: [{ user: 'bob@example.com', role: 'Editor', reason: 'deals' }] },
    ],
    service_accounts: [
      {
        email: 'ci-bot@service.example.com',
        name: 'CI bot',
        org_role: 'Org Base',
        workspaces: [{ workspace: 'Engineering', role: 'Editor', reason: 'deploys' }],
        keys: [
          { name: 'ci deploy', workspace: 'Engineering', restrict: ['flows_run'] },
          { name: 'old key', workspace: 'Engineering' },
        ],
      },
    ],
  };
}

const K = (a: string, w: string, n: string) => `${a}\0${w}\0${n}`;
const CI = 'ci-bot@service.example.com';

function server(over: Partial<ServerAccess> = {}): ServerAccess {
  return {
    doc: serverDoc(),
    ids: {
      users: {},
      workspaces: {},
      roles: {},
      keys: { [K(CI, 'Engineering', 'ci deploy')]: 'k-deploy', [K(CI, 'Engineering', 'old key')]: 'k-old' },
    },
    keyCreatedAt: {
      [K(CI, 'Engineering', 'ci deploy')]: daysAgo(100),
      [K(CI, 'Engineering', 'old key')]: daysAgo(10),
    },
    personalKeys: [
      {
        id: 'pk-1',
        name: 'carl laptop',
        workspace: 'Engineering',
        holder: 'carl@example.com',
        restricted: false,
      },
      { id: 'pk-2', name: 'carl sales', workspace: 'Sales', holder: 'carl@example.com', restricted: false },
      { id: 'pk-3', name: 'carl notes', workspace: 'Sales', holder: 'carl@example.com', restricted: true },
      // Restrictions the server told: one within what carl keeps, one partly beyond it.
      {
        id: 'pk-4',
        name: 'carl runner',
        workspace: 'Sales',
        holder: 'carl@example.com',
        restricted: true,
        restriction: ['flows_run'],
      },
      {
        id: 'pk-5',
        name: 'carl editor',
        workspace: 'Sales',
        holder: 'carl@example.com',
        restricted: true,
        restriction: ['flows_edit', 'flows_run'],
      },
    ],
    caller: 'ada@example.com',
    unreadable: [],
    ...over,
  };
}

/** The file as the server has it (no server-assigned fields), changed by `edit`. */
function file(edit: (d: AccessFile) => void = () => {}): LocatedAccessFile & { asked: string[] } {
  const doc = serverDoc();
  delete doc.server;
  delete doc.organization;
  edit(doc);
  const asked: string[] = [];
  return {
    file: 'access.yaml',
    doc,
    sha256: 'x',
    asked,
    at(path: FilePath) {
      asked.push(path.join('.'));
      return { line: asked.length, column: 3 };
    },
  };
}

const ALL = () => true;
const opts = (over: Partial<Parameters<typeof planAccess>[2]> = {}) => ({
  prune: false,
  has: ALL as (id: FeatureId) => boolean,
  roles: ROLES,
  now: NOW,
  ...over,
});
const summary = (items: PlanItem[]) => items.map((i) => `${i.op} ${i.id}`);
const byId = (items: PlanItem[], id: string) => {
  const i = items.find((x) => x.id === id);
  if (!i) throw new Error(`no item ${id} in ${summary(items).join(', ')}`);
  return i;
};

describe('planAccess', () => {
  it('has nothing to do when the file is what the server has', () => {
    expect(planAccess(file(), server(), opts())).toEqual({ items: [], unmanaged: [] });
  });

  it('adds in application order: roles, workspaces, people, accounts, grants, keys', () => {
    const f = file((d) => {
      d.service_accounts[0]?.keys.push({
        name: 'nightly',
        workspace: 'Engineering',
        restrict: ['kbs_query', 'flows_run'],
      });
      d.service_accounts.unshift({
        email: 'etl@service.example.com',
        name: 'ETL',
        org_role: 'Org Base',
        workspaces: [{ workspace: 'Research', role: 'Reader', expires: '2027-06-01' }],
        keys: [{ name: 'sync', workspace: 'Research', restrict: ['kbs_query'] }],
      });
      d.workspaces.push({ name: 'Research', members: [{ user: 'eve@example.com', role: 'Auditor' }] });
      d.people.push({ email: 'eve@example.com', name: 'Eve', org_role: 'Org Base', suspended: true });
      d.roles.unshift({ name: 'Analyst', scope: 'workspace', permissions: ['kbs_query'] });
    });
    const { items, unmanaged } = planAccess(f, server(), opts());
    expect(summary(items)).toEqual([
      '+ role:Analyst',
      '+ workspace:Research',
      '+ person:eve@example.com',
      '+ account:etl@service.example.com',
      '+ grant:Research:eve@example.com',
      '+ key:etl@service.example.com:Research:sync',
      '+ key:ci-bot@service.example.com:Engineering:nightly',
    ]);
    expect(unmanaged).toEqual([]);
    expect(byId(items, 'role:Analyst')).toMatchObject({
      subject: 'Analyst (workspace)',
      after: { name: 'Analyst', scope: 'workspace', permissions: ['kbs_query'] },
      before: null,
      feature: 'roles.create',
      availability: 'api',
    });
    expect(byId(items, 'person:eve@example.com')).toMatchObject({
      changes: ['name: Eve', 'org_role: Org Base', 'suspended: true'],
      after: { email: 'eve@example.com', name: 'Eve', org_role: 'Org Base', suspended: true },
      before: null,
      feature: 'users.invite',
    });
    expect(byId(items, 'account:etl@service.example.com')).toMatchObject({
      after: {
        email: 'etl@service.example.com',
        name: 'ETL',
        org_role: 'Org Base',
        workspaces: [
          { workspace: 'Research', role: 'Reader', reason: null, expires: '2027-06-01T00:00:00.000Z' },
        ],
      },
      feature: 'service-accounts',
    });
    expect(byId(items, 'grant:Research:eve@example.com')).toMatchObject({
      subject: 'eve@example.com in Research',
      changes: ['role: Auditor'],
      after: {
        workspace: 'Research',
        user: 'eve@example.com',
        role: 'Auditor',
        reason: null,
        expires: null,
        account: false,
      },
      feature: 'members.manage',
    });
    expect(byId(items, 'key:ci-bot@service.example.com:Engineering:nightly')).toMatchObject({
      subject: '"nightly" of ci-bot@service.example.com in Engineering',
      changes: ['restrict: flows_run, kbs_query'],
      after: {
        account: CI,
        workspace: 'Engineering',
        name: 'nightly',
        restrict: ['flows_run', 'kbs_query'],
        expires: null,
        action: 'create',
      },
      before: null,
    });
    // Every item says where in the file it comes from.
    expect(items.every((i) => i.at !== undefined)).toBe(true);
    expect(f.asked).toContain('workspaces.3.members.0');
  });

  it('changes roles, people, accounts, grants and keys; equal instants in another spelling are no change', () => {
    const f = file((d) => {
      (d.roles[0] as { permissions: string[] }).permissions = ['kbs_query', 'agents_run'];
      (d.people[1] as { name: string }).name = 'Robert';
      (d.people[3] as { suspended?: boolean }).suspended = true;
      (d.service_accounts[0] as { name: string }).name = 'CI';
      const eng = d.workspaces[0]?.members ?? [];
      eng[0] = { user: 'bob@example.com', role: 'editor', reason: 'on call' };
      eng[1] = { user: 'DORA@example.com', role: 'Editor', reason: 'team', expires: '2027-01-31' };
      const sales = d.workspaces[2]?.members ?? [];
      sales[0] = { user: 'bob@example.com', role: 'Editor', reason: 'big deals', expires: '2027-02-01' };
      const keys = d.service_accounts[0]?.keys ?? [];
      keys[0] = { name: 'ci deploy', workspace: 'Engineering', restrict: ['flows_run', 'flows_edit'] };
      keys[1] = { name: 'old key', workspace: 'Engineering', expires: '2027-01-01T00:00:00Z' };
    });
    const { items } = planAccess(f, server(), opts());
    expect(summary(items)).toEqual([
      '~ role:Auditor',
      '~ person:bob@example.com',
      '~ person:dora@example.com',
      '~ account:ci-bot@service.example.com',
      '~ grant:Engineering:bob@example.com',
      '~ grant:Sales:bob@example.com',
      '~ key:ci-bot@service.example.com:Engineering:ci deploy',
      '~ key:ci-bot@service.example.com:Engineering:old key',
    ]);
    expect(byId(items, 'role:Auditor')).toMatchObject({
      changes: ['permissions added: agents_run', 'permissions removed: flows_run'],
      feature: 'roles.update',
    });
    expect(byId(items, 'person:bob@example.com')).toMatchObject({
      changes: ['name: Bob → Robert'],
      effects: [],
      after: { email: 'bob@example.com', name: 'Robert', org_role: 'Org Base', suspended: false },
      before: { email: 'bob@example.com', name: 'Bob', org_role: 'Org Base', suspended: false },
      feature: 'users.update',
    });
    expect(byId(items, 'person:dora@example.com')).toMatchObject({
      changes: ['suspended: false → true'],
      feature: 'users.suspend',
    });
    expect(byId(items, 'account:ci-bot@service.example.com')).toMatchObject({
      changes: ['name: CI bot → CI'],
      after: { email: CI, name: 'CI', org_role: 'Org Base' },
      before: { email: CI, name: 'CI bot', org_role: 'Org Base' },
    });
    expect(byId(items, 'grant:Sales:bob@example.com')).toMatchObject({
      changes: ['reason: "deals" → "big deals"', 'expires: none → 2027-02-01T00:00:00.000Z'],
      feature: 'members.manage',
      after: {
        workspace: 'Sales',
        user: 'bob@example.com',
        role: 'Editor',
        reason: 'big deals',
        expires: '2027-02-01T00:00:00.000Z',
        account: false,
      },
      before: {
        workspace: 'Sales',
        user: 'bob@example.com',
        role: 'Editor',
        reason: 'deals',
        expires: null,
        account: false,
      },
    });
    // A role named as references match (folded) is the server's role, spelled as the server does.
    expect(byId(items, 'grant:Engineering:bob@example.com')).toMatchObject({
      changes: ['role: Reader → Editor'],
      after: { role: 'Editor' },
    });
    expect(byId(items, 'key:ci-bot@service.example.com:Engineering:ci deploy')).toMatchObject({
      changes: ['restrict: flows_run → flows_edit, flows_run'],
      after: { restrict: ['flows_edit', 'flows_run'], action: 'replace' },
      before: { restrict: ['flows_run'], expires: null },
    });
    expect(byId(items, 'key:ci-bot@service.example.com:Engineering:old key')).toMatchObject({
      changes: ['expires: none → 2027-01-01T00:00:00.000Z'],
      after: { restrict: null, expires: '2027-01-01T00:00:00.000Z', action: 'replace' },
    });
  });

  it('rotates a key older than rotate_every (by its creation), and not one younger', () => {
    const f = file((d) => {
      const keys = d.service_accounts[0]?.keys ?? [];
      (keys[0] as { rotate_every?: string }).rotate_every = '90d';
      (keys[1] as { rotate_every?: string }).rotate_every = '90d';
    });
    const { items } = planAccess(f, server(), opts());
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      id: 'key:ci-bot@service.example.com:Engineering:ci deploy',
      op: '~',
      changes: [`rotate: created ${daysAgo(100)}, older than rotate_every 90d`],
      after: { action: 'rotate' },
      feature: 'keys.rotate',
    });
  });

  it('names the workspaces a promotion makes someone admin of', () => {
    const f = file((d) => {
      (d.people[3] as { org_role: string }).org_role = 'Org Admin';
      const eng = d.workspaces[0];
      if (eng) eng.members = eng.members.filter((m) => m.user !== 'dora@example.com');
    });
    const { items } = planAccess(f, server(), opts());
    expect(byId(items, 'person:dora@example.com')).toMatchObject({
      changes: ['org_role: Org Base → Org Admin'],
      effects: ['admin on every workspace (3: Engineering, Legacy, Sales)'],
    });
  });

  it("names what a demotion keeps and the person's keys that shrink", () => {
    const f = file((d) => {
      (d.people[2] as { org_role: string }).org_role = 'Org Base';
      d.workspaces[2]?.members.push({ user: 'carl@example.com', role: 'Reader' });
    });
    const { items } = planAccess(f, server(), opts());
    expect(summary(items)).toEqual(['~ person:carl@example.com', '+ grant:Sales:carl@example.com']);
    expect(byId(items, 'person:carl@example.com').effects).toEqual([
      'no longer admin on 3 workspaces; keeps only the grants the file lists: Sales (Reader)',
      'personal key "carl laptop" in Engineering stops working (no role in Engineering)',
      'personal key "carl sales" in Sales loses flows_edit, flows_delete, flows_advanced, agents_edit, agents_delete, agents_advanced, kbs_edit, kbs_delete, kbs_advanced, integrations_edit, users_edit, users_delete, workspace_admin',
      'personal key "carl notes" in Sales may lose flows_edit, flows_delete, flows_advanced, agents_edit, agents_delete, agents_advanced, kbs_edit, kbs_delete, kbs_advanced, integrations_edit, users_edit, users_delete, workspace_admin',
      'personal key "carl editor" in Sales loses flows_edit',
    ]);
  });

  it('names account keys a lower grant shrinks', () => {
    const f = file((d) => {
      const a = d.service_accounts[0];
      if (a) a.workspaces = [{ workspace: 'Engineering', role: 'Reader', reason: 'deploys' }];
      const k = a?.keys[0];
      if (k) k.restrict = ['flows_run'];
    });
    const { items } = planAccess(f, server(), opts());
    expect(byId(items, 'grant:Engineering:ci-bot@service.example.com')).toMatchObject({
      changes: ['role: Editor → Reader'],
      effects: [
        'key "old key" in Engineering loses flows_edit, flows_delete, agents_edit, agents_delete, kbs_edit, kbs_delete',
      ],
      after: { account: true, user: CI },
    });
  });

  it('reports what the file leaves out, and removes it with --prune (never a workspace)', () => {
    const f = file((d) => {
      d.roles = d.roles.filter((r) => r.name !== 'Old');
      d.people = d.people.filter((p) => p.email !== 'bob@example.com');
      d.workspaces = d.workspaces
        .filter((w) => w.name !== 'Legacy')
        .map((w) => ({
          ...w,
          members: w.members.filter((m) => m.user !== 'bob@example.com' && m.user !== 'dora@example.com'),
        }));
      const a = d.service_accounts[0];
      if (a) a.keys = a.keys.filter((k) => k.name !== 'old key');
      d.offboarding = { transfer_to: 'ada@example.com' };
    });
    const kept = planAccess(f, server(), opts());
    expect(kept.items).toEqual([]);
    expect(kept.unmanaged).toEqual([
      { kind: 'role', subject: 'Old', prune: 'deleted with --prune' },
      {
        kind: 'workspace',
        subject: 'Legacy',
        prune: 'never removed: a workspace holds work (delete it with noxus ws delete)',
      },
      {
        kind: 'person',
        subject: 'bob@example.com',
        prune: 'offboarded with --prune (work to ada@example.com)',
      },
      { kind: 'grant', subject: 'dora@example.com in Engineering', prune: 'removed with --prune' },
      {
        kind: 'key',
        subject: '"old key" of ci-bot@service.example.com in Engineering',
        prune: 'revoked with --prune',
      },
    ]);

    const pruned = planAccess(f, server(), opts({ prune: true }));
    expect(summary(pruned.items)).toEqual([
      '- grant:Engineering:dora@example.com',
      '- key:ci-bot@service.example.com:Engineering:old key',
      '- offboard:bob@example.com',
      '- role:Old',
    ]);
    expect(pruned.unmanaged).toEqual([kept.unmanaged[1]]);
    expect(byId(pruned.items, 'offboard:bob@example.com')).toMatchObject({
      before: { email: 'bob@example.com', name: 'Bob', org_role: 'Org Base' },
      after: { transfer_to: 'ada@example.com' },
      effects: [
        'offboarding checklist: 2 workspace grant(s) removed, 0 personal key(s) revoked, work transferred to ada@example.com',
      ],
      feature: 'users.remove',
    });
    expect(pruned.items.some((i) => 'at' in i)).toBe(false);
    expect(byId(pruned.items, 'key:ci-bot@service.example.com:Engineering:old key')).toMatchObject({
      before: { account: CI, workspace: 'Engineering', name: 'old key', restrict: null, expires: null },
      after: { action: 'revoke' },
    });
    expect(byId(pruned.items, 'grant:Engineering:dora@example.com')).toMatchObject({
      before: {
        workspace: 'Engineering',
        user: 'dora@example.com',
        role: 'Editor',
        reason: 'team',
        expires: '2027-01-31T00:00:00.000Z',
        account: false,
      },
      after: null,
    });
  });

  it('deletes a service account the file leaves out only with --prune, with its keys', () => {
    const f = file((d) => {
      d.service_accounts = [];
    });
    expect(planAccess(f, server(), opts()).unmanaged).toEqual([
      { kind: 'account', subject: CI, prune: 'deleted with --prune (with its keys)' },
    ]);
    const { items } = planAccess(f, server(), opts({ prune: true }));
    expect(summary(items)).toEqual([`- account:${CI}`]);
    expect(items[0]?.effects).toEqual(['its 2 key(s) stop working']);
  });

  it('never offboards, nor removes the grants of, a listed account a server reads as a person', () => {
    const gap = {
      section: 'service_accounts' as const,
      feature: 'service-accounts' as const,
      reason: 'service accounts are not available on this server',
    };
    const current = server({ unreadable: [gap] });
    current.doc.people.push({ email: CI, name: 'CI bot', org_role: 'Org Base' });
    current.doc.workspaces[0]?.members.push({ user: CI, role: 'Editor', reason: 'deploys' });
    current.doc.service_accounts = [];
    const { items, unmanaged } = planAccess(file(), current, opts({ prune: true }));
    expect(summary(items)).toEqual([
      `+ account:${CI}`,
      `+ key:${CI}:Engineering:ci deploy`,
      `+ key:${CI}:Engineering:old key`,
    ]);
    expect(items[0]?.note).toBe('current state unknown: service accounts are not available on this server');
    expect(unmanaged).toEqual([]);
  });

  it('refuses to demote, suspend or offboard the caller (exit 7, named)', () => {
    const demote = file((d) => {
      (d.people[0] as { org_role: string }).org_role = 'Org Base';
    });
    expect(() => planAccess(demote, server(), opts())).toThrow(ConflictError);
    expect(() => planAccess(demote, server(), opts())).toThrow(
      'this plan would demote ada@example.com from Org Admin to Org Base: ada@example.com is the identity of the key in use',
    );
    const gone = file((d) => {
      d.people = d.people.filter((p) => p.email !== 'ada@example.com');
    });
    expect(planAccess(gone, server(), opts()).unmanaged[0]).toEqual({
      kind: 'person',
      subject: 'ada@example.com',
      prune: 'never offboarded: the identity of the key in use (--prune refuses; list them in people)',
    });
    try {
      planAccess(gone, server(), opts({ prune: true }));
      expect.unreachable();
    } catch (e) {
      expect((e as ConflictError).exitCode).toBe(7);
      expect((e as Error).message).toBe(
        'this plan would offboard ada@example.com: ada@example.com is the identity of the key in use',
      );
    }
  });

  it('says per item what a public-API server can do: api, guided with console steps, or not available', () => {
    const f = file((d) => {
      d.workspaces.push({ name: 'Research', members: [] });
      d.people.push({ email: 'eve@example.com', name: 'Eve', org_role: 'Org Base' });
      d.service_accounts[0]?.keys.push({
        name: 'nightly',
        workspace: 'Engineering',
        restrict: ['flows_run'],
      });
      const bob = d.workspaces[0]?.members[0];
      if (bob) bob.role = 'Editor';
    });
    const has = (id: FeatureId) => feature(id).public;
    const { items } = planAccess(f, server(), opts({ has }));
    expect(items.map((i) => [i.id, i.feature, i.availability, i.note])).toEqual([
      ['workspace:Research', 'workspaces.create', 'api', undefined],
      [
        'person:eve@example.com',
        'users.invite',
        'guided',
        'in the Noxus web console: Settings → Users → Add user',
      ],
      [
        'grant:Engineering:bob@example.com',
        'members.manage',
        'guided',
        'in the Noxus web console: Workspace settings → Users → Add users',
      ],
      [
        'key:ci-bot@service.example.com:Engineering:nightly',
        'keys.owner',
        'not available',
        'keys owned by service accounts are not available on this server',
      ],
    ]);
  });

  it('adds the items of a section the server could not read, saying so, and reports nothing unmanaged there', () => {
    const gap = {
      section: 'members' as const,
      feature: 'members.list' as const,
      reason: 'workspace member lists are not available on this server',
    };
    const current = server({ unreadable: [gap] });
    for (const w of current.doc.workspaces) w.members = [];
    const f = file((d) => {
      d.workspaces = d.workspaces.map((w) => ({
        ...w,
        members: w.members.filter((m) => m.user !== 'dora@example.com'),
      }));
    });
    const { items, unmanaged } = planAccess(f, current, opts());
    expect(summary(items)).toEqual(['+ grant:Engineering:bob@example.com', '+ grant:Sales:bob@example.com']);
    expect(items[0]?.note).toBe(
      'current state unknown: workspace member lists are not available on this server',
    );
    expect(unmanaged).toEqual([]);
  });
});

describe('planAccess on what the reviewer found', () => {
  it('refuses a server holding two active keys of one name for an account (exit 7, every id, revoke hints)', () => {
    const current = server({
      duplicateKeys: [
        { account: CI, workspace: 'Engineering', name: 'ci deploy', ids: ['k-deploy', 'k-twin', 'k-third'] },
      ],
    });
    try {
      planAccess(file(), current, opts());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConflictError);
      expect((e as ConflictError).exitCode).toBe(7);
      expect((e as Error).message).toBe(
        'the server holds 3 active keys named "ci deploy" of ci-bot@service.example.com in Engineering (k-deploy, k-twin, k-third): a plan cannot tell them apart',
      );
      expect((e as ConflictError).hint).toBe(
        'keep one of each and revoke the others, e.g.: noxus keys revoke k-twin; noxus keys revoke k-third',
      );
    }
    expect(planAccess(file(), server({ duplicateKeys: [] }), opts())).toEqual({ items: [], unmanaged: [] });
  });

  it('counts reactivating a suspended org admin as adding an org admin: effect line, and the policy fails', () => {
    const current = server();
    const carl = current.doc.people[2] as { suspended?: boolean };
    carl.suspended = true;
    const f = file();
    const { items } = planAccess(f, current, opts());
    expect(items.map((i) => [i.id, i.changes, i.effects])).toEqual([
      [
        'person:carl@example.com',
        ['suspended: true → false'],
        ['admin on every workspace again (3: Engineering, Legacy, Sales)'],
      ],
    ]);
    const r = policyOnDesired(f, current, items, { ...DEFAULT_POLICY, max_org_admins: 1 }, NOW, ROLES);
    expect(r.failing.map((x) => `${x.rule} ${x.subject}`)).toEqual(['too_many_org_admins carl@example.com']);
  });

  it('keeps a custom role the file still names though roles: leaves it out, even with --prune', () => {
    const f = file((d) => {
      d.roles = [];
      const bob = d.workspaces[0]?.members[0];
      if (bob) bob.role = 'auditor';
    });
    const current = server();
    const { items, unmanaged } = planAccess(f, current, opts({ prune: true }));
    expect(summary(items)).toEqual(['~ grant:Engineering:bob@example.com', '- role:Old']);
    expect(unmanaged).toEqual([
      { kind: 'role', subject: 'Auditor', prune: 'named by the file but not listed under roles: kept' },
    ]);
    const quiet = planAccess(f, current, opts());
    expect(quiet.unmanaged.slice(0, 2)).toEqual([
      { kind: 'role', subject: 'Auditor', prune: 'named by the file but not listed under roles: kept' },
      { kind: 'role', subject: 'Old', prune: 'deleted with --prune' },
    ]);
  });

  it('matches workspace and custom role names as the server spells them, whatever the case: members, grants, keys, unmanaged', () => {
    const lowerCase = (d: AccessFile) => {
      for (const r of d.roles) r.name = r.name.toLowerCase();
      for (const w of d.workspaces) w.name = w.name.toLowerCase();
      for (const a of d.service_accounts) {
        for (const g of a.workspaces) g.workspace = g.workspace.toLowerCase();
        for (const k of a.keys) k.workspace = k.workspace.toLowerCase();
      }
    };
    const same = file(lowerCase);
    expect(planAccess(same, server(), opts({ prune: true }))).toEqual({ items: [], unmanaged: [] });
    expect(policyOnDesired(same, server(), [], DEFAULT_POLICY, NOW, ROLES).failing).toEqual([]);
    const more = file((d) => {
      lowerCase(d);
      d.workspaces[2]?.members.push({ user: 'dora@example.com', role: 'Reader', reason: 'deals' });
    });
    const { items } = planAccess(more, server(), opts({ prune: true }));
    expect(items.map((i) => [i.id, i.after])).toEqual([
      [
        'grant:Sales:dora@example.com',
        {
          workspace: 'Sales',
          user: 'dora@example.com',
          role: 'Reader',
          reason: 'deals',
          expires: null,
          account: false,
        },
      ],
    ]);
    // Once applied, the server has it and the same file plans nothing.
    const after = server();
    after.doc.workspaces[2]?.members.push({ user: 'dora@example.com', role: 'Reader', reason: 'deals' });
    expect(planAccess(more, after, opts({ prune: true }))).toEqual({ items: [], unmanaged: [] });
  });

  it('where members cannot be read: account grants say the current state is unknown, offboarding does not count grants', () => {
    const gap = {
      section: 'members' as const,
      feature: 'members.list' as const,
      reason: 'workspace member lists are not available on this server',
    };
    const current = server({ unreadable: [gap] });
    for (const w of current.doc.workspaces) w.members = [];
    for (const a of current.doc.service_accounts) a.workspaces = [];
    const f = file((d) => {
      d.people = d.people.filter((p) => p.email !== 'dora@example.com');
      for (const w of d.workspaces) w.members = w.members.filter((m) => m.user !== 'dora@example.com');
      d.workspaces = d.workspaces.filter((w) => w.name !== 'Engineering' && w.name !== 'Sales');
      d.workspaces.push({ name: 'Engineering', members: [] }, { name: 'Sales', members: [] });
    });
    const { items } = planAccess(f, current, opts({ prune: true }));
    const grant = byId(items, 'grant:Engineering:ci-bot@service.example.com');
    expect(grant.note).toBe('current state unknown: workspace member lists are not available on this server');
    expect(byId(items, 'offboard:dora@example.com').effects).toEqual([
      'offboarding checklist: workspace grants: unknown on this server, 0 personal key(s) revoked, work transferred to nobody (offboarding.transfer_to is not set)',
    ]);
  });
});

describe('policyOnDesired', () => {
  it('fails only on findings about what the plan adds or changes; the rest are existing', () => {
    const f = file((d) => {
      d.workspaces[2]?.members.push({ user: 'dora@example.com', role: 'Reader' });
      d.service_accounts[0]?.keys.push({ name: 'nightly', workspace: 'Engineering' });
    });
    const current = server();
    const { items } = planAccess(f, current, opts());
    const policy = { ...DEFAULT_POLICY, fail_on: 'info' as const };
    const r = policyOnDesired(f, current, items, policy, NOW, ROLES);
    expect(r.failing.map((x) => `${x.rule} ${x.subject}`)).toEqual([
      'unrestricted_key key "nightly" (new) of ci-bot@service.example.com in Engineering',
      'grant_without_reason dora@example.com in Sales',
    ]);
    expect(r.existing.map((x) => `${x.rule} ${x.subject}`)).toEqual([
      'unrestricted_key key "carl laptop" (pk-1) of carl@example.com in Engineering',
      'unrestricted_key key "carl sales" (pk-2) of carl@example.com in Sales',
      'unrestricted_key key "old key" (k-old) of ci-bot@service.example.com in Engineering',
    ]);
    expect(r.notJudged).toEqual([
      'inactive_user_with_roles',
      'old_key',
      'unused_key',
      'stale_invitation',
      'degraded_key',
    ]);
    // Under the default policy (fail_on warning) an unreasoned grant is only info: not failing.
    const d = policyOnDesired(f, current, items, DEFAULT_POLICY, NOW, ROLES);
    expect(d.failing.map((x) => x.rule)).toEqual(['unrestricted_key']);
  });

  it("judges keys by what they can do once the plan is applied: the holder's bound, and a restriction within it", () => {
    const f = file((d) => {
      (d.people[2] as { org_role: string }).org_role = 'Org Base';
      d.workspaces[2]?.members.push({ user: 'carl@example.com', role: 'Reader' });
    });
    const c = desiredReview(f.doc, server(), [], ROLES, NOW);
    const effective = (name: string) => c.keys.find((k) => k.name === name)?.effective;
    expect(effective('ci deploy')).toEqual(['flows_run']);
    expect(effective('carl sales')).toEqual(['flows_run', 'agents_run', 'kbs_query']);
    expect(effective('carl laptop')).toEqual([]);
    expect(c.grants.filter((g) => g.via === 'org_admin').map((g) => `${g.email} ${g.workspace}`)).toEqual([
      'ada@example.com Engineering',
      'ada@example.com Legacy',
      'ada@example.com Sales',
    ]);
  });

  it('fails too_many_org_admins only when the plan adds an org admin', () => {
    const promote = file((d) => {
      (d.people[3] as { org_role: string }).org_role = 'Org Admin';
      const eng = d.workspaces[0];
      if (eng) eng.members = eng.members.filter((m) => m.user !== 'dora@example.com');
    });
    const current = server();
    const { items } = planAccess(promote, current, opts());
    const r = policyOnDesired(promote, current, items, DEFAULT_POLICY, NOW, ROLES);
    expect(r.failing.map((x) => `${x.rule} ${x.subject}`)).toEqual(['too_many_org_admins dora@example.com']);

    const same = file();
    const tight = { ...DEFAULT_POLICY, max_org_admins: 1 };
    const e = policyOnDesired(same, current, [], tight, NOW, ROLES);
    expect(e.failing).toEqual([]);
    expect(e.existing.filter((x) => x.rule === 'too_many_org_admins').map((x) => x.subject)).toEqual([
      'carl@example.com',
    ]);
  });
});

describe('rendering', () => {
  const f = file((d) => {
    (d.people[3] as { org_role: string }).org_role = 'Org Admin';
    const eng = d.workspaces[0];
    if (eng) eng.members = eng.members.filter((m) => m.user !== 'dora@example.com');
    d.workspaces[2]?.members.push({ user: 'bob@example.com', role: 'Reader' });
    d.workspaces.push({
      name: 'R&D `x` <b>|',
      members: [{ user: 'bob@example.com', role: 'Reader', reason: 'a\nb' }],
    });
    d.roles = d.roles.filter((r) => r.name !== 'Old');
    d.service_accounts = [];
  });
  const current = server();
  const result = planAccess(f, current, opts());
  const policy = policyOnDesired(
    f,
    current,
    result.items,
    { ...DEFAULT_POLICY, allow_unrestricted_keys: true },
    NOW,
    ROLES,
  );
  const input = { ...result, file: 'access.yaml', server: 'http://noxus.test', policy };
  const TEXT = [
    'Plan for access.yaml on http://noxus.test (in the order apply carries it out):',
    '',
    '  + workspace R&D `x` <b>|',
    '  ~ person dora@example.com: org_role Org Base → Org Admin',
    '      admin on every workspace (4: Engineering, Legacy, R&D `x` <b>|, Sales)',
    '  ~ grant bob@example.com in Sales: role Editor → Reader, reason "deals" → none',
    '  + grant bob@example.com in R&D `x` <b>|: role Reader, reason "a\\nb"',
    '',
    'Unmanaged (on the server, not in access.yaml):',
    '  role Old: deleted with --prune',
    '  grant dora@example.com in Engineering: removed with --prune',
    '  account ci-bot@service.example.com: deleted with --prune (with its keys)',
    '',
    'Policy: 1 finding(s) caused by this plan fail it',
    '  error too_many_org_admins: dora@example.com: 3 org admins, the policy allows 2',
    "      fix: noxus users update dora@example.com --org-role 'Org Base'",
    '  existing, not caused by this plan: 1 grant_without_reason (info); noxus review check lists them with their fixes',
    '  not judged on a desired state: inactive_user_with_roles, old_key, unused_key, stale_invitation, degraded_key',
    '',
    'Plan: 2 to add, 2 to change, 0 to remove.',
    '',
  ].join('\n');

  it('as text: items in order with effects indented, unmanaged, policy, summary', () => {
    expect(renderPlanText(input)).toBe(TEXT);
    expect(
      renderPlanText({ items: [], unmanaged: [], file: 'access.yaml', server: 'http://noxus.test' }),
    ).toBe('No changes. The server matches access.yaml.\n');
  });

  it('as Markdown: a table per op with server text escaped, findings, and the text plan in a fence it cannot close', () => {
    const md = renderPlanMarkdown(input);
    expect(md.split('\n').slice(0, 12)).toEqual([
      '### noxus access plan: access.yaml',
      '',
      '**Plan: 2 to add, 2 to change, 0 to remove.** Policy: **1 failing finding(s)**.',
      '',
      'Server: http\\://noxus.test',
      '',
      '#### To add (2)',
      '',
      '| Kind | Subject | Changes | Effects | Availability |',
      '|---|---|---|---|---|',
      '| workspace | R&amp;D \\`x\\` &lt;b&gt;\\| |  |  | api |',
      '| grant | bob@example.com in R&amp;D \\`x\\` &lt;b&gt;\\| | role: Reader<br>reason: "a\\\\nb" |  | api |',
    ]);
    expect(md).toContain(
      "| fails | error | too\\_many\\_org\\_admins | dora@example.com | 3 org admins, the policy allows 2 | noxus users update dora@example.com --org-role 'Org Base' |",
    );
    expect(md).toContain(
      'Existing findings, not caused by this plan: 1 grant\\_without\\_reason (info); noxus review check lists them with their fixes\n',
    );
    expect(md).not.toContain('| existing');
    expect(md).toContain('- role Old: deleted with --prune');
    expect(
      md.endsWith(
        `<details><summary>Full plan</summary>\n\n\`\`\`text\n${TEXT.trimEnd()}\n\`\`\`\n\n</details>\n`,
      ),
    ).toBe(true);
    // A run of backticks in server text makes the fence longer than it.
    const fenced = renderPlanMarkdown({ ...input, items: [], unmanaged: [], file: 'a````b.yaml' });
    expect(fenced).toContain('`````text\n');
  });
});

describe('where the work of an offboarded person goes', () => {
  const doc = (target: string | undefined, extra: Partial<AccessFile> = {}): AccessFile => ({
    version: 1,
    kind: 'noxus-access',
    ...(target ? { offboarding: { transfer_to: target } } : {}),
    roles: [],
    people: [
      { email: 'ada@example.com', name: 'Ada', org_role: 'Org Admin' },
      { email: 'bob@example.com', name: 'Bob', org_role: 'Org Base' },
      { email: 'sus@example.com', name: 'Sus', org_role: 'Org Base', suspended: true },
    ],
    workspaces: [
      {
        name: 'Engineering',
        members: [
          { user: 'bob@example.com', role: 'Reader' },
          { user: 'sus@example.com', role: 'Admin' },
        ],
      },
      { name: 'Sales', members: [{ user: 'bob@example.com', role: 'Editor' }] },
    ],
    service_accounts: [],
    ...extra,
  });
  const owned = [
    {
      email: 'carl@example.com',
      resources: [
        { workspace: 'Sales', resource_type: 'workflow' },
        { workspace: 'Engineering', resource_type: 'agent' },
        { workspace: 'Engineering', resource_type: 'knowledge_base' },
        { workspace: 'Support', resource_type: 'workflow' },
      ],
    },
    { email: 'dan@example.com', resources: [] },
  ];

  it('names each workspace where the target, as the file has them, lacks the edit right of what moves', () => {
    expect(transferProblems(doc('bob@example.com'), ROLES, owned)).toEqual([
      "carl@example.com's work in Engineering cannot go to bob@example.com: needs agents_edit, kbs_edit (role Reader in the file)",
      "carl@example.com's work in Support cannot go to bob@example.com: needs flows_edit (no role there in the file)",
    ]);
  });

  it('an org admin can own anything; someone who owns nothing needs no target', () => {
    expect(transferProblems(doc('ada@example.com'), ROLES, owned)).toEqual([]);
    expect(transferProblems(doc(undefined), ROLES, [owned[1] as (typeof owned)[number]])).toEqual([]);
  });

  it('a target the server does not have active cannot receive work: invited, suspended, or invited by this plan', () => {
    const people = [
      { email: 'ada@example.com', name: 'Ada', org_role: 'Org Admin' },
      { email: 'bob@example.com', name: 'Bob', org_role: 'Org Base' },
    ];
    const current = (over: Partial<ServerAccess> = {}): ServerAccess => ({
      doc: { ...doc(undefined), people: [...people] },
      ids: { users: {}, workspaces: {}, roles: {}, keys: {} },
      keyCreatedAt: {},
      personalKeys: [],
      caller: 'ada@example.com',
      unreadable: [],
      ...over,
    });
    const target = doc('bob@example.com', {
      workspaces: [
        {
          name: 'Sales',
          members: [{ user: 'bob@example.com', role: 'Admin' }],
        },
      ],
    });
    const carl = [
      { email: 'carl@example.com', resources: [{ workspace: 'Sales', resource_type: 'workflow' }] },
    ];
    expect(transferProblems(target, ROLES, carl, current())).toEqual([]);
    expect(transferProblems(target, ROLES, carl, current({ invited: ['bob@example.com'] }))).toEqual([
      'bob@example.com cannot receive work: invited (accept first)',
    ]);
    const suspended = current();
    suspended.doc.people = [
      people[0] as (typeof people)[number],
      { ...(people[1] as (typeof people)[number]), suspended: true },
    ];
    // The file does not suspend bob: the plan reactivates him before any offboarding.
    expect(transferProblems(target, ROLES, carl, suspended)).toEqual([]);
    const absent = current();
    absent.doc.people = [people[0] as (typeof people)[number]];
    expect(transferProblems(target, ROLES, carl, absent)).toEqual([
      'bob@example.com cannot receive work: not in the organization yet (this plan invites them; accept first)',
    ]);
    // Nobody owns anything: no target needed, whatever its state.
    expect(transferProblems(target, ROLES, [{ email: 'dan@example.com', resources: [] }], absent)).toEqual(
      [],
    );
  });

  it('no target for someone who owns work, or a target the file suspends: refused', () => {
    expect(transferProblems(doc(undefined), ROLES, owned)).toEqual([
      'carl@example.com owns 4 resource(s) and offboarding.transfer_to is not set',
    ]);
    expect(transferProblems(doc('sus@example.com'), ROLES, owned)).toEqual([
      "carl@example.com's work cannot go to sus@example.com: the file suspends them",
    ]);
  });
});
