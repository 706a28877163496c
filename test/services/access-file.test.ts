// The access file on real files: every structural and semantic problem at its file:line:column, the
// size and alias limits, and one deterministic written form whose canonical hash ignores what the
// server assigns.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Role } from '../../src/api/roles.js';
import { permissionCatalogue } from '../../src/domain/permissions.js';
import { BUILTIN_ROLES } from '../../src/domain/roles.js';
import { ExitCode } from '../../src/errors.js';
import {
  accessSha256,
  canonicalAccessJson,
  checkAccessFile,
  formatAccessFile,
  normalizeAccess,
  parseExpiry,
  readAccessFile,
} from '../../src/services/access/file.js';
import type { AccessFile, LocatedAccessFile } from '../../src/services/access/model.js';
import { InputErrors } from '../../src/services/bulk.js';

const dir = mkdtempSync(join(tmpdir(), 'noxus-access-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string): string {
  const f = join(dir, `access${++n}.yaml`);
  writeFileSync(f, content);
  return f;
}
const refusal = (f: string, opts?: { maxBytes?: number }): string => {
  try {
    readAccessFile(f, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(InputErrors);
    expect((e as InputErrors).exitCode).toBe(ExitCode.USAGE);
    return (e as Error).message.replace(f, 'FILE').replace(/access\d+\.yaml/g, 'access.yaml');
  }
  throw new Error('expected readAccessFile to refuse the file');
};

const SERVER_ROLES: Role[] = BUILTIN_ROLES.map((r) => ({
  id: r.id,
  name: r.name,
  scope: r.scope,
  permissions: [...r.permissions],
  builtin: true,
}));
const NOW = new Date('2026-11-29T12:00:00Z');
const LISTS = { roles: SERVER_ROLES, permissions: permissionCatalogue() };
const check = (f: LocatedAccessFile, lists: Parameters<typeof checkAccessFile>[1] = LISTS) =>
  checkAccessFile(f, lists, NOW).map((p) => `${p.line}:${p.column}: ${p.message}`);

const GOOD = `# hand-written, in no particular order
version: 1
kind: noxus-access
offboarding:
  transfer_to: ada@example.com
roles:
  - name: Auditor
    scope: workspace
    permissions: [kbs_query, flows_run]
people:
  - email: tim@example.com
    name: Tim Berners-Lee
    org_role: Org Base
    suspended: true
  - email: Ada@Example.com
    name: Ada Lovelace
    org_role: Org Admin
  - email: ken@example.com
    name: Ken Thompson
    org_role: Org Base
    suspended: false
workspaces:
  - name: Research
    members: []
  - name: Engineering
    members:
      - user: tim@example.com
        role: Auditor
        reason: null
      - user: ken@example.com
        role: reader
        reason: on-call rotation
        expires: 2027-01-31
service_accounts:
  - email: ci-bot@service.example.com
    name: CI bot
    org_role: Org Base
    workspaces:
      - workspace: Engineering
        role: Editor
        expires: 2027-06-01T09:30:00+02:00
    keys:
      - name: ci deploy
        workspace: Engineering
        restrict: [flows_run, flows_edit]
        expires: 2027-03-01
        rotate_every: 90d
      - name: audit
        workspace: Engineering
`;

describe('readAccessFile', () => {
  it('parses a valid file, normalises expiries, hashes the bytes and locates every value', () => {
    const path = file(GOOD);
    const f = readAccessFile(path);
    expect(f.file).toBe(path);
    expect(f.sha256).toBe(createHash('sha256').update(GOOD).digest('hex'));
    expect(f.doc.workspaces[1]?.members[1]).toEqual({
      user: 'ken@example.com',
      role: 'reader',
      reason: 'on-call rotation',
      expires: '2027-01-31T00:00:00.000Z',
    });
    expect(f.doc.workspaces[1]?.members[0]).toEqual({
      user: 'tim@example.com',
      role: 'Auditor',
      reason: null,
    });
    expect(f.doc.service_accounts[0]?.workspaces[0]?.expires).toBe('2027-06-01T07:30:00.000Z');
    expect(f.doc.service_accounts[0]?.keys[0]).toEqual({
      name: 'ci deploy',
      workspace: 'Engineering',
      restrict: ['flows_run', 'flows_edit'],
      expires: '2027-03-01T00:00:00.000Z',
      rotate_every: '90d',
    });
    expect(f.at(['people', 1, 'email'])).toEqual({ line: 15, column: 12 });
    expect(f.at(['workspaces', 1, 'members', 1, 'expires'])).toEqual({ line: 33, column: 18 });
    expect(f.at(['service_accounts', 0, 'keys', 0, 'restrict', 1])).toEqual({ line: 45, column: 31 });
    // An explicit null is a value; a missing one gives the nearest enclosing node.
    expect(f.at(['workspaces', 1, 'members', 0, 'reason'])).toEqual({ line: 29, column: 17 });
    expect(f.at(['workspaces', 1, 'members', 0, 'expires'])).toEqual({ line: 27, column: 9 });
    expect(f.at(['people', 7, 'email'])).toEqual({ line: 11, column: 3 });
    expect(check(f)).toEqual([]);
  });

  it('reports every structural problem at its line and column, and nothing else', () => {
    const path = file(`version: 2
kind: other
extra: 1
roles: {}
people:
  - email: not-an-email
    name: ""
    suspended: yes
  - just a string
workspaces:
  - name: W
    members:
      - user: a@example.com
        role:
        expires: tomorrow
        reson: x
unreadable:
  - section: grants
    feature: members.list
    reason: no
service_accounts:
  - email: ci@example.com
    name: CI
    org_role: Org Base
    workspaces: []
    keys:
      - name: k
        workspace: W
        restrict: flows_run
        rotate_every: 3 months
      - name: k2
        workspace: W
        restrict: [flows_run, 7]
        expires: 2027-02-30
`);
    expect(refusal(path)).toBe(`FILE: 17 problems; nothing was changed
access.yaml:1:10: version: must be 1, got 2
access.yaml:2:7: kind: must be noxus-access, got "other"
access.yaml:3:1: extra: unknown key (expected version, kind, roles, people, workspaces, service_accounts, server, organization, unreadable, offboarding)
access.yaml:4:8: roles: must be a list
access.yaml:6:5: people[0]: missing org_role
access.yaml:6:12: people[0].email: "not-an-email" is not a valid email address
access.yaml:7:11: people[0].name: must not be empty
access.yaml:8:16: people[0].suspended: must be true or false
access.yaml:9:5: people[1]: must be a mapping (email, name, org_role, suspended)
access.yaml:14:9: workspaces[0].members[0].role: must be a string
access.yaml:15:18: workspaces[0].members[0].expires: "tomorrow" is not a date (YYYY-MM-DD) or an ISO 8601 instant with an offset (2027-01-31T17:00:00Z)
access.yaml:16:9: workspaces[0].members[0].reson: unknown key (expected user, role, reason, expires)
access.yaml:18:14: unreadable[0].section: must be one of members, service_accounts, keys, people
access.yaml:29:19: service_accounts[0].keys[0].restrict: must be a list
access.yaml:30:23: service_accounts[0].keys[0].rotate_every: must be a duration such as 90d, 12w or 24h, got "3 months"
access.yaml:33:31: service_accounts[0].keys[1].restrict[1]: must be a permission name
access.yaml:34:18: service_accounts[0].keys[1].expires: "2027-02-30" is not a date (YYYY-MM-DD) or an ISO 8601 instant with an offset (2027-01-31T17:00:00Z)`);
  });

  it('refuses missing sections, an empty file, a non-mapping and YAML errors with their positions', () => {
    expect(refusal(file('version: 1\nkind: noxus-access\n'))).toBe(`FILE: 4 problems; nothing was changed
access.yaml:1:1: the file: missing roles
access.yaml:1:1: the file: missing people
access.yaml:1:1: the file: missing workspaces
access.yaml:1:1: the file: missing service_accounts`);
    expect(refusal(file('# nothing\n'))).toBe(`FILE: 1 problem; nothing was changed
access.yaml:1:1: the file is empty; it starts with version: 1 and kind: noxus-access`);
    expect(refusal(file('- a\n- b\n'))).toBe(`FILE: 1 problem; nothing was changed
access.yaml:1:1: the file: must be a mapping (version, kind, roles, people, workspaces, service_accounts, server, organization, unreadable, offboarding)`);
    expect(refusal(file('version: 1\nkind: noxus-access\nversion: 1\npeople: [\n'))).toBe(
      `FILE: 2 problems; nothing was changed
access.yaml:3:1: duplicate key (each key may appear once in a mapping)
access.yaml:5:1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    );
    expect(refusal(file('version: 1\n---\nversion: 1\n'))).toMatch(
      /^FILE: 1 problem; nothing was changed\naccess\.yaml:2:1: Source contains multiple documents/,
    );
    const latin1 = join(dir, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
    expect(refusal(latin1)).toBe(`FILE: 1 problem; nothing was changed
latin1.yaml:1:1: the file is not valid UTF-8`);
  });

  it('refuses a 50 MB file from its size alone, before reading it', () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, 'version: 1\n');
    // Sparse: 50 MB of size and no data on disk; parsing it would be a YAML error, not this one.
    truncateSync(big, 50 * 1024 * 1024);
    expect(refusal(big)).toBe(`FILE: 1 problem; nothing was changed
big.yaml:1:1: the file is 50 MiB; the limit is 5 MiB`);
    expect(refusal(file(GOOD), { maxBytes: 100 })).toBe(`FILE: 1 problem; nothing was changed
access.yaml:1:1: the file is ${Buffer.byteLength(GOOD)} bytes; the limit is 100 bytes`);
  });

  it('refuses an alias bomb quickly, at its first alias', () => {
    let bomb = 'version: 1\nkind: noxus-access\nlol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 12; i++)
      bomb += `lol${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    const path = file(bomb);
    const t0 = performance.now();
    const message = refusal(path);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(message).toBe(`FILE: 1 problem; nothing was changed
access.yaml:4:12: YAML aliases expand too far (more than 100 expansions); write the values out`);
    // A few aliases are fine.
    const f = readAccessFile(
      file(`version: 1
kind: noxus-access
roles: []
people:
  - email: ada@example.com
    name: &n Ada
    org_role: &r Org Admin
  - email: bob@example.com
    name: *n
    org_role: *r
workspaces: []
service_accounts: []
`),
    );
    expect(f.doc.people[1]).toEqual({ email: 'bob@example.com', name: 'Ada', org_role: 'Org Admin' });
  });

  it('refuses deep nesting at the first level too deep, flow or block, without exhausting the stack', () => {
    const flow = `version: 1\nkind: noxus-access\nroles: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    expect(refusal(file(flow))).toBe(`FILE: 1 problem; nothing was changed
access.yaml:3:39: nesting too deep (more than 32 levels)`);
    const block = `version: 1\nroles:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}- `).join('\n')}x\n`;
    expect(refusal(file(block))).toBe(`FILE: 1 problem; nothing was changed
access.yaml:34:32: nesting too deep (more than 32 levels)`);
  });

  it('accepts YYYY-MM-DD and ISO 8601 instants with an offset, and nothing else', () => {
    expect(parseExpiry('2027-01-31')).toBe('2027-01-31T00:00:00.000Z');
    expect(parseExpiry('2027-01-31T17:00:00Z')).toBe('2027-01-31T17:00:00.000Z');
    expect(parseExpiry('2027-01-31T17:00+05:30')).toBe('2027-01-31T11:30:00.000Z');
    expect(parseExpiry('2027-01-31T17:00:00.123456-01:00')).toBe('2027-01-31T18:00:00.123Z');
    for (const bad of [
      '2027-01-31T17:00:00',
      '2027-1-31',
      '31/01/2027',
      '2027-02-29',
      '2027-01-31T24:00Z',
      'soon',
    ])
      expect(parseExpiry(bad)).toBeUndefined();
    expect(parseExpiry('2028-02-29')).toBe('2028-02-29T00:00:00.000Z');
    expect(parseExpiry('2027-01-31t17:00:00z')).toBe('2027-01-31T17:00:00.000Z');
    expect(parseExpiry('2027-01-31T17:00:00+99:00')).toBeUndefined();
  });
});

const BAD = `version: 1
kind: noxus-access
roles:
  - name: Auditor
    scope: workspace
    permissions: [flows_run, nope, users:read]
  - name: Editor
    scope: workspace
    permissions: [flows_run]
  - name: auditor
    scope: workspace
    permissions: []
people:
  - email: ada@example.com
    name: Ada
    org_role: Org Admin
  - email: ADA@example.com
    name: Ada again
    org_role: Viewer
  - email: ken@example.com
    name: Ken
    org_role: Reader
workspaces:
  - name: Engineering
    members:
      - user: ada@example.com
        role: Reader
      - user: ghost@example.com
        role: Auditor
      - user: ci@example.com
        role: Org Base
        expires: 2020-01-01
      - user: KEN@example.com
        role: Reader
      - user: ken@example.com
        role: Editor
  - name: engineering
    members: []
  - name: Research
    members: []
service_accounts:
  - email: ci@example.com
    name: CI
    org_role: Org Base
    workspaces:
      - workspace: Engineering
        role: Reader
      - workspace: Sales
        role: Editor
      - workspace: engineering
        role: Editor
    keys:
      - name: deploy
        workspace: Engineering
        restrict: [flows_run, flows_edit, kbs_fly, workspace_admin]
      - name: Deploy
        workspace: Engineering
      - name: other
        workspace: Research
        expires: 2020-01-01T00:00:00+02:00
      - name: ghost
        workspace: Sales
  - email: root@service.example.com
    name: Root
    org_role: Org Admin
    workspaces:
      - workspace: Research
        role: Admin
    keys:
      - name: anything
        workspace: Research
        restrict: [workspace_admin]
  - email: ken@example.com
    name: Ken bot
    org_role: Org Base
    workspaces: []
    keys: []
offboarding:
  transfer_to: ci@example.com
`;

describe('checkAccessFile', () => {
  it('reports every rule at the value it is about, sorted by position', () => {
    expect(check(readAccessFile(file(BAD)))).toEqual([
      '6:30: roles[0].permissions[1]: unknown permission "nope"',
      '6:36: roles[0].permissions[2]: "users:read" is an org permission; workspace roles and keys take workspace permissions',
      '7:11: roles[1].name: "Editor" is a built-in role; the file lists custom roles only',
      '10:11: roles[2].name: duplicate role "auditor" (first at line 4)',
      '17:12: people[1].email: duplicate person "ADA@example.com" (first at line 14)',
      '19:15: people[1].org_role: unknown role "Viewer" (org roles: Org Admin, Org Base)',
      '22:15: people[2].org_role: "Reader" is a workspace role; org_role needs an org role (Org Admin, Org Base)',
      '26:15: workspaces[0].members[0].user: ada@example.com is an org admin (org role Org Admin): admin on every workspace, so no grant is listed',
      '28:15: workspaces[0].members[1].user: unknown person "ghost@example.com" (not in people)',
      '30:15: workspaces[0].members[2].user: ci@example.com is a service account: service account grants are listed under service_accounts[].workspaces',
      '31:15: workspaces[0].members[2].role: "Org Base" is an org role; a grant needs a workspace role (Auditor, Editor, Admin, Reader)',
      '32:18: workspaces[0].members[2].expires: 2020-01-01T00:00:00.000Z is in the past (now 2026-11-29T12:00:00.000Z)',
      '35:15: workspaces[0].members[4].user: duplicate grant of ken@example.com in Engineering (first at line 33)',
      '37:11: workspaces[1].name: duplicate workspace "engineering" (first at line 24)',
      '48:20: service_accounts[0].workspaces[1].workspace: unknown workspace "Sales" (workspaces: Engineering, engineering, Research)',
      '50:20: service_accounts[0].workspaces[2].workspace: duplicate grant in engineering (first at line 46)',
      '55:31: service_accounts[0].keys[0].restrict[1]: "flows_edit" is beyond what role Reader grants ci@example.com in Engineering',
      '55:43: service_accounts[0].keys[0].restrict[2]: unknown permission "kbs_fly"',
      '55:52: service_accounts[0].keys[0].restrict[3]: "workspace_admin" is beyond what role Reader grants ci@example.com in Engineering',
      '56:15: service_accounts[0].keys[1].name: duplicate key "Deploy" in Engineering (first at line 53)',
      '59:20: service_accounts[0].keys[2].workspace: ci@example.com has no grant in Research: list one under its workspaces, or move the key',
      '60:18: service_accounts[0].keys[2].expires: 2019-12-31T22:00:00.000Z is in the past (now 2026-11-29T12:00:00.000Z)',
      '62:20: service_accounts[0].keys[3].workspace: unknown workspace "Sales" (workspaces: Engineering, engineering, Research)',
      '67:20: service_accounts[1].workspaces[0].workspace: root@service.example.com is an org admin (org role Org Admin): admin on every workspace, so no grant is listed',
      '73:12: service_accounts[2].email: "ken@example.com" is also listed under people (line 20); an email is a person or a service account',
      '79:16: offboarding.transfer_to: ci@example.com is a service account; work is transferred to a person in people',
    ]);
  });
});

describe('checkAccessFile, keys the server already holds', () => {
  it('a key held as written is not refused for its account lacking a grant or a role: it stays, degraded', () => {
    const f = readAccessFile(file(BAD));
    const held = (account: string, k: { name: string }) =>
      account === 'ci@example.com' && (k.name === 'deploy' || k.name === 'other');
    const all = check(f);
    const relaxed = check(f, { ...LISTS, held });
    const gone = all.filter((x) => !relaxed.includes(x));
    expect(gone).toEqual([
      '55:31: service_accounts[0].keys[0].restrict[1]: "flows_edit" is beyond what role Reader grants ci@example.com in Engineering',
      '55:52: service_accounts[0].keys[0].restrict[3]: "workspace_admin" is beyond what role Reader grants ci@example.com in Engineering',
      '59:20: service_accounts[0].keys[2].workspace: ci@example.com has no grant in Research: list one under its workspaces, or move the key',
    ]);
    // Everything else about those keys is still checked.
    expect(relaxed).toContain('55:43: service_accounts[0].keys[0].restrict[2]: unknown permission "kbs_fly"');
    expect(relaxed).toContain(
      '60:18: service_accounts[0].keys[2].expires: 2019-12-31T22:00:00.000Z is in the past (now 2026-11-29T12:00:00.000Z)',
    );
  });
});

describe('checkAccessFile, against what the server says', () => {
  const one = (body: string) =>
    readAccessFile(
      file(`version: 1
kind: noxus-access
${body}`),
    );

  it('names an ambiguous server role, a scope the server has otherwise, and skips permissions without a catalogue', () => {
    const f = one(`roles:
  - name: Ops
    scope: org
    permissions: [users:read, madeup]
people:
  - email: ada@example.com
    name: Ada
    org_role: Twin
workspaces: []
service_accounts: []
`);
    const roles: Role[] = [
      ...SERVER_ROLES,
      { id: 'r1', name: 'Twin', scope: 'org', permissions: ['org:read'] },
      { id: 'r2', name: 'twin', scope: 'org', permissions: ['org:read'] },
      { id: 'r3', name: 'ops', scope: 'workspace', permissions: ['flows_run'] },
    ];
    expect(check(f, { roles })).toEqual([
      `5:12: roles[0].scope: role "ops" is a workspace role on the server; a role's scope cannot change`,
      '10:15: people[0].org_role: role name "Twin" matches 2 roles on the server; rename one',
    ]);
    expect(check(f, { roles, permissions: permissionCatalogue() })).toEqual([
      `5:12: roles[0].scope: role "ops" is a workspace role on the server; a role's scope cannot change`,
      '6:31: roles[0].permissions[1]: unknown permission "madeup"',
      '10:15: people[0].org_role: role name "Twin" matches 2 roles on the server; rename one',
    ]);
  });

  it("counts the file's custom roles: an org admin by a custom role, a key bound by a custom workspace role", () => {
    const f = one(`roles:
  - name: Boss
    scope: org
    permissions: ["org:*"]
  - name: Runner
    scope: workspace
    permissions: [flows_run]
people:
  - email: ada@example.com
    name: Ada
    org_role: boss
workspaces:
  - name: W
    members:
      - user: ada@example.com
        role: Runner
service_accounts:
  - email: bot@example.com
    name: Bot
    org_role: Org Base
    workspaces:
      - workspace: W
        role: runner
    keys:
      - name: k
        workspace: W
        restrict: [flows_run, flows_edit]
`);
    expect(check(f)).toEqual([
      '17:15: workspaces[0].members[0].user: ada@example.com is an org admin (org role Boss): admin on every workspace, so no grant is listed',
      '29:31: service_accounts[0].keys[0].restrict[1]: "flows_edit" is beyond what role Runner grants bot@example.com in W',
    ]);
  });

  it('refuses a duplicate service account and a transfer to someone not in people', () => {
    const f = one(`offboarding:
  transfer_to: nobody@example.com
roles: []
people: []
workspaces: []
service_accounts:
  - email: bot@example.com
    name: Bot
    org_role: Org Base
    workspaces: []
    keys: []
  - email: BOT@example.com
    name: Bot again
    org_role: Org Base
    workspaces: []
    keys: []
`);
    expect(check(f)).toEqual([
      '4:16: offboarding.transfer_to: unknown person "nobody@example.com" (not in people)',
      '14:12: service_accounts[1].email: duplicate service account "BOT@example.com" (first at line 9)',
    ]);
  });

  it("a duplicate person feeds no other rule: their org role is not held against the first entry's grants", () => {
    const f = one(`roles: []
people:
  - email: ken@example.com
    name: Ken
    org_role: Org Base
  - email: KEN@example.com
    name: Ken again
    org_role: Org Admin
workspaces:
  - name: Engineering
    members:
      - user: ken@example.com
        role: Reader
service_accounts: []
`);
    expect(check(f)).toEqual(['8:12: people[1].email: duplicate person "KEN@example.com" (first at line 5)']);
  });

  it('judges expiry against the injected clock', () => {
    const f = one(`roles: []
people:
  - email: ada@example.com
    name: Ada
    org_role: Org Base
workspaces:
  - name: W
    members:
      - user: ada@example.com
        role: Reader
        expires: 2026-11-30
service_accounts: []
`);
    expect(check(f)).toEqual([]);
    expect(checkAccessFile(f, LISTS, new Date('2026-11-30T00:00:00Z')).map((p) => p.message)).toEqual([
      'workspaces[0].members[0].expires: 2026-11-30T00:00:00.000Z is in the past (now 2026-11-30T00:00:00.000Z)',
    ]);
  });
});

const FORMATTED = `# Noxus access file: the format is in docs/access.md, the schema in docs/access.schema.json
version: 1
kind: noxus-access
offboarding:
  transfer_to: ada@example.com
roles:
  - name: Auditor
    scope: workspace
    permissions: [flows_run, kbs_query]
people:
  - email: Ada@Example.com
    name: Ada Lovelace
    org_role: Org Admin
  - email: ken@example.com
    name: Ken Thompson
    org_role: Org Base
  - email: tim@example.com
    name: Tim Berners-Lee
    org_role: Org Base
    suspended: true
workspaces:
  - name: Engineering
    members:
      - user: ken@example.com
        role: reader
        reason: on-call rotation
        expires: 2027-01-31T00:00:00.000Z
      - user: tim@example.com
        role: Auditor
  - name: Research
    members: []
service_accounts:
  - email: ci-bot@service.example.com
    name: CI bot
    org_role: Org Base
    workspaces:
      - workspace: Engineering
        role: Editor
        expires: 2027-06-01T07:30:00.000Z
    keys:
      - name: audit
        workspace: Engineering
      - name: ci deploy
        workspace: Engineering
        restrict: [flows_edit, flows_run]
        expires: 2027-03-01T00:00:00.000Z
        rotate_every: 90d
`;

describe('normalizeAccess and formatAccessFile', () => {
  it('writes one form: sorted, model field order, absent instead of null or false, flow lists', () => {
    const f = readAccessFile(file(GOOD));
    expect(formatAccessFile(f.doc)).toBe(FORMATTED);
    // Byte-stable: the written form reads back to itself.
    expect(formatAccessFile(readAccessFile(file(FORMATTED)).doc)).toBe(FORMATTED);
    expect(Object.keys(normalizeAccess(f.doc))).toEqual([
      'version',
      'kind',
      'offboarding',
      'roles',
      'people',
      'workspaces',
      'service_accounts',
    ]);
  });

  it('quotes what YAML would read as another type, and keeps server-assigned fields first', () => {
    const doc: AccessFile = {
      version: 1,
      kind: 'noxus-access',
      server: 'http://127.0.0.1:4010',
      organization: null,
      unreadable: [
        {
          section: 'members',
          feature: 'members.list',
          reason: 'workspace members are not available on this server',
        },
      ],
      roles: [],
      people: [{ email: 'n@example.com', name: '123', org_role: 'Org Base', suspended: false }],
      workspaces: [{ name: 'true', members: [] }],
      service_accounts: [],
    };
    const text = formatAccessFile(doc);
    expect(
      text,
    ).toBe(`# Noxus access file: the format is in docs/access.md, the schema in docs/access.schema.json
version: 1
kind: noxus-access
server: http://127.0.0.1:4010
unreadable:
  - section: members
    feature: members.list
    reason: workspace members are not available on this server
roles: []
people:
  - email: n@example.com
    name: "123"
    org_role: Org Base
workspaces:
  - name: "true"
    members: []
service_accounts: []
`);
    expect(readAccessFile(file(text)).doc.workspaces[0]?.name).toBe('true');
  });
});

describe('canonicalAccessJson and accessSha256', () => {
  it('ignore server-assigned and file-only fields and the order of the file, and see every grant', () => {
    const doc = readAccessFile(file(GOOD)).doc;
    const bare = readAccessFile(
      file(FORMATTED.replace(/offboarding:\n.*\n/, '').replace(/ +rotate_every: 90d\n/, '')),
    ).doc;
    const stamped: AccessFile = {
      ...bare,
      server: 'http://other',
      organization: 'Other Corp',
      unreadable: [{ section: 'keys', feature: 'keys.list', reason: 'no' }],
      people: [...bare.people].reverse(),
    };
    expect(accessSha256(stamped)).toBe(accessSha256(doc));
    expect(canonicalAccessJson(doc)).not.toContain('rotate_every');
    expect(canonicalAccessJson(doc)).not.toContain('transfer_to');
    expect(accessSha256(doc)).toBe(createHash('sha256').update(canonicalAccessJson(doc)).digest('hex'));
    const changed = structuredClone(doc);
    changed.workspaces[1]!.members[0]!.reason = 'audit';
    expect(accessSha256(changed)).not.toBe(accessSha256(doc));
  });
});

describe('docs/access.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/access.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  const schemaAccepts = (text: string) => validate(parseYaml(text));
  const parserAccepts = (text: string) => {
    try {
      readAccessFile(file(text));
      return true;
    } catch (e) {
      if (e instanceof InputErrors) return false;
      throw e;
    }
  };

  it('accepts what the parser accepts: a hand-written file and the written form', () => {
    for (const text of [GOOD, FORMATTED, BAD]) {
      expect(parserAccepts(text)).toBe(true);
      expect(schemaAccepts(text), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it.each([
    ['version 2', (t: string) => t.replace('version: 1', 'version: 2')],
    ['another kind', (t: string) => t.replace('kind: noxus-access', 'kind: noxus-access-plan')],
    ['an unknown top-level key', (t: string) => `${t}extra: 1\n`],
    [
      'an unknown key in a grant',
      (t: string) => t.replace('role: Auditor\n', 'role: Auditor\n        color: red\n'),
    ],
    ['no people', (t: string) => t.replace(/^people:\n( {2}.*\n)+/m, '')],
    ['a workspace without members', (t: string) => t.replace('    members: []\n', '')],
    ['a bad expiry', (t: string) => t.replace('2027-01-31T00:00:00.000Z', '31/01/2027')],
    [
      'an expiry without an offset',
      (t: string) => t.replace('2027-01-31T00:00:00.000Z', '2027-01-31T00:00:00'),
    ],
    [
      'restrict as a string',
      (t: string) => t.replace('restrict: [flows_edit, flows_run]', 'restrict: flows_run'),
    ],
    ['a bad email', (t: string) => t.replace('email: ken@example.com', 'email: ken at example.com')],
    ['suspended as a string', (t: string) => t.replace('suspended: true', 'suspended: "yes"')],
    ['a scope that is neither', (t: string) => t.replace('scope: workspace', 'scope: team')],
    ['a bad rotation period', (t: string) => t.replace('rotate_every: 90d', 'rotate_every: 3 months')],
    ['an empty restriction', (t: string) => t.replace('restrict: [flows_edit, flows_run]', 'restrict: []')],
    ['an empty name', (t: string) => t.replace('name: Ken Thompson', 'name: " "')],
  ])('refuses %s, as the parser does', (_what, change) => {
    const text = change(FORMATTED);
    expect(text).not.toBe(FORMATTED);
    expect(parserAccepts(text)).toBe(false);
    expect(schemaAccepts(text)).toBe(false);
  });
});
