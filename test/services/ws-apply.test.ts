// Planning `ws apply`: rows matched against the server's lists (the one reference matcher), then
// diffed against the current members. Pure inputs: no server.
import { describe, expect, it } from 'vitest';
import type { Group, Member } from '../../src/api/groups.js';
import type { Role } from '../../src/api/roles.js';
import type { User } from '../../src/api/users.js';
import type { CsvRow } from '../../src/services/bulk.js';
import { diffWsMembers, matchWsRows } from '../../src/services/ws-apply.js';
import {
  ADA,
  BOB,
  CY,
  GROUPS,
  LAG,
  MKT,
  MKT_MEMBERS,
  member,
  ROLES,
  USERS,
} from '../commands/ws-fixtures.js';

const HEADER = ['workspace', 'user', 'role'];
const lists = {
  roles: ROLES as Role[],
  groups: GROUPS as Group[],
  users: USERS as unknown as User[],
};
const rows = (...cells: Array<[string, string, string]>): CsvRow[] =>
  cells.map(([workspace, user, role], i) => ({ line: i + 2, cells: { workspace, user, role } }));

function plan(r: CsvRow[], members: Member[] = MKT_MEMBERS as Member[], prune = false) {
  const { desired, problems } = matchWsRows(r, HEADER, lists);
  expect(problems).toEqual([]);
  return diffWsMembers(desired, new Map([[MKT.id, members]]), prune).map((s) => [
    s.action,
    s.user,
    s.role,
    s.before,
  ]);
}

describe('matchWsRows + diffWsMembers', () => {
  it('adds, changes, leaves unchanged; removes only with prune, never an org admin', () => {
    const r = rows(['Marketing', 'cy@example.com', 'Reader'], ['marketing', 'BOB@example.com', 'editor']);
    expect(plan(r)).toEqual([
      ['add', 'cy@example.com', 'Reader', undefined],
      ['none', 'bob@example.com', 'Editor', undefined],
    ]);
    expect(plan(rows(['Marketing', 'cy@example.com', 'Reader']), undefined, true)).toEqual([
      ['add', 'cy@example.com', 'Reader', undefined],
      ['remove', 'bob@example.com', 'Editor', undefined],
    ]);
    expect(plan(rows(['g_mkt', 'u_bob', 'ws_reader']))).toEqual([
      ['change', 'bob@example.com', 'Reader', 'Editor'],
    ]);
  });

  it('an org admin listed as Admin is left alone; any other role for them is a problem', () => {
    expect(plan(rows(['Marketing', ADA.email, 'Admin']))).toEqual([['none', ADA.email, 'Admin', undefined]]);
    const { problems } = matchWsRows(rows(['Marketing', ADA.email, 'Reader']), HEADER, lists);
    expect(problems).toEqual([
      {
        line: 2,
        column: 3,
        message:
          'ada@example.com is an org admin, so admin on every workspace; only "Admin" can be listed for them',
      },
    ]);
  });

  it('a demoted user whose tenant_admin lags is planned as a normal member', () => {
    expect(plan(rows(['Marketing', LAG.email, 'Reader']))).toEqual([['add', LAG.email, 'Reader', undefined]]);
  });

  it('names match in NFC and any case; ambiguous names are problems listing the matches', () => {
    const groups = [
      { id: 'g_cafe', name: 'Café', description: '' },
      { id: 'g_ops1', name: 'Ops', description: '' },
      { id: 'g_ops2', name: 'OPS', description: '' },
    ];
    const { desired, problems } = matchWsRows(
      rows(['CAFE\u0301', CY.email, 'Reader'], ['ops', BOB.email, 'Reader']),
      HEADER,
      { ...lists, groups },
    );
    expect(desired.map((d) => d.groupId)).toEqual(['g_cafe']);
    expect(problems).toEqual([
      {
        line: 3,
        column: 1,
        message: 'workspace name "ops" matches 2 workspaces; use an id: g_ops1 (Ops), g_ops2 (OPS)',
      },
    ]);
  });

  it('unknown references, org roles and duplicates: one problem each, by line and column', () => {
    const { problems } = matchWsRows(
      rows(
        ['Sales', 'nobody@example.com', 'Boss'],
        ['Marketing', CY.email, 'Org Base'],
        ['Marketing', BOB.email, 'Reader'],
        ['Marketing', 'u_bob', 'Editor'],
      ),
      HEADER,
      lists,
    );
    expect(problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [2, 1, 'unknown workspace "Sales"'],
      [2, 2, 'unknown user "nobody@example.com"'],
      [2, 3, 'unknown role "Boss"'],
      [3, 3, '"Org Base" is an organization role, not a workspace role'],
      [5, 2, 'bob@example.com in Marketing is also on line 4; one role per workspace'],
    ]);
  });

  it('an empty workspace is planned from nothing: every row an add', () => {
    expect(plan(rows(['Marketing', BOB.email, 'Reader']), [])).toEqual([
      ['add', BOB.email, 'Reader', undefined],
    ]);
    expect(plan(rows(['Marketing', BOB.email, 'Reader']), [member(BOB, 'ws_reader') as Member])).toEqual([
      ['none', BOB.email, 'Reader', undefined],
    ]);
  });
});
