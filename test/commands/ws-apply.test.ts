// `noxus ws apply` in-process: the plan from the file and the server's lists, --dry-run writes
// nothing, bad rows exit 2 with no request beyond the reads, and per-row failures exit 3.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { tempDir } from './support.js';
import { envelope, getGroups, getMembers, getRoles, getUsers, MKT, problem, reply } from './ws-fixtures.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

function csv(text: string): string {
  const file = join(tempDir(), 'members.csv');
  writeFileSync(file, text);
  return file;
}
function reads(s: MockServer, groups?: unknown[]) {
  getRoles(s);
  getGroups(s, groups);
  getUsers(s);
}
// Bob Editor → Reader, Cy added as Editor, Ada (org admin) listed as Admin: unchanged.
const FILE =
  'workspace,user,role\nMarketing,bob@example.com,Reader\nmarketing,CY@example.com,Editor\nMarketing,ada@example.com,Admin\n';
const ok = (userId: string) => ({
  group_id: 'g_mkt',
  user_id: userId,
  email: '',
  role: { id: 'x', name: 'x' },
  created: true,
  changed: true,
});

describe('noxus ws apply', () => {
  it('applies adds and role changes, never touching an org admin', async () => {
    server = mockServer();
    reads(server);
    getMembers(server);
    reply(server, 'PUT', '/v1/admin/groups/g_mkt/members/u_bob', 200, ok('u_bob'));
    reply(server, 'PUT', '/v1/admin/groups/g_mkt/members/u_cy', 200, ok('u_cy'));
    const r = await server.run(['ws', 'apply', '-f', csv(FILE), '--yes']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '1 to add, 1 role change(s), 0 to remove, 1 unchanged\n' +
        '  change bob@example.com in Marketing: Editor → Reader\n' +
        '  add cy@example.com to Marketing as Editor\n' +
        '✓ 1 added, 1 changed, 0 removed, 0 failed\n',
    });
  });

  it('--dry-run --prune --json: the plan, removals included, and no write', async () => {
    server = mockServer();
    reads(server);
    getMembers(server);
    const r = await server.run([
      'ws',
      'apply',
      '-f',
      csv('workspace,user,role\nMarketing,cy@example.com,Reader\n'),
      '--prune',
      '--dry-run',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(envelope(r.stdout)).toEqual({
      schema_version: 1,
      command: 'ws apply',
      dry_run: true,
      summary: '1 to add, 0 role change(s), 1 to remove, 0 unchanged',
      items: [
        {
          row: 2,
          workspace: 'Marketing',
          user: 'cy@example.com',
          action: 'add',
          role: 'Reader',
          outcome: 'planned',
        },
        {
          row: 0,
          workspace: 'Marketing',
          user: 'bob@example.com',
          action: 'remove',
          role: 'Editor',
          outcome: 'planned',
        },
      ],
    });
  });

  it('bad rows exit 2 with every problem and no member read or write: an ambiguous workspace name too', async () => {
    server = mockServer();
    reads(server, [MKT, { ...MKT, id: 'g_mkt2', name: 'MARKETING' }]);
    const file = csv(
      'workspace,user,role\nMarketing,bob@example.com,Reader\nEngineering,nobody@example.com,Boss\n',
    );
    const r = await server.run(['ws', 'apply', '-f', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'members.csv:2:1: workspace name "Marketing" matches 2 workspaces; use an id: g_mkt (Marketing), g_mkt2 (MARKETING)',
    );
    expect(r.stderr).toContain('members.csv:3:1: unknown workspace "Engineering"');
    expect(r.stderr).toContain('members.csv:3:2: unknown user "nobody@example.com"');
    expect(r.stderr).toContain('members.csv:3:3: unknown role "Boss"');
  });

  it('a row refused by the server (403) among others: exit 3; all refused (409): exit 1', async () => {
    server = mockServer();
    reads(server);
    getMembers(server);
    reply(server, 'PUT', '/v1/admin/groups/g_mkt/members/u_bob', 200, ok('u_bob'));
    reply(
      server,
      'PUT',
      '/v1/admin/groups/g_mkt/members/u_cy',
      403,
      problem(403, 'missing permission workspace_admin'),
    );
    const partial = await server.run(['ws', 'apply', '-f', csv(FILE), '--yes']);
    expect(partial.code).toBe(3);
    expect(partial.stderr).toContain('1 of 2 changes failed');
    reads(server);
    getMembers(server);
    reply(server, 'PUT', '/v1/admin/groups/g_mkt/members/u_cy', 409, problem(409, 'user removed'));
    const all = await server.run([
      'ws',
      'apply',
      '-f',
      csv('workspace,user,role\nMarketing,cy@example.com,Reader\n'),
      '--yes',
    ]);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain('all 1 changes failed');
  });

  it('on the public API: exit 8 naming the feature, no request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run(['ws', 'apply', '-f', csv(FILE)]);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('workspace member lists');
  });
});
