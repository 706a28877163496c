// The HTTP client's reliability promises, end to end: the built CLI talks to a real sandbox through a
// real fault-injecting proxy (test/faults/proxy.ts) on loopback. Every case asserts the exit code,
// the message, and what reached the wire. The last test scans every output and config file of the
// suite for the API key.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CliResult, runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import {
  type FaultProxy,
  type ForwardProxy,
  type Recorder,
  startFaultProxy,
  startForwardProxy,
  startRecorder,
} from './proxy.js';

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
const LIST_PATH = '/v1/admin/users';
const LIST_TARGET = '/v1/admin/users?page=1&size=500&page_size=500';

/** Nothing from the developer's shell may route or slow these runs. */
const CLEAN_ENV: Record<string, undefined> = {
  HTTP_PROXY: undefined,
  HTTPS_PROXY: undefined,
  NO_PROXY: undefined,
  http_proxy: undefined,
  https_proxy: undefined,
  no_proxy: undefined,
  NOXUS_TIMEOUT: undefined,
  NOXUS_DEADLINE: undefined,
};

let sbx: TestSandbox;
let proxy: FaultProxy;
let cfg: string;
const configDirs: string[] = [];
const outputs: Array<{ what: string; result: CliResult }> = [];

/** Runs the built CLI with the sandbox key from the environment, against `url` (default: the proxy). */
async function cli(
  args: string[],
  opts: { url?: string; env?: Record<string, string | undefined>; configDir?: string } = {},
): Promise<CliResult> {
  const configDir = opts.configDir ?? cfg;
  if (!configDirs.includes(configDir)) configDirs.push(configDir);
  const result = await runCli(['--url', opts.url ?? proxy.url, ...args], {
    configDir,
    env: { ...CLEAN_ENV, NOXUS_API_KEY: sbx.adminKey, ...opts.env },
  });
  outputs.push({ what: args.join(' '), result });
  return result;
}

function listed(r: CliResult): string[] {
  const doc = JSON.parse(r.stdout) as { items: Array<{ email: string }> };
  return doc.items.map((u) => u.email);
}

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'empty' });
  proxy = await startFaultProxy(sbx.url);
  cfg = tempConfigDir();
});
afterAll(async () => {
  await proxy?.close();
  await sbx?.cleanup();
});
beforeEach(() => proxy.reset());

describe('retried: 429 and 5xx', () => {
  it('429 with Retry-After: 1 (seconds) waits about a second, then succeeds', async () => {
    proxy.script({
      method: 'GET',
      path: LIST_PATH,
      fault: {
        type: 'respond',
        status: 429,
        headers: { 'retry-after': '1', 'content-type': 'application/json' },
        body: '{"detail":"slow down"}',
      },
    });
    const r = await cli(['users', 'list', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(listed(r)).toContain('owner@example.com');
    const gets = proxy.requests.filter((q) => q.url === LIST_TARGET);
    expect(gets.map((q) => q.fault ?? q.upstreamStatus)).toEqual(['respond', 200]);
    const waited = (gets[1]?.at ?? 0) - (gets[0]?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(5000);
  });

  it('429 with Retry-After as an HTTP date about a second ahead is honoured', async () => {
    // Dated when the 429 is sent. HTTP dates have whole seconds: two seconds ahead, cut to the second,
    // is between one and two seconds away.
    let when = '';
    proxy.script({
      method: 'GET',
      path: LIST_PATH,
      fault: {
        type: 'respond',
        status: 429,
        headers: () => {
          when = new Date(Date.now() + 2000).toUTCString();
          return { 'retry-after': when };
        },
      },
    });
    const r = await cli(['users', 'list', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(listed(r)).toContain('owner@example.com');
    const gets = proxy.requests.filter((q) => q.url === LIST_TARGET);
    expect(gets.map((q) => q.fault ?? q.upstreamStatus)).toEqual(['respond', 200]);
    const waited = (gets[1]?.at ?? 0) - (gets[0]?.at ?? 0);
    expect(when).toMatch(/ GMT$/);
    // Ignoring the date would mean a back-off of at most 250 ms.
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(3500);
    expect(gets[1]?.at).toBeGreaterThanOrEqual(Date.parse(when) - 50);
  });

  it('503 then success', async () => {
    proxy.script({
      method: 'GET',
      path: LIST_PATH,
      fault: {
        type: 'respond',
        status: 503,
        headers: { 'content-type': 'application/json' },
        body: '{"detail":"maintenance"}',
      },
    });
    const r = await cli(['users', 'list', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(listed(r)).toContain('owner@example.com');
    expect(
      proxy.requests.filter((q) => q.url === LIST_TARGET).map((q) => q.fault ?? q.upstreamStatus),
    ).toEqual(['respond', 200]);
  });
});

describe('a connection reset after the server committed a create', () => {
  it('is retried with the same Idempotency-Key and replayed: one user, one create in the log', async () => {
    const email = 'reset.after.commit@example.com';
    proxy.script({ method: 'POST', path: '/v1/admin/users', fault: { type: 'reset-after-upstream' } });
    const r = await cli([
      'users',
      'add',
      '--name',
      'Reset After Commit',
      '--email',
      email,
      '--org-role',
      'Org Base',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^✓ invited ${email.replace(/\./g, '\\.')} \\([\\w-]+\\) as Org Base\\n`),
    );

    const posts = proxy.requests.filter((q) => q.method === 'POST' && q.url === '/v1/admin/users');
    expect(posts).toHaveLength(2);
    // The first reached the sandbox and was committed (201), but its reply never reached the CLI.
    expect(posts[0]?.fault).toBe('reset-after-upstream');
    expect(posts[0]?.upstreamStatus).toBe(201);
    expect(posts[1]?.upstreamStatus).toBe(201);
    const key = posts[0]?.headers['idempotency-key'];
    expect(typeof key).toBe('string');
    expect(key).not.toBe('');
    expect(posts[1]?.headers['idempotency-key']).toBe(key);
    expect(posts[1]?.body).toBe(posts[0]?.body);

    // Straight from the sandbox: exactly one such user, and one create of it in the activity log.
    const users = await sbx.call('GET', '/v1/admin/users');
    expect(users.status).toBe(200);
    const same = (users.body as Array<{ id: string; email: string }>).filter((u) => u.email === email);
    expect(same).toHaveLength(1);
    const id = same[0]?.id as string;
    expect(r.stderr).toContain(`✓ invited ${email} (${id}) as Org Base\n`);
    const log = await sbx.call('GET', '/v1/admin/activity?action=create&resource_type=user&size=100');
    expect(log.status).toBe(200);
    const creates = (log.body.items as Array<{ resource_id: string | null }>).filter(
      (e) => e.resource_id === id,
    );
    expect(creates).toHaveLength(1);
  });
});

describe('timeouts', () => {
  it('a slow response hits the per-attempt timeout (NOXUS_TIMEOUT), retried, and the message says which fired', async () => {
    proxy.script({ method: 'GET', path: LIST_PATH, times: Infinity, fault: { type: 'delay', ms: 10_000 } });
    const t0 = Date.now();
    const r = await cli(['users', 'list'], { env: { NOXUS_TIMEOUT: '0.3', NOXUS_DEADLINE: '20' } });
    const took = Date.now() - t0;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: request timed out after 300ms (per-attempt timeout): GET /v1/admin/users after 5 attempts\n' +
        'the server is slow or unreachable; try again later\n',
    );
    expect(proxy.requests.filter((q) => q.url === LIST_TARGET)).toHaveLength(5);
    expect(took).toBeLessThan(15_000);
  });

  it('the overall deadline (NOXUS_DEADLINE) is named when it fires first', async () => {
    proxy.script({ method: 'GET', path: LIST_PATH, times: Infinity, fault: { type: 'delay', ms: 10_000 } });
    const r = await cli(['users', 'list'], { env: { NOXUS_TIMEOUT: '5', NOXUS_DEADLINE: '0.5' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: gave up after 500ms (overall deadline): GET /v1/admin/users did not complete in 1 attempt\n' +
        'the server is slow or unreachable; try again later\n',
    );
    expect(proxy.requests.filter((q) => q.url === LIST_TARGET)).toHaveLength(1);
  });

  it('a NOXUS_TIMEOUT that is not a number is a usage error before any request', async () => {
    const r = await cli(['users', 'list'], { env: { NOXUS_TIMEOUT: '30s' } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: NOXUS_TIMEOUT must be a positive number of seconds, got "30s"\n');
    expect(proxy.requests).toEqual([]);
  });
});

describe('garbage responses', () => {
  it('an HTML 502 page every time: a clean error naming the status, not JSON, with the request id', async () => {
    proxy.script({
      path: LIST_PATH,
      times: Infinity,
      fault: {
        type: 'respond',
        status: 502,
        headers: { 'content-type': 'text/html; charset=utf-8', 'x-request-id': 'req_gateway502' },
        body: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>',
      },
    });
    const r = await cli(['users', 'list']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: server returned an invalid response (HTTP 502, text/html) to GET /v1/admin/users: expected JSON after 5 attempts (request id req_gateway502)\n' +
        'a proxy or gateway may have answered instead of the Noxus API: check the server URL and proxy settings (HTTPS_PROXY, NO_PROXY), or try again later\n',
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr).not.toContain('<html>');
    // 502 is retryable: the whole budget of attempts was used.
    expect(proxy.requests.filter((q) => q.url === LIST_TARGET)).toHaveLength(5);
  });

  it('truncated JSON (200, honest length, cut body): a clean error with the request id, not retried', async () => {
    const body = '{"items": [';
    proxy.script({
      path: LIST_PATH,
      fault: {
        type: 'respond',
        status: 200,
        headers: { 'content-type': 'application/json', 'x-request-id': 'req_truncated' },
        body,
      },
    });
    const r = await cli(['users', 'list']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: server returned an invalid response (HTTP 200, application/json) to GET /v1/admin/users: the JSON body is truncated or malformed (request id req_truncated)\n' +
        'a proxy or gateway may have answered instead of the Noxus API: check the server URL and proxy settings (HTTPS_PROXY, NO_PROXY), or try again later\n',
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(proxy.requests.filter((q) => q.url === LIST_TARGET)).toHaveLength(1);
  });

  it('truncated JSON with a content-length lie (connection closed mid-body) every time: a clean error', async () => {
    const raw =
      'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: req_short\r\ncontent-length: 4096\r\n\r\n{"items": [';
    proxy.script({ path: LIST_PATH, times: Infinity, fault: { type: 'raw', data: raw } });
    const r = await cli(['users', 'list']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr).not.toContain('unexpected failure');
    expect(r.stderr).toBe(
      "error: the server's response was cut short (HTTP 200, the body is truncated: other side closed) after 5 attempts (request id req_short)\nthe connection broke mid-response; try again\n",
    );
    // A GET whose body broke off is safe to retry.
    expect(proxy.requests.filter((q) => q.url === LIST_TARGET)).toHaveLength(5);
  });

  // When the body breaks off after the head arrived, the error keeps the status and request id.
  it('truncated JSON with a content-length lie: the error keeps the status and the request id', async () => {
    const raw =
      'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: req_short\r\ncontent-length: 4096\r\n\r\n{"items": [';
    proxy.script({ path: LIST_PATH, times: Infinity, fault: { type: 'raw', data: raw } });
    const r = await cli(['users', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HTTP 200');
    expect(r.stderr).toContain('req_short');
  });

  it('a content-length lie once, then a good answer: the GET is retried and succeeds', async () => {
    const raw =
      'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{"items": [';
    proxy.script({ path: LIST_PATH, fault: { type: 'raw', data: raw } });
    const r = await cli(['users', 'list', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(listed(r)).toContain('owner@example.com');
    expect(proxy.requests.filter((q) => q.url === LIST_TARGET)).toHaveLength(2);
  });
});

describe('a redirect to another origin', () => {
  let other: Recorder;
  beforeAll(async () => {
    other = await startRecorder();
  });
  afterAll(async () => {
    await other?.close();
  });

  it('is not followed: the other origin gets nothing at all, and the error says why', async () => {
    proxy.script({
      path: LIST_PATH,
      times: Infinity,
      fault: {
        type: 'respond',
        status: 307,
        headers: { location: `http://127.0.0.1:${other.port}${LIST_TARGET}`, 'x-request-id': 'req_moved' },
      },
    });
    const r = await cli(['users', 'list']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: the server redirected GET /v1/admin/users to http://127.0.0.1:${other.port}, which was not followed so the API key is not sent there (request id req_moved)\n` +
        `if that is the right server, use it as the server URL instead of ${proxy.url}\n`,
    );
    expect(other.connections).toBe(0);
    expect(other.received).toBe('');
    // Not retried either: one request, and it went to the configured origin.
    expect(proxy.requests.filter((q) => q.url === LIST_TARGET)).toHaveLength(1);
  });

  it('(control) the recorder does see a client that connects to it', async () => {
    await cli(['users', 'list', '--json'], { url: other.url });
    expect(other.connections).toBeGreaterThan(0);
    expect(other.received).toContain(`GET ${LIST_TARGET} HTTP/1.1`);
  });
});

describe('HTTP_PROXY and NO_PROXY', () => {
  let fwd: ForwardProxy;
  beforeAll(async () => {
    fwd = await startForwardProxy();
  });
  afterAll(async () => {
    await fwd?.close();
  });
  beforeEach(() => {
    fwd.seen.length = 0;
  });

  const sandboxHost = () => new URL(sbx.url).host;

  it('HTTP_PROXY is used for an http:// server', async () => {
    const r = await cli(['users', 'list', '--json'], { url: sbx.url, env: { HTTP_PROXY: fwd.url } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(listed(r)).toContain('owner@example.com');
    // undici tunnels (CONNECT) by default; an absolute-URI request would do too.
    expect(fwd.seen.length).toBeGreaterThan(0);
    for (const line of fwd.seen) {
      expect([`CONNECT ${sandboxHost()}`, `GET ${sbx.url}${LIST_TARGET}`]).toContain(line);
    }
  });

  it('NO_PROXY=127.0.0.1 bypasses it', async () => {
    const r = await cli(['users', 'list', '--json'], {
      url: sbx.url,
      env: { HTTP_PROXY: fwd.url, NO_PROXY: '127.0.0.1' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(listed(r)).toContain('owner@example.com');
    expect(fwd.seen).toEqual([]);
  });
});

describe('the API key never leaks', () => {
  function filesUnder(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
    );
  }

  it('a --debug run of users list traces the request with the key masked', async () => {
    const r = await cli(['--debug', 'users', 'list']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`debug: > GET ${proxy.url}${LIST_TARGET} (attempt 1/5) headers `);
    expect(r.stderr).toContain('"x-api-key":"***"');
    expect(r.stdout).toContain('owner@example.com');
  });

  it('appears in no stdout/stderr of this suite and in no file of its config dirs', () => {
    const key = sbx.adminKey;
    expect(key.length).toBeGreaterThan(16);
    // The scan has something to scan: every CLI run of the suite, the --debug one among them.
    expect(outputs.length).toBeGreaterThanOrEqual(15);
    expect(outputs.some((o) => o.what.startsWith('--debug'))).toBe(true);
    // And it would see the key if it were there: the proxy received it on every request.
    expect(proxy.history.length).toBeGreaterThanOrEqual(30);
    for (const q of proxy.history) expect(q.headers['x-api-key']).toBe(key);

    // The whole key, and every 8-character window of its secret part: not even a fragment may leak.
    const body = key.replace(/^noxus_/, '');
    const needles = [key];
    for (let i = 0; i + 8 <= body.length; i++) needles.push(body.slice(i, i + 8));
    const leaks: string[] = [];
    const scan = (where: string, text: string) => {
      for (const n of needles)
        if (text.includes(n)) leaks.push(`${where}: ${n === key ? 'the key' : 'a fragment'}`);
    };
    for (const { what, result } of outputs) {
      scan(`stdout of ${what}`, result.stdout);
      scan(`stderr of ${what}`, result.stderr);
    }
    expect(configDirs).toContain(cfg);
    for (const dir of configDirs) for (const f of filesUnder(dir)) scan(f, readFileSync(f, 'latin1'));
    expect(leaks).toEqual([]);
  });
});
