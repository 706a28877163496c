// `noxus access export` in-process against MockAgent: the exact file on stdout and in -o FILE, the
// --json envelope, --transfer-to, the warnings of a public server, and bad input.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json, type MockServer, mockServer } from './mock.js';
import { tempDir } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const ROLES = [
  { id: 'org_admin', name: 'Org Admin', scope: 'org', permissions: ['org:admin', 'org:read'], builtin: true },
  { id: 'org_base', name: 'Org Base', scope: 'org', permissions: ['org:read'], builtin: true },
  { id: 'ws_reader', name: 'Reader', scope: 'workspace', permissions: ['flows_run'], builtin: true },
  { id: 'ws_editor', name: 'Editor', scope: 'workspace', permissions: { flows_run: true, flows_edit: true } },
  // A custom workspace role: listed under roles, its permissions sorted.
  {
    id: 'r-aud',
    name: 'Auditor',
    scope: 'workspace',
    permissions: { kbs_query: true, flows_run: true, x: false },
  },
];
const WS = [
  { id: 'w-sales', name: 'Sales', description: '' },
  { id: 'w-eng', name: 'Engineering', description: '' },
];
const user = (id: string, email: string, over: Record<string, unknown> = {}) => ({
  id,
  email,
  display_name: email.split('@')[0],
  name: `Name ${id}`,
  tenant_admin: false,
  is_active: true,
  status: 'active',
  kind: 'human',
  org_role: { id: 'org_base', name: 'Org Base' },
  ...over,
});
const USERS = [
  user('u3', 'zed@example.com', { status: 'suspended', is_active: false }),
  user('u1', 'Ada@example.com', { tenant_admin: true, org_role: { id: 'org_admin', name: 'Org Admin' } }),
  user('u9', 'gone@example.com', { status: 'removed', is_active: false }),
  user('u2', 'bot@example.com', { kind: 'service' }),
  user('u4', 'new@example.com', { status: 'invited', is_active: false, name: '' }),
];
const member = (user_id: string, email: string, role: string, via = 'membership', terms = {}) => ({
  user_id,
  email,
  display_name: email,
  role: { id: role, name: role },
  via,
  reason: null,
  expires_at: null,
  ...terms,
});
const MEMBERS: Record<string, unknown[]> = {
  'w-sales': [
    member('u3', 'zed@example.com', 'Reader', 'membership', {
      reason: 'quarterly numbers',
      expires_at: '2027-03-01T01:00:00+01:00',
    }),
    member('u2', 'bot@example.com', 'Editor', 'membership', { reason: 'sales sync' }),
    member('u1', 'Ada@example.com', 'Admin', 'org_admin'),
  ],
  'w-eng': [
    member('u9', 'gone@example.com', 'Reader'),
    member('u4', 'new@example.com', 'Auditor'),
    member('u2', 'bot@example.com', 'Editor'),
    member('u1', 'Ada@example.com', 'Admin', 'org_admin'),
  ],
};
const key = (
  id: string,
  name: string,
  group: string,
  holder: string,
  over: Record<string, unknown> = {},
) => ({
  id,
  name,
  kind: 'workspace',
  group_id: group,
  tenant_admin: false,
  restricted: false,
  permissions: null,
  effective_permissions: [],
  clipped: [],
  degraded: false,
  created_by: holder,
  owner_id: holder,
  holder_id: holder,
  status: 'active',
  created_at: '2026-10-01T00:00:00.000Z',
  last_used_at: null,
  expires_at: null,
  revoked_at: null,
  ...over,
});
const KEYS = [
  key('k2', 'sync', 'w-sales', 'u2', { expires_at: '2027-01-01T00:00:00Z' }),
  key('k1', 'ci deploy', 'w-eng', 'u2', { restricted: true, permissions: ['flows_run', 'flows_edit'] }),
  key('k3', 'laptop', 'w-eng', 'u4'),
];
const ME = {
  id: 'k-me',
  name: 'me',
  tenant_admin: true,
  group_id: null,
  group_name: null,
  organization: 'Acme',
};

/** The replies of one export; `public` drops what the public API lacks (kinds, members, keys). */
function intercept(o: { public?: boolean; keys?: unknown[] } = {}): void {
  const get = (path: (p: string) => boolean, body: unknown) =>
    server.pool.intercept({ path, method: 'GET' }).reply(200, body as object, json);
  get((p) => p.startsWith('/v1/admin/roles'), ROLES);
  get((p) => p.startsWith('/v1/admin/groups?'), WS);
  get((p) => p === '/v1/admin/me', ME);
  const users = o.public
    ? USERS.filter((u) => u.status !== 'removed').map(
        ({ kind: _k, status: _s, name: _n, org_role: _o, ...u }) => u,
      )
    : USERS;
  get((p) => p.startsWith('/v1/admin/users'), users);
  if (o.public) return;
  get((p) => p.startsWith('/v1/admin/api-keys?') && p.includes('status=active'), o.keys ?? KEYS);
  for (const [id, items] of Object.entries(MEMBERS))
    get((p) => p.startsWith(`/v1/admin/groups/${id}/members?`), items);
}

const FILE = `# Noxus access file: the format is in docs/access.md, the schema in docs/access.schema.json
version: 1
kind: noxus-access
server: http://noxus.test
organization: Acme
unreadable: []
roles:
  - name: Auditor
    scope: workspace
    permissions: [flows_run, kbs_query]
people:
  - email: Ada@example.com
    name: Name u1
    org_role: Org Admin
  - email: new@example.com
    name: new
    org_role: Org Base
  - email: zed@example.com
    name: Name u3
    org_role: Org Base
    suspended: true
workspaces:
  - name: Engineering
    members:
      - user: new@example.com
        role: Auditor
  - name: Sales
    members:
      - user: zed@example.com
        role: Reader
        reason: quarterly numbers
        expires: 2027-03-01T00:00:00.000Z
service_accounts:
  - email: bot@example.com
    name: Name u2
    org_role: Org Base
    workspaces:
      - workspace: Engineering
        role: Editor
      - workspace: Sales
        role: Editor
        reason: sales sync
    keys:
      - name: ci deploy
        workspace: Engineering
        restrict: [flows_edit, flows_run]
      - name: sync
        workspace: Sales
        expires: 2027-01-01T00:00:00.000Z
`;
const SHA = createHash('sha256').update(FILE).digest('hex');

describe('noxus access export', () => {
  it('writes the file to stdout; a second export is byte-identical', async () => {
    server = mockServer();
    intercept();
    const first = await server.run(['access', 'export']);
    expect(first).toEqual({ code: 0, stdout: FILE, stderr: '' });
    intercept();
    const second = await server.run(['access', 'export']);
    expect(second.stdout).toBe(first.stdout);
  });

  it('-o FILE writes the same bytes (mode 0600) and says what it wrote', async () => {
    server = mockServer();
    intercept();
    const file = join(tempDir(), 'access.yaml');
    const r = await server.run(['access', 'export', '-o', file]);
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(r.stderr).toBe(
      `✓ access file written to ${file}: 3 people, 2 workspaces, 4 grants, 1 service account, 2 keys, 1 custom role; sha256 ${SHA}\n`,
    );
    expect(readFileSync(file, 'utf8')).toBe(FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('--json: the envelope with the document and the sha256 of the file it writes', async () => {
    server = mockServer();
    intercept();
    const file = join(tempDir(), 'access.yaml');
    const r = await server.run([
      'access',
      'export',
      '--json',
      '-o',
      file,
      '--transfer-to',
      'ADA@example.com',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const out = JSON.parse(r.stdout);
    const written = readFileSync(file, 'utf8');
    expect(written).toBe(
      FILE.replace('unreadable: []\n', 'unreadable: []\noffboarding:\n  transfer_to: Ada@example.com\n'),
    );
    expect(Object.keys(out)).toEqual(['schema_version', 'command', 'file', 'sha256', 'access']);
    expect(out.schema_version).toBe(1);
    expect(out.command).toBe('access export');
    expect(out.file).toBe(file);
    expect(out.sha256).toBe(createHash('sha256').update(written).digest('hex'));
    expect(out.access.offboarding).toEqual({ transfer_to: 'Ada@example.com' });
    expect(out.access.service_accounts[0].keys).toEqual([
      { name: 'ci deploy', workspace: 'Engineering', restrict: ['flows_edit', 'flows_run'] },
      { name: 'sync', workspace: 'Sales', expires: '2027-01-01T00:00:00.000Z' },
    ]);
  });

  it('refuses --transfer-to that is not a person, before writing anything', async () => {
    server = mockServer();
    intercept();
    const file = join(tempDir(), 'access.yaml');
    const r = await server.run(['access', 'export', '-o', file, '--transfer-to', 'bot@example.com']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: --transfer-to bot@example.com is not a person in this organization\nname a person (not a service account) listed by: noxus users list\n',
    });
    expect(() => statSync(file)).toThrow();
  });

  it('on the public API: one warning per section it cannot read, and those sections empty', async () => {
    server = mockServer({ features: 'public' });
    intercept({ public: true });
    const r = await server.run(['access', 'export']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      [
        'warning: partial export: no keys (listing workspace keys is not available on this server)',
        'warning: partial export: no members (workspace member lists are not available on this server)',
        'warning: partial export: no service accounts (service accounts are not available on this server)',
        '',
      ].join('\n'),
    );
    expect(
      r.stdout,
    ).toBe(`# Noxus access file: the format is in docs/access.md, the schema in docs/access.schema.json
version: 1
kind: noxus-access
server: http://noxus.test
organization: Acme
unreadable:
  - section: keys
    feature: keys.list
    reason: listing workspace keys is not available on this server
  - section: members
    feature: members.list
    reason: workspace member lists are not available on this server
  - section: service_accounts
    feature: service-accounts
    reason: service accounts are not available on this server
roles:
  - name: Auditor
    scope: workspace
    permissions: [flows_run, kbs_query]
people:
  - email: Ada@example.com
    name: Ada
    org_role: Org Admin
  - email: bot@example.com
    name: bot
    org_role: Org Base
  - email: new@example.com
    name: new
    org_role: Org Base
  - email: zed@example.com
    name: zed
    org_role: Org Base
workspaces:
  - name: Engineering
    members: []
  - name: Sales
    members: []
service_accounts: []
`);
  });

  it('shows progress on a terminal and clears it', async () => {
    server = mockServer();
    intercept();
    const r = await server.run(['access', 'export'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('\r5 users, 2 workspaces, 3 keys\x1b[K\rmembers of 2/2 workspaces\x1b[K\r\x1b[K');
    expect(r.stdout).toBe(FILE);
  });

  it('two account keys of one name: the file lists the oldest, a warning names them all', async () => {
    server = mockServer();
    const twins = [
      ...KEYS,
      key('k9', 'CI Deploy', 'w-eng', 'u2', { created_at: '2026-11-01T00:00:00.000Z' }),
      key('k8', 'ci deploy', 'w-eng', 'u2', { created_at: '2026-10-15T00:00:00.000Z' }),
    ];
    intercept({ keys: twins });
    const r = await server.run(['access', 'export']);
    expect(r).toEqual({
      code: 0,
      stdout: FILE,
      stderr:
        'warning: bot@example.com holds 3 active keys named "ci deploy" in Engineering (k1, k8, k9): the file lists the oldest (k1); revoke the others (noxus keys revoke k8; noxus keys revoke k9), or access plan refuses this server\n',
    });
  });

  it('an unwritable -o path is a usage error', async () => {
    server = mockServer();
    intercept();
    const r = await server.run(['access', 'export', '-o', join(tempDir(), 'missing', 'access.yaml')]);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^error: cannot write .*missing\/access\.yaml: ENOENT\n$/);
  });
});
