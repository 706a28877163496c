// `noxus roles update` in-process against MockAgent: taking permissions away asks (and needs --yes
// without a terminal), adding does not; built-in roles are refused; a change to the same is a no-op.
import { afterEach, describe, expect, it } from 'vitest';
import {
  calls,
  detail,
  notHere,
  onCatalogue,
  onRoles,
  REFUSALS,
  ROLES,
  recordingServer,
} from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';
import { scriptedPrompter } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const RUNNER = ROLES.find((x) => x.id === 'r-runner');
const patch = (body: unknown, status = 200, reply: object = { ...RUNNER, permissions: body }) =>
  server.pool
    .intercept({
      path: '/v1/admin/roles/r-runner',
      method: 'PATCH',
      body: (b) => JSON.stringify(JSON.parse(b)) === JSON.stringify(body),
    })
    .reply(status, reply, json);

describe('noxus roles update', () => {
  it('granting more asks nothing off a terminal and says what changed', async () => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    patch({ permissions: { flows_run: true, kbs_query: true, agents_run: true } }, 200, {
      ...RUNNER,
      permissions: { flows_run: true, kbs_query: true, agents_run: true },
    });
    const r = await server.run(['roles', 'update', 'Flow Runner', '--grant', 'agents_run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ changed role Flow Runner (workspace): grants agents_run; in effect now for its holders and their keys\n',
    });
    expect(calls(server)).toEqual([
      'GET /v1/admin/permissions',
      'GET /v1/admin/roles',
      'PATCH /v1/admin/roles/r-runner',
    ]);
  });

  it('--json prints the updated role with its grants', async () => {
    server = recordingServer();
    onRoles(server);
    patch({ description: 'new' }, 200, { ...RUNNER, description: 'new' });
    const r = await server.run(['roles', 'update', 'r-runner', '--description', 'new', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      command: 'roles update',
      items: [{ ...RUNNER, description: 'new', granted: ['flows_run', 'kbs_query'] }],
    });
  });

  it('taking permissions away off a terminal needs --yes: exit 2, no write', async () => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    const r = await server.run(['roles', 'update', 'Flow Runner', '--revoke', 'kbs_query']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to change role Flow Runner (workspace): no longer grants kbs_query, for its holders and their keys at once without confirmation (not a terminal)\n' +
        'run: noxus roles update r-runner --revoke kbs_query --yes\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/permissions', 'GET /v1/admin/roles']);
  });

  it('on a terminal, taking away asks first', async () => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    patch({ permissions: { flows_run: true } });
    const prompter = scriptedPrompter([
      {
        kind: 'confirm',
        message:
          'Change role Flow Runner (workspace): no longer grants kbs_query, for its holders and their keys at once?',
        answer: true,
      },
    ]);
    const r = await server.run(['roles', 'update', 'Flow Runner', '--revoke', 'kbs_query'], {
      tty: true,
      prompter,
    });
    expect(r.code).toBe(0);
    expect(prompter.remaining()).toBe(0);
  });

  it('--dry-run writes nothing', async () => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    const r = await server.run(['roles', 'update', 'Flow Runner', '--revoke', 'kbs_query', '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would change role Flow Runner (workspace): no longer grants kbs_query; nothing changed\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/permissions', 'GET /v1/admin/roles']);
  });

  it('granting what it already grants is a no-op: exit 0, "unchanged"', async () => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    const r = await server.run(['roles', 'update', 'Flow Runner', '--grant', 'flows_run']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ role Flow Runner already is so (unchanged)\n' });
  });

  it.each([
    [[], 'error: nothing to change: give --name, --description, --grant or --revoke\n'],
    [['--grant', 'flows_run', '--revoke', 'flows_run'], 'error: flows_run is both granted and revoked\n'],
  ])('bad input %j exits 2 before any request', async (flags, stderr) => {
    server = recordingServer();
    const r = await server.run(['roles', 'update', 'Flow Runner', ...flags]);
    expect(r).toEqual({ code: 2, stdout: '', stderr });
    expect(calls(server)).toEqual([]);
  });

  it('a built-in role is refused (exit 7), no write', async () => {
    server = recordingServer();
    onRoles(server);
    const r = await server.run(['roles', 'update', 'Reader', '--description', 'x']);
    expect(r).toEqual({
      code: 7,
      stdout: '',
      stderr: 'error: "Reader" is a built-in role and cannot be changed\n',
    });
  });

  it('a role left with nothing exits 2, no write', async () => {
    server = recordingServer();
    onCatalogue(server);
    onRoles(server);
    const r = await server.run([
      'roles',
      'update',
      'Flow Runner',
      '--revoke',
      'flows_run,kbs_query',
      '--yes',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: role Flow Runner would grant nothing; a role must grant at least one permission',
    );
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    onRoles(server);
    patch({ description: 'new' }, status, detail(text));
    const r = await server.run(['roles', 'update', 'Flow Runner', '--description', 'new']);
    expect(r).toEqual({ code, stdout: '', stderr: line });
  });

  it('on the public API: exit 8 naming the feature, before any request', async () => {
    server = recordingServer('public');
    const r = await server.run(['roles', 'update', 'Flow Runner', '--grant', 'agents_run']);
    expect(r.code).toBe(8);
    expect(r.stderr.startsWith(notHere('changing roles'))).toBe(true);
    expect(calls(server)).toEqual([]);
  });
});
