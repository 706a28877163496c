// Every exit code of the house style, from the spawned binary (130 is in test/commands/users-add.test.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../src/sandbox/server.js';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { actAs, type FakeServer, fakeServer, roleIn, STACK_LINE, snapshot, userByEmail } from './support.js';

let sbx: TestSandbox;
let lone: TestSandbox;
const faults: FaultRule[] = [];
let cfg: string;

/** Runs with the bootstrap key from the environment against the demo sandbox. */
const admin = (...args: string[]) =>
  runCli(args, { configDir: cfg, env: { NOXUS_API_KEY: sbx.adminKey, NOXUS_BACKEND_URL: sbx.url } });

beforeAll(async () => {
  [sbx, lone] = await Promise.all([
    startTestSandbox({ seed: 'demo', faults }),
    startTestSandbox({ seed: 'empty' }),
  ]);
  cfg = tempConfigDir();
});
afterAll(async () => {
  await Promise.all([sbx?.cleanup(), lone?.cleanup()]);
});

describe('0 ok', () => {
  it('an empty result is success, with nothing on stdout off a terminal', async () => {
    const r = await admin('users', 'list', '--status', 'removed');
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('an empty result in --json is an envelope with no items', async () => {
    const r = await admin('users', 'list', '--status', 'removed', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ schema_version: 1, command: 'users list', items: [] });
  });
});

describe('1 failure', () => {
  let json500: FakeServer;
  let html500: FakeServer;
  beforeAll(async () => {
    json500 = await fakeServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json', 'x-request-id': 'req_fake500' });
      res.end('{"detail":"boom"}');
    });
    html500 = await fakeServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html', 'x-request-id': 'req_html500' });
      res.end('<html><body><h1>Internal Server Error</h1></body></html>');
    });
  });
  afterAll(async () => {
    await Promise.all([json500?.close(), html500?.close()]);
  });

  it('a server 500 is a failure with the request id and no stack trace', async () => {
    const r = await runCli(['users', 'list', '--url', json500.url], {
      configDir: cfg,
      env: { NOXUS_API_KEY: 'noxus_test_key_0123456789' },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: server error (HTTP 500 Internal Server Error): boom (request id req_fake500)\n' +
        'try again later; if it persists, report the request id to Noxus support\n',
    );
    // A 500 on a GET is not retried.
    expect(json500.requests).toEqual(['GET /v1/admin/users?page=1&size=500&page_size=500']);
  });

  it('an HTML error page is a clean failure, not a stack trace', async () => {
    const r = await runCli(['users', 'list', '--url', html500.url], {
      configDir: cfg,
      env: { NOXUS_API_KEY: 'noxus_test_key_0123456789' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: server returned an invalid response (HTTP 500, text/html) to GET /v1/admin/users: expected JSON (request id req_html500)\n',
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr).not.toContain('<html>');
  });
});

describe('2 usage', () => {
  it('an unknown flag', async () => {
    const r = await admin('users', 'list', '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown option '--bogus'\n(run with --help for usage)\n");
  });

  it('an invalid email is refused before any request', async () => {
    // No key and no server: the check happens first.
    const r = await runCli(['users', 'add', '--name', 'No Body', '--email', 'nobody.example.com'], {
      configDir: tempConfigDir(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --email: "nobody.example.com" is not a valid email address\n');
  });

  it('a missing value without a terminal prints the complete command to run', async () => {
    const r = await admin('users', 'add', '--email', 'x@example.com', '--workspace', 'Support=Reader');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: missing --name (no terminal to ask: stdin/stdout is not a TTY, CI is set, or --no-input)\n' +
        "run: noxus users add --name <name> --email x@example.com --org-role 'Org Base' --workspace Support=Reader\n",
    );
    expect(await userByEmail(sbx, 'x@example.com')).toBeUndefined();
  });

  it('both values missing: the hint has a placeholder for each', async () => {
    const r = await admin('users', 'add');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: missing --name, --email (no terminal to ask');
    expect(r.stderr).toContain(
      "run: noxus users add --name <name> --email <email> --org-role 'Org Base' --workspace <workspace>=<role>\n",
    );
  });

  it('ws add-member without --role', async () => {
    const r = await admin('ws', 'add-member', 'Finance', 'alan@example.com');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: missing --role (no terminal to ask');
    expect(r.stderr).toContain('run: noxus ws add-member Finance alan@example.com --role <role>\n');
    expect(await roleIn(sbx, 'Finance', 'alan@example.com')).toBeUndefined();
  });
});

describe('3 partial', () => {
  it('ws add-member with several users where one fails on the server', async () => {
    faults.push({ method: 'PUT', route: '/v1/admin/groups/:id/members/:user_id', status: 500, times: 1 });
    const r = await admin(
      'ws',
      'add-member',
      'Finance',
      'alan@example.com',
      'radia@example.com',
      '--role',
      'Reader',
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'warning: alan@example.com: server error (HTTP 500 Internal Server Error): injected fault (500)',
    );
    expect(r.stderr).toContain('✓ added radia@example.com to Finance as Reader\n');
    expect(r.stderr).toContain('error: 1 of 2 users could not be added\n');
    expect(await roleIn(sbx, 'Finance', 'alan@example.com')).toBeUndefined();
    expect(await roleIn(sbx, 'Finance', 'radia@example.com')).toBe('Reader');
    expect(faults[0]?.times).toBe(0);
  });
});

describe('4 authentication', () => {
  it('no login and no NOXUS_API_KEY', async () => {
    const r = await runCli(['users', 'list', '--url', sbx.url], { configDir: tempConfigDir() });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      'error: not logged in (profile default)\n' +
        'run: noxus auth login --profile default, or set NOXUS_API_KEY; to try the tool locally: noxus sandbox start --detach --seed demo\n',
    );
  });

  it('a login with a key the server rejects stores nothing', async () => {
    const dir = tempConfigDir();
    const r = await runCli(
      ['auth', 'login', '--with-token', '--credential-store', 'file', '--url', sbx.url, '--profile', 'ops'],
      { configDir: dir, input: 'noxus_not_a_real_key_123456\n' },
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      `error: ${sbx.url} rejected the key: the server rejected the API key (HTTP 401)`,
    );
    expect(r.stderr).toContain('check the key and the --url; nothing was stored\n');
    expect(existsSync(join(dir, 'credentials', 'ops.key'))).toBe(false);
    // Opening the profile store may create an empty config file, but no profile is recorded.
    const config = join(dir, 'config.json');
    if (existsSync(config)) expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ profiles: {} });
  });

  it('a revoked stored key: the 401 names the profile and how to log in again', async () => {
    const dir = tempConfigDir();
    const key = await actAs(sbx, 'ada@example.com', 'Engineering');
    const login = await runCli(
      ['auth', 'login', '--with-token', '--credential-store', 'file', '--url', sbx.url, '--profile', 'ops'],
      { configDir: dir, input: key.value },
    );
    expect(login.code).toBe(0);
    expect((await sbx.call('DELETE', `/v1/admin/api-keys/${key.id}`)).status).toBe(200);

    const r = await runCli(['users', 'list'], { configDir: dir });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /error: the server rejected the API key \(HTTP 401\): API key revoked \([^)]*\) \(request id req_[\w-]+\)\n/,
    );
    expect(r.stderr).toContain(
      'the key of profile ops no longer works; run: noxus auth login --profile ops (or set NOXUS_API_KEY)\n',
    );
    expect(r.stdout).toBe('');
  });
});

describe('5 not found', () => {
  it('an unknown user, with the close match', async () => {
    const r = await admin('users', 'get', 'alan@exmple.com');
    expect(r.code).toBe(5);
    // Best match first.
    expect(r.stderr).toBe('error: no user alan@exmple.com\ndid you mean alan@example.com?\n');
  });

  it('an unknown workspace, with the close match', async () => {
    const r = await admin('ws', 'members', 'Marketting');
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('error: no workspace Marketting\ndid you mean Marketing?\n');
  });

  it('--json errors are one document on stderr with the exit code', async () => {
    const r = await admin('ws', 'add-member', 'Finanse', 'alan@example.com', '--role', 'Reader', '--json');
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toEqual({
      schema_version: 1,
      error: {
        code: 'not_found',
        exit_code: 5,
        message: 'no workspace Finanse',
        hint: 'did you mean Finance?',
      },
    });
  });
});

describe('6 permission denied', () => {
  it("a Reader's key cannot add members: the permission and the role are named", async () => {
    const key = await actAs(sbx, 'alan@example.com', 'Support');
    const before = await snapshot(sbx);
    const r = await runCli(['ws', 'add-member', 'Support', 'ken@example.com', '--role', 'Reader'], {
      configDir: cfg,
      env: { NOXUS_API_KEY: key.value, NOXUS_BACKEND_URL: sbx.url },
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /^error: permission denied \(HTTP 403\): missing permission users_edit: the key's holder alan@example\.com does not have it in this workspace \(their role does not grant it\) \(request id req_[\w-]+\)\nmissing: users_edit\n$/,
    );
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('every user of a bulk add denied: exit 6, not a partial success', async () => {
    const key = await actAs(sbx, 'alan@example.com', 'Support');
    const before = await snapshot(sbx);
    const r = await runCli(
      ['ws', 'add-member', 'Support', 'ken@example.com', 'radia@example.com', '--role', 'Reader'],
      { configDir: cfg, env: { NOXUS_API_KEY: key.value, NOXUS_BACKEND_URL: sbx.url } },
    );
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('error: permission denied (HTTP 403): missing permission users_edit');
    expect(r.stderr).not.toContain('could not be added');
    expect(await snapshot(sbx)).toEqual(before);
  });

  it("a workspace Admin's restricted key: the restriction is named", async () => {
    const key = await actAs(sbx, 'barbara@example.com', 'Finance', ['flows_run']);
    const before = await snapshot(sbx);
    const r = await runCli(['ws', 'add-member', 'Finance', 'ken@example.com', '--role', 'Reader'], {
      configDir: cfg,
      env: { NOXUS_API_KEY: key.value, NOXUS_BACKEND_URL: sbx.url },
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(
      'error: permission denied (HTTP 403): missing permission users_edit: the key is restricted and its restriction does not include it',
    );
    expect(await snapshot(sbx)).toEqual(before);
  });
});

describe('7 conflict', () => {
  it('a duplicate email (in another case)', async () => {
    const before = await snapshot(sbx);
    const r = await admin('users', 'add', '--name', 'Ada Again', '--email', 'ADA@Example.com');
    expect(r.code).toBe(7);
    expect(r.stderr).toBe(
      'error: a user with email ada@example.com already exists (active)\nsee them with: noxus users get ada@example.com\n',
    );
    expect(await snapshot(sbx)).toEqual(before);
  });

  it('suspending or demoting the last org admin is refused by the server, nothing changes', async () => {
    const env = { NOXUS_API_KEY: lone.adminKey, NOXUS_BACKEND_URL: lone.url };
    const before = await snapshot(lone);
    // --force: the bootstrap key's holder is the owner, and suspending yourself needs it.
    const s = await runCli(['users', 'suspend', 'owner@example.com', '--yes', '--force'], {
      configDir: cfg,
      env,
    });
    expect(s.code).toBe(7);
    expect(s.stderr).toMatch(
      /^error: conflict \(HTTP 409\): owner@example\.com is the last active org admin and cannot be suspended; make another user org admin first \(request id req_[\w-]+\)\n$/,
    );
    const d = await runCli(
      ['users', 'update', 'owner@example.com', '--org-role', 'Org Base', '--yes', '--force'],
      {
        configDir: cfg,
        env,
      },
    );
    expect(d.code).toBe(7);
    expect(d.stderr).toContain(
      'error: conflict (HTTP 409): owner@example.com is the last active org admin and cannot be demoted',
    );
    expect(await snapshot(lone)).toEqual(before);
    expect((await userByEmail(lone, 'owner@example.com'))?.org_role?.name).toBe('Org Admin');
  });
});

describe('8 not available on this server', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await fakeServer((req, res) => {
      if (req.url?.startsWith('/v1/admin/users?')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify([
            { id: 'u1', email: 'a@example.com', display_name: 'A', tenant_admin: false, is_active: true },
          ]),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"detail":"Not Found"}');
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('an extension endpoint the server does not have', async () => {
    const r = await runCli(['users', 'onboarding', 'a@example.com', '--url', server.url], {
      configDir: cfg,
      env: { NOXUS_API_KEY: 'noxus_test_key_0123456789' },
    });
    // Capability discovery names the feature before the command reads or writes anything.
    expect(r.code).toBe(8);
    expect(r.stderr).toBe(
      'error: onboarding status is not available on this server (GET /v1/admin/users/u1/access answered 404 Not Found)\n' +
        'noxus doctor lists what this server supports\n',
    );
    expect(server.requests).not.toContain('GET /v1/admin/users/u1/onboarding');
  });
});
