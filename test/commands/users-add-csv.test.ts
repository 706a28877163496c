// `noxus users add --from-csv` in-process against MockAgent: a row already in place is "unchanged"
// and makes no write; a server without invitations stops before the first write.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { calls, onGroups, onRoles, onUsers, recordingServer } from './admin-fixtures.js';
import type { MockServer } from './mock.js';
import { tempDir } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const csv = (text: string) => {
  const file = join(tempDir(), 'cohort.csv');
  writeFileSync(file, text);
  return file;
};
const reads = () => {
  onRoles(server);
  onGroups(server);
  onUsers(server);
};

describe('noxus users add --from-csv', () => {
  it('a row that is already so is a no-op: exit 0, "unchanged", no write', async () => {
    server = recordingServer();
    reads();
    const file = csv('email,name,display_name,org_role,workspaces\nken@example.com,ken,ken,Org Base,\n');
    const r = await server.run(['users', 'add', '--from-csv', file]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '1 rows: 0 to invite, 0 to update, 1 unchanged\n✓ 0 invited, 0 updated, 1 unchanged, 0 failed\n',
    });
    expect(calls(server).every((c) => c.startsWith('GET '))).toBe(true);
  });

  it('--dry-run lists the plan and writes nothing', async () => {
    server = recordingServer();
    reads();
    const file = csv(
      'email,name,display_name,org_role,workspaces\nnina@example.com,Nina Newhire,,Org Base,Marketing=Reader\n',
    );
    const r = await server.run(['users', 'add', '--from-csv', file, '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'Dry run: 1 rows: 1 to invite, 0 to update, 0 unchanged\n  line 2: invite nina@example.com\nNothing was changed.\n',
    });
    expect(calls(server).every((c) => c.startsWith('GET '))).toBe(true);
  });

  it('--from-csv with --email exits 2 before any request', async () => {
    server = recordingServer();
    const r = await server.run(['users', 'add', '--from-csv', 'x.csv', '--email', 'a@example.com']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: --from-csv cannot be combined with --name, --display-name, --email, --org-role or --workspace\n',
    });
    expect(calls(server)).toEqual([]);
  });

  it('on the public API: exit 8 naming the feature before the first write', async () => {
    server = recordingServer('public');
    reads();
    const file = csv(
      'email,name,display_name,org_role,workspaces\nnina@example.com,Nina Newhire,,Org Base,\n',
    );
    const r = await server.run(['users', 'add', '--from-csv', file]);
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: adding users with an email invitation is not available on this server (absent in this test); nothing was changed (1 rows: 1 to invite, 0 to update, 0 unchanged)',
    );
    expect(calls(server).every((c) => c.startsWith('GET '))).toBe(true);
  });
});
