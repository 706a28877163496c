// `noxus users resend-invite` in-process against MockAgent.
import { afterEach, describe, expect, it } from 'vitest';
import { calls, detail, IVY, notHere, onUsers, REFUSALS, recordingServer } from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const answer = {
  ...IVY,
  invitation: {
    invitation_id: 'inv-2',
    expires_at: '2026-12-06T10:00:00Z',
    delivered_to: 'outbox/inv-2.eml',
    state: 'sent',
  },
};
const resend = () =>
  server.pool
    .intercept({ path: '/v1/admin/users/u-ivy/invitation', method: 'POST' })
    .reply(200, answer, json);

describe('noxus users resend-invite', () => {
  it('sends a fresh invitation and says where it went', async () => {
    server = recordingServer();
    onUsers(server);
    resend();
    const r = await server.run(['users', 'resend-invite', 'ivy@example.com']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ new invitation for ivy@example.com: outbox/inv-2.eml; expires 2026-12-06T10:00:00Z; the previous link no longer works\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'POST /v1/admin/users/u-ivy/invitation']);
  });

  it('--json prints the server answer in an envelope', async () => {
    server = recordingServer();
    onUsers(server);
    resend();
    const r = await server.run(['users', 'resend-invite', 'ivy@example.com', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      command: 'users resend-invite',
      items: [answer],
    });
  });

  it('--dry-run writes nothing', async () => {
    server = recordingServer();
    onUsers(server);
    const r = await server.run(['users', 'resend-invite', 'ivy@example.com', '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would send a new invitation to ivy@example.com (now invited); nothing changed\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users']);
  });

  it('an unknown flag exits 2 before any request', async () => {
    server = recordingServer();
    const r = await server.run(['users', 'resend-invite', 'ivy@example.com', '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("error: unknown option '--force'");
    expect(calls(server)).toEqual([]);
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    onUsers(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-ivy/invitation', method: 'POST' })
      .reply(status, detail(text), json);
    const r = await server.run(['users', 'resend-invite', 'ivy@example.com']);
    expect(r).toEqual({ code, stdout: '', stderr: line });
  });

  it('on the public API: exit 8 naming the feature, before any request', async () => {
    server = recordingServer('public');
    const r = await server.run(['users', 'resend-invite', 'ivy@example.com']);
    expect(r.code).toBe(8);
    expect(r.stderr.startsWith(notHere('resending invitations'))).toBe(true);
    expect(calls(server)).toEqual([]);
  });
});
