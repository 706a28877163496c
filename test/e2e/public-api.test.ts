// Every command against a stand-in of the real Noxus: `sandbox --api public`, in each way a deployment
// answers the routes it lacks (FastAPI, an nginx page, a gateway 403) and once with /openapi.json
// hidden. The commands are found by walking `noxus --help` recursively, so a new command is walked
// as soon as it exists (and fails here until it has arguments in the table below). Each must end in
// exit 0, or exit 8 naming the missing feature, and an exit 8 must not have written anything: every
// invocation runs with its own API key, and the activity log records the key of every write.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FEATURES, type FeatureId, notAvailableMessage } from '../../src/domain/features.js';
import type { UnknownRoutes } from '../../src/sandbox/public-mode.js';
import { COMMANDS } from '../../src/services/capabilities.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const CONCURRENCY = 4;

interface Variant {
  name: string;
  unknownRoutes: UnknownRoutes;
  openapi: boolean;
}
const VARIANTS: Variant[] = [
  { name: 'fastapi', unknownRoutes: 'fastapi', openapi: true },
  { name: 'html', unknownRoutes: 'html', openapi: true },
  { name: 'gateway-403', unknownRoutes: 'gateway-403', openapi: true },
  { name: 'fastapi, openapi off', unknownRoutes: 'fastapi', openapi: false },
];

interface Invocation {
  args: string[];
  /** Files written into the invocation's working directory first. */
  files?: Record<string, string>;
  /** Run first, in the same directory and config dir, with the bootstrap key (must exit 0). */
  before?: string[][];
  /** Run afterwards whatever happened (clean-up), with the bootstrap key. */
  after?: string[][];
  input?: (key: string) => string;
  env?: Record<string, string | undefined>;
  /** Extra assertions on a successful run. */
  check?: (r: CliResult) => void;
  /** Talks to no server (or only to its own): walked against the first variant only. */
  local?: boolean;
  /** Another documented success: this exit code when the output matches. */
  alsoOk?: { code: number; when: RegExp };
  /** Runs by itself after all the others: applying a plan refuses a server that changed since (drift). */
  alone?: boolean;
}

// `review check` exits 1 when findings reach the policy's fail_on (documented; the demo has some).
const FINDINGS = { code: 1, when: /finding\(s\) at or above/ };

interface Ctx {
  variant: Variant;
  /** A data directory for the `sandbox` commands' own sandbox. */
  sandboxData: string;
}

const startOwn = (c: Ctx, data: string): string[] => [
  'sandbox',
  'start',
  '--detach',
  '--port',
  '0',
  '--data',
  join(c.sandboxData, data),
  '--no-profile-setup',
  '--api',
  'public',
  '--unknown-routes',
  c.variant.unknownRoutes,
  ...(c.variant.openapi ? [] : ['--openapi', 'off']),
];
const stopOwn = (c: Ctx, data: string): string[] => ['sandbox', 'stop', '--data', join(c.sandboxData, data)];

// An access file for the walk: a custom role and a workspace (the public API creates both) and a
// grant in it (the public API cannot: guided or not available). People on the server but not in
// the file are unmanaged: reported, never touched without --prune.
const ACCESS_FILE = `version: 1
kind: noxus-access
roles:
  - name: Walk Access Role
    scope: workspace
    permissions: [flows_run]
people:
  - email: ken@example.com
    name: Ken Thompson
    org_role: Org Base
workspaces:
  - name: Walk Access
    members:
      - user: ken@example.com
        role: Reader
        reason: walk
service_accounts: []
`;
// The walk's other invocations change the organization while it runs; its policy judges access only.
const WALK_POLICY = 'max_org_admins: 100\nfail_on: error\n';
// `access apply` exits 3 when some items were left for the console or are not available.
const PARTIAL = { code: 3, when: /not available on this server|in the Noxus web console/ };

const CSV_USERS =
  'email,name,display_name,org_role,workspaces\nwalk.csv@example.com,Walk Csv,Walk,Org Base,Support=Reader\n';

/** Realistic arguments for every command path; targets never overlap, so invocations run in parallel. */
function table(c: Ctx): Record<string, Invocation[]> {
  return {
    'auth login': [
      {
        args: ['auth', 'login', '--with-token', '--credential-store', 'file', '--profile', 'walk'],
        input: (key) => key,
        env: { NOXUS_API_KEY: undefined },
      },
    ],
    'auth status': [{ args: ['auth', 'status'] }],
    'auth logout': [
      {
        before: [['auth', 'login', '--with-token', '--credential-store', 'file', '--profile', 'walk']],
        args: ['auth', 'logout', '--profile', 'walk'],
      },
    ],
    'auth token': [{ args: ['auth', 'token'] }],
    'profiles list': [{ local: true, args: ['profiles', 'list'] }],
    'profiles use': [
      {
        local: true,
        before: [['auth', 'login', '--with-token', '--credential-store', 'file', '--profile', 'walk']],
        args: ['profiles', 'use', 'walk'],
      },
    ],
    'profiles remove': [
      {
        local: true,
        before: [['auth', 'login', '--with-token', '--credential-store', 'file', '--profile', 'walk-rm']],
        args: ['profiles', 'remove', 'walk-rm', '--force', '--yes'],
      },
    ],
    me: [{ args: ['me'] }],
    doctor: [{ args: ['doctor'] }, { args: ['doctor', '--json'] }],
    'users list': [
      { args: ['users', 'list'] },
      { args: ['users', 'list', '--status', 'invited'] },
      { args: ['users', 'list', '--status', 'suspended'] },
      { args: ['users', 'list', '--workspace', 'Marketing'] },
      { args: ['users', 'list', '--kind', 'service', '--json'] },
    ],
    'users get': [{ args: ['users', 'get', 'ada@example.com'] }],
    'users add': [
      {
        args: [
          'users',
          'add',
          '--name',
          'Walk Newhire',
          '--email',
          'walk.newhire@example.com',
          '--org-role',
          'Org Base',
          '--workspace',
          'Marketing=Editor',
        ],
      },
      {
        args: ['users', 'add', '--name', 'Walk Dry', '--email', 'walk.dry@example.com', '--dry-run'],
      },
      { files: { 'cohort.csv': CSV_USERS }, args: ['users', 'add', '--from-csv', 'cohort.csv', '--yes'] },
    ],
    'users update': [
      { args: ['users', 'update', 'alan@example.com', '--display-name', 'Alan T.'] },
      { args: ['users', 'update', 'ken@example.com', '--org-role', 'Org Admin', '--dry-run'] },
    ],
    'users suspend': [{ args: ['users', 'suspend', 'katherine@example.com', '--yes'] }],
    'users reactivate': [{ args: ['users', 'reactivate', 'tim@example.com', '--yes'] }],
    'users resend-invite': [{ args: ['users', 'resend-invite', 'newhire@example.com', '--yes'] }],
    'users onboarding': [{ args: ['users', 'onboarding', 'ada@example.com'] }],
    'users remove': [{ args: ['users', 'remove', 'grace@example.com', '--yes'] }],
    'invitations list': [{ args: ['invitations', 'list', '--status', 'all'] }],
    'invitations cancel': [{ args: ['invitations', 'cancel', 'contractor@example.com', '--yes'] }],
    'ws list': [{ args: ['ws', 'list'] }],
    'ws get': [{ args: ['ws', 'get', 'Marketing'] }],
    'ws create': [
      { args: ['ws', 'create', 'Walk Created', '--description', 'made by the walk'] },
      { args: ['ws', 'create', 'Walk Dry', '--dry-run'] },
    ],
    'ws delete': [{ args: ['ws', 'delete', 'Walk Doomed', '--yes'] }],
    'ws rename': [{ args: ['ws', 'rename', 'Support', 'Walk Support'] }],
    'ws members': [{ args: ['ws', 'members', 'Marketing'] }],
    'ws add-member': [{ args: ['ws', 'add-member', 'Finance', 'alan@example.com', '--role', 'Reader'] }],
    'ws set-role': [{ args: ['ws', 'set-role', 'Engineering', 'ken@example.com', '--role', 'Editor'] }],
    'ws remove-member': [{ args: ['ws', 'remove-member', 'Marketing', 'linus@example.com', '--yes'] }],
    'ws apply': [
      {
        files: { 'support.csv': 'workspace,user,role\nSupport,radia@example.com,Reader\n' },
        args: ['ws', 'apply', '-f', 'support.csv', '--yes'],
      },
    ],
    'roles list': [{ args: ['roles', 'list'] }],
    'roles get': [{ args: ['roles', 'get', 'Editor'] }],
    'roles create': [
      { args: ['roles', 'create', '--name', 'Walk Runner', '--permissions', 'flows_run,kbs_query'] },
    ],
    'roles delete': [{ args: ['roles', 'delete', 'Walk Doomed Role', '--yes'] }],
    'roles update': [{ args: ['roles', 'update', 'Walk Runner', '--grant', 'agents_run'] }],
    'permissions list': [{ args: ['permissions', 'list'] }],
    'keys create': [
      { args: ['keys', 'create', '--workspace', 'Marketing', '--name', 'walk plain'] },
      {
        args: [
          'keys',
          'create',
          '--workspace',
          'Marketing',
          '--name',
          'walk restricted',
          '--restrict',
          'flows_run',
        ],
      },
    ],
    'keys list': [{ args: ['keys', 'list'] }],
    'keys explain': [{ args: ['keys', 'explain', 'campaign sync'] }],
    'keys revoke': [{ args: ['keys', 'revoke', 'zendesk export', '--yes'] }],
    'keys rotate': [{ args: ['keys', 'rotate', 'linus laptop', '--yes'] }],
    'keys system create': [
      { args: ['keys', 'system', 'create', '--name', 'walk system', '--permissions', 'org:read'] },
    ],
    'keys system list': [{ args: ['keys', 'system', 'list'] }],
    'keys system revoke': [{ args: ['keys', 'system', 'revoke', 'walk doomed system', '--yes'] }],
    'keys system rotate': [{ args: ['keys', 'system', 'rotate', 'billing export', '--yes'] }],
    'service-accounts create': [
      { args: ['service-accounts', 'create', 'Walk Bot', '--workspace', 'Engineering=Reader'] },
    ],
    'service-accounts list': [{ args: ['service-accounts', 'list'] }],
    'service-accounts delete': [
      { args: ['service-accounts', 'delete', 'ci-bot@service.example.com', '--yes'] },
    ],
    offboard: [
      { args: ['offboard', 'margaret@example.com', '--transfer-to', 'dennis@example.com', '--dry-run'] },
      {
        args: [
          'offboard',
          'margaret@example.com',
          '--transfer-to',
          'dennis@example.com',
          '--plan-out',
          'plan.json',
        ],
      },
      { args: ['offboard', 'barbara@example.com', '--yes'] },
    ],
    'review export': [
      { args: ['review', 'export', '-o', 'review.json'] },
      { args: ['review', 'export', '--format', 'md'] },
    ],
    'review diff': [
      {
        before: [
          ['review', 'export', '-o', 'a.json'],
          ['review', 'export', '-o', 'b.json'],
        ],
        args: ['review', 'diff', 'a.json', 'b.json'],
      },
    ],
    'review verify': [
      { before: [['review', 'export', '-o', 'v.json']], args: ['review', 'verify', 'v.json'] },
      {
        before: [['review', 'export', '--format', 'md', '-o', 'v.md']],
        args: ['review', 'verify', 'v.md'],
      },
    ],
    'review check': [
      { args: ['review', 'check'], alsoOk: FINDINGS },
      {
        before: [['review', 'export', '-o', 'now.json']],
        args: ['review', 'check', '--from', 'now.json'],
        alsoOk: FINDINGS,
      },
    ],
    'access export': [
      {
        args: ['access', 'export'],
        // Partial on the public API: what it could not read is named in the file.
        check: (r) => {
          const doc = parse(r.stdout) as { kind: string; unreadable?: Array<{ section: string }> };
          expect(doc.kind).toBe('noxus-access');
          expect(doc.unreadable?.map((u) => u.section)).toContain('members');
        },
      },
      { args: ['access', 'export', '-o', 'access.yaml'] },
    ],
    'access plan': [
      {
        files: { 'access.yaml': ACCESS_FILE, 'policy.yaml': WALK_POLICY },
        args: ['access', 'plan', '-f', 'access.yaml', '--policy', 'policy.yaml', '-o', 'plan.json'],
        // Per item, what this server can do with it: the grant is not applied by the API.
        check: (r) => {
          expect(r.stdout).toContain('Walk Access');
          expect(r.stdout).toMatch(PARTIAL.when);
        },
      },
      {
        files: { 'access.yaml': ACCESS_FILE, 'policy.yaml': WALK_POLICY },
        args: ['access', 'plan', '-f', 'access.yaml', '--policy', 'policy.yaml', '--format', 'md'],
      },
    ],
    'access apply': [
      {
        alone: true,
        files: { 'access.yaml': ACCESS_FILE, 'policy.yaml': WALK_POLICY },
        before: [['access', 'plan', '-f', 'access.yaml', '--policy', 'policy.yaml', '-o', 'plan.json']],
        args: ['access', 'apply', 'plan.json', '--yes'],
        alsoOk: PARTIAL,
        // The role and the workspace are applied; the grant cannot be on the public API.
        check: () => expect.fail('access apply exited 0: the grant cannot be applied on the public API'),
      },
    ],
    activity: [{ args: ['activity', '--since', '30d', '--limit', '20'] }],
    completion: [{ local: true, args: ['completion', 'bash'] }],
    'sandbox start': [{ local: true, args: startOwn(c, 'start'), after: [stopOwn(c, 'start')] }],
    'sandbox status': [
      {
        local: true,
        before: [startOwn(c, 'status')],
        args: ['sandbox', 'status', '--data', join(c.sandboxData, 'status'), '--json'],
        after: [stopOwn(c, 'status')],
        check: (r) =>
          expect(JSON.parse(r.stdout).items[0]).toMatchObject({
            api: 'public',
            unknown_routes: c.variant.unknownRoutes,
            openapi: c.variant.openapi,
          }),
      },
    ],
    'sandbox stop': [{ local: true, before: [startOwn(c, 'stop')], args: stopOwn(c, 'stop') }],
    'sandbox act-as': [{ args: ['sandbox', 'act-as', 'ken@example.com', '--workspace', 'Engineering'] }],
  };
}

// ---- the command tree, from --help ----

function subcommands(help: string): string[] | undefined {
  const lines = help.split('\n');
  const at = lines.indexOf('Commands:');
  if (at < 0) return undefined;
  const names: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === '') break;
    // Entries start at two spaces; wrapped descriptions are indented further.
    const m = /^ {2}(\S+)/.exec(line);
    const name = m?.[1]?.split('|')[0];
    if (name && name !== 'help') names.push(name);
  }
  return names;
}

async function pool<T>(items: T[], n: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}

async function commandPaths(): Promise<string[]> {
  const leaves: string[] = [];
  let level: string[][] = [[]];
  while (level.length) {
    const nextLevel: string[][] = [];
    await pool(level, CONCURRENCY, async (path) => {
      const r = await runCli([...path, '--help']);
      if (r.code !== 0) throw new Error(`noxus ${path.join(' ')} --help exited ${r.code}: ${r.stderr}`);
      const subs = subcommands(r.stdout);
      if (subs) for (const s of subs) nextLevel.push([...path, s]);
      else leaves.push(path.join(' '));
    });
    level = nextLevel;
  }
  return leaves.sort();
}

// ---- running one variant ----

interface Outcome {
  args: string[];
  code: number;
  /** A documented non-zero success (alsoOk). */
  documented: boolean;
  /** The features named "not available" in the output. */
  named: FeatureId[];
  /** Writes recorded in the activity log for this invocation's key. */
  writes: number;
  firstLine: string;
  problem?: string;
}

/** Named features the capability map does not list for the command (the README table would miss them). */
function stray(path: string, named: FeatureId[]): FeatureId[] {
  const c = COMMANDS[path];
  const listed = new Set<string>([...(c?.needs ?? []), ...(c?.optional ?? [])]);
  return named.filter((id) => !listed.has(id));
}

function featuresNamed(text: string): FeatureId[] {
  return FEATURES.filter((f) => text.includes(notAvailableMessage(f.id))).map((f) => f.id);
}

async function walkVariant(
  sbx: TestSandbox,
  c: Ctx,
  paths: string[],
  first: boolean,
): Promise<Map<string, Outcome[]>> {
  const t = table(c);
  const group = (await sbx.call('GET', '/v1/admin/groups')).body.find(
    (g: { name: string }) => g.name === 'Default',
  );
  const jobs: Array<{ path: string; i: number; inv: Invocation }> = [];
  for (const p of paths)
    (t[p] ?? []).forEach((inv, i) => {
      if (first || !inv.local) jobs.push({ path: p, i, inv });
    });
  const results = new Map<string, Outcome[]>();
  const walkOne = async ({ path, i, inv }: (typeof jobs)[number]) => {
    const made = await sbx.call('POST', `/v1/admin/groups/${group.id}/api-keys`, {
      body: { name: `walk ${path} #${i}`, tenant_admin: true },
    });
    expect(made.status, made.text).toBe(201);
    const dir = mkdtempSync(join(tmpdir(), 'noxus-walk-'));
    const configDir = join(dir, 'config');
    mkdirSync(configDir);
    for (const [name, content] of Object.entries(inv.files ?? {})) writeFileSync(join(dir, name), content);
    const run = (args: string[], key: string, extra: Partial<Invocation> = {}) =>
      runCli(args, {
        cwd: dir,
        configDir,
        input: extra.input?.(key) ?? key,
        env: { NOXUS_API_KEY: key, NOXUS_BACKEND_URL: sbx.url, ...extra.env },
      });
    let problem: string | undefined;
    try {
      for (const b of inv.before ?? []) {
        const r = await run(b, sbx.adminKey, { env: inv.env });
        if (r.code !== 0) problem = `before-step "${b.join(' ')}" exited ${r.code}: ${r.stderr.trim()}`;
      }
      const r = await run(inv.args, made.body.value, inv);
      for (const a of inv.after ?? []) await run(a, sbx.adminKey);
      const writes = sbx.sandbox.model.store.get<{ n: number }>(
        'SELECT count(*) AS n FROM activity WHERE actor_key_id = ?',
        made.body.id,
      )?.n as number;
      if (r.code === 0 && inv.check) {
        try {
          inv.check(r);
        } catch (e) {
          problem ??= (e as Error).message;
        }
      }
      const text = `${r.stderr}\n${r.stdout}`;
      const outcome: Outcome = {
        args: inv.args,
        code: r.code,
        documented: inv.alsoOk !== undefined && r.code === inv.alsoOk.code && inv.alsoOk.when.test(text),
        named: featuresNamed(text),
        writes,
        firstLine: (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '',
        problem,
      };
      const list = results.get(path) ?? [];
      list.push(outcome);
      results.set(path, list);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  await pool(
    jobs.filter((j) => !j.inv.alone),
    CONCURRENCY,
    walkOne,
  );
  for (const j of jobs.filter((x) => x.inv.alone)) await walkOne(j);
  return results;
}

// ---- the suite ----

let paths: string[] = [];
const report: Record<string, Record<string, Array<Omit<Outcome, 'named'> & { named: string[] }>>> = {};

beforeAll(async () => {
  paths = await commandPaths();
}, 120_000);

afterAll(() => {
  const file = process.env.NOXUS_WALK_REPORT;
  if (file) writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
});

describe('the command tree', () => {
  it('is walked from --help, and every command has arguments in the table', () => {
    expect(paths.length).toBeGreaterThan(40);
    const t = table({ variant: VARIANTS[0] as Variant, sandboxData: '' });
    expect(
      paths.filter((p) => !t[p]?.length),
      'commands without an entry in the table',
    ).toEqual([]);
    expect(
      Object.keys(t).filter((p) => !paths.includes(p)),
      'table entries for commands that no longer exist',
    ).toEqual([]);
  });
});

for (const variant of VARIANTS) {
  describe(`against sandbox --api public (${variant.name})`, () => {
    let sbx: TestSandbox;
    let results = new Map<string, Outcome[]>();
    const own = mkdtempSync(join(tmpdir(), 'noxus-walk-sbx-'));
    beforeAll(async () => {
      sbx = await startTestSandbox({
        seed: 'demo',
        api: 'public',
        unknownRoutes: variant.unknownRoutes,
        openapi: variant.openapi,
      });
      const admin = (method: string, path: string, body: unknown) =>
        sbx.call(method, path, { body }).then((r) => expect(r.status, r.text).toBe(201));
      // Targets of the destructive commands that the demo organization lacks.
      await admin('POST', '/v1/admin/groups', { name: 'Walk Doomed', description: '' });
      await admin('POST', '/v1/admin/roles', {
        name: 'Walk Doomed Role',
        description: '',
        permissions: { flows_run: true },
      });
      await admin('POST', '/v1/admin/system-keys', {
        name: 'walk doomed system',
        permissions: ['org:read'],
        tenant_admin: false,
      });
      results = await walkVariant(sbx, { variant, sandboxData: own }, paths, variant === VARIANTS[0]);
      report[variant.name] = Object.fromEntries(
        [...results].sort(([a], [b]) => a.localeCompare(b)),
      ) as (typeof report)[string];
    }, 600_000);
    afterAll(async () => {
      await sbx?.cleanup();
      rmSync(own, { recursive: true, force: true });
    });

    it('every command exits 0, or 8 naming the missing feature without writing anything', () => {
      const failures: string[] = [];
      for (const p of paths) {
        for (const o of results.get(p) ?? []) {
          const cmd = `noxus ${o.args.join(' ')}`;
          if (o.problem) failures.push(`${cmd}: ${o.problem}`);
          else if (o.code === 8 && o.named.length === 0)
            failures.push(`${cmd}: exit 8 without naming a feature: ${o.firstLine}`);
          else if (o.code === 8 && o.writes > 0) failures.push(`${cmd}: exit 8 after ${o.writes} write(s)`);
          else if (o.code === 8 && stray(p, o.named).length)
            failures.push(
              `${cmd}: exit 8 naming ${stray(p, o.named).join(', ')}, which the capability map (COMMANDS) does not list for "${p}"`,
            );
          else if (o.code !== 0 && o.code !== 8 && !o.documented)
            failures.push(`${cmd}: exit ${o.code}: ${o.firstLine}`);
        }
      }
      expect(failures).toEqual([]);
    });
  });
}
