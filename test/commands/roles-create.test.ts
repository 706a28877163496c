// `noxus roles create` in-process against MockAgent.
import { afterEach, describe, expect, it } from 'vitest';
import { calls, detail, onCatalogue, onRoles, REFUSALS, recordingServer } from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const FLAGS = ['roles', 'create', '--name', 'Analyst', '--permissions', 'flows_run,kbs_query'];
const BODY = { name: 'Analyst', description: '', permissions: { flows_run: true, kbs_query: true } };
const ANALYST = { id: 'r-new', ...BODY, scope: 'workspace', builtin: false };
const post = (status: number, reply: object) =>
  server.pool
    .intercept({
      path: '/v1/admin/roles',
      method: 'POST',
      body: (b) => JSON.stringify(JSON.parse(b)) === JSON.stringify(BODY),
    })
    .reply(status, reply, json);

describe('noxus roles create', () => {
  it('checks the names against the catalogue and creates the role', async () => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    post(200, ANALYST);
    const r = await server.run(FLAGS);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: '✓ created role Analyst (r-new) with flows_run, kbs_query\n',
    });
    expect(calls(server)).toEqual([
      'GET /v1/admin/permissions',
      'GET /v1/admin/roles',
      'POST /v1/admin/roles',
    ]);
  });

  it('--json prints the role with its scope and grants', async () => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    post(200, ANALYST);
    const r = await server.run([...FLAGS, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      command: 'roles create',
      items: [{ ...ANALYST, granted: ['flows_run', 'kbs_query'] }],
    });
  });

  it('--dry-run writes nothing', async () => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    const r = await server.run([...FLAGS, '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would create workspace role "Analyst" with flows_run, kbs_query; nothing changed\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/permissions', 'GET /v1/admin/roles']);
  });

  it('without a terminal, a missing flag exits 2 before any request', async () => {
    server = recordingServer();
    const r = await server.run(['roles', 'create', '--name', 'Analyst']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: missing --permissions (no terminal to ask: stdin/stdout is not a TTY, CI is set, or --no-input)\n' +
        'run: noxus roles create --name Analyst --permissions <perm,perm>\n',
    });
    expect(calls(server)).toEqual([]);
  });

  it('an unknown permission exits 2 with a close match, no write', async () => {
    server = recordingServer();
    onCatalogue(server);
    const r = await server.run(['roles', 'create', '--name', 'Analyst', '--permissions', 'flows_runn']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: unknown permission flows_runn\nflows_runn: did you mean flows_run?\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/permissions']);
  });

  it('mixing org and workspace permissions exits 2, no write', async () => {
    server = recordingServer();
    onCatalogue(server);
    const r = await server.run(['roles', 'create', '--name', 'Mixed', '--permissions', 'flows_run,org:read']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: a role is either an organization role or a workspace role; do not mix org and workspace permissions\n',
    );
  });

  it('a name already taken is a conflict (exit 7), no write', async () => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    const r = await server.run(['roles', 'create', '--name', 'flow runner', '--permissions', 'flows_run']);
    expect(r).toEqual({ code: 7, stdout: '', stderr: 'error: a role named "flow runner" already exists\n' });
    expect(calls(server)).toEqual(['GET /v1/admin/permissions', 'GET /v1/admin/roles']);
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    post(status, detail(text));
    const r = await server.run(FLAGS);
    expect(r).toEqual({ code, stdout: '', stderr: line });
  });

  it('on the public API (no catalogue) the names go to the server as given', async () => {
    server = recordingServer('public');
    onRoles(server);
    post(200, ANALYST);
    const r = await server.run(FLAGS);
    expect(r.code).toBe(0);
    expect(calls(server)).toEqual(['GET /v1/admin/roles', 'POST /v1/admin/roles']);
  });
});
