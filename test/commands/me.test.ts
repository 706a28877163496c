// `noxus me` in-process against MockAgent: the one request it makes, and how it renders the answer.
import { afterEach, describe, expect, it } from 'vitest';
import { json, type MockServer, mockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const me = {
  id: 'k1',
  name: 'ops laptop',
  tenant_admin: false,
  value: 'noxus_…cdef',
  holder: {
    id: 'u1',
    email: 'ada@example.com',
    display_name: 'Ada',
    kind: 'human',
    org_admin: false,
    org_role: null,
  },
};

describe('noxus me', () => {
  it('--json prints the server answer in an envelope', async () => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
    const r = await server.run(['me', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema_version: 1 });
    expect(r.stdout).toContain('ada@example.com');
  });

  it('a 401 exits 4 and names the key source', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: '/v1/admin/me', method: 'GET' })
      .reply(401, { detail: 'Invalid API key' }, json);
    const r = await server.run(['me']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
  });
});
