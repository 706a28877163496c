// `noxus ws create`: the name is checked (format, then uniqueness) before the one write.
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { envelope, getGroups, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const RESEARCH = { id: 'g_res', name: 'Research', description: 'R&D', created_at: '2026-02-01T00:00:00Z' };

describe('noxus ws create', () => {
  it('creates and says so', async () => {
    server = mockServer();
    getGroups(server);
    reply(server, 'POST', '/v1/admin/groups', 201, RESEARCH);
    const r = await server.run(['ws', 'create', 'Research', '--description', 'R&D']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ created workspace Research (g_res)\n' });
  });

  it('--json: the envelope with the created workspace', async () => {
    server = mockServer();
    getGroups(server);
    reply(server, 'POST', '/v1/admin/groups', 201, RESEARCH);
    const r = await server.run(['ws', 'create', 'Research', '--json']);
    expect(r.code).toBe(0);
    expect(envelope(r.stdout)).toEqual({ schema_version: 1, command: 'ws create', items: [RESEARCH] });
  });

  it('--dry-run checks the name and writes nothing', async () => {
    server = mockServer();
    getGroups(server);
    const r = await server.run(['ws', 'create', 'Research', '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would create workspace "Research"; nothing changed\n',
    });
  });

  it('an empty name exits 2 before any request', async () => {
    server = mockServer();
    const r = await server.run(['ws', 'create', '  ']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('workspace name');
  });

  it('a taken name (NFD, other case) exits 7 before any write', async () => {
    server = mockServer();
    getGroups(server, [{ id: 'g_cafe', name: 'Café', description: '' }]);
    const r = await server.run(['ws', 'create', 'CAFE\u0301']);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('a workspace named "Café" already exists (g_cafe)');
  });

  it("the server's 409 exits 7 and its 403 exits 6", async () => {
    server = mockServer();
    getGroups(server);
    reply(server, 'POST', '/v1/admin/groups', 409, problem(409, 'name taken'));
    expect((await server.run(['ws', 'create', 'Research'])).code).toBe(7);
    getGroups(server);
    reply(server, 'POST', '/v1/admin/groups', 403, problem(403, 'missing permission workspace:write'));
    expect((await server.run(['ws', 'create', 'Research'])).code).toBe(6);
  });

  it('is public: no exit 8 on the public API', async () => {
    server = mockServer({ features: 'public' });
    getGroups(server);
    expect((await server.run(['ws', 'create', 'Research', '--dry-run'])).code).toBe(0);
  });
});
