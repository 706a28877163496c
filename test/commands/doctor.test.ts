// `noxus doctor` in-process against MockAgent: it always discovers afresh (the test gives no
// capabilities to it: it reads /openapi.json and /v1/admin/me), then reports the key and each feature.
import { afterEach, describe, expect, it } from 'vitest';
import { FEATURES } from '../../src/domain/features.js';
import { me } from './keys-fixtures.js';
import { json, type MockServer, mockServer, ORIGIN } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

/** An OpenAPI document with the routes of the public API only. */
function publicDoc() {
  const paths: Record<string, Record<string, object>> = {};
  for (const f of FEATURES.filter((x) => x.public)) {
    for (const r of f.routes) {
      const [method, path] = r.split(' ') as [string, string];
      paths[path] = { ...paths[path], [method.toLowerCase()]: {} };
    }
  }
  return { openapi: '3.1.0', info: { version: '9.9' }, paths };
}

function serve(s: MockServer, meReply: [number, object] = [200, me]) {
  s.pool.intercept({ path: '/openapi.json', method: 'GET' }).reply(200, publicDoc(), json);
  s.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(meReply[0], meReply[1], json);
}

describe('doctor', () => {
  it('names the server, the discovery, the key and a row per feature', async () => {
    server = mockServer();
    serve(server);
    const r = await server.run(['doctor']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      `server\t${ORIGIN}`,
      'reachable\tyes',
      expect.stringMatching(/^discovery\t\/openapi\.json \(version 9\.9:[0-9a-f]{16}\)$/),
      'key\tadmin laptop (k-me)',
      'key_kind\tworkspace',
      'tenant_admin\tyes',
      'holder\tadmin@example.com',
    ]);
    expect(lines).toContain('key identity\tyes\tlisted in /openapi.json\tidentity');
    expect(lines).toContain(
      'restricted keys\tno\tPOST /v1/admin/groups/{group_id}/api-keys takes no permissions in /openapi.json\tkeys.restrict',
    );
    const missing = FEATURES.length - lines.filter((l) => /\tyes\t/.test(l)).length;
    expect(missing).toBeGreaterThan(0);
    expect(r.stderr).toBe(
      `${missing} features are not available on this server; commands that need them stop with exit 8 before changing anything.\n`,
    );
  });

  it('--json: one document with the key and every feature', async () => {
    server = mockServer();
    serve(server);
    const r = await server.run(['doctor', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      command: 'doctor',
      server: ORIGIN,
      reachable: true,
      discovery: { source: 'openapi' },
      key: { id: 'k-me', name: 'admin laptop', kind: 'workspace', tenant_admin: true },
    });
    expect(doc.features).toHaveLength(FEATURES.length);
    expect(doc.features.find((f: { id: string }) => f.id === 'identity')).toMatchObject({ available: true });
  });

  it('a key the server refuses (401) exits 4 after saying the server is not usable', async () => {
    server = mockServer();
    serve(server, [401, { detail: 'Invalid API key' }]);
    const r = await server.run(['doctor']);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toBe(`Server ${ORIGIN}: not usable`);
    expect(r.stdout).toBe('');
  });
});
