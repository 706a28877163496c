// `noxus review diff` in-process: two JSON exports, no request at all; the Markdown and JSON forms,
// and refusals of a modified or missing export (exit 2).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonText, makeDoc } from '../../src/services/review/doc.js';
import type { ReviewContent, ReviewUser } from '../../src/services/review/types.js';
import { type MockServer, mockServer } from './mock.js';
import { tempDir } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const user = (email: string, org_admin = false): ReviewUser => ({
  id: `id-${email}`,
  email,
  name: email,
  kind: 'human',
  status: 'active',
  org_role: org_admin ? 'Org Admin' : 'Org Base',
  org_admin,
  created_at: '2026-01-01T00:00:00.000Z',
  last_active_on: '2026-11-28',
});
const content = (users: ReviewUser[], role: string): ReviewContent => ({
  organization: 'Acme',
  users,
  grants: [
    {
      user_id: 'id-ada@example.com',
      email: 'ada@example.com',
      workspace_id: 'w1',
      workspace: 'Sales',
      role,
      via: 'membership',
      since: null,
    },
  ],
  keys: [],
  system_keys: [],
  service_accounts: [],
  invitations: [],
  roles: [],
});

async function write(name: string, c: ReviewContent, at: string): Promise<{ file: string; sha: string }> {
  const doc = makeDoc(c, 'https://noxus.example.com', '0.1.0', new Date(at));
  const file = join(tempDir(), name);
  writeFileSync(file, await jsonText(doc));
  return { file, sha: doc.sha256 };
}

describe('noxus review diff', () => {
  it('Markdown: each change under its heading, escalations marked', async () => {
    server = mockServer();
    const a = await write(
      'a.json',
      content([user('ada@example.com'), user('old@example.com')], 'Reader'),
      '2026-10-01T00:00:00.000Z',
    );
    const b = await write(
      'b.json',
      content([user('ada@example.com', true), user('new@example.com')], 'Editor'),
      '2026-11-01T00:00:00.000Z',
    );
    const r = await server.run(['review', 'diff', a.file, b.file]);
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        '# Access review diff',
        '',
        `From 2026-10-01T00:00:00.000Z (${a.sha.slice(0, 12)}) to 2026-11-01T00:00:00.000Z (${b.sha.slice(0, 12)}): 4 change(s)`,
        '',
        '## Admins gained',
        '',
        '- **ada@example.com** ⚠ escalation',
        '',
        '## Users added',
        '',
        '- new@example.com',
        '',
        '## Users removed',
        '',
        '- old@example.com',
        '',
        '## Grants changed',
        '',
        '- ada@example.com in Sales: Reader → Editor ⚠ escalation',
        '',
      ].join('\n'),
    });
  });

  it('--format json: the diff document; the same export twice has no changes', async () => {
    server = mockServer();
    const a = await write('a.json', content([user('ada@example.com')], 'Reader'), '2026-10-01T00:00:00.000Z');
    const r = await server.run(['review', 'diff', a.file, a.file, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      schema_version: 1,
      kind: 'noxus-access-review-diff',
      old: { sha256: a.sha },
      new: { sha256: a.sha },
      changes: 0,
    });
    const md = await server.run(['review', 'diff', a.file, a.file]);
    expect(md.stdout.endsWith('0 change(s)\n\nNo changes.\n')).toBe(true);
  });

  it('a modified or missing export exits 2 and prints nothing', async () => {
    server = mockServer();
    const a = await write('a.json', content([user('ada@example.com')], 'Reader'), '2026-10-01T00:00:00.000Z');
    const forged = join(tempDir(), 'forged.json');
    const doc = JSON.parse((await import('node:fs')).readFileSync(a.file, 'utf8'));
    doc.content.users[0].org_admin = true;
    writeFileSync(forged, JSON.stringify(doc));
    expect(await server.run(['review', 'diff', a.file, forged])).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: ${forged} was modified after export: its content does not match its sha256\n`,
    });
    const missing = join(tempDir(), 'missing.json');
    expect(await server.run(['review', 'diff', missing, a.file])).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: cannot read ${missing}\n`,
    });
  });
});
