// noxus doctor against the full sandbox, a public-only one (FastAPI 404s, /openapi.json served) and a
// public-only one behind a gateway that hides /openapi.json and answers 403 to unknown routes.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES } from '../../src/domain/features.js';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let full: TestSandbox;
let pub: TestSandbox;
let gateway: TestSandbox;

beforeAll(async () => {
  [full, pub, gateway] = await Promise.all([
    startTestSandbox({ seed: 'demo' }),
    startTestSandbox({ seed: 'demo', api: 'public', unknownRoutes: 'fastapi' }),
    startTestSandbox({ seed: 'demo', api: 'public', unknownRoutes: 'gateway-403', openapi: false }),
  ]);
});
afterAll(async () => {
  await Promise.all([full?.cleanup(), pub?.cleanup(), gateway?.cleanup()]);
});

const doctor = (sbx: TestSandbox, cfg: string, ...args: string[]) =>
  runCli(['doctor', ...args], {
    configDir: cfg,
    env: { NOXUS_API_KEY: sbx.adminKey, NOXUS_BACKEND_URL: sbx.url },
  });

describe('noxus doctor', () => {
  it('on the full sandbox: every feature available, from its /openapi.json', async () => {
    const r = await doctor(full, tempConfigDir(), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      schema_version: 1,
      command: 'doctor',
      server: full.url,
      reachable: true,
      discovery: { source: 'openapi' },
      key: { kind: 'workspace', tenant_admin: true, holder: { email: 'owner@example.com' } },
    });
    expect(doc.features.filter((f: { available: boolean }) => !f.available)).toEqual([]);
    expect(doc.features).toHaveLength(FEATURES.length);
  });

  it('on a public-only server: exactly the public features, from /openapi.json, and the cache is written', async () => {
    const cfg = tempConfigDir();
    const r = await doctor(pub, cfg, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.discovery.source).toBe('openapi');
    const available = doc.features
      .filter((f: { available: boolean }) => f.available)
      .map((f: { id: string }) => f.id);
    expect(available).toEqual(FEATURES.filter((f) => f.public).map((f) => f.id));
    expect(doc.features.find((f: { id: string }) => f.id === 'keys.restrict')).toEqual({
      id: 'keys.restrict',
      title: 'restricted keys',
      public: false,
      available: false,
      reason: 'POST /v1/admin/groups/{group_id}/api-keys takes no permissions in /openapi.json',
      console: 'Workspace Control → API keys → Restrict permissions',
    });
    const cache = JSON.parse(readFileSync(join(cfg, 'capabilities.json'), 'utf8'));
    expect(Object.keys(cache)).toEqual([`default ${pub.url}`]);
    expect(JSON.stringify(cache)).not.toContain(pub.adminKey);
  });

  it('behind a gateway without /openapi.json: probes, and says why each extension is missing', async () => {
    const r = await doctor(gateway, tempConfigDir());
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      `server\t${gateway.url}`,
      'reachable\tyes',
      'discovery\tprobing (the server does not serve /openapi.json)',
      expect.stringMatching(/^key\tbootstrap \([0-9a-f-]+\)$/),
      'key_kind\tworkspace',
      'tenant_admin\tyes',
      'holder\towner@example.com',
    ]);
    expect(lines).toContain(
      'workspace member lists\tno\tGET /v1/admin/groups/{id}/members answered 403 without a FastAPI body (a gateway refusing unknown routes)\tmembers.list'.replace(
        '{id}',
        lines.find((l) => l.startsWith('workspace member lists'))?.match(/groups\/([^/]+)\/members/)?.[1] ??
          '?',
      ),
    );
    expect(lines).toContain('listing users\tyes\tpublic API (assumed)\tusers.list');
    expect(r.stderr).toBe(
      `${FEATURES.filter((f) => !f.public).length} features are not available on this server; commands that need them stop with exit 8 before changing anything.\n`,
    );
  });

  it('a cached "present" that the server no longer has is forgotten after the first "not available"', async () => {
    const cfg = tempConfigDir();
    await doctor(full, cfg);
    const file = join(cfg, 'capabilities.json');
    // The same profile and URL now lead to a public-only server (it was upgraded, or moved).
    const entry = JSON.parse(readFileSync(file, 'utf8'))[`default ${full.url}`];
    const keyHash = createHash('sha256').update(pub.adminKey).digest('hex').slice(0, 16);
    writeFileSync(file, JSON.stringify({ [`default ${pub.url}`]: { ...entry, keyHash } }));
    const env = { NOXUS_API_KEY: pub.adminKey, NOXUS_BACKEND_URL: pub.url };
    const stale = await runCli(['keys', 'list'], { configDir: cfg, env });
    expect(stale.code).toBe(8);
    expect(stale.stderr.split('\n').slice(0, 2)).toEqual([
      'warning: the server no longer has what its cached capabilities said (keys.list); they will be discovered again',
      expect.stringMatching(
        /^error: listing workspace keys is not available on this server \(GET \/v1\/admin\/api-keys answered HTTP 404, request id req_[\w-]+\)$/,
      ),
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({});
    const fresh = await runCli(['keys', 'list'], { configDir: cfg, env });
    expect(fresh.code).toBe(8);
    expect(fresh.stderr.split('\n')[0]).toBe(
      'error: listing workspace keys is not available on this server (/openapi.json has no GET /v1/admin/api-keys, GET /v1/admin/api-keys/{key_id})',
    );
  });

  it('an unreachable server: exit 1 and the server named', async () => {
    const r = await runCli(['doctor'], {
      configDir: tempConfigDir(),
      env: { NOXUS_API_KEY: 'noxus_x', NOXUS_BACKEND_URL: 'http://127.0.0.1:9' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').slice(0, 2)).toEqual([
      'Server http://127.0.0.1:9: not usable',
      'error: could not connect to http://127.0.0.1:9: connection refused',
    ]);
  });
});
