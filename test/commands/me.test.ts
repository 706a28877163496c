// `noxus me` in-process against MockAgent: the one request it makes, and how it renders the answer.
import { afterEach, describe, expect, it } from 'vitest';
import { json, KEY, type MockServer, mockServer, ORIGIN } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const me = {
  id: 'k1',
  name: 'ops laptop',
  tenant_admin: false,
  value: 'noxus_…cdef',
  kind: 'workspace',
  group_id: 'g1',
  group_name: 'Engineering',
  restricted: true,
  restriction: ['flows_run', 'kbs_query'],
  effective_permissions: ['flows_run'],
  holder: {
    id: 'u1',
    email: 'ada@example.com',
    display_name: 'Ada',
    kind: 'human',
    org_admin: false,
    org_role: 'Org Base',
  },
};

describe('noxus me', () => {
  it('prints one field per line off a terminal, the key only masked', async () => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
    const r = await server.run(['me']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'key\tops laptop (k1)',
        'value\tnoxus_…cdef',
        'holder\tada@example.com (human)',
        'org_role\tOrg Base',
        'tenant_admin\tno',
        'workspace\tEngineering',
        'restricted\tflows_run,kbs_query',
        'permissions\tflows_run',
        'org_permissions\t',
        `server\t${ORIGIN}`,
        'profile\tdefault',
        'key_from\tenvironment variable NOXUS_API_KEY',
        '',
      ].join('\n'),
    );
    expect(r.stdout).not.toContain(KEY);
  });

  it('--json prints the server answer in an envelope, with where the key came from', async () => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
    const r = await server.run(['me', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      schema_version: 1,
      command: 'me',
      server: ORIGIN,
      profile: 'default',
      credential_source: 'env',
    });
    expect(doc.items).toEqual([
      expect.objectContaining({ id: 'k1', holder: me.holder, value: 'noxus_…cdef' }),
    ]);
    expect(r.stdout).not.toContain(KEY);
  });

  it('a system key is held by the organization', async () => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(
      200,
      {
        id: 's1',
        name: 'export',
        tenant_admin: true,
        kind: 'system',
        holder: null,
        org_permissions: ['org:read'],
      },
      json,
    );
    const r = await server.run(['me']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toContain('holder\tthe organization (system key)');
    expect(r.stdout.split('\n')).toContain('org_permissions\torg:read');
  });

  it('a 401 exits 4 and names the key source', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: '/v1/admin/me', method: 'GET' })
      .reply(401, { detail: 'Invalid API key' }, json);
    const r = await server.run(['me']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: the server rejected the API key (HTTP 401): Invalid API key (request id req-mock)\nthe key comes from NOXUS_API_KEY: set it to a valid key, or unset it to use a stored login\n',
    );
  });

  it.each([
    [401, 4],
    [403, 6],
  ])('a %i exits %i with nothing on stdout and the key not echoed', async (status, code) => {
    server = mockServer();
    server.pool
      .intercept({ path: '/v1/admin/me', method: 'GET' })
      .reply(status, { detail: 'Invalid API key' }, json);
    const r = await server.run(['me']);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Invalid API key');
    expect(r.stderr).not.toContain(KEY);
  });
});
