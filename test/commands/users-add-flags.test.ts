// `noxus users add` driven by flags, in-process against MockAgent: the exact request and lines,
// dry run, bad input before any request, refusals mapped to exit codes, and the public API's exit 8.
import { afterEach, describe, expect, it } from 'vitest';
import { calls, detail, onGroups, onRoles, onUsers, REFUSALS, recordingServer } from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const FLAGS = [
  'users',
  'add',
  '--name',
  'Nina Newhire',
  '--email',
  'nina@example.com',
  '--workspace',
  'Marketing=Editor',
];
const BODY = {
  email: 'nina@example.com',
  name: 'Nina Newhire',
  display_name: 'Nina',
  org_role: 'org_base',
  workspaces: [{ group_id: 'g-mkt', role: 'ws_editor' }],
};
const created = (state: 'sent' | 'pending') => ({
  id: 'u-nina',
  email: 'nina@example.com',
  name: 'Nina Newhire',
  display_name: 'Nina',
  tenant_admin: false,
  is_active: false,
  status: 'invited',
  org_role: { id: 'org_base', name: 'Org Base' },
  invitation: {
    invitation_id: 'inv-1',
    expires_at: '2026-12-06T10:00:00Z',
    delivered_to: state === 'sent' ? 'outbox/inv-1.eml' : 'smtp: queued',
    state,
  },
});
const reads = () => {
  onRoles(server);
  onGroups(server);
  onUsers(server);
};
const post = (status: number, reply: object) =>
  server.pool
    .intercept({
      path: '/v1/admin/users',
      method: 'POST',
      body: (b) => JSON.stringify(JSON.parse(b)) === JSON.stringify(BODY),
    })
    .reply(status, reply, json);

describe('noxus users add (flags)', () => {
  it('invites with the resolved ids and says where the email went', async () => {
    server = recordingServer();
    reads();
    post(201, created('sent'));
    const r = await server.run(FLAGS);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ invited nina@example.com (u-nina) as Org Base\n' +
        'invitation email: outbox/inv-1.eml; expires 2026-12-06T10:00:00Z\n' +
        'follow their onboarding with: noxus users onboarding nina@example.com\n',
    });
    expect(calls(server).filter((c) => !c.startsWith('GET '))).toEqual(['POST /v1/admin/users']);
  });

  it('an email still in the outbox is "added", with a pending-delivery warning', async () => {
    server = recordingServer();
    reads();
    post(201, created('pending'));
    const r = await server.run(FLAGS);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ added nina@example.com (u-nina) as Org Base\n' +
        'warning: invitation email pending delivery (smtp: queued); check with: noxus users onboarding nina@example.com\n' +
        'follow their onboarding with: noxus users onboarding nina@example.com\n',
    });
  });

  it('--json prints the created user in an envelope', async () => {
    server = recordingServer();
    reads();
    post(201, created('sent'));
    const r = await server.run([...FLAGS, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      command: 'users add',
      items: [created('sent')],
    });
  });

  it('--dry-run shows the invitation and writes nothing', async () => {
    server = recordingServer();
    reads();
    const r = await server.run([...FLAGS, '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'Dry run: would invite\n' +
        '  Nina <nina@example.com> (Nina Newhire)\n' +
        '  organization role: Org Base\n' +
        '  workspace Marketing: Editor\n' +
        'Nothing was changed.\n',
    });
    expect(calls(server).every((c) => c.startsWith('GET '))).toBe(true);
  });

  it('an existing email is a conflict (exit 7) that points at ws add-member, no write', async () => {
    server = recordingServer();
    reads();
    const r = await server.run([...FLAGS.slice(0, 4), '--email', 'KEN@example.com', ...FLAGS.slice(6)]);
    expect(r).toEqual({
      code: 7,
      stdout: '',
      stderr:
        'error: a user with email ken@example.com already exists (active)\n' +
        'to add an existing user to a workspace: noxus ws add-member Marketing ken@example.com --role Editor\n',
    });
    expect(calls(server).every((c) => c.startsWith('GET '))).toBe(true);
  });

  it.each([
    [['--email', 'nina.example.com'], 'error: --email: "nina.example.com" is not a valid email address\n'],
    [
      ['--workspace', 'Marketing'],
      'error: --workspace takes WORKSPACE=ROLE, got "Marketing"\ne.g. --workspace Marketing=Editor\n',
    ],
    [['--results', 'x.csv'], 'error: --results, --resume and --concurrency go with --from-csv\n'],
  ])('bad input %j exits 2 before any request', async (flags, stderr) => {
    server = recordingServer();
    const r = await server.run([
      'users',
      'add',
      '--name',
      'Nina Newhire',
      '--email',
      'nina@example.com',
      ...flags,
    ]);
    expect(r).toEqual({ code: 2, stdout: '', stderr });
    expect(calls(server)).toEqual([]);
  });

  it('an org admin role with workspace roles exits 2 before any write', async () => {
    server = recordingServer();
    onRoles(server);
    const r = await server.run([...FLAGS, '--org-role', 'Org Admin']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: Org Admin is an org admin role: org admins are admins on every workspace, so --workspace roles cannot be given',
    );
    expect(calls(server)).toEqual(['GET /v1/admin/roles']);
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    reads();
    post(status, detail(text));
    const r = await server.run(FLAGS);
    expect(r).toEqual({ code, stdout: '', stderr: line });
  });

  it('on the public API without a terminal: exit 8 naming the feature, no write', async () => {
    server = recordingServer('public');
    reads();
    const r = await server.run(FLAGS);
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: adding users with an email invitation is not available on this server; this is done in the Noxus web console (3 manual step(s), walked through in a terminal)',
    );
    expect(calls(server).every((c) => c.startsWith('GET '))).toBe(true);
  });
});

describe('noxus users add --reason --expires (terms of the --workspace grants)', () => {
  const TERMS = { reason: 'new hire', expires_at: '2099-01-31T00:00:00.000Z' };
  const TERMED = [...FLAGS, '--reason', 'new hire', '--expires', '2099-01-31'];
  const postTerms = () =>
    server.pool
      .intercept({
        path: '/v1/admin/users',
        method: 'POST',
        body: (b) =>
          JSON.stringify(JSON.parse(b)) ===
          JSON.stringify({ ...BODY, workspaces: [{ group_id: 'g-mkt', role: 'ws_editor', ...TERMS }] }),
      })
      .reply(201, created('sent'), json);

  it('each grant of the request carries them; the output lists them', async () => {
    server = recordingServer();
    reads();
    postTerms();
    const r = await server.run(TERMED);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ invited nina@example.com (u-nina) as Org Base\n' +
        'invitation email: outbox/inv-1.eml; expires 2026-12-06T10:00:00Z\n' +
        'workspace Marketing: Editor (reason: new hire, expires 2099-01-31T00:00:00.000Z)\n' +
        'follow their onboarding with: noxus users onboarding nina@example.com\n',
    });
  });

  it('--json adds the grants with their terms to the created user', async () => {
    server = recordingServer();
    reads();
    postTerms();
    const r = await server.run([...TERMED, '--json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout).items).toEqual([
      { ...created('sent'), workspaces: [{ workspace: 'Marketing', role: 'Editor', ...TERMS }] },
    ]);
  });

  it.each([
    [
      [...FLAGS, '--expires', 'tomorrow'],
      'error: --expires takes a duration (30d, 12h, 2w), a date (YYYY-MM-DD) or an ISO 8601 time with a zone, got "tomorrow"\n',
    ],
    [[...FLAGS, '--expires', '2001-01-01'], 'error: --expires 2001-01-01 is in the past\n'],
    [
      ['users', 'add', '--name', 'Nina Newhire', '--email', 'nina@example.com', '--reason', 'x'],
      'error: --reason and --expires apply to --workspace grants: give at least one --workspace\n',
    ],
  ])('%j exits 2 before any request', async (argv, stderr) => {
    server = recordingServer();
    const r = await server.run(argv);
    expect(r).toEqual({ code: 2, stdout: '', stderr });
    expect(calls(server)).toEqual([]);
  });

  it('on the public API: exit 8 naming the feature, no request', async () => {
    server = recordingServer('public');
    const r = await server.run(TERMED);
    expect([r.code, r.stdout]).toEqual([8, '']);
    expect(r.stderr).toContain('reasons and expiry on workspace grants');
    expect(calls(server)).toEqual([]);
  });
});
