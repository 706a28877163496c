// Random organizations and random sequences of key creations, rotations, role changes, suspensions
// and removals, run against a real sandbox over HTTP. After every step: no key exceeds its holder's
// current permissions ∩ its restriction (as reported and as it behaves), no rotation handed out more
// than its caller held, and no key whose secret a removed user saw still authenticates (D3, D7, D8).

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ALL_ORG, ALL_WS, expandWs, type MKey, type MUser, RefModel } from './authz/model.js';
import { type Json, OrgBuilder } from './authz/org.js';

const ROLES: Record<string, readonly string[]> = {
  Admin: ['workspace_admin'],
  Editor: [
    'flows_edit',
    'flows_delete',
    'flows_run',
    'agents_edit',
    'agents_delete',
    'agents_run',
    'kbs_edit',
    'kbs_delete',
    'kbs_query',
  ],
  Reader: ['flows_run', 'agents_run', 'kbs_query'],
  Lead: ['users_edit', 'users_delete', 'flows_run', 'flows_edit'],
};
const PICK = ['flows_run', 'flows_edit', 'agents_run', 'users_edit', 'kbs_query', 'workspace_admin'] as const;

type Role = keyof typeof ROLES | null;
interface UserSpec {
  service: boolean;
  orgAdmin: boolean;
  role: Role;
  restriction: string[] | null;
  tenantAdmin: boolean;
}
type Op =
  | { op: 'create'; caller: number; restriction: string[] | null }
  | { op: 'rotate'; caller: number; target: number }
  | { op: 'role'; user: number; role: Role }
  | { op: 'orgAdmin'; user: number; admin: boolean }
  | { op: 'suspend' | 'reactivate' | 'remove'; user: number };

const roleArb = fc.constantFrom<Role>('Admin', 'Editor', 'Reader', 'Lead', null);
const restrictionArb = fc.option(fc.subarray([...PICK], { minLength: 1 }), { nil: null });
const userArb = fc.record({
  service: fc.boolean(),
  orgAdmin: fc.boolean(),
  role: roleArb,
  restriction: restrictionArb,
  tenantAdmin: fc.boolean(),
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), caller: fc.nat(), restriction: restrictionArb }),
  fc.record({ op: fc.constant('rotate' as const), caller: fc.nat(), target: fc.nat() }),
  fc.record({ op: fc.constant('rotate' as const), caller: fc.nat(), target: fc.nat() }),
  fc.record({ op: fc.constant('role' as const), user: fc.nat(), role: roleArb }),
  fc.record({ op: fc.constant('orgAdmin' as const), user: fc.nat(), admin: fc.boolean() }),
  fc.record({
    op: fc.constantFrom('suspend' as const, 'reactivate' as const, 'remove' as const),
    user: fc.nat(),
  }),
);

let sbx: TestSandbox;
const m = new RefModel();
let b: OrgBuilder;
const RUNS = 50;
let steps = 0;
let keyChecks = 0;

/** A key of the run with everything the test knows about its secret. */
interface Tracked {
  key: MKey;
  secret: string;
  /** Users who received this key's secret (D7). */
  sawBy: Set<string>;
}

beforeAll(async () => {
  sbx = await startTestSandbox();
  b = new OrgBuilder(sbx, m);
  b.ownerId = (await b.ok('GET', '/v1/admin/me')).holder.id;
  await b.ok('POST', '/v1/admin/roles', {
    name: 'Lead',
    permissions: Object.fromEntries((ROLES.Lead as string[]).map((p) => [p, true])),
  });
}, 60_000);
afterAll(async () => {
  await sbx?.cleanup();
});

const restrictionOf = (view: Json): string[] | null =>
  view.restricted ? (view.permissions as string[]) : null;

async function runScenario(org: UserSpec[], ops: Op[]): Promise<void> {
  const W = await b.group();
  const people: MUser[] = [];
  const keys: Tracked[] = [];
  const track = (key: MKey, secret: string, sawBy: string[]) => {
    keys.push({ key, secret, sawBy: new Set(sawBy) });
  };
  // A first key never asks for more than its holder has (that is refused, and not what is tested).
  const within = (u: MUser, r: string[] | null) => {
    const kept = r?.filter((p) => m.userWs(u, W).includes(p)) ?? [];
    return kept.length ? kept : null;
  };
  for (const u of org) {
    const role = u.role && !u.orgAdmin ? { [W]: { name: u.role, perms: ROLES[u.role] as string[] } } : {};
    if (u.service) {
      const sa = await b.service(u.role ? { [W]: { name: u.role, perms: ROLES[u.role] as string[] } } : {});
      people.push(sa);
      if (u.role) {
        const k = await b.ownedKey(sa, W, { restriction: within(sa, u.restriction) });
        track(k.key, k.secret, []);
      }
      continue;
    }
    const p = await b.human({ orgAdmin: u.orgAdmin, roles: role });
    people.push(p);
    if (u.orgAdmin || u.role) {
      const k = await b.personKey(p, W, {
        restriction: within(p, u.restriction),
        tenantAdmin: u.tenantAdmin && u.orgAdmin,
      });
      // act-as: the holder receives the secret (the bootstrap owner, who minted it, is never removed).
      track(k.key, k.secret, [p.id]);
    }
  }
  const removed = new Set<string>();

  const check = async (after: string) => {
    for (const t of keys) {
      const h = m.holder(t.key) as MUser;
      const seenByRemoved = [...t.sawBy].some((u) => removed.has(u));
      const mustBeDead = t.key.state !== 'active' || seenByRemoved || h.status !== 'active';
      const bound = (t.key.restriction ? expandWs(t.key.restriction) : [...ALL_WS]).filter((p) =>
        m.userWs(h, W).includes(p),
      );
      const view = await b.ok('GET', `/v1/admin/api-keys/${t.key.id}`);
      const beyond = (view.effective_permissions as string[]).filter((p) => !bound.includes(p));
      expect(beyond, `${after}: key ${t.key.id} effective beyond holder ∩ restriction`).toEqual([]);
      const use = await sbx.call('GET', '/v1/workflows', { key: t.secret });
      if (mustBeDead) {
        expect(use.status, `${after}: key ${t.key.id} must not authenticate (${use.text})`).toBe(401);
      } else {
        const mayRead = bound.includes('flows_run') || bound.includes('flows_edit');
        expect(
          use.status,
          `${after}: key ${t.key.id} reading workflows with ${bound.join(',') || 'nothing'}`,
        ).toBe(mayRead ? 200 : 403);
      }
      keyChecks++;
    }
  };

  await check('setup');
  for (const op of ops) {
    const label = JSON.stringify(op);
    const live = keys.filter((t) => t.key.state === 'active');
    if (op.op === 'create' || op.op === 'rotate') {
      if (live.length === 0) continue;
      const caller = live[op.caller % live.length] as Tracked;
      const callerUser = m.holder(caller.key) as MUser;
      if (op.op === 'create') {
        const body: Json = { name: b.uniq('c') };
        if (op.restriction) body.permissions = op.restriction;
        const r = await sbx.call('POST', `/v1/admin/groups/${W}/api-keys`, { key: caller.secret, body });
        if (r.status === 201) {
          const k: MKey = {
            id: r.body.id,
            kind: 'workspace',
            group: W,
            createdBy: callerUser.id,
            owner: null,
            restriction: restrictionOf(r.body),
            tenantAdmin: !!r.body.tenant_admin,
            sysPerms: [],
            state: 'active',
          };
          m.keys.set(k.id, k);
          track(k, r.body.value, [callerUser.id]);
        }
      } else {
        const target = keys[op.target % keys.length] as Tracked;
        const callerWs = m.wsIn(caller.key, W);
        const callerOrg = m.org(caller.key);
        const r = await sbx.call('POST', `/v1/admin/api-keys/${target.key.id}/rotate`, {
          key: caller.secret,
          body: {},
        });
        if (r.status === 201) {
          const restriction = restrictionOf(r.body);
          const asked = restriction ? expandWs(restriction) : [...ALL_WS];
          // Keys of one holder in one workspace share the holder's live bound: the caller's own
          // restriction is what the new key may not exceed (D3 b); otherwise what the caller holds now.
          const sameHolder =
            caller.key.kind === 'workspace' &&
            caller.key.group === target.key.group &&
            m.holderId(caller.key) === m.holderId(target.key);
          const ceiling = sameHolder
            ? caller.key.restriction
              ? expandWs(caller.key.restriction)
              : [...ALL_WS]
            : callerWs;
          expect(
            asked.filter((p) => !ceiling.includes(p)),
            `${label}: rotation handed out more than the caller held`,
          ).toEqual([]);
          if (r.body.tenant_admin && sameHolder) {
            expect(caller.key.tenantAdmin, `${label}: a tenant-admin rotation by a plain key`).toBe(true);
          } else if (r.body.tenant_admin) {
            expect(
              ALL_ORG.filter((p) => !callerOrg.includes(p)),
              `${label}: a tenant-admin rotation by a caller without every org permission`,
            ).toEqual([]);
          }
          expect(
            caller.key.restriction !== null && target.key.restriction === null,
            `${label}: a restricted key rotated an unrestricted one`,
          ).toBe(false);
          target.key.state = 'revoked';
          const k: MKey = {
            ...target.key,
            id: r.body.id,
            restriction,
            tenantAdmin: !!r.body.tenant_admin,
            state: 'active',
          };
          m.keys.set(k.id, k);
          track(k, r.body.value, [callerUser.id]);
        }
      }
    } else {
      const u = people[op.user % people.length] as MUser;
      if (u.status === 'removed') continue;
      if (op.op === 'role') {
        if (u.orgAdmin) continue;
        const r = op.role
          ? await sbx.call('PUT', `/v1/admin/groups/${W}/members/${u.id}`, { body: { role: op.role } })
          : await sbx.call('DELETE', `/v1/admin/groups/${W}/members/${u.id}`);
        if (r.status < 300) u.roles = op.role ? { [W]: ROLES[op.role] as string[] } : {};
      } else if (op.op === 'orgAdmin') {
        if (u.kind === 'service' || u.orgAdmin === op.admin) continue;
        if (op.admin && u.roles[W]) {
          if ((await sbx.call('DELETE', `/v1/admin/groups/${W}/members/${u.id}`)).status < 300) u.roles = {};
        }
        const r = await sbx.call('PATCH', `/v1/admin/users/${u.id}`, {
          body: { org_role: op.admin ? 'Org Admin' : 'Org Base' },
        });
        if (r.status < 300) {
          u.orgAdmin = op.admin;
          u.roles = {};
        }
      } else {
        const r =
          op.op === 'remove'
            ? await sbx.call('DELETE', `/v1/admin/users/${u.id}`)
            : await sbx.call('POST', `/v1/admin/users/${u.id}/${op.op}`);
        if (r.status < 300) {
          u.status = op.op === 'suspend' ? 'suspended' : op.op === 'remove' ? 'removed' : 'active';
          if (op.op === 'remove') removed.add(u.id);
        }
      }
    }
    steps++;
    await check(label);
  }
  // D7: a user's access report lists every key whose secret they received.
  for (const u of people) {
    const seen = keys.filter((t) => t.sawBy.has(u.id)).map((t) => t.key.id);
    if (!seen.length) continue;
    const access = await b.ok('GET', `/v1/admin/users/${u.id}/access`);
    const exposed = JSON.stringify(access.keys_exposed ?? null);
    expect(
      seen.filter((id) => !exposed.includes(id)),
      `keys whose secret ${u.id} received, missing from keys_exposed`,
    ).toEqual([]);
  }
}

describe('random organizations and operation sequences', () => {
  it('keep every key within holder ∩ restriction, rotations within the caller, removals total', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(userArb, { minLength: 2, maxLength: 4 }),
        fc.array(opArb, { minLength: 2, maxLength: 12 }),
        runScenario,
      ),
      { numRuns: RUNS },
    );
    process.stdout.write(
      `authz property: ${RUNS} runs, ${steps} operations executed, ${keyChecks} key checks\n`,
    );
    expect(keyChecks).toBeGreaterThan(100);
  }, 300_000);
});
