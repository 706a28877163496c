// `noxus sandbox start --api public --unknown-routes ... --openapi off` from the command line: the
// mode reaches the server, is kept in the runtime state and shown by `sandbox status`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'noxus-modes-'));
const data = join(dir, 'data');
const cfg = tempConfigDir();
const cli = (...args: string[]) => runCli(args, { configDir: cfg });

afterAll(async () => {
  await cli('sandbox', 'stop', '--data', data);
  rmSync(dir, { recursive: true, force: true });
  rmSync(cfg, { recursive: true, force: true });
});

describe('sandbox start --api public', () => {
  it('starts a public-only sandbox behind an nginx-style page without /openapi.json, and status says so', async () => {
    const start = await cli(
      'sandbox',
      'start',
      '--detach',
      '--port',
      '0',
      '--data',
      data,
      '--no-profile-setup',
      '--api',
      'public',
      '--unknown-routes',
      'html',
      '--openapi',
      'off',
      '--json',
    );
    expect(start.code, start.stderr).toBe(0);
    const { url, admin_key: key, api } = JSON.parse(start.stdout);
    expect(api).toBe('public');

    const get = (path: string) => fetch(`${url}${path}`, { headers: { 'x-api-key': key } });
    expect((await get('/v1/admin/me')).status).toBe(200);
    for (const path of ['/v1/admin/permissions', '/openapi.json']) {
      const r = await get(path);
      expect([path, r.status, r.headers.get('content-type')]).toEqual([path, 404, 'text/html']);
    }

    const status = await cli('sandbox', 'status', '--data', data, '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).items[0]).toMatchObject({
      api: 'public',
      unknown_routes: 'html',
      openapi: false,
    });
    const human = await cli('sandbox', 'status', '--data', data);
    expect(human.stdout).toContain('public endpoints only');
  });

  it('refuses an unknown mode (exit 2)', async () => {
    const r = await cli('sandbox', 'start', '--api', 'private', '--data', join(dir, 'other'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("argument 'private' is invalid. Allowed choices are full, public.");
  });
});
