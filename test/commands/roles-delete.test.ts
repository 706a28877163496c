// `noxus roles delete` in-process against MockAgent.
import { afterEach, describe, expect, it } from 'vitest';
import { calls, detail, onRoles, REFUSALS, ROLES, recordingServer } from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';
import { scriptedPrompter } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const RUNNER = ROLES.find((x) => x.id === 'r-runner');
const del = (status = 200, reply: object = RUNNER as object) =>
  server.pool.intercept({ path: '/v1/admin/roles/r-runner', method: 'DELETE' }).reply(status, reply, json);

describe('noxus roles delete', () => {
  it('with --yes deletes a custom role', async () => {
    server = recordingServer();
    onRoles(server);
    del();
    const r = await server.run(['roles', 'delete', 'Flow Runner', '--yes']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ deleted role Flow Runner\n' });
    expect(calls(server)).toEqual(['GET /v1/admin/roles', 'DELETE /v1/admin/roles/r-runner']);
  });

  it('--json says it was deleted', async () => {
    server = recordingServer();
    onRoles(server);
    del();
    const r = await server.run(['roles', 'rm', 'r-runner', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).items).toEqual([
      { ...RUNNER, scope: 'workspace', granted: ['flows_run', 'kbs_query'], deleted: true },
    ]);
  });

  it('off a terminal without --yes: exit 2 with the command, no write', async () => {
    server = recordingServer();
    onRoles(server);
    const r = await server.run(['roles', 'delete', 'Flow Runner']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to delete role Flow Runner without confirmation (not a terminal)\n' +
        'run: noxus roles delete r-runner --yes\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/roles']);
  });

  it('--dry-run writes nothing', async () => {
    server = recordingServer();
    onRoles(server);
    const r = await server.run(['roles', 'delete', 'Flow Runner', '--dry-run']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'would delete role Flow Runner; nothing changed\n' });
    expect(calls(server)).toEqual(['GET /v1/admin/roles']);
  });

  it('a built-in role is refused (exit 7), no write', async () => {
    server = recordingServer();
    onRoles(server);
    const r = await server.run(['roles', 'delete', 'Editor', '--yes']);
    expect(r).toEqual({
      code: 7,
      stdout: '',
      stderr: 'error: "Editor" is a built-in role and cannot be deleted\n',
    });
  });

  it('a role named like a built-in one on a server that does not say needs its name typed', async () => {
    server = recordingServer('public');
    onRoles(server, [{ id: 'r-x', name: 'Reader', permissions: { flows_run: true } }]);
    const r = await server.run(['roles', 'delete', 'Reader', '--yes']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: "Reader" has the name of a built-in Noxus role and the server does not say whether it is one; deleting it needs its name confirmed\n' +
        'if you are sure: noxus roles delete r-x --confirm-builtin "Reader" --yes\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/roles']);
  });

  it('on a terminal, a mistyped name cancels (exit 130), no write', async () => {
    server = recordingServer('public');
    onRoles(server, [{ id: 'r-x', name: 'Reader', permissions: { flows_run: true } }]);
    const prompter = scriptedPrompter([
      {
        kind: 'input',
        message: '"Reader" may be a built-in role. Type its name to delete it',
        answer: 'reader',
      },
    ]);
    const r = await server.run(['roles', 'delete', 'Reader'], { tty: true, prompter });
    expect(r).toEqual({
      code: 130,
      stdout: '',
      stderr: 'error: the name did not match; nothing was deleted\n',
    });
  });

  it('an unknown role exits 2 with the known ones, no write', async () => {
    server = recordingServer();
    onRoles(server);
    const r = await server.run(['roles', 'delete', 'Flow Runer', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('error: unknown role "Flow Runer" for --role');
    expect(calls(server)).toEqual(['GET /v1/admin/roles']);
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    onRoles(server);
    del(status, detail(text));
    const r = await server.run(['roles', 'delete', 'Flow Runner', '--yes']);
    expect(r).toEqual({ code, stdout: '', stderr: line });
  });

  it('on the public API a custom role is deleted (a confirmed endpoint)', async () => {
    server = recordingServer('public');
    onRoles(server);
    del();
    const r = await server.run(['roles', 'delete', 'Flow Runner', '--yes']);
    expect(r.code).toBe(0);
  });
});
