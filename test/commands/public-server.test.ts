// Commands against a public-only sandbox, in-process: what the public API allows works, and what it
// does not stops with exit 8 naming the feature before anything is written.
import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import type { Env } from '../../src/io/streams.js';
import { report } from '../../src/main.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { fakeTerminal, runInProcess, tempDir } from './support.js';

let sbx: TestSandbox;
let env: Env;

const activity = () =>
  sbx.sandbox.model.store.get<{ n: number }>('SELECT count(*) AS n FROM activity')?.n as number;
const run = (...argv: string[]) => runInProcess(argv, { env, tty: false });

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo', api: 'public', unknownRoutes: 'fastapi' });
  env = {
    NOXUS_API_KEY: sbx.adminKey,
    NOXUS_BACKEND_URL: sbx.url,
    NOXUS_CONFIG_DIR: tempDir(),
    NO_COLOR: '1',
  };
});
afterAll(async () => {
  await sbx?.cleanup();
});

describe('keys', () => {
  it('keys create works without the permission catalogue or member lists', async () => {
    const r = await run('keys', 'create', '--workspace', 'Marketing', '--name', 'public plain', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.items[0]).toMatchObject({ name: 'public plain' });
    expect(doc.items[0].secret).toMatch(/^noxus_/);
  });

  it.each([
    [['--restrict', 'flows_run'], 'restricted keys are not available on this server'],
    [['--expires-in', '30d'], 'key expiry is not available on this server'],
  ])('keys create %j: exit 8 naming the feature before the POST', async (flags, message) => {
    const before = activity();
    const r = await run(
      'keys',
      'create',
      '--workspace',
      'Marketing',
      '--name',
      'public x',
      ...flags,
      '--dry-run',
    );
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: ${message} (POST /v1/admin/groups/{group_id}/api-keys takes no ${flags[0] === '--restrict' ? 'permissions' : 'expires_at'} in /openapi.json)`,
    );
    expect(activity()).toBe(before);
  });

  it('keys system create passes permission names through; rotate is create + revoke', async () => {
    const made = await run(
      'keys',
      'system',
      'create',
      '--name',
      'public sys',
      '--permissions',
      'org:read',
      '--json',
    );
    expect(made.code).toBe(0);
    const old = JSON.parse(made.stdout).items[0];
    const rotated = await run('keys', 'system', 'rotate', old.id, '--json');
    expect(rotated.code).toBe(0);
    const fresh = JSON.parse(rotated.stdout).items[0];
    expect(fresh).toMatchObject({ name: 'public sys', replaces: old.id });
    expect(fresh.id).not.toBe(old.id);
    expect(rotated.stderr).toBe(`revoked the old key "public sys" (${old.id})\n`);
    const list = await run('keys', 'system', 'list', '--json');
    const status = (id: string) =>
      JSON.parse(list.stdout).items.find((k: { id: string }) => k.id === id)?.status;
    expect([status(fresh.id), status(old.id)]).toEqual(['active', 'revoked']);
  });
});

describe('users list filters', () => {
  it('--status active and inactive are applied from is_active', async () => {
    const all = JSON.parse((await run('users', 'list', '--json')).stdout).items as Array<{
      email: string;
      is_active: boolean;
    }>;
    const active = JSON.parse((await run('users', 'list', '--status', 'active', '--json')).stdout).items;
    const inactive = JSON.parse((await run('users', 'list', '--status', 'inactive', '--json')).stdout).items;
    expect(active.map((u: { email: string }) => u.email)).toEqual(
      all.filter((u) => u.is_active).map((u) => u.email),
    );
    expect(inactive.map((u: { email: string }) => u.email)).toEqual(
      all.filter((u) => !u.is_active).map((u) => u.email),
    );
    expect(inactive.length).toBeGreaterThan(0);
  });

  it('--workspace needs member lists: exit 8, never everyone', async () => {
    const r = await run('users', 'list', '--workspace', 'Marketing');
    expect(r.code).toBe(8);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      'error: workspace member lists are not available on this server (/openapi.json has no GET /v1/admin/groups/{group_id}/members)',
    );
  });
});

describe('roles', () => {
  it('roles create passes permission names through without the catalogue', async () => {
    const r = await run(
      'roles',
      'create',
      '--name',
      'Public Runner',
      '--permissions',
      'flows_run,kbs_query',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).items[0]).toMatchObject({
      name: 'Public Runner',
      granted: ['flows_run', 'kbs_query'],
    });
  });
});

// The public sandbox sends the extension fields too (status, builtin); the bare public shapes come
// from MockAgent through the Context's dispatcher seam.
describe('a server that sends only the confirmed fields', () => {
  const BASE = 'https://bare.noxus.test';
  const USERS = [
    { id: 'u1', email: 'ada@example.com', display_name: 'Ada', tenant_admin: true, is_active: true },
    { id: 'u2', email: 'tim@example.com', display_name: 'Tim', tenant_admin: false, is_active: false },
  ];
  const ROLES = [
    { id: 'r1', name: 'Reader', permissions: null },
    { id: 'r2', name: 'Flow Runner', permissions: { flows_run: true }, builtin: false },
  ];

  function bare() {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get(BASE);
    const json = { headers: { 'content-type': 'application/json' } };
    pool
      .intercept({ path: '/v1/admin/me', method: 'GET' })
      .reply(200, { id: 'k', name: 'k', tenant_admin: true, value: 'x' }, json)
      .persist();
    pool
      .intercept({ path: (p) => p.startsWith('/v1/admin/users?'), method: 'GET' })
      .reply(200, USERS, json)
      .persist();
    pool
      .intercept({ path: (p) => p.startsWith('/v1/admin/roles?'), method: 'GET' })
      .reply(200, ROLES, json)
      .persist();
    pool
      .intercept({ path: (p) => p.startsWith('/v1/admin/groups'), method: 'GET' })
      .reply(200, [], json)
      .persist();
    // Everything else (openapi.json, the extension probes, any write) is an unknown route.
    pool
      .intercept({ path: () => true, method: () => true })
      .reply(404, { detail: 'Not Found' }, json)
      .persist();
    return agent;
  }

  async function runBare(agent: MockAgent, argv: string[]) {
    const term = fakeTerminal(
      { NOXUS_API_KEY: 'noxus_bare', NOXUS_BACKEND_URL: BASE, NOXUS_CONFIG_DIR: tempDir() },
      false,
    );
    const ctx = new Context(term.io, '0.0.0', { dispatcher: agent });
    let code = 0;
    try {
      await (await buildProgram(ctx)).parseAsync(argv, { from: 'user' });
    } catch (e) {
      code = report(e, ctx);
    }
    return { code, stdout: term.stdout(), stderr: term.stderr() };
  }

  it.each(['invited', 'suspended', 'removed'])(
    'users list --status %s cannot be told apart: exit 8',
    async (status) => {
      const agent = bare();
      expect(await runBare(agent, ['users', 'list', '--status', status])).toEqual({
        code: 8,
        stdout: '',
        stderr: `error: user status "${status}" is not available on this server: its users only say whether they are active\nuse --status active or --status inactive\n`,
      });
      await agent.close();
    },
  );

  it('users list --status inactive and --kind service', async () => {
    const agent = bare();
    expect((await runBare(agent, ['users', 'list', '--status', 'inactive'])).stdout).toBe(
      'tim@example.com\tTim\thuman\tinactive\t\t\tu2\n',
    );
    const sa = await runBare(agent, ['users', 'list', '--kind', 'service']);
    expect(sa.code).toBe(8);
    expect(sa.stderr).toBe('error: service accounts are not available on this server\n');
    await agent.close();
  });

  it('roles list: a role without permissions or builtin; roles delete Reader needs --confirm-builtin', async () => {
    const agent = bare();
    expect((await runBare(agent, ['roles', 'list'])).stdout).toBe(
      'Reader\tworkspace\tlikely (documented name)\t\tr1\nFlow Runner\tworkspace\tno\tflows_run\tr2\n',
    );
    const refused = await runBare(agent, ['roles', 'delete', 'Reader', '--yes']);
    expect(refused).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: "Reader" has the name of a built-in Noxus role and the server does not say whether it is one; deleting it needs its name confirmed\n' +
        'if you are sure: noxus roles delete r1 --confirm-builtin "Reader" --yes\n',
    });
    const dry = await runBare(agent, ['roles', 'delete', 'Reader', '--dry-run']);
    expect(dry.stderr).toBe(
      'would delete role Reader (named like a built-in role; the real run needs: noxus roles delete r1 --confirm-builtin "Reader" --yes); nothing changed\n',
    );
    const wrong = await runBare(agent, ['roles', 'delete', 'Reader', '--confirm-builtin', 'reader', '--yes']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe('error: --confirm-builtin "reader" does not match the role\'s name "Reader"\n');
    await agent.close();
  });

  it('me with a proxy answering [1,2,3]: exit 1, invalid response', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get(BASE)
      .intercept({ path: '/v1/admin/me', method: 'GET' })
      .reply(200, '[1,2,3]', { headers: { 'content-type': 'application/json' } });
    expect(await runBare(agent, ['me'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: invalid response from GET /v1/admin/me: the body should be an object, got an array\n' +
        'the server, or a proxy in front of it, answered with something the Noxus API does not send; check the server URL (noxus doctor)\n',
    });
    await agent.close();
  });
});
