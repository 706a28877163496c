// `--seed demo`: a believable organization to try every command on. Built through the model so that
// the rules and the activity log are the real ones; only the clock is moved back where a story needs
// history (an old invitation, a key created before its creator was demoted).

import type { Actor, Model } from './model.js';
import type { UserRow } from './store.js';

interface Person {
  email: string;
  name: string;
  org: 'Org Admin' | 'Org Base';
  ws?: Record<string, 'Admin' | 'Editor' | 'Reader'>;
}

export const DEMO_WORKSPACES = ['Marketing', 'Engineering', 'Support', 'Finance'];

export const DEMO_PEOPLE: Person[] = [
  { email: 'ada@example.com', name: 'Ada Lovelace', org: 'Org Admin' },
  { email: 'grace@example.com', name: 'Grace Hopper', org: 'Org Admin' },
  {
    email: 'linus@example.com',
    name: 'Linus Torvalds',
    org: 'Org Base',
    ws: { Engineering: 'Admin', Marketing: 'Reader' },
  },
  {
    email: 'margaret@example.com',
    name: 'Margaret Hamilton',
    org: 'Org Base',
    ws: { Marketing: 'Editor', Engineering: 'Editor', Support: 'Editor' },
  },
  { email: 'alan@example.com', name: 'Alan Turing', org: 'Org Base', ws: { Support: 'Reader' } },
  { email: 'barbara@example.com', name: 'Barbara Liskov', org: 'Org Base', ws: { Finance: 'Admin' } },
  { email: 'ken@example.com', name: 'Ken Thompson', org: 'Org Base', ws: { Engineering: 'Reader' } },
  {
    email: 'dennis@example.com',
    name: 'Dennis Ritchie',
    org: 'Org Base',
    ws: { Marketing: 'Admin', Support: 'Editor' },
  },
  {
    email: 'katherine@example.com',
    name: 'Katherine Johnson',
    org: 'Org Base',
    ws: { Support: 'Editor', Finance: 'Reader' },
  },
  { email: 'tim@example.com', name: 'Tim Berners-Lee', org: 'Org Base', ws: { Engineering: 'Editor' } },
  { email: 'radia@example.com', name: 'Radia Perlman', org: 'Org Base' },
];

/** Days before the model's "now", so a seeded sandbox on a manual clock has a consistent history. */
const daysAgo = (model: Model, n: number): string =>
  new Date(model.clock().getTime() - n * 86_400_000).toISOString();

export async function seedDemo(model: Model, owner: Actor): Promise<void> {
  const s = model.store;
  for (const name of DEMO_WORKSPACES)
    model.createGroup(owner, { name, description: `${name} team workspace` });

  const users: Record<string, UserRow> = {};
  for (const p of DEMO_PEOPLE) {
    const { user } = await model.createUser(owner, {
      email: p.email,
      name: p.name,
      display_name: p.name.split(' ')[0],
      org_role: p.org,
      workspaces: Object.entries(p.ws ?? {}).map(([group_id, role]) => ({ group_id, role })),
      send_invitation: false,
    });
    // They joined a while ago: active accounts with a history.
    s.run(
      "UPDATE users SET status = 'active', created_at = ?, accepted_at = ?, tour_completed_at = ?, last_active_at = ? WHERE id = ?",
      daysAgo(model, 120),
      daysAgo(model, 119),
      daysAgo(model, 119),
      daysAgo(model, 2),
      user.id,
    );
    users[p.email] = s.user(user.id) as UserRow;
  }
  const as = (email: string): Actor => ({
    userId: users[email]?.id ?? null,
    email,
    keyId: null,
    route: 'seed',
    method: 'SEED',
  });
  const u = (email: string) => users[email] as UserRow;

  // Resources owned by several people across workspaces.
  const resources: Array<[string, 'workflow' | 'agent' | 'knowledge_base', string, string]> = [
    ['margaret@example.com', 'workflow', 'Marketing', 'Campaign brief generator'],
    ['margaret@example.com', 'agent', 'Engineering', 'Release notes writer'],
    ['margaret@example.com', 'knowledge_base', 'Support', 'Support macros'],
    ['dennis@example.com', 'agent', 'Marketing', 'Brand voice assistant'],
    ['linus@example.com', 'workflow', 'Engineering', 'Nightly triage'],
    ['linus@example.com', 'knowledge_base', 'Engineering', 'Architecture decisions'],
    ['katherine@example.com', 'workflow', 'Support', 'Ticket summarizer'],
    ['barbara@example.com', 'knowledge_base', 'Finance', 'Expense policy'],
  ];
  for (const [email, type, ws, name] of resources) {
    model.createResource(as(email), type, model.requireGroup(ws).id, u(email).id, { name });
  }

  // Keys: restricted and unrestricted, a service account's, and one whose creator was later demoted.
  model.createWorkspaceKey(as('linus@example.com'), {
    groupRef: 'Engineering',
    name: 'linus laptop',
    permissions: undefined,
    creator: u('linus@example.com'),
    callerKeyId: null,
    callerBound: null,
  });
  const degraded = model.createWorkspaceKey(as('margaret@example.com'), {
    groupRef: 'Marketing',
    name: 'campaign sync',
    permissions: ['flows_edit', 'flows_run'],
    creator: u('margaret@example.com'),
    callerKeyId: null,
    callerBound: null,
  });
  s.run(
    'UPDATE api_keys SET created_at = ?, last_used_at = ? WHERE id = ?',
    daysAgo(model, 60),
    daysAgo(model, 3),
    degraded.key.id,
  );
  model.setMember(as('dennis@example.com'), 'Marketing', 'margaret@example.com', 'Reader');
  model.createWorkspaceKey(as('katherine@example.com'), {
    groupRef: 'Support',
    name: 'zendesk export',
    permissions: ['kbs_query', 'flows_run'],
    creator: u('katherine@example.com'),
    callerKeyId: null,
    callerBound: null,
  });

  const { user: bot } = await model.createUser(owner, {
    email: 'ci-bot@service.example.com',
    name: 'CI bot',
    kind: 'service',
    org_role: 'Org Base',
    workspaces: [{ group_id: 'Engineering', role: 'Editor' }],
  });
  model.createWorkspaceKey(owner, {
    groupRef: 'Engineering',
    name: 'ci deploy',
    permissions: ['flows_edit', 'flows_run'],
    owner_id: bot.id,
    creator: s.user(owner.userId as string) as UserRow,
    callerKeyId: owner.keyId,
    callerBound: null,
  });
  model.createSystemKey(owner, { name: 'billing export', permissions: ['org:read', 'settings:read'] });

  // Tim left on leave: suspended. Two invitations: one fresh, one stale.
  model.suspendUser(owner, 'tim@example.com');
  await model.createUser(owner, {
    email: 'newhire@example.com',
    name: 'Nina Newhire',
    org_role: 'Org Base',
    workspaces: [{ group_id: 'Marketing', role: 'Editor' }],
  });
  const { user: stale } = await model.createUser(owner, {
    email: 'contractor@example.com',
    name: 'Casey Contractor',
    org_role: 'Org Base',
    workspaces: [{ group_id: 'Support', role: 'Reader' }],
  });
  s.run(
    'UPDATE invitations SET created_at = ?, expires_at = ? WHERE user_id = ?',
    daysAgo(model, 30),
    daysAgo(model, 23),
    stale.id,
  );
  s.run('UPDATE users SET created_at = ? WHERE id = ?', daysAgo(model, 30), stale.id);
}

/**
 * `--seed scale`: a large organization for benchmarks and scale tests, written directly in one
 * transaction (the API would take minutes). Deterministic: the same sizes give the same shape.
 * 100,000 users take seconds: statements prepared once, a page cache that holds the indexes being
 * filled, and foreign keys checked by construction rather than per row.
 */
export function seedScale(model: Model, owner: Actor, size: { users: number; workspaces: number }): void {
  const s = model.store;
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const t = model.now();
  const roles = ['ws_reader', 'ws_editor', 'ws_admin'];
  const db = s.db;
  const insertGroup = db.prepare<unknown[]>(
    'INSERT INTO groups(id, name, name_norm, description, created_by, created_at) VALUES (?,?,?,?,?,?)',
  );
  const insertUser = db.prepare<unknown[]>(
    `INSERT INTO users(id, email, email_norm, name, display_name, status, org_role_id, kind, created_at, accepted_at, last_active_at)
     VALUES (?,?,?,?,?,'active','org_base','human',?,?,?)`,
  );
  const insertMember = db.prepare<unknown[]>(
    'INSERT INTO memberships(user_id, group_id, role_id, created_at, updated_at) VALUES (?,?,?,?,?)',
  );
  // The row model.audit writes, with ids in order: a random id per row makes every insert into the
  // unique index land on a different page, which alone took half the seed at 100,000 users.
  const insertActivity = db.prepare<unknown[]>(
    `INSERT INTO activity(id, at, actor_user_id, actor_email, actor_key_id, action, resource_type, resource_id,
       group_id, summary, request_id, route, method) VALUES (?,?,?,?,?,'create','user',?,NULL,?,?,?,?)`,
  );
  const cacheSize = db.pragma('cache_size', { simple: true });
  const foreignKeys = db.pragma('foreign_keys', { simple: true });
  db.pragma('cache_size = -262144'); // 256 MiB, for the seed only
  db.pragma('foreign_keys = OFF'); // rows below reference only rows written before them
  try {
    s.tx(() => {
      const groups: string[] = [];
      for (let g = 0; g < size.workspaces; g++) {
        const id = `00000000-0000-4000-8000-${String(g).padStart(12, '0')}`;
        const name = `Workspace ${String(g + 1).padStart(3, '0')}`;
        insertGroup.run(id, name, name.toLowerCase(), '', owner.userId, t);
        groups.push(id);
      }
      for (let u = 0; u < size.users; u++) {
        const id = `10000000-0000-4000-8000-${String(u).padStart(12, '0')}`;
        const email = `user${String(u).padStart(6, '0')}@scale.example.com`;
        const lastActive = daysAgo(model, Math.floor(rand() * 200));
        insertUser.run(id, email, email, `User ${u}`, `U${u}`, t, t, lastActive);
        const n = 1 + Math.floor(rand() * 3);
        const picked = new Set<string>();
        for (let i = 0; i < n; i++) picked.add(groups[Math.floor(rand() * groups.length)] as string);
        for (const g of picked) insertMember.run(id, g, roles[Math.floor(rand() * 3)], t, t);
        insertActivity.run(
          `30000000-0000-4000-8000-${String(u).padStart(12, '0')}`,
          t,
          owner.userId,
          owner.email,
          owner.keyId,
          id,
          JSON.stringify({ email, seed: 'scale' }),
          owner.requestId ?? null,
          owner.route ?? null,
          owner.method ?? null,
        );
      }
    });
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    db.pragma(`cache_size = ${cacheSize}`);
  }
}
