// `noxus keys create` in-process against MockAgent: the requests it makes, what it prints, and that
// nothing is written on bad input, on a refused restriction or on a server without the feature.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BOT, createReads, ENG, SECRET } from './keys-fixtures.js';
import { json, type MockServer, mockServer } from './mock.js';
import { tempDir } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const base = ['keys', 'create', '--workspace', 'Engineering', '--name', 'deploy', '--owner', BOT.email];
const created = {
  id: 'k-new',
  name: 'deploy',
  value: SECRET,
  permissions: ['flows_run'],
  effective_permissions: ['flows_run'],
};

/** The one POST that creates the key; `sent.body` is what it carried (undici may match a body twice). */
function expectCreate(s: MockServer, status = 200, reply: unknown = created) {
  const sent: { body?: unknown } = {};
  s.pool
    .intercept({
      path: `/v1/admin/groups/${ENG.id}/api-keys`,
      method: 'POST',
      body: (b) => {
        sent.body = JSON.parse(b);
        return true;
      },
    })
    .reply(status, reply as object, json);
  return sent;
}

describe('keys create', () => {
  it('creates the restricted key for the owner and prints the secret once, on stdout only', async () => {
    server = mockServer();
    createReads(server, { users: true });
    const sent = expectCreate(server);
    const r = await server.run([...base, '--restrict', 'flows_run']);
    expect(r.code).toBe(0);
    expect(sent.body).toEqual({
      name: 'deploy',
      tenant_admin: false,
      permissions: ['flows_run'],
      owner_id: BOT.id,
    });
    expect(r.stdout).toBe(`${SECRET}\n`);
    expect(r.stderr).toBe(
      [
        '✓ created key "deploy" (k-new)',
        'effective permissions: flows_run',
        'warning: this is the only time the secret is shown; store it now (a password manager, or your CI secret store)',
        '',
      ].join('\n'),
    );
  });

  it('--json: one envelope naming the key, with its secret (the contract), nothing on stderr', async () => {
    server = mockServer();
    createReads(server, { users: true });
    expectCreate(server);
    const r = await server.run([...base, '--restrict', 'flows_run', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema_version: 1, command: 'keys create', changed: true });
    expect(doc.key).toEqual({
      id: 'k-new',
      name: 'deploy',
      value: 'noxus_…6789',
      secret: SECRET,
      permissions: ['flows_run'],
      effective_permissions: ['flows_run'],
      tenant_admin: false,
    });
    expect(doc.items).toEqual([doc.key]);
  });

  it('--secret-file: the secret only in a new 0600 file, never on stdout or stderr', async () => {
    server = mockServer();
    createReads(server, { users: true });
    expectCreate(server);
    const file = join(tempDir(), 'deploy.key');
    const r = await server.run([...base, '--restrict', 'flows_run', '--secret-file', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`✓ created key "deploy" (k-new, noxus_…6789); secret written to ${file} (0600)\n`);
    expect(readFileSync(file, 'utf8')).toBe(`${SECRET}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('--secret-file naming an existing file exits 2 before any request', async () => {
    server = mockServer();
    const dir = tempDir();
    const r = await server.run([...base, '--restrict', 'flows_run', '--secret-file', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: --secret-file ${dir} already exists; the secret is only written to a new file`,
    );
  });

  it('--dry-run shows the key and its effective permissions and makes no write', async () => {
    server = mockServer();
    createReads(server, { users: true });
    const r = await server.run([...base, '--restrict', 'flows_run', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        `Dry run: would create key "deploy" in Engineering, held by ${BOT.email}`,
        '  restriction: flows_run',
        '  effective now: flows_run',
        'Nothing was changed.',
        '',
      ].join('\n'),
    );
  });

  it('a restriction beyond the holder is refused with exit 6, naming the permission, before any write', async () => {
    server = mockServer();
    createReads(server, { users: true });
    const r = await server.run([...base, '--restrict', 'flows_run,flows_edit']);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `a key can never have more permissions than its creator: service account ${BOT.email} lacks flows_edit in Engineering (role Reader)`,
    );
  });

  it.each([
    [['--restrict', ''], '--restrict "" is an empty restriction'],
    [
      ['--expires-in', 'soon'],
      '--expires-in must be a positive duration like 30m, 12h, 90d or 2w, got "soon"',
    ],
    [
      ['--expires-in', 'none', '--expires-at', '2030-01-01T00:00:00Z'],
      'give --expires-in or --expires-at, not both',
    ],
  ])('bad input %j exits 2 with no request', async (flags, message) => {
    server = mockServer();
    const r = await server.run([...base, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  it('an unknown permission exits 2 after reading only the catalogue', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: '/v1/admin/permissions', method: 'GET' })
      .reply(200, [{ name: 'flows_run', scope: 'workspace', description: '' }], json);
    const r = await server.run([...base, '--restrict', 'flows_runn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown permission: flows_runn');
    expect(r.stderr).toContain('flows_runn: did you mean flows_run?');
  });

  it('a server with only the public API stops with exit 8 naming the feature before any request', async () => {
    server = mockServer({ features: 'public' });
    const r = await server.run([...base, '--restrict', 'flows_run']);
    expect(r.code).toBe(8);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      'error: restricted keys are not available on this server (absent in this test)',
    );
  });

  it.each([
    [401, 4],
    [403, 6],
    [404, 5],
    [409, 7],
  ])('a %i from the server exits %i and shows no secret', async (status, code) => {
    server = mockServer();
    createReads(server, { users: true });
    expectCreate(server, status, { detail: `refused with ${status}` });
    const r = await server.run([...base, '--restrict', 'flows_run']);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`refused with ${status}`);
    expect(r.stderr).not.toContain(SECRET);
  });

  it('--owner naming a person is refused with exit 2 before any write', async () => {
    server = mockServer();
    createReads(server, { users: true, members: false, me: false });
    const r = await server.run([
      'keys',
      'create',
      '--workspace',
      'Engineering',
      '--name',
      'deploy',
      '--owner',
      'ada@example.com',
      '--restrict',
      'flows_run',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--owner ada@example.com is a person, not a service account');
  });
});
