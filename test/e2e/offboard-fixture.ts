// The offboarding fixture, built through the API on a fresh sandbox: three workspaces; U, an org
// admin who owns work in all three, holds personal keys, created a system key and a service-account
// key and sent an invitation still pending; T, an active Editor in all three (the transfer target);
// a second org admin. Plus a normalised snapshot of the server state (ids replaced by names and
// emails) so that runs on different sandboxes can be compared, and a runner that reports signals.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../src/sandbox/clock.js';
import type { FaultRule } from '../../src/sandbox/server.js';
import { BIN } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { acceptLink, parseMail } from './mail.js';

export const U_EMAIL = 'ursula@example.com';
export const T_EMAIL = 'theo@example.com';
export const ADMIN2_EMAIL = 'ada@example.com';
export const BOT_EMAIL = 'build-bot@example.com';
export const PENDING_EMAIL = 'pending.invitee@example.com';
export const WORKSPACES = ['Alpha', 'Beta', 'Gamma'] as const;
export type Ws = (typeof WORKSPACES)[number];

/** U's personal keys (act-as keys held by U). */
export const U_KEYS = {
  admin: 'u-admin-alpha', // tenant admin, workspace Alpha
  beta: 'u-beta', // unrestricted, Beta
  gamma: 'u-gamma', // unrestricted, Gamma
  restricted: 'u-restricted-beta', // restricted to flows_run, Beta
} as const;
export const SYSTEM_KEY_NAME = 'u-system-directory';
export const BOT_KEY_NAME = 'build-bot-alpha';

export const RESOURCE_KINDS = [
  { type: 'workflow', path: '/v1/workflows' },
  { type: 'agent', path: '/v1/agents' },
  { type: 'knowledge_base', path: '/v1/knowledge-bases' },
] as const;

export interface Fixture {
  sbx: TestSandbox;
  groups: Record<Ws, string>;
  u: { id: string; keys: Record<keyof typeof U_KEYS, { id: string; secret: string }> };
  t: { id: string };
  admin2: { id: string };
  bot: { id: string };
  systemKey: { id: string; secret: string };
  botKey: { id: string; secret: string };
  resources: Array<{ id: string; type: string; path: string; ws: Ws; name: string }>;
}

export async function ok(
  sbx: TestSandbox,
  method: string,
  path: string,
  body?: unknown,
  key?: string | null,
) {
  const r = await sbx.call(method, path, { body, key });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status}: ${r.text}`);
  return r.body;
}

/** Accepts the invitation mailed to `email` (the .eml the sandbox wrote into its outbox). */
export async function acceptInvitation(sbx: TestSandbox, email: string): Promise<void> {
  const outbox = join(sbx.dataDir, 'outbox');
  const file = readdirSync(outbox).find((f) => f.endsWith(`-${email}.eml`));
  if (!file) throw new Error(`no invitation for ${email} in ${outbox}`);
  const { token } = acceptLink(parseMail(readFileSync(join(outbox, file), 'utf8')), sbx.url);
  await ok(sbx, 'POST', `/v1/invitations/${token}/accept`, { name: email.split('@')[0] }, null);
}

/** An active human user (created, invited, accepted). */
export async function activeUser(
  sbx: TestSandbox,
  email: string,
  org_role: string,
  workspaces: Array<{ group_id: string; role: string }> = [],
): Promise<string> {
  const u = await ok(sbx, 'POST', '/v1/admin/users', {
    email,
    name: email.split('@')[0],
    org_role,
    workspaces,
  });
  await acceptInvitation(sbx, email);
  return u.id as string;
}

/** A personal key held by `userId` (sandbox act-as), minted with the bootstrap key. */
export async function actAs(
  sbx: TestSandbox,
  userId: string,
  groupId: string,
  name: string,
  extra: { permissions?: string[]; tenant_admin?: boolean } = {},
): Promise<{ id: string; secret: string }> {
  const k = await ok(sbx, 'POST', '/v1/sandbox/act-as', {
    user_id: userId,
    group_id: groupId,
    name,
    ...extra,
  });
  return { id: k.id, secret: k.value };
}

/** `clock`: the sandbox's "now" (a manual clock lets a test pass an overlap without sleeping). */
export async function buildFixture(faults?: FaultRule[], clock?: Clock): Promise<Fixture> {
  const sbx = await startTestSandbox({ seed: 'empty', faults, clock });
  const groups = {} as Record<Ws, string>;
  for (const name of WORKSPACES)
    groups[name] = (await ok(sbx, 'POST', '/v1/admin/groups', { name, description: `${name} team` })).id;
  const editorEverywhere = WORKSPACES.map((w) => ({ group_id: groups[w], role: 'Editor' }));

  const tId = await activeUser(sbx, T_EMAIL, 'Org Base', editorEverywhere);
  const uId = await activeUser(sbx, U_EMAIL, 'Org Admin');
  const admin2Id = await activeUser(sbx, ADMIN2_EMAIL, 'Org Admin');

  const keys = {
    admin: await actAs(sbx, uId, groups.Alpha, U_KEYS.admin, { tenant_admin: true }),
    beta: await actAs(sbx, uId, groups.Beta, U_KEYS.beta),
    gamma: await actAs(sbx, uId, groups.Gamma, U_KEYS.gamma),
    restricted: await actAs(sbx, uId, groups.Beta, U_KEYS.restricted, { permissions: ['flows_run'] }),
  };
  const wsKey: Record<Ws, string> = {
    Alpha: keys.admin.secret,
    Beta: keys.beta.secret,
    Gamma: keys.gamma.secret,
  };

  // U's work: one resource of each kind in each workspace, created with U's own keys.
  const resources: Fixture['resources'] = [];
  for (const ws of WORKSPACES) {
    for (const kind of RESOURCE_KINDS) {
      const name = `${kind.type}-${ws.toLowerCase()}`;
      const r = await ok(sbx, 'POST', kind.path, { name, description: `U's ${kind.type}` }, wsKey[ws]);
      resources.push({ id: r.id, type: kind.type, path: kind.path, ws, name });
    }
  }

  // Org-level work done with U's tenant-admin key.
  const sys = await ok(
    sbx,
    'POST',
    '/v1/admin/system-keys',
    { name: SYSTEM_KEY_NAME, permissions: ['users:read'] },
    keys.admin.secret,
  );
  const bot = await ok(
    sbx,
    'POST',
    '/v1/admin/users',
    {
      kind: 'service',
      email: BOT_EMAIL,
      name: 'Build bot',
      workspaces: [{ group_id: groups.Alpha, role: 'Editor' }],
    },
    keys.admin.secret,
  );
  const botKey = await ok(
    sbx,
    'POST',
    `/v1/admin/groups/${groups.Alpha}/api-keys`,
    { name: BOT_KEY_NAME, owner_id: bot.id },
    keys.admin.secret,
  );
  await ok(
    sbx,
    'POST',
    '/v1/admin/users',
    { email: PENDING_EMAIL, name: 'Pending invitee' },
    keys.admin.secret,
  );

  return {
    sbx,
    groups,
    u: { id: uId, keys },
    t: { id: tId },
    admin2: { id: admin2Id },
    bot: { id: bot.id },
    systemKey: { id: sys.id, secret: sys.value },
    botKey: { id: botKey.id, secret: botKey.value },
    resources,
  };
}

/** The step ids the plan of this fixture must have, in order. */
export function expectedSteps(f: Fixture): string[] {
  return [
    'review',
    'transfer',
    'suspend',
    `rotate-system:${f.systemKey.id}`,
    `rotate-key:${f.botKey.id}`,
    'remove',
    'verify',
  ];
}

async function pages<T>(sbx: TestSandbox, path: string): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; ; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await ok(sbx, 'GET', `${path}${sep}page=${page}&size=1000`);
    out.push(...(r.items as T[]));
    if (page >= r.pages) return out;
  }
}

export interface ActivityEntry {
  id: string;
  actor_user_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  summary: {
    status?: { before: string; after: string };
    owner?: { before: string; after: string };
    rotated_from?: string | null;
    [field: string]: unknown;
  };
}

export const activity = (sbx: TestSandbox, query = '') =>
  pages<ActivityEntry>(sbx, `/v1/admin/activity${query ? `?${query}` : ''}`);

/**
 * The server state with ids replaced by names and emails: user statuses, memberships, resource
 * owners, keys (active and total per name and holder), active keys per holder, and activity counts
 * per action and resource type.
 */
export async function snapshot(sbx: TestSandbox) {
  const users: Array<{
    id: string;
    email: string;
    status: string;
    kind: string;
    org_role: { name: string };
  }> = [];
  for (const status of ['invited', 'active', 'suspended', 'removed'])
    users.push(...(await ok(sbx, 'GET', `/v1/admin/users?status=${status}`)));
  const email = new Map(users.map((u) => [u.id, u.email]));
  const groups: Array<{ id: string; name: string }> = await ok(sbx, 'GET', '/v1/admin/groups');
  const wsName = new Map(groups.map((g) => [g.id, g.name]));

  const memberships: string[] = [];
  for (const g of groups) {
    const members: Array<{ email: string; role: { name: string }; via: string }> = await ok(
      sbx,
      'GET',
      `/v1/admin/groups/${g.id}/members`,
    );
    for (const m of members) memberships.push(`${g.name} ${m.email} ${m.role.name} ${m.via}`);
  }

  const resources: string[] = [];
  for (const u of users) {
    const a = await ok(sbx, 'GET', `/v1/admin/users/${u.id}/access`);
    for (const r of a.resources_owned as Array<{ resource_type: string; group_id: string; name: string }>)
      resources.push(`${r.resource_type} ${wsName.get(r.group_id)}/${r.name} owner=${u.email}`);
  }

  const keys: Record<string, { active: number; total: number }> = {};
  const activePerHolder: Record<string, number> = {};
  const count = (label: string, active: boolean) => {
    keys[label] ??= { active: 0, total: 0 };
    keys[label].total++;
    if (active) keys[label].active++;
  };
  const wsKeys = await pages<{
    name: string;
    group_id: string;
    holder_id: string | null;
    restricted: boolean;
    tenant_admin: boolean;
    status: string;
  }>(sbx, '/v1/admin/api-keys?status=all');
  for (const k of wsKeys) {
    const holder = k.holder_id ? (email.get(k.holder_id) ?? k.holder_id) : 'none';
    count(
      `workspace ${wsName.get(k.group_id)}/${k.name} holder=${holder}${k.restricted ? ' restricted' : ''}${k.tenant_admin ? ' tenant-admin' : ''}`,
      k.status === 'active',
    );
    if (k.status === 'active') activePerHolder[holder] = (activePerHolder[holder] ?? 0) + 1;
  }
  const sysKeys: Array<{ name: string; status: string; created_by_email: string | null }> = await ok(
    sbx,
    'GET',
    '/v1/admin/system-keys',
  );
  for (const k of sysKeys) count(`system ${k.name} created_by=${k.created_by_email}`, k.status === 'active');

  const activityCounts: Record<string, number> = {};
  for (const e of await activity(sbx)) {
    const label = `${e.action} ${e.resource_type}`;
    activityCounts[label] = (activityCounts[label] ?? 0) + 1;
  }

  return {
    users: users.map((u) => `${u.email} ${u.status} ${u.kind} ${u.org_role?.name}`).sort(),
    memberships: memberships.sort(),
    resources: resources.sort(),
    keys: Object.fromEntries(Object.entries(keys).sort(([a], [b]) => a.localeCompare(b))),
    activePerHolder: Object.fromEntries(
      Object.entries(activePerHolder).sort(([a], [b]) => a.localeCompare(b)),
    ),
    activity: Object.fromEntries(Object.entries(activityCounts).sort(([a], [b]) => a.localeCompare(b))),
  };
}
export type Snapshot = Awaited<ReturnType<typeof snapshot>>;

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns bin/noxus against the fixture's sandbox with the bootstrap key (or `key`), no terminal. */
export function noxus(
  f: { sbx: TestSandbox },
  args: string[],
  opts: { configDir: string; key?: string; env?: Record<string, string>; cwd?: string },
): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('NOXUS_') && k !== 'GITHUB_ACTIONS') env[k] = v;
  Object.assign(env, {
    CI: 'true',
    NO_COLOR: '1',
    NOXUS_CONFIG_DIR: opts.configDir,
    NOXUS_BACKEND_URL: f.sbx.url,
    NOXUS_API_KEY: opts.key ?? f.sbx.adminKey,
    ...opts.env,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end('');
  });
}
