// `noxus users suspend` and `reactivate` in-process against MockAgent: confirmation off a terminal,
// the refusal to suspend yourself, no-ops, dry runs, and server refusals mapped to exit codes.
import { afterEach, describe, expect, it } from 'vitest';
import {
  calls,
  detail,
  KEN,
  notHere,
  OWNER,
  onMe,
  onUsers,
  REFUSALS,
  recordingServer,
  TIM,
} from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';
import { scriptedPrompter } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const suspended = { ...KEN, status: 'suspended', is_active: false, changed: true };

describe('noxus users suspend', () => {
  it('with --yes suspends and says so', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-ken/suspend', method: 'POST' })
      .reply(200, suspended, json);
    const r = await server.run(['users', 'suspend', 'ken@example.com', '--yes']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ ken@example.com is now suspended\n' });
    expect(calls(server)).toEqual([
      'GET /v1/admin/users',
      'GET /v1/admin/me',
      'POST /v1/admin/users/u-ken/suspend',
    ]);
  });

  it('--json prints the server answer in an envelope', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-ken/suspend', method: 'POST' })
      .reply(200, suspended, json);
    const r = await server.run(['users', 'suspend', 'ken@example.com', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ schema_version: 1, command: 'users suspend' });
    expect(out.items).toEqual([suspended]);
  });

  it('off a terminal without --yes: exit 2 with the command, no write', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    const r = await server.run(['users', 'suspend', 'ken@example.com']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to suspend ken@example.com without confirmation (not a terminal)\n' +
        'run: noxus users suspend ken@example.com --yes\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/me']);
  });

  it('on a terminal it asks; "no" is exit 130 and nothing is written', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    const prompter = scriptedPrompter([
      { kind: 'confirm', message: 'Suspend ken@example.com?', answer: false },
    ]);
    const r = await server.run(['users', 'suspend', 'ken@example.com'], { tty: true, prompter });
    expect(r).toEqual({ code: 130, stdout: '', stderr: 'error: cancelled; nothing changed\n' });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/me']);
  });

  it('suspending yourself is refused without --force, even with --yes', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server, OWNER);
    const r = await server.run(['users', 'suspend', 'owner@example.com', '--yes']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to suspend yourself: owner@example.com holds the key in use, which would stop working at once\n' +
        'if that is what you want, run: noxus users suspend owner@example.com --force --yes; nothing changed\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/me']);
  });

  it('--dry-run names the target as you, warns, and writes nothing', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server, OWNER);
    const r = await server.run(['users', 'suspend', 'owner@example.com', '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'would suspend owner@example.com (you) (now active); nothing changed\n' +
        'warning: this suspends the holder of the key you are using; it needs --force\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/me']);
  });

  it('an already suspended user is a no-op: exit 0, "unchanged"', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-tim/suspend', method: 'POST' })
      .reply(200, { ...TIM, changed: false }, json);
    const r = await server.run(['users', 'suspend', 'tim@example.com', '--yes']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: '✓ tim@example.com was already suspended (unchanged)\n',
    });
  });

  it('an unknown user exits 5 before any write', async () => {
    server = recordingServer();
    onUsers(server);
    const r = await server.run(['users', 'suspend', 'nobody@example.com', '--yes']);
    expect(r.code).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe('error: no user nobody@example.com');
    expect(calls(server)).toEqual(['GET /v1/admin/users']);
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-ken/suspend', method: 'POST' })
      .reply(status, detail(text), json);
    const r = await server.run(['users', 'suspend', 'ken@example.com', '--yes']);
    expect(r).toEqual({ code, stdout: '', stderr: line });
  });

  it('on the public API: exit 8 naming the feature, before any request', async () => {
    server = recordingServer('public');
    const r = await server.run(['users', 'suspend', 'ken@example.com', '--yes']);
    expect(r.code).toBe(8);
    expect(r.stderr.startsWith(notHere('suspending and reactivating users'))).toBe(true);
    expect(calls(server)).toEqual([]);
  });
});

describe('noxus users reactivate', () => {
  const active = { ...TIM, status: 'active', is_active: true, changed: true };

  it('reactivates without asking (not destructive)', async () => {
    server = recordingServer();
    onUsers(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-tim/reactivate', method: 'POST' })
      .reply(200, active, json);
    const r = await server.run(['users', 'reactivate', 'tim@example.com']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ tim@example.com is now active\n' });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'POST /v1/admin/users/u-tim/reactivate']);
  });

  it('--json prints the server answer in an envelope', async () => {
    server = recordingServer();
    onUsers(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-tim/reactivate', method: 'POST' })
      .reply(200, active, json);
    const r = await server.run(['users', 'reactivate', 'tim@example.com', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ schema_version: 1, command: 'users reactivate', items: [active] });
  });

  it('--dry-run writes nothing', async () => {
    server = recordingServer();
    onUsers(server);
    const r = await server.run(['users', 'reactivate', 'tim@example.com', '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would reactivate tim@example.com (now suspended); nothing changed\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users']);
  });

  it('an active user is a no-op: exit 0, "unchanged"', async () => {
    server = recordingServer();
    onUsers(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-ken/reactivate', method: 'POST' })
      .reply(200, { ...KEN, changed: false }, json);
    const r = await server.run(['users', 'reactivate', 'ken@example.com']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ ken@example.com was already active (unchanged)\n' });
  });

  it('a missing user argument exits 2 before any request', async () => {
    server = recordingServer();
    const r = await server.run(['users', 'reactivate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: missing required argument 'user'\n(run with --help for usage)\n");
    expect(calls(server)).toEqual([]);
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    onUsers(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-tim/reactivate', method: 'POST' })
      .reply(status, detail(text), json);
    const r = await server.run(['users', 'reactivate', 'tim@example.com']);
    expect(r).toEqual({ code, stdout: '', stderr: line });
  });

  it('on the public API: exit 8 naming the feature, before any request', async () => {
    server = recordingServer('public');
    const r = await server.run(['users', 'reactivate', 'tim@example.com']);
    expect(r.code).toBe(8);
    expect(r.stderr.startsWith(notHere('suspending and reactivating users'))).toBe(true);
    expect(calls(server)).toEqual([]);
  });
});
