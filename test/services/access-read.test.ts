// A server's access read into the file's shape, against a real sandbox: what the demo organization
// exports (exactly), what a public-only server cannot show, and the same hash on every read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ApiClient } from '../../src/api/client.js';
import {
  accessSha256,
  checkAccessFile,
  formatAccessFile,
  parseAccessFile,
} from '../../src/services/access/file.js';
import { accountKeyId, readServerAccess } from '../../src/services/access/read.js';
import { Resolver } from '../../src/services/resolve.js';
import { capabilities } from '../commands/mock.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sbx: TestSandbox;
let client: ApiClient;
const all = capabilities('all');

async function ok(method: string, path: string, body?: unknown) {
  const r = await sbx.call(method, path, { body });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${r.text}`);
  return r.body;
}

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  client = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey });
  // What the demo lacks and the file carries: a custom role, grant terms, an invited person, a
  // removed one, an org admin's explicit grant, an account key with an expiry.
  await ok('POST', '/v1/admin/roles', {
    name: 'Auditor',
    description: 'reads',
    permissions: { kbs_query: true, flows_run: true },
  });
  await ok('PUT', '/v1/admin/groups/Engineering/members/ken@example.com', {
    role: 'Auditor',
    reason: 'on-call rotation',
    expires_at: '2099-01-31T00:00:00Z',
  });
  await ok('POST', '/v1/admin/users', {
    email: 'Zoe@Example.com',
    name: 'Zoe Invited',
    send_invitation: false,
  });
  await ok('DELETE', '/v1/admin/users/radia@example.com');
  // A promotion: the sandbox drops the grants; an org admin is never listed as a member.
  await ok('PATCH', '/v1/admin/users/linus@example.com', { org_role: 'Org Admin' });
  const bot = await ok('GET', '/v1/admin/users/ci-bot@service.example.com');
  await ok('POST', '/v1/admin/groups/Engineering/api-keys', {
    name: 'nightly',
    owner_id: bot.id,
    permissions: ['flows_run'],
    expires_at: '2099-03-01T12:00:00+02:00',
  });
});
afterAll(async () => {
  await client.close();
  await sbx.cleanup();
});

const DEMO = `# Noxus access file: the format is in docs/access.md, the schema in docs/access.schema.json
version: 1
kind: noxus-access
server: SERVER
organization: Noxus Sandbox
unreadable: []
roles:
  - name: Auditor
    scope: workspace
    permissions: [flows_run, kbs_query]
people:
  - email: ada@example.com
    name: Ada Lovelace
    org_role: Org Admin
  - email: alan@example.com
    name: Alan Turing
    org_role: Org Base
  - email: barbara@example.com
    name: Barbara Liskov
    org_role: Org Base
  - email: contractor@example.com
    name: Casey Contractor
    org_role: Org Base
  - email: dennis@example.com
    name: Dennis Ritchie
    org_role: Org Base
  - email: grace@example.com
    name: Grace Hopper
    org_role: Org Admin
  - email: katherine@example.com
    name: Katherine Johnson
    org_role: Org Base
  - email: ken@example.com
    name: Ken Thompson
    org_role: Org Base
  - email: linus@example.com
    name: Linus Torvalds
    org_role: Org Admin
  - email: margaret@example.com
    name: Margaret Hamilton
    org_role: Org Base
  - email: newhire@example.com
    name: Nina Newhire
    org_role: Org Base
  - email: owner@example.com
    name: Sandbox Owner
    org_role: Org Admin
  - email: tim@example.com
    name: Tim Berners-Lee
    org_role: Org Base
    suspended: true
  - email: Zoe@Example.com
    name: Zoe Invited
    org_role: Org Base
workspaces:
  - name: Default
    members: []
  - name: Engineering
    members:
      - user: ken@example.com
        role: Auditor
        reason: on-call rotation
        expires: 2099-01-31T00:00:00.000Z
      - user: margaret@example.com
        role: Editor
      - user: tim@example.com
        role: Editor
  - name: Finance
    members:
      - user: barbara@example.com
        role: Admin
      - user: katherine@example.com
        role: Reader
  - name: Marketing
    members:
      - user: dennis@example.com
        role: Admin
      - user: margaret@example.com
        role: Reader
      - user: newhire@example.com
        role: Editor
  - name: Support
    members:
      - user: alan@example.com
        role: Reader
      - user: contractor@example.com
        role: Reader
      - user: dennis@example.com
        role: Editor
      - user: katherine@example.com
        role: Editor
      - user: margaret@example.com
        role: Editor
service_accounts:
  - email: ci-bot@service.example.com
    name: CI bot
    org_role: Org Base
    workspaces:
      - workspace: Engineering
        role: Editor
    keys:
      - name: ci deploy
        workspace: Engineering
        restrict: [flows_edit, flows_run]
      - name: nightly
        workspace: Engineering
        restrict: [flows_run]
        expires: 2099-03-01T10:00:00.000Z
`;

describe('readServerAccess', () => {
  it('reads the demo organization into the file shape, exactly, and the export passes its own check', async () => {
    const a = await readServerAccess(new Resolver(client), (id) => all.has(id));
    const text = formatAccessFile(a.doc);
    expect(text.replace(`server: ${sbx.url}\n`, 'server: SERVER\n')).toBe(DEMO);
    expect(a.unreadable).toEqual([]);
    expect(a.caller).toBe('owner@example.com');
    const bot = await ok('GET', '/v1/admin/users/ci-bot@service.example.com');
    expect(a.ids.users['ci-bot@service.example.com']).toBe(bot.id);
    expect(a.ids.users['zoe@example.com']).toBeDefined();
    expect(a.ids.users['radia@example.com']).toBeUndefined();
    expect(a.ids.workspaces.Engineering).toBe((await ok('GET', '/v1/admin/groups/Engineering')).id);
    expect(Object.keys(a.ids.roles)).toEqual([
      'Org Admin',
      'Org Base',
      'Admin',
      'Editor',
      'Reader',
      'Auditor',
    ]);
    const keys = (await ok('GET', '/v1/admin/api-keys?status=active')).items ?? [];
    const nightly = keys.find((k: { name: string }) => k.name === 'nightly');
    const id = accountKeyId('ci-bot@service.example.com', 'Engineering', 'nightly');
    expect(a.ids.keys[id]).toBe(nightly.id);
    expect(a.keyCreatedAt[id]).toBe(nightly.created_at);
    expect(a.personalKeys.map((k) => [k.holder, k.workspace, k.name, k.restricted])).toEqual([
      ['katherine@example.com', 'Support', 'zendesk export', true],
      ['linus@example.com', 'Engineering', 'linus laptop', false],
      ['margaret@example.com', 'Marketing', 'campaign sync', true],
      ['owner@example.com', 'Default', 'bootstrap', false],
    ]);
    // The written export is valid by the published schema, reads back, and passes every rule
    // against the server it came from.
    const schema = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../docs/access.schema.json'), 'utf8'),
    );
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    expect(validate(parseYaml(text)), JSON.stringify(validate.errors)).toBe(true);
    const f = parseAccessFile('access.yaml', Buffer.from(text));
    const roles = await new Resolver(client).roles();
    const permissions = (await ok('GET', '/v1/admin/permissions')) as Parameters<
      typeof checkAccessFile
    >[1]['permissions'];
    expect(checkAccessFile(f, { roles, permissions }, new Date('2026-11-29T12:00:00Z'))).toEqual([]);
  });

  it('reads the same access twice: same bytes, same hash', async () => {
    const [one, two] = [
      await readServerAccess(new Resolver(client), (id) => all.has(id)),
      await readServerAccess(new Resolver(client), (id) => all.has(id), { concurrency: 1 }),
    ];
    expect(formatAccessFile(two.doc)).toBe(formatAccessFile(one.doc));
    expect(accessSha256(two.doc)).toBe(accessSha256(one.doc));
  });

  it('lists one of two account keys that share a name (the oldest) and names both in duplicateKeys', async () => {
    const bot = await ok('GET', '/v1/admin/users/ci-bot@service.example.com');
    const keys = (await ok('GET', '/v1/admin/api-keys?status=active')).items ?? [];
    const nightly = keys.find((k: { name: string }) => k.name === 'nightly');
    const twin = await ok('POST', '/v1/admin/groups/Engineering/api-keys', {
      name: 'Nightly',
      owner_id: bot.id,
      permissions: ['flows_edit', 'flows_run'],
    });
    try {
      const a = await readServerAccess(new Resolver(client), (id) => all.has(id));
      const ci = a.doc.service_accounts.find((x) => x.email === 'ci-bot@service.example.com');
      expect(ci?.keys.filter((k) => k.name.toLowerCase() === 'nightly')).toEqual([
        {
          name: 'nightly',
          workspace: 'Engineering',
          restrict: ['flows_run'],
          expires: '2099-03-01T10:00:00.000Z',
        },
      ]);
      expect(a.duplicateKeys).toEqual([
        {
          account: 'ci-bot@service.example.com',
          workspace: 'Engineering',
          name: 'nightly',
          ids: [nightly.id, twin.id ?? twin.key?.id],
        },
      ]);
      expect(a.ids.keys[accountKeyId('ci-bot@service.example.com', 'Engineering', 'nightly')]).toBe(
        nightly.id,
      );
      expect(a.invited).toEqual(['contractor@example.com', 'newhire@example.com', 'zoe@example.com']);
    } finally {
      await ok('DELETE', `/v1/admin/api-keys/${twin.id ?? twin.key?.id}`);
    }
  });

  it('names what a public-only server cannot show and leaves those sections empty', async () => {
    const pub = await startTestSandbox({ seed: 'demo', api: 'public' });
    const c = new ApiClient({ baseUrl: pub.url, apiKey: pub.adminKey });
    const caps = capabilities('public');
    const progress: string[] = [];
    try {
      const a = await readServerAccess(new Resolver(c), (id) => caps.has(id), {
        onProgress: (s) => progress.push(s),
      });
      expect(a.unreadable).toEqual([
        {
          section: 'keys',
          feature: 'keys.list',
          reason: 'listing workspace keys is not available on this server',
        },
        {
          section: 'members',
          feature: 'members.list',
          reason: 'workspace member lists are not available on this server',
        },
      ]);
      expect(a.doc.unreadable).toEqual(a.unreadable);
      expect(a.doc.workspaces.map((w) => [w.name, w.members.length])).toEqual([
        ['Default', 0],
        ['Engineering', 0],
        ['Finance', 0],
        ['Marketing', 0],
        ['Support', 0],
      ]);
      expect(a.doc.service_accounts).toEqual([
        {
          email: 'ci-bot@service.example.com',
          name: 'CI bot',
          org_role: 'Org Base',
          workspaces: [],
          keys: [],
        },
      ]);
      expect(a.doc.people.length).toBe(14);
      expect(a.personalKeys).toEqual([]);
      expect(progress).toEqual(['15 users, 5 workspaces, 0 keys']);
    } finally {
      await c.close();
      await pub.cleanup();
    }
  });
});
