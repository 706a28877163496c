// `noxus auth login|status|token|logout` in-process against MockAgent, with a temporary config
// directory and the file credential store (the OS keychain has its own e2e test).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialFilePath } from '../../src/config/credentials.js';
import { me } from './keys-fixtures.js';
import { json, type MockServer, mockServer, ORIGIN } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const TOKEN = 'noxus_login_0123456789abcdefXYZ';
const login = ['auth', 'login', '--with-token', '--credential-store', 'file'];

/** A server and a config directory with no key in the environment: the stored key is what counts. */
function loggedOut(): MockServer {
  return mockServer({ env: { NOXUS_API_KEY: undefined, NOXUS_BACKEND_URL: undefined } });
}

async function logIn(s: MockServer): Promise<void> {
  s.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
  const r = await s.run([...login, '--url', ORIGIN], { stdin: TOKEN });
  expect(r.code).toBe(0);
}

const keyFile = (s: MockServer) => credentialFilePath('default', s.env);
const stored = (s: MockServer) => `file ${keyFile(s)} (plaintext, 0600)`;
const configFile = (s: MockServer) => join(s.env.NOXUS_CONFIG_DIR as string, 'config.json');
const config = (s: MockServer) => JSON.parse(readFileSync(configFile(s), 'utf8'));

describe('auth login', () => {
  it('verifies the key, stores it in the file store and makes the profile current', async () => {
    server = loggedOut();
    let sent: string | undefined;
    server.pool
      .intercept({
        path: '/v1/admin/me',
        method: 'GET',
        headers: (h: Record<string, string>) => {
          sent = h['x-api-key'];
          return true;
        },
      })
      .reply(200, me, json);
    const r = await server.run([...login, '--url', ORIGIN], { stdin: `${TOKEN}\n` });
    expect(r.code).toBe(0);
    expect(sent).toBe(TOKEN);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        `warning: the key is stored unencrypted in ${stored(server)}`,
        `✓ logged in to ${ORIGIN} as key "admin laptop" (k-me), tenant admin; profile default`,
        `key stored in ${stored(server)}`,
        '',
      ].join('\n'),
    );
    expect(readFileSync(keyFile(server), 'utf8')).toBe(`${TOKEN}\n`);
    expect(config(server)).toMatchObject({
      current: 'default',
      profiles: {
        default: { url: ORIGIN, credential_store: 'file', key_id: 'k-me', key_name: 'admin laptop' },
      },
    });
  });

  it('--json names where the key went, never the key', async () => {
    server = loggedOut();
    server.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
    const r = await server.run([...login, '--url', ORIGIN, '--profile', 'prod', '--json'], { stdin: TOKEN });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      schema_version: 1,
      command: 'auth login',
      items: [{ profile: 'prod', url: ORIGIN, key_id: 'k-me', tenant_admin: true }],
    });
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it.each([
    [401, 4],
    [403, 6],
  ])('a key the server answers %i to exits %i and stores nothing', async (status, code) => {
    server = loggedOut();
    server.pool
      .intercept({ path: '/v1/admin/me', method: 'GET' })
      .reply(status, { detail: 'Invalid API key' }, json);
    const r = await server.run([...login, '--url', ORIGIN], { stdin: TOKEN });
    expect(r.code).toBe(code);
    expect(r.stderr).not.toContain(TOKEN);
    expect(existsSync(keyFile(server))).toBe(false);
    // No profile was written, so the config store never created its file.
    expect(existsSync(configFile(server))).toBe(false);
  });

  it.each([
    ['', 'error: the API key is empty'],
    ['two keys', 'error: the API key contains whitespace; pass exactly one key'],
  ])('stdin %j exits 2 with no request', async (stdin, message) => {
    server = loggedOut();
    const r = await server.run([...login, '--url', ORIGIN], { stdin });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(message);
  });

  it('without --with-token and no terminal it exits 2 and says how to pipe the key', async () => {
    server = loggedOut();
    const r = await server.run(['auth', 'login', '--url', ORIGIN]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `pipe it in: printf %s "$KEY" | noxus auth login --with-token --profile default --url ${ORIGIN}`,
    );
  });
});

describe('auth status, token, logout', () => {
  it('status shows the profile, server and where the key lives; the key itself only masked', async () => {
    server = loggedOut();
    await logIn(server);
    server.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
    const r = await server.run(['auth', 'status', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      command: 'auth status',
      items: [
        {
          profile: 'default',
          url: ORIGIN,
          key_id: 'k-me',
          value: 'noxus_…wxyz',
          source: 'file',
          location: stored(server),
          overridden_by_env: false,
        },
      ],
    });
    expect(r.stdout).not.toContain(TOKEN);
  });

  it('status when not logged in exits 4 with no request', async () => {
    server = loggedOut();
    const r = await server.run(['auth', 'status']);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toBe('error: not logged in (profile default, https://backend.noxus.ai)');
  });

  it('token prints the stored key on stdout (its contract), where it was read from on stderr', async () => {
    server = loggedOut();
    await logIn(server);
    const r = await server.run(['auth', 'token']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${TOKEN}\n`);
    expect(r.stderr).toBe(`warning: key read from a plaintext file ${keyFile(server)}\n`);
  });

  it('logout removes the key file and the profile', async () => {
    server = loggedOut();
    await logIn(server);
    const r = await server.run(['auth', 'logout']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`✓ logged out of profile default; removed the key from ${stored(server)}\n`);
    expect(existsSync(keyFile(server))).toBe(false);
    expect(config(server).profiles).toEqual({});
    const again = await server.run(['auth', 'logout']);
    expect(again.code).toBe(5);
    expect(again.stderr.split('\n')[0]).toBe('error: no profile default');
  });
});
