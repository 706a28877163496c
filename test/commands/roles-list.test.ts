// `noxus roles list` and `roles get` in-process against MockAgent (reads only).
import { afterEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/api/roles.js';
import { calls, onRoles, recordingServer } from './admin-fixtures.js';
import type { MockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const PUBLIC_ROLES: Role[] = [
  { id: 'r-a', name: 'Admin', permissions: { workspace_admin: true } },
  { id: 'r-o', name: 'Ops', permissions: { 'users:read': true } },
];

describe('noxus roles list', () => {
  it('off a terminal: one row per role, scope inferred, built-in guessed by the documented names', async () => {
    server = recordingServer('public');
    onRoles(server, PUBLIC_ROLES);
    const r = await server.run(['roles', 'list']);
    expect(r).toEqual({
      code: 0,
      stdout:
        'Admin\tworkspace\tlikely (documented name)\tworkspace_admin\tr-a\nOps\torg\tunknown\tusers:read\tr-o\n',
      stderr: '',
    });
  });

  it('--scope org --json keeps the org roles, with scope, grants and builtin', async () => {
    server = recordingServer();
    onRoles(server, PUBLIC_ROLES);
    const r = await server.run(['roles', 'ls', '--scope', 'org', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      command: 'roles list',
      items: [
        { ...PUBLIC_ROLES[1], scope: 'org', granted: ['users:read'], builtin: null, builtin_by_name: false },
      ],
    });
  });

  it('a bad --scope exits 2 before any request', async () => {
    server = recordingServer();
    const r = await server.run(['roles', 'list', '--scope', 'team']);
    expect(r.code).toBe(2);
    expect(calls(server)).toEqual([]);
  });
});

describe('noxus roles get', () => {
  it('--json shows one role', async () => {
    server = recordingServer();
    onRoles(server, PUBLIC_ROLES);
    const r = await server.run(['roles', 'get', 'admin', '--json']);
    expect(JSON.parse(r.stdout).items).toEqual([
      {
        ...PUBLIC_ROLES[0],
        scope: 'workspace',
        granted: ['workspace_admin'],
        builtin: null,
        builtin_by_name: true,
      },
    ]);
  });
});
