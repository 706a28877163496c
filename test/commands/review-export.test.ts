// `noxus review export` in-process against MockAgent: every request it makes, the exact document it
// writes (sorted, hashed as `JSON.stringify(content)`), the file and its message, and bad input.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { interceptExport } from './review-fixture.js';
import { tempDir } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

// Users by email whatever its case, the removed one left out, an org admin through a custom org
// role; grants by email across workspaces; the service account's workspaces in grant order.
const EXPECTED = [
  '{"schema_version":1,"kind":"noxus-access-review","server":"http://noxus.test","tool_version":"0.0.0","generated_at":"GENERATED","content":{"organization":"Acme",',
  '"users":[',
  '{"id":"u1","email":"Ada@example.com","name":"Name u1","kind":"human","status":"active","org_role":"Org Admin","org_admin":true,"created_at":"2026-01-01T00:00:00.000Z","last_active_on":"2026-11-20"},',
  '{"id":"u2","email":"bot@example.com","name":"Name u2","kind":"service","status":"active","org_role":"Org Base","org_admin":false,"created_at":"2026-01-01T00:00:00.000Z","last_active_on":"2026-11-20"},',
  '{"id":"u4","email":"new@example.com","name":"Name u4","kind":"human","status":"invited","org_role":"Org Base","org_admin":false,"created_at":"2026-01-01T00:00:00.000Z","last_active_on":null},',
  '{"id":"u3","email":"zed@example.com","name":"Name u3","kind":"human","status":"active","org_role":"Root","org_admin":true,"created_at":"2026-01-01T00:00:00.000Z","last_active_on":"2026-11-20"}],',
  '"grants":[',
  '{"user_id":"u1","email":"Ada@example.com","workspace_id":"w-eng","workspace":"Engineering","role":"Admin","via":"org_admin","since":"2026-02-01T00:00:00.000Z","reason":null,"expires_at":null},',
  '{"user_id":"u1","email":"Ada@example.com","workspace_id":"w-sales","workspace":"Sales","role":"Admin","via":"org_admin","since":"2026-02-01T00:00:00.000Z","reason":null,"expires_at":null},',
  '{"user_id":"u2","email":"bot@example.com","workspace_id":"w-eng","workspace":"Engineering","role":"Reader","via":"membership","since":"2026-02-01T00:00:00.000Z","reason":null,"expires_at":null},',
  '{"user_id":"u2","email":"bot@example.com","workspace_id":"w-sales","workspace":"Sales","role":"Editor","via":"membership","since":"2026-02-01T00:00:00.000Z","reason":"sales sync","expires_at":"2027-03-01T00:00:00.000Z"},',
  '{"user_id":"u3","email":"zed@example.com","workspace_id":"w-eng","workspace":"Engineering","role":"Admin","via":"org_admin","since":"2026-02-01T00:00:00.000Z","reason":null,"expires_at":null},',
  '{"user_id":"u3","email":"zed@example.com","workspace_id":"w-sales","workspace":"Sales","role":"Admin","via":"org_admin","since":"2026-02-01T00:00:00.000Z","reason":null,"expires_at":null}],',
  '"keys":[',
  '{"id":"k1","name":"ci deploy","workspace":"Engineering","holder":"bot@example.com","holder_kind":"service","created_by":"bot@example.com","tenant_admin":false,"restricted":true,"restriction":["flows_run"],"effective":["flows_run"],"degraded":false,"clipped":[],"status":"active","created_at":"2026-10-01T00:00:00.000Z","last_used_on":"2026-11-28","expires_at":null}],',
  '"system_keys":[',
  '{"id":"s1","name":"billing export","permissions":["org:read","settings:read"],"tenant_admin":false,"created_by":"u1","status":"active","created_at":"2026-03-01T00:00:00.000Z","last_used_on":null,"expires_at":null}],',
  '"service_accounts":[',
  '{"id":"u2","email":"bot@example.com","status":"active","workspaces":["Engineering=Reader","Sales=Editor"]}],',
  '"invitations":[',
  '{"user_id":"u4","email":"new@example.com","invited_at":"2026-11-01T00:00:00.000Z","expires_at":"2026-11-08T00:00:00.000Z"}],',
  '"roles":[',
  '{"name":"Org Admin","scope":"org","permissions":["org:admin","org:read"]},',
  '{"name":"Org Base","scope":"org","permissions":["org:read"]},',
  '{"name":"Root","scope":"org","permissions":["org:admin","org:read"]},',
  '{"name":"Editor","scope":"workspace","permissions":["flows_run","flows_view"]},',
  '{"name":"Reader","scope":"workspace","permissions":["flows_view"]}],',
  '"workspaces":[{"id":"w-eng","name":"Engineering"},{"id":"w-sales","name":"Sales"}],',
  '"coverage":{"complete":true,"missing":[]}},',
  '"sha256":"5af26d83ed8f5b8e38df2d3a0be28ca9306fdf7e170e1c9f5199a0724eee5190"}',
  '',
].join('\n');

const SHA = '5af26d83ed8f5b8e38df2d3a0be28ca9306fdf7e170e1c9f5199a0724eee5190';
const normal = (text: string) => text.replace(/"generated_at":"[^"]+"/, '"generated_at":"GENERATED"');

describe('noxus review export', () => {
  it('writes the JSON to stdout, its sha256 that of the compact content', async () => {
    server = mockServer();
    interceptExport(server);
    const r = await server.run(['review', 'export']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(normal(r.stdout)).toBe(EXPECTED);
    const doc = JSON.parse(r.stdout);
    expect(createHash('sha256').update(JSON.stringify(doc.content)).digest('hex')).toBe(SHA);
  });

  it('-o FILE writes the same bytes (mode 0600) and says what it wrote', async () => {
    server = mockServer();
    interceptExport(server);
    const file = join(tempDir(), 'q4.json');
    const r = await server.run(['review', 'export', '-o', file, '--concurrency', '1']);
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(r.stderr).toBe(`✓ json export written to ${file}: 4 users, 6 grants, 1 keys; sha256 ${SHA}\n`);
    expect(normal(readFileSync(file, 'utf8'))).toBe(EXPECTED);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('CSV and Markdown carry the same content hash', async () => {
    server = mockServer();
    interceptExport(server);
    const csv = await server.run(['review', 'export', '--format', 'csv']);
    expect([csv.code, csv.stderr]).toEqual([0, '']);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'record,id,subject,name,kind,status,workspace,role,via,restriction,effective,degraded,created_at,last_activity,expires_at,reason',
    );
    expect(lines.filter((l) => l.startsWith('user,')).map((l) => l.split(',')[2])).toEqual([
      'Ada@example.com',
      'bot@example.com',
      'new@example.com',
      'zed@example.com',
    ]);
    expect(lines.filter((l) => l.startsWith('grant,'))).toHaveLength(6);
    // A grant's terms: its expiry in expires_at, its reason in the last column (empty when none).
    expect(lines.filter((l) => l.startsWith('grant,u2,'))).toEqual([
      'grant,u2,bot@example.com,,,,Engineering,Reader,membership,,,,2026-02-01T00:00:00.000Z,,,',
      'grant,u2,bot@example.com,,,,Sales,Editor,membership,,,,2026-02-01T00:00:00.000Z,,2027-03-01T00:00:00.000Z,sales sync',
    ]);
    expect(lines.at(-2)).toMatch(new RegExp(`^sha256,${SHA},http://noxus.test,`));
    interceptExport(server);
    const md = await server.run(['review', 'export', '--format', 'md']);
    expect([md.code, md.stderr]).toEqual([0, '']);
    expect(md.stdout).toContain(`- Content sha256: \`${SHA}\`\n`);
    expect(md.stdout).toContain(
      '| User | Workspace | Role | Via | Since | Expires | Reason |\n|---|---|---|---|---|---|---|\n',
    );
    expect(md.stdout).toContain(
      '| bot@example.com | Sales | Editor | membership | 2026-02-01 | 2027-03-01T00:00:00.000Z | sales sync |\n',
    );
    expect(md.stdout).toContain('| Ada@example.com | Engineering | Admin | org admin | 2026-02-01 |  |  |\n');
    expect(md.stdout).toContain(
      '- 4 users (2 org admins, 1 service accounts, 1 pending invitations), 6 workspace grants, 1 keys (0 degraded, 0 unrestricted), 1 system keys\n',
    );
    expect(md.stdout).toContain(
      '## Org admins (admin on every workspace)\n\n- Ada@example.com (Name u1), last active 2026-11-20\n- zed@example.com (Name u3), last active 2026-11-20\n',
    );
  });

  it('a server without member or key lists: a partial export, each gap warned and hashed', async () => {
    server = mockServer({ features: ['service-accounts', 'users.invite'] });
    interceptExport(server, { members: false, keys: false });
    const r = await server.run(['review', 'export']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      [
        'warning: partial export: no grants (workspace member lists are not available on this server)',
        'warning: partial export: no keys (listing workspace keys is not available on this server)',
        '',
      ].join('\n'),
    );
    const doc = JSON.parse(r.stdout);
    expect(doc.content.grants).toEqual([]);
    expect(doc.content.coverage.complete).toBe(false);
    expect(doc.sha256).toBe(createHash('sha256').update(JSON.stringify(doc.content)).digest('hex'));
  });

  it('a bad --concurrency exits 2 before any request, and writes no file', async () => {
    server = mockServer();
    const file = join(tempDir(), 'never.json');
    const r = await server.run(['review', 'export', '--concurrency', '0', '-o', file]);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --concurrency must be 1-64, got "0"\n',
    });
    expect(existsSync(file)).toBe(false);
  });

  it('an unwritable -o exits 2 after reading, and says why', async () => {
    server = mockServer();
    interceptExport(server);
    const file = join(tempDir(), 'no-such-dir', 'q.json');
    const r = await server.run(['review', 'export', '-o', file]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `error: cannot write ${file}: ENOENT\n` });
  });
});
