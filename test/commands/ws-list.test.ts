// `noxus ws list` in-process against MockAgent: one read, its table and its --json envelope.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { envelope, GROUPS, getGroups, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

describe('noxus ws list', () => {
  it('prints one row per workspace', async () => {
    server = mockServer();
    getGroups(server);
    const r = await server.run(['ws', 'list']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    // Off a terminal: tab-separated rows, no header, times as the server sent them.
    expect(r.stdout).toBe(
      'Marketing\tcampaigns\t2026-01-02T03:04:05Z\tg_mkt\nEngineering\t\t2026-01-03T00:00:00Z\tg_eng\n',
    );
  });

  it('--json: the envelope with the server items', async () => {
    server = mockServer();
    getGroups(server);
    const r = await server.run(['ws', 'list', '--json']);
    expect(r.code).toBe(0);
    expect(envelope(r.stdout)).toEqual({ schema_version: 1, command: 'ws list', items: GROUPS });
  });

  it('works on the public API (listing workspaces is public)', async () => {
    server = mockServer({ features: 'public' });
    getGroups(server);
    expect((await server.run(['ws', 'ls', '--json'])).code).toBe(0);
  });

  it('a 403 exits 6', async () => {
    server = mockServer();
    reply(server, 'GET', '/v1/admin/groups', 403, problem(403, 'missing permission workspace:read'));
    const r = await server.run(['ws', 'list']);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('missing permission workspace:read');
  });
});
