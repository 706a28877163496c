// `noxus ws get`: the workspace a name or id means, from the one list read.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { envelope, getGroups, MKT, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

describe('noxus ws get', () => {
  it('by name, case and Unicode form aside', async () => {
    server = mockServer();
    getGroups(server);
    const r = await server.run(['ws', 'get', 'MARKETING']);
    expect(r).toEqual({ code: 0, stdout: expect.stringContaining('g_mkt'), stderr: '' });
    expect(r.stdout).toContain('Marketing');
  });

  it('--json: the envelope with the one workspace', async () => {
    server = mockServer();
    getGroups(server);
    const r = await server.run(['ws', 'get', 'g_mkt', '--json']);
    expect(envelope(r.stdout)).toEqual({ schema_version: 1, command: 'ws get', items: [MKT] });
  });

  it('an unknown workspace exits 5 with a close match', async () => {
    server = mockServer();
    getGroups(server);
    const r = await server.run(['ws', 'get', 'Marketng']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no workspace Marketng');
    expect(r.stderr).toContain('did you mean Marketing?');
  });

  it('two workspaces of that name are refused (exit 2), listing both', async () => {
    server = mockServer();
    getGroups(server, [MKT, { ...MKT, id: 'g_mkt2', name: 'marketing' }]);
    const r = await server.run(['ws', 'get', 'Marketing']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('workspace name "Marketing" matches 2 workspaces');
    expect(r.stderr).toContain('use an id: g_mkt (Marketing), g_mkt2 (marketing)');
  });

  it('a 403 on the list exits 6; on the public API it still works (listing is public)', async () => {
    server = mockServer();
    reply(server, 'GET', '/v1/admin/groups', 403, problem(403, 'missing permission workspace:read'));
    expect((await server.run(['ws', 'get', 'Marketing'])).code).toBe(6);
    server.agent.assertNoPendingInterceptors();
    const pub = mockServer({ features: 'public' });
    getGroups(pub);
    expect((await pub.run(['ws', 'get', 'Marketing'])).code).toBe(0);
    await pub.done();
  });
});
