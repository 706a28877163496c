// Planning `users add --from-csv`: every row checked against the server's roles, workspaces and
// users before anything is written; existing users compared with their current memberships.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planUsersCsv } from '../../src/services/bulk-users.js';
import { Resolver } from '../../src/services/resolve.js';
import { failure, type Harness, harness, JSON_HEADERS } from '../api/helpers.js';
import { tempDir } from '../commands/support.js';
import { GROUPS, MKT, MKT_MEMBERS, ROLES, USERS } from '../commands/ws-fixtures.js';

let h: Harness;
afterEach(async () => {
  await h.finish();
});

const get = (path: string, body: unknown) =>
  h.pool
    .intercept({ path: (p) => p.split('?')[0] === path, method: 'GET' })
    .reply(200, body as object, { headers: JSON_HEADERS });

function setup(groups: unknown[] = GROUPS) {
  h = harness();
  get('/v1/admin/roles', ROLES);
  get('/v1/admin/groups', groups);
  get('/v1/admin/users', USERS);
  return new Resolver(h.client);
}
function csv(text: string): string {
  const file = join(tempDir(), 'people.csv');
  writeFileSync(file, `email,name,org_role,workspaces\n${text}`);
  return file;
}
async function problems(p: Promise<unknown>): Promise<string[]> {
  const errors = (await failure(p)).data?.errors as Array<{ line: number; column: number; message: string }>;
  return errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
}

describe('planUsersCsv', () => {
  it('plans invitations for new people, matching workspaces in any case and Unicode form', async () => {
    const r = setup([...GROUPS, { id: 'g_cafe', name: 'Café', description: '' }]);
    const plans = await planUsersCsv(
      csv('new@example.com,New Person,,marketing=reader;CAFE\u0301=Editor\n'),
      r,
    );
    expect(
      plans.map((p) => [p.action, p.orgRole.name, p.grants.map((g) => `${g.workspace}=${g.role}`)]),
    ).toEqual([['invite', 'Org Base', ['Marketing=Reader', 'Café=Editor']]]);
  });

  it('a workspace role for an org admin is refused', async () => {
    const r = setup();
    expect(
      await problems(planUsersCsv(csv('boss@example.com,Boss,Org Admin,Marketing=Reader\n'), r)),
    ).toEqual(['2:4: Org Admin is admin on every workspace; leave workspaces empty']);
  });

  it('duplicate emails (case-insensitively), bad cells and ambiguous names: one problem each', async () => {
    const r = setup([...GROUPS, { id: 'g_mkt2', name: 'MARKETING', description: '' }]);
    const file = csv(
      'a@example.com,A,,Marketing=Reader\nA@Example.com,A again,,\nb@example.com,B,Boss,Engineering=Editor;Engineering=Reader\nc@example.com,C,Admin,Sales=Editor\n',
    );
    expect(await problems(planUsersCsv(file, r))).toEqual([
      '2:4: workspace name "Marketing" matches 2 workspaces; use an id: g_mkt (Marketing), g_mkt2 (MARKETING)',
      '3:1: A@Example.com is also on line 2 (emails compare case-insensitively)',
      '4:3: unknown org role "Boss" (known: Org Admin, Org Base)',
      '4:4: workspace Engineering is listed twice',
      '5:3: "Admin" is a workspace role, not an organization role',
      '5:4: unknown workspace "Sales"',
    ]);
  });

  it('existing users: updated when their role differs, nothing when they match', async () => {
    const r = setup();
    get(`/v1/admin/groups/${MKT.id}/members`, MKT_MEMBERS);
    const plans = await planUsersCsv(
      csv('bob@example.com,Bob Builder,,Marketing=Editor\ncy@example.com,Cy Young,,Marketing=Reader\n'),
      r,
    );
    expect(plans.map((p) => [p.email, p.action, p.changes])).toEqual([
      ['bob@example.com', 'none', []],
      ['cy@example.com', 'update', ['Marketing: none → Reader']],
    ]);
  });
});
