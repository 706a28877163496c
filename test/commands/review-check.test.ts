// `noxus review check` in-process: findings from a JSON export (no request at all) and from the live
// organization (MockAgent), the policy file, the exit codes, and refusals of bad input.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonText, makeDoc } from '../../src/services/review/doc.js';
import type { ReviewContent } from '../../src/services/review/types.js';
import { json, type MockServer, mockServer } from './mock.js';
import { interceptExport } from './review-fixture.js';
import { tempDir } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const content: ReviewContent = {
  organization: 'Acme',
  users: [
    {
      id: 'u1',
      email: 'lone@example.com',
      name: 'Lone',
      kind: 'human',
      status: 'active',
      org_role: 'Org Base',
      org_admin: false,
      created_at: '2026-01-01T00:00:00.000Z',
      last_active_on: '2026-11-28',
    },
  ],
  grants: [],
  keys: [],
  system_keys: [],
  service_accounts: [],
  invitations: [
    { user_id: 'u9', email: 'new@example.com', invited_at: '2020-01-01T00:00:00.000Z', expires_at: null },
  ],
  roles: [],
};

async function exportFile(c: ReviewContent = content): Promise<string> {
  const file = join(tempDir(), 'q.json');
  writeFileSync(file, await jsonText(makeDoc(c, 'https://noxus.example.com', '0.1.0', new Date())));
  return file;
}

describe('noxus review check', () => {
  it('--from an export: a warning fails the default policy (exit 1), the info is listed too', async () => {
    server = mockServer();
    const file = await exportFile();
    const r = await server.run(['review', 'check', '--from', file, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.items.map((f: { rule: string; subject: string }) => `${f.rule} ${f.subject}`)).toEqual([
      'stale_invitation new@example.com',
      'active_user_without_workspace lone@example.com',
    ]);
    expect(out).toMatchObject({ schema_version: 1, failing: 1, passed: false, skipped: [] });
    expect(JSON.parse(r.stderr)).toEqual({
      schema_version: 1,
      error: {
        code: 'failure',
        exit_code: 1,
        message: '1 finding(s) at or above "warning" (2 in all)',
        hint: 'apply the fixes shown, or adjust the policy thresholds (--policy)',
        failing: 1,
      },
    });
  });

  it('a policy that raises fail_on to error passes (exit 0) and says so', async () => {
    server = mockServer();
    const file = await exportFile();
    const policy = join(tempDir(), 'policy.yaml');
    writeFileSync(policy, 'fail_on: error\n');
    const r = await server.run(['review', 'check', '--from', file, '--policy', policy]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stale_invitation');
    expect(r.stderr).toBe('2 finding(s), none at or above "error"\n');
  });

  it('a bad policy or a missing export exits 2 before any request', async () => {
    server = mockServer();
    const policy = join(tempDir(), 'policy.json');
    writeFileSync(policy, '{"max_org_admins": -1}');
    const bad = await server.run(['review', 'check', '--policy', policy]);
    expect(bad).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: ${policy}: max_org_admins must be a whole number ≥ 0\n`,
    });
    const missing = join(tempDir(), 'none.json');
    expect(await server.run(['review', 'check', '--from', missing])).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: cannot read ${missing}\n`,
    });
  });

  it('the live organization: one export, then the caller (never suggested for demotion)', async () => {
    server = mockServer();
    interceptExport(server);
    server.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(
      200,
      {
        id: 'k-me',
        name: 'me',
        tenant_admin: true,
        value: 'noxus_…cdef',
        holder: { id: 'u3', email: 'zed@example.com', display_name: 'Zed', kind: 'human', org_admin: true },
      },
      json,
    );
    const policy = join(tempDir(), 'policy.yaml');
    writeFileSync(policy, 'max_org_admins: 1\nfail_on: error\n');
    const r = await server.run(['review', 'check', '--policy', policy, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.items.filter((f: { rule: string }) => f.rule === 'too_many_org_admins')).toEqual([
      {
        rule: 'too_many_org_admins',
        severity: 'error',
        subject: 'Ada@example.com',
        message: '2 org admins, the policy allows 1',
        fix: "noxus users update Ada@example.com --org-role 'Org Base'",
      },
    ]);
  });
});
