// `noxus service-accounts delete`: destructive (needs --yes off a terminal); people are refused.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { BOT, envelope, getUsers, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const GONE = { ...BOT, status: 'removed', changed: true, revoked_keys: ['k1', 'k2'] };

describe('noxus service-accounts delete', () => {
  it('deletes with --yes and says how many keys were revoked', async () => {
    server = mockServer();
    getUsers(server);
    reply(server, 'DELETE', '/v1/admin/users/u_bot', 200, GONE);
    const r = await server.run(['service-accounts', 'delete', BOT.email, '--yes']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: `✓ deleted service account ${BOT.email}; revoked 2 key(s)\n`,
    });
  });

  it('--json: the server answer', async () => {
    server = mockServer();
    getUsers(server);
    reply(server, 'DELETE', '/v1/admin/users/u_bot', 200, GONE);
    const r = await server.run(['sa', 'rm', 'u_bot', '--yes', '--json']);
    expect(envelope(r.stdout)).toEqual({
      schema_version: 1,
      command: 'service-accounts delete',
      items: [GONE],
    });
  });

  it('--dry-run deletes nothing; without --yes off a terminal: exit 2', async () => {
    server = mockServer();
    getUsers(server);
    expect(await server.run(['sa', 'delete', BOT.email, '--dry-run'])).toEqual({
      code: 0,
      stdout: '',
      stderr: `would delete service account ${BOT.email} and revoke its keys; nothing changed\n`,
    });
    getUsers(server);
    const r = await server.run(['sa', 'delete', BOT.email]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`noxus service-accounts delete ${BOT.email} --yes`);
  });

  it('a person is refused (exit 2), an unknown account exits 5; neither writes', async () => {
    server = mockServer();
    getUsers(server);
    const person = await server.run(['sa', 'delete', 'bob@example.com', '--yes']);
    expect(person.code).toBe(2);
    expect(person.stderr).toContain('bob@example.com is a person, not a service account');
    getUsers(server);
    expect((await server.run(['sa', 'delete', 'nobody@example.com', '--yes'])).code).toBe(5);
  });

  it("the server's 403 exits 6 and 409 exits 7", async () => {
    server = mockServer();
    getUsers(server);
    reply(server, 'DELETE', '/v1/admin/users/u_bot', 403, problem(403, 'missing permission users:write'));
    expect((await server.run(['sa', 'delete', BOT.email, '--yes'])).code).toBe(6);
    getUsers(server);
    reply(server, 'DELETE', '/v1/admin/users/u_bot', 409, problem(409, 'owns keys in use'));
    expect((await server.run(['sa', 'delete', BOT.email, '--yes'])).code).toBe(7);
  });

  it('on the public API: exit 8 naming the feature, no request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['sa', 'delete', BOT.email, '--yes']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('service accounts');
  });
});
