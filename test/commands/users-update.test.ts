// `noxus users update` in-process against MockAgent: profile changes, the org-role confirmation,
// the refusal to demote yourself, and how server refusals map to exit codes.
import { afterEach, describe, expect, it } from 'vitest';
import {
  calls,
  detail,
  KEN,
  notHere,
  OWNER,
  onMe,
  onRoles,
  onUsers,
  REFUSALS,
  recordingServer,
} from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';
import { scriptedPrompter } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const patch = (body: unknown, reply: object = { ...KEN, changed: ['display_name'] }) =>
  server.pool
    .intercept({
      path: '/v1/admin/users/u-ken',
      method: 'PATCH',
      body: (b) => JSON.stringify(JSON.parse(b)) === JSON.stringify(body),
    })
    .reply(200, reply, json);

describe('noxus users update', () => {
  it('changes a profile field and says what changed', async () => {
    server = recordingServer();
    onUsers(server);
    patch({ display_name: 'Kenny' });
    const r = await server.run(['users', 'update', 'ken@example.com', '--display-name', 'Kenny']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ ken@example.com: display name ken → Kenny\n' });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'PATCH /v1/admin/users/u-ken']);
  });

  it('--json prints the changes in an envelope', async () => {
    server = recordingServer();
    onUsers(server);
    patch({ display_name: 'Kenny' });
    const r = await server.run(['users', 'update', 'ken@example.com', '--display-name', 'Kenny', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      command: 'users update',
      user: 'u-ken',
      changed: true,
      items: [{ field: 'display name', before: 'ken', after: 'Kenny' }],
    });
  });

  it('--dry-run shows the change and writes nothing', async () => {
    server = recordingServer();
    onUsers(server);
    const r = await server.run(['users', 'update', 'ken@example.com', '--name', 'Ken K', '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would change name of ken@example.com: ken → Ken K\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users']);
  });

  it('the same values again are a no-op: exit 0, "unchanged", no write', async () => {
    server = recordingServer();
    onUsers(server);
    const r = await server.run(['users', 'update', 'ken@example.com', '--display-name', 'ken']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'ken@example.com: nothing to change (unchanged)\n' });
    expect(calls(server)).toEqual(['GET /v1/admin/users']);
  });

  it.each([
    [['--name', ''], 'error: --name must not be empty\n'],
    [[], 'error: nothing to change\ngive at least one of --name, --display-name, --avatar-url, --org-role\n'],
  ])('bad input %j exits 2 before any request', async (flags, stderr) => {
    server = recordingServer();
    const r = await server.run(['users', 'update', 'ken@example.com', ...flags]);
    expect(r).toEqual({ code: 2, stdout: '', stderr });
    expect(calls(server)).toEqual([]);
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    onUsers(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-ken', method: 'PATCH' })
      .reply(status, detail(text), json);
    const r = await server.run(['users', 'update', 'ken@example.com', '--display-name', 'Kenny']);
    expect(r).toEqual({ code, stdout: '', stderr: line });
  });

  it('on the public API: exit 8 naming the feature, before any request', async () => {
    server = recordingServer('public');
    const r = await server.run(['users', 'update', 'ken@example.com', '--display-name', 'Kenny']);
    expect(r.code).toBe(8);
    expect(r.stderr.startsWith(notHere("changing a user's profile or organization role"))).toBe(true);
    expect(calls(server)).toEqual([]);
  });
});

describe('noxus users update --org-role (a privilege change)', () => {
  it('off a terminal without --yes: exit 2 with the command to run, no write', async () => {
    server = recordingServer();
    onUsers(server);
    onRoles(server);
    onMe(server);
    const r = await server.run(['users', 'update', 'ken@example.com', '--org-role', 'Org Admin']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to change the org role of ken@example.com from Org Base to Org Admin without confirmation (not a terminal)\n' +
        'run: noxus users update ken@example.com --org-role "Org Admin" --yes\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/roles', 'GET /v1/admin/me']);
  });

  it('on a terminal it asks, and a yes sends the role id', async () => {
    server = recordingServer();
    onUsers(server);
    onRoles(server);
    onMe(server);
    patch({ org_role: 'org_admin' }, { ...KEN, org_role: { id: 'org_admin', name: 'Org Admin' } });
    const prompter = scriptedPrompter([
      {
        kind: 'confirm',
        message: 'Change the org role of ken@example.com from Org Base to Org Admin?',
        answer: true,
        check: (o) => expect(o.default).toBe(false),
      },
    ]);
    const r = await server.run(['users', 'update', 'ken@example.com', '--org-role', 'Org Admin'], {
      tty: true,
      prompter,
    });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '✓ ken@example.com: org role Org Base → Org Admin\n' });
    expect(prompter.remaining()).toBe(0);
  });

  it('taking org admin away from yourself is refused without --force, even with --yes', async () => {
    server = recordingServer();
    onUsers(server);
    onRoles(server);
    onMe(server, OWNER);
    const r = await server.run(['users', 'update', 'owner@example.com', '--org-role', 'Org Base', '--yes']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to take org admin away from yourself: owner@example.com holds the key in use, which would lose org admin\n' +
        'if that is what you want, run: noxus users update owner@example.com --org-role "Org Base" --force --yes; nothing changed\n',
    });
    expect(calls(server).filter((c) => !c.startsWith('GET '))).toEqual([]);
  });

  it('an unknown org role exits 2 with the known ones, no write', async () => {
    server = recordingServer();
    onUsers(server);
    onRoles(server);
    const r = await server.run(['users', 'update', 'ken@example.com', '--org-role', 'Boss', '--yes']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: unknown organization role "Boss" for --org-role\nknown: Org Admin, Org Base\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/roles']);
  });
});
