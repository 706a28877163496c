// `noxus users remove` in-process against MockAgent: confirmation, the refusal to remove yourself,
// the no-op of a second removal, dry runs, and server refusals mapped to exit codes.
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
} from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const TIP =
  'tip: noxus offboard ken@example.com runs the full checklist (access review, resource transfer, rotating shared keys)\n';
const removed = {
  ...KEN,
  status: 'removed',
  is_active: false,
  removed_at: '2026-11-29T10:00:00Z',
  changed: true,
  revoked_keys: ['k1', 'k2'],
};

describe('noxus users remove', () => {
  it('with --yes removes, revoking keys, and says how many', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    server.pool.intercept({ path: '/v1/admin/users/u-ken', method: 'DELETE' }).reply(200, removed, json);
    const r = await server.run(['users', 'remove', 'ken@example.com', '--yes']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: `${TIP}✓ removed ken@example.com from the organization; revoked 2 keys\n`,
    });
    expect(calls(server)).toEqual([
      'GET /v1/admin/users',
      'GET /v1/admin/me',
      'DELETE /v1/admin/users/u-ken',
    ]);
  });

  it('--json prints the answer with whether it was you', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    server.pool.intercept({ path: '/v1/admin/users/u-ken', method: 'DELETE' }).reply(200, removed, json);
    const r = await server.run(['users', 'rm', 'ken@example.com', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      command: 'users remove',
      items: [{ ...removed, self: false }],
    });
  });

  it('off a terminal without --yes: exit 2 with the command, no write', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    const r = await server.run(['users', 'remove', 'ken@example.com']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `${TIP}error: refusing to remove ken@example.com from the organization, revoking their keys without confirmation (not a terminal)\n` +
        'run: noxus users remove ken@example.com --yes\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/me']);
  });

  it('removing yourself is refused without --force, even with --yes', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server, OWNER);
    const r = await server.run(['users', 'remove', 'owner@example.com', '--yes']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to remove yourself: owner@example.com holds the key in use, which would stop working at once\n' +
        'if that is what you want, run: noxus users remove owner@example.com --force --yes; nothing changed\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/me']);
  });

  it('--dry-run says what removal does and writes nothing', async () => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    const r = await server.run(['users', 'remove', 'ken@example.com', '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'would remove ken@example.com from the organization: memberships deleted, their keys and every key whose secret they saw revoked, pending invitations withdrawn; resources and activity kept; nothing changed\n' +
        TIP,
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/me']);
  });

  it('a user removed before is a no-op: exit 0, "unchanged", found through GET /users/{ref}', async () => {
    server = recordingServer();
    onUsers(server, [OWNER]);
    server.pool
      .intercept({ path: '/v1/admin/users/ken%40example.com', method: 'GET' })
      .reply(200, removed, json);
    const r = await server.run(['users', 'remove', 'ken@example.com', '--yes']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: '✓ ken@example.com was already removed on 2026-11-29T10:00:00Z (unchanged)\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/users/ken%40example.com']);
  });

  it('an unknown user exits 5 with no write', async () => {
    server = recordingServer();
    onUsers(server);
    server.pool
      .intercept({ path: '/v1/admin/users/nobody%40example.com', method: 'GET' })
      .reply(404, detail('user not found'), json);
    const r = await server.run(['users', 'remove', 'nobody@example.com', '--yes']);
    expect(r.code).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe('error: no user nobody@example.com');
    expect(calls(server).filter((c) => !c.startsWith('GET '))).toEqual([]);
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    onUsers(server);
    onMe(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-ken', method: 'DELETE' })
      .reply(status, detail(text), json);
    const r = await server.run(['users', 'remove', 'ken@example.com', '--yes']);
    expect(r).toEqual({ code, stdout: '', stderr: `${TIP}${line}` });
  });

  it('on the public API: exit 8 naming the feature, before any request', async () => {
    server = recordingServer('public');
    const r = await server.run(['users', 'remove', 'ken@example.com', '--yes']);
    expect(r.code).toBe(8);
    expect(r.stderr.startsWith(notHere('removing users from the organization'))).toBe(true);
    expect(calls(server)).toEqual([]);
  });
});
