// A stored key belongs to the server it was verified against: it is never sent to another origin
// given by --url or NOXUS_BACKEND_URL; NOXUS_API_KEY is the way to talk to another server.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { type FakeServer, fakeServer } from './support.js';

let sbx: TestSandbox;
let other: FakeServer;
const seenKeys: Array<string | undefined> = [];
let cfg: string;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  other = await fakeServer((req, res) => {
    seenKeys.push(req.headers['x-api-key'] as string | undefined);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('[]');
  });
  cfg = tempConfigDir();
  const login = await runCli(
    ['auth', 'login', '--with-token', '--credential-store', 'file', '--url', sbx.url, '--profile', 'ops'],
    { configDir: cfg, input: `${sbx.adminKey}\n` },
  );
  expect(login.code, login.stderr).toBe(0);
});
afterAll(async () => {
  await Promise.all([sbx?.cleanup(), other?.close()]);
});

const keyFile = () => join(cfg, 'credentials', 'ops.key');
const refusal = (from: string) =>
  `error: the key stored for profile ops belongs to ${sbx.url}; it is not sent to ${other.url} (from ${from})\n` +
  `to use ${other.url}: pass its key in NOXUS_API_KEY, or log in for it with another profile: noxus auth login --profile NAME --url ${other.url}\n`;

describe('a stored key is bound to its origin', () => {
  it('login records the origin in the profile', () => {
    const config = JSON.parse(readFileSync(join(cfg, 'config.json'), 'utf8'));
    expect(config.profiles.ops).toMatchObject({ url: sbx.url, origin: sbx.url, credential_store: 'file' });
  });

  it('the same origin (another path spelling) is allowed', async () => {
    const r = await runCli(['users', 'list', '--url', `${sbx.url}/`, '--json'], { configDir: cfg });
    expect(r.stderr).toBe(`warning: key read from a plaintext file ${keyFile()}\n`);
    expect(r.code).toBe(0);
  });

  it('--url of another server is refused with exit 4 and nothing is sent', async () => {
    const before = other.requests.length;
    const r = await runCli(['users', 'list', '--url', other.url], { configDir: cfg });
    expect(r).toEqual({ code: 4, stdout: '', stderr: refusal('--url') });
    expect(other.requests.length).toBe(before);
  });

  it('NOXUS_BACKEND_URL of another server is refused the same way', async () => {
    const before = other.requests.length;
    const r = await runCli(['users', 'list'], { configDir: cfg, env: { NOXUS_BACKEND_URL: other.url } });
    expect(r).toEqual({ code: 4, stdout: '', stderr: refusal('NOXUS_BACKEND_URL') });
    expect(other.requests.length).toBe(before);
  });

  it('auth token refuses too: the key is not handed out for another server', async () => {
    const r = await runCli(['auth', 'token', '--url', other.url], { configDir: cfg });
    expect(r).toEqual({ code: 4, stdout: '', stderr: refusal('--url') });
  });

  it('another port on the same host is another origin', async () => {
    const url = sbx.url.replace(/:(\d+)$/, (_, p) => `:${Number(p) === 65535 ? 65534 : Number(p) + 1}`);
    const r = await runCli(['users', 'list', '--url', url], { configDir: cfg });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`it is not sent to ${url} (from --url)\n`);
  });

  it('with NOXUS_API_KEY the other server gets that key, never the stored one', async () => {
    const before = seenKeys.length;
    const r = await runCli(['users', 'list', '--url', other.url], {
      configDir: cfg,
      env: { NOXUS_API_KEY: 'noxus_env_key_for_the_other_server' },
    });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(seenKeys.slice(before)).toEqual(['noxus_env_key_for_the_other_server']);
    expect(seenKeys).not.toContain(sbx.adminKey);
  });

  it('a profile written before origins were recorded is bound to its url', async () => {
    const dir = tempConfigDir();
    const login = await runCli(
      ['auth', 'login', '--with-token', '--credential-store', 'file', '--url', sbx.url, '--profile', 'ops'],
      { configDir: dir, input: `${sbx.adminKey}\n` },
    );
    expect(login.code).toBe(0);
    const file = join(dir, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    delete config.profiles.ops.origin;
    writeFileSync(file, JSON.stringify(config));

    const same = await runCli(['users', 'list', '--json'], { configDir: dir });
    expect(same.code).toBe(0);
    const before = other.requests.length;
    const r = await runCli(['users', 'list', '--url', other.url], { configDir: dir });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      `error: the key stored for profile ops belongs to ${sbx.url}; it is not sent to ${other.url} (from --url)\n` +
        `to use ${other.url}: pass its key in NOXUS_API_KEY, or log in for it with another profile: noxus auth login --profile NAME --url ${other.url}\n`,
    );
    expect(other.requests.length).toBe(before);
  });
});
