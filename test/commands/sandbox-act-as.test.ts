// `noxus sandbox act-as` in-process against MockAgent: the one request it makes, the secret on
// stdout alone, and what it says when the server has no such endpoint.
import { afterEach, describe, expect, it } from 'vitest';
import { json, type MockServer, mockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const SECRET = 'noxus_actas0123456789abcdefghijklmnop';
const minted = {
  id: 'k7',
  name: 'act-as ken@example.com',
  value: SECRET,
  group_name: 'Engineering',
  holder_email: 'ken@example.com',
  effective_permissions: ['flows_run', 'kbs_query'],
};

/** Matches a JSON request body equal to `expected`. */
const bodyIs = (expected: unknown) => (body: string) => {
  expect(JSON.parse(body)).toEqual(expected);
  return true;
};

describe('noxus sandbox act-as', () => {
  it('mints a key: the secret alone on stdout, what it is on stderr', async () => {
    server = mockServer();
    server.pool
      .intercept({
        path: '/v1/sandbox/act-as',
        method: 'POST',
        body: bodyIs({ user_id: 'ken@example.com', group_id: 'Engineering' }),
      })
      .reply(201, minted, json);
    const r = await server.run(['sandbox', 'act-as', 'ken@example.com', '--workspace', 'Engineering']);
    expect(r).toEqual({
      code: 0,
      stdout: `${SECRET}\n`,
      stderr:
        '✓ key "act-as ken@example.com" (k7) held by ken@example.com in Engineering\n' +
        'permissions: flows_run, kbs_query\n' +
        'warning: the secret below is shown once; store it now (e.g. export NOXUS_API_KEY=...)\n',
    });
  });

  it('--restrict, --name and --tenant-admin go into the request; --json names the secret `secret`', async () => {
    server = mockServer();
    server.pool
      .intercept({
        path: '/v1/sandbox/act-as',
        method: 'POST',
        body: bodyIs({
          user_id: 'u3',
          group_id: 'g1',
          name: 'ci bot',
          permissions: ['flows_run', 'kbs_query'],
          tenant_admin: true,
        }),
      })
      .reply(201, { ...minted, name: 'ci bot' }, json);
    const r = await server.run([
      'sandbox',
      'act-as',
      'u3',
      '--workspace',
      'g1',
      '--name',
      'ci bot',
      '--restrict',
      'flows_run, kbs_query,',
      '--tenant-admin',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const { value: _secret, ...rest } = minted;
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      command: 'sandbox act-as',
      items: [{ ...rest, name: 'ci bot', secret: SECRET }],
    });
  });

  it('without --workspace: usage error, no request', async () => {
    server = mockServer();
    const r = await server.run(['sandbox', 'act-as', 'ken@example.com']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: "error: required option '--workspace <w>' not specified\n(run with --help for usage)\n",
    });
  });

  it('a server without the endpoint: exit 8, and the hint points at the sandbox', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: '/v1/sandbox/act-as', method: 'POST' })
      .reply(404, { detail: 'Not Found' }, json);
    const r = await server.run(['sandbox', 'act-as', 'ken@example.com', '--workspace', 'Engineering']);
    expect(r).toEqual({
      code: 8,
      stdout: '',
      stderr:
        'error: acting as a user is not available on this server (POST /v1/sandbox/act-as answered HTTP 404, request id req-mock)\n' +
        'this needs the extended admin API, which the Noxus sandbox implements (noxus sandbox); the public Noxus API has no such endpoint\n',
    });
  });

  it('a server known to lack it: exit 8 before any request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['sandbox', 'act-as', 'ken@example.com', '--workspace', 'Engineering']);
    expect(r.code).toBe(8);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      'error: acting as a user is not available on this server (absent in this test)',
    );
  });
});
