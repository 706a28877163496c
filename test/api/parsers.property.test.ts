// Every public endpoint's client parser, fed random JSON and garbage bodies: the only outcomes are a
// value (exit 0) or a clean NoxusError with exit 1, never a TypeError or another exit code. Then the
// same through whole commands in-process, so the rendering of what the parsers let through is covered.
import fc from 'fast-check';
import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { createGroup, deleteGroup, listGroups } from '../../src/api/groups.js';
import { createKey, createSystemKey, listSystemKeys, revokeSystemKey } from '../../src/api/keys.js';
import { getMe } from '../../src/api/me.js';
import { createRole, deleteRole, listRoles } from '../../src/api/roles.js';
import { listUsers } from '../../src/api/users.js';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { NoxusError } from '../../src/errors.js';
import { report } from '../../src/main.js';
import { fakeTerminal, tempDir } from '../commands/support.js';

const BASE = 'https://noxus.prop.test';
const KEY = 'noxus_PropertyKey0123456789';

interface Endpoint {
  method: string;
  path: string;
  fields: string[];
  call: (c: ApiClient) => Promise<unknown>;
}

const ENDPOINTS: Endpoint[] = [
  {
    method: 'GET',
    path: '/v1/admin/me',
    fields: ['id', 'name', 'tenant_admin', 'value', 'permissions', 'holder'],
    call: getMe,
  },
  { method: 'GET', path: '/v1/admin/groups', fields: ['id', 'name', 'description'], call: listGroups },
  {
    method: 'POST',
    path: '/v1/admin/groups',
    fields: ['id', 'name', 'description'],
    call: (c) => createGroup(c, { name: 'n', description: '' }),
  },
  { method: 'DELETE', path: '/v1/admin/groups/g1', fields: ['success'], call: (c) => deleteGroup(c, 'g1') },
  {
    method: 'POST',
    path: '/v1/admin/groups/g1/api-keys',
    fields: ['id', 'name', 'value', 'tenant_admin', 'permissions'],
    call: (c) => createKey(c, 'g1', { name: 'k', tenant_admin: false }),
  },
  {
    method: 'GET',
    path: '/v1/admin/system-keys',
    fields: ['id', 'name', 'permissions', 'tenant_admin', 'status', 'created_at'],
    call: listSystemKeys,
  },
  {
    method: 'POST',
    path: '/v1/admin/system-keys',
    fields: ['id', 'name', 'value', 'permissions', 'tenant_admin'],
    call: (c) => createSystemKey(c, { name: 'k', permissions: [], tenant_admin: true }),
  },
  {
    method: 'DELETE',
    path: '/v1/admin/system-keys/k1',
    fields: ['success'],
    call: (c) => revokeSystemKey(c, 'k1'),
  },
  {
    method: 'GET',
    path: '/v1/admin/users',
    fields: ['id', 'email', 'display_name', 'tenant_admin', 'is_active'],
    call: (c) => listUsers(c),
  },
  {
    method: 'GET',
    path: '/v1/admin/roles',
    fields: ['id', 'name', 'permissions', 'builtin', 'description'],
    call: listRoles,
  },
  {
    method: 'POST',
    path: '/v1/admin/roles',
    fields: ['id', 'name', 'permissions', 'description'],
    call: (c) => createRole(c, { name: 'r', description: '', permissions: { flows_run: true } }),
  },
  {
    method: 'DELETE',
    path: '/v1/admin/roles/r1',
    fields: ['id', 'name', 'permissions'],
    call: (c) => deleteRole(c, 'r1'),
  },
];

/** Values that look like the wire (the endpoint's own field names, plausible types) or do not at all. */
const leaf = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.integer(),
  fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.boolean(), { maxKeys: 3 }),
);
const BOOLEAN_FIELDS = new Set(['tenant_admin', 'is_active', 'builtin', 'success']);
/** Mostly the type the field has on the wire (null allowed), sometimes anything. */
const plausible = (field: string) =>
  fc.oneof(
    {
      arbitrary:
        field === 'permissions'
          ? fc.oneof(fc.constant(null), fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }))
          : BOOLEAN_FIELDS.has(field)
            ? fc.oneof(fc.boolean(), fc.constant(null))
            : field === 'id' || field === 'email'
              ? fc.string({ maxLength: 8 })
              : fc.oneof(
                  { arbitrary: fc.string({ maxLength: 8 }), weight: 4 },
                  { arbitrary: fc.constant(null), weight: 1 },
                ),
      weight: 5,
    },
    { arbitrary: leaf, weight: 1 },
  );
const shaped = (fields: string[]) =>
  fc.record(Object.fromEntries(fields.map((f) => [f, plausible(f)])), {
    requiredKeys: fields.filter((f) => f === 'id' || f === 'email'),
  });
const jsonBody = (fields: string[]) =>
  fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
    { arbitrary: shaped(fields), weight: 3 },
    { arbitrary: fc.array(shaped(fields), { maxLength: 3 }), weight: 3 },
    { arbitrary: fc.record({ items: fc.array(shaped(fields), { maxLength: 3 }), total: leaf }), weight: 1 },
  );
const garbage = fc.record({
  body: fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constant(''),
    fc.constant('<html><body>502 Bad Gateway</body></html>'),
    fc.jsonValue().map((v) => (JSON.stringify(v) ?? 'null').slice(0, -1)),
  ),
  type: fc.constantFrom('application/json', 'text/html', 'text/plain', undefined),
});

type Answer = { body: string; type?: string };

function mockServer(answer: () => Answer) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agent
    .get(BASE)
    .intercept({ path: () => true, method: () => true })
    .reply(() => {
      const a = answer();
      return {
        statusCode: 200,
        data: a.body,
        responseOptions: { headers: a.type ? { 'content-type': a.type } : {} },
      };
    })
    .persist();
  return agent;
}

async function outcome(run: () => Promise<unknown>): Promise<number> {
  try {
    await run();
    return 0;
  } catch (e) {
    if (e instanceof NoxusError) return e.exitCode;
    throw e;
  }
}

describe('public endpoint parsers under random responses', () => {
  for (const ep of ENDPOINTS) {
    it(`${ep.method} ${ep.path}: exit 0 or 1 only`, async () => {
      let current: Answer = { body: 'null', type: 'application/json' };
      const agent = mockServer(() => current);
      const client = new ApiClient({ baseUrl: BASE, apiKey: KEY, dispatcher: agent, maxAttempts: 1 });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            {
              arbitrary: jsonBody(ep.fields).map((v) => ({
                body: JSON.stringify(v),
                type: 'application/json',
              })),
              weight: 4,
            },
            { arbitrary: garbage, weight: 1 },
          ),
          async (answer) => {
            current = answer;
            expect([0, 1]).toContain(await outcome(() => ep.call(client)));
          },
        ),
        { numRuns: 150 },
      );
      await agent.close();
    });
  }

  it('names the endpoint and the field for a wrong shape', async () => {
    const agent = mockServer(() => ({ body: '[1,2,3]', type: 'application/json' }));
    const client = new ApiClient({ baseUrl: BASE, apiKey: KEY, dispatcher: agent });
    await expect(getMe(client)).rejects.toThrow(
      'invalid response from GET /v1/admin/me: the body should be an object, got an array',
    );
    await agent.close();
    const again = mockServer(() => ({
      body: JSON.stringify([{ id: 'k1', name: 'ci', permissions: null, tenant_admin: false }]),
      type: 'application/json',
    }));
    const c2 = new ApiClient({ baseUrl: BASE, apiKey: KEY, dispatcher: again });
    expect((await listSystemKeys(c2))[0]?.permissions).toEqual([]);
    const bad = mockServer(() => ({
      body: JSON.stringify([{ id: 7, name: 'x' }]),
      type: 'application/json',
    }));
    const c3 = new ApiClient({ baseUrl: BASE, apiKey: KEY, dispatcher: bad });
    await expect(listRoles(c3)).rejects.toThrow(
      'invalid response from GET /v1/admin/roles: item 0.id should be a string, got number',
    );
    await Promise.all([again.close(), bad.close()]);
  });
});

describe('list commands render whatever the parsers accept', () => {
  const commands = [['me'], ['ws', 'list'], ['users', 'list'], ['roles', 'list'], ['keys', 'system', 'list']];
  for (const argv of commands) {
    it(`noxus ${argv.join(' ')}: exit 0 or 1, never an unexpected failure`, async () => {
      let current: Answer = { body: 'null' };
      const agent = mockServer(() => current);
      const env = { NOXUS_API_KEY: KEY, NOXUS_BACKEND_URL: BASE, NOXUS_CONFIG_DIR: tempDir() };
      await fc.assert(
        fc.asyncProperty(
          jsonBody([
            'id',
            'name',
            'email',
            'is_active',
            'permissions',
            'tenant_admin',
            'builtin',
            'value',
            'description',
          ]),
          fc.boolean(),
          async (body, tty) => {
            current = { body: JSON.stringify(body), type: 'application/json' };
            const term = fakeTerminal(env, tty);
            const ctx = new Context(term.io, '0.0.0', { dispatcher: agent });
            let code = 0;
            try {
              await (await buildProgram(ctx)).parseAsync(
                [...argv, '--json'].slice(0, tty ? argv.length : undefined),
                {
                  from: 'user',
                },
              );
            } catch (e) {
              code = report(e, ctx);
            }
            expect([0, 1]).toContain(code);
            expect(term.stderr()).not.toContain('unexpected failure');
            expect(term.stdout()).not.toContain('undefined');
          },
        ),
        { numRuns: 100 },
      );
      await agent.close();
    });
  }
});
