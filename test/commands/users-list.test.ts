// `noxus users list` and `users get` in-process against MockAgent (reads only).
import { afterEach, describe, expect, it } from 'vitest';
import { calls, KEN, OWNER, onGroups, onUsers, recordingServer, USERS } from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

describe('noxus users list', () => {
  it('off a terminal prints tab-separated rows, no header', async () => {
    server = recordingServer();
    onUsers(server, [OWNER, KEN]);
    const r = await server.run(['users', 'list']);
    expect(r).toEqual({
      code: 0,
      stdout:
        'owner@example.com\towner\thuman\tactive\tOrg Admin\t\tu-owner\n' +
        'ken@example.com\tken\thuman\tactive\tOrg Base\t\tu-ken\n',
      stderr: '',
    });
  });

  it('--json puts every user in the envelope', async () => {
    server = recordingServer();
    onUsers(server);
    const r = await server.run(['users', 'ls', '--status', 'suspended', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.command).toBe('users list');
    expect(out.items.map((u: { email: string }) => u.email)).toEqual(['tim@example.com']);
  });

  it('--workspace asks the server for that workspace', async () => {
    server = recordingServer();
    onGroups(server);
    server.pool
      .intercept({
        path: (p) => p.startsWith('/v1/admin/users?') && p.includes('group_id=g-mkt'),
        method: 'GET',
      })
      .reply(200, [KEN], json);
    const r = await server.run(['users', 'list', '--workspace', 'Marketing']);
    expect(r.stdout).toBe('ken@example.com\tken\thuman\tactive\tOrg Base\t\tu-ken\n');
    expect(r.code).toBe(0);
  });

  it('a bad --status exits 2 before any request', async () => {
    server = recordingServer();
    const r = await server.run(['users', 'list', '--status', 'gone']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      "error: option '--status <status>' argument 'gone' is invalid. Allowed choices are invited, active, inactive, suspended, removed.",
    );
    expect(calls(server)).toEqual([]);
  });

  it('--workspace on the public API: exit 8 naming the feature, before any request', async () => {
    server = recordingServer('public');
    const r = await server.run(['users', 'list', '--workspace', 'Marketing']);
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: workspace member lists are not available on this server (absent in this test)',
    );
    expect(calls(server)).toEqual([]);
  });
});

describe('noxus users get', () => {
  it('--json shows one user', async () => {
    server = recordingServer();
    onUsers(server);
    const r = await server.run(['users', 'get', 'u-ken', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ schema_version: 1, command: 'users get', items: [KEN] });
  });

  it('a removed user is found through GET /users/{ref}, with a warning', async () => {
    server = recordingServer();
    onUsers(server, USERS);
    server.pool
      .intercept({ path: '/v1/admin/users/gone%40example.com', method: 'GET' })
      .reply(
        200,
        { ...KEN, email: 'gone@example.com', status: 'removed', removed_at: '2026-11-01T00:00:00Z' },
        json,
      );
    const r = await server.run(['users', 'get', 'gone@example.com']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'warning: gone@example.com was removed from the organization on 2026-11-01T00:00:00Z; their resources and activity are kept\n',
    );
  });
});
