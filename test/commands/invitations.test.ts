// `noxus invitations cancel` and `invitations list` in-process against MockAgent (a small noun: one file).
import { afterEach, describe, expect, it } from 'vitest';
import type { Invitation } from '../../src/api/invitations.js';
import { calls, detail, notHere, onInvitations, REFUSALS, recordingServer } from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';
import { scriptedPrompter } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const inv = (id: string, status: Invitation['status'], extra: Partial<Invitation> = {}): Invitation => ({
  id,
  user_id: 'u-ivy',
  email: 'ivy@example.com',
  status,
  invited_by: 'u-owner',
  created_at: '2026-11-28T10:00:00Z',
  expires_at: '2026-12-05T10:00:00Z',
  accepted_at: null,
  cancelled_at: null,
  ...extra,
});
const PENDING = inv('inv-2', 'pending');
const OLD = inv('inv-1', 'cancelled', { cancelled_at: '2026-11-28T09:00:00Z' });
const cancelled = { ...PENDING, status: 'cancelled', cancelled_at: '2026-11-29T10:00:00Z', changed: true };
const del = (status = 200, reply: object = cancelled) =>
  server.pool.intercept({ path: '/v1/admin/invitations/inv-2', method: 'DELETE' }).reply(status, reply, json);

describe('noxus invitations cancel', () => {
  it("with --yes withdraws the user's pending invitation", async () => {
    server = recordingServer();
    onInvitations(server, [PENDING, OLD]);
    del();
    const r = await server.run(['invitations', 'cancel', 'IVY@example.com', '--yes']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '✓ cancelled the invitation of ivy@example.com; its link no longer works (send a new one with: noxus users resend-invite ivy@example.com)\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/invitations', 'DELETE /v1/admin/invitations/inv-2']);
  });

  it('--json prints the cancelled invitation', async () => {
    server = recordingServer();
    onInvitations(server, [PENDING]);
    del();
    const r = await server.run(['invitations', 'cancel', 'inv-2', '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      command: 'invitations cancel',
      items: [cancelled],
    });
  });

  it('off a terminal without --yes: exit 2 with the command, no write', async () => {
    server = recordingServer();
    onInvitations(server, [PENDING]);
    const r = await server.run(['invitations', 'cancel', 'u-ivy']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: refusing to cancel the invitation of ivy@example.com (its link stops working) without confirmation (not a terminal)\n' +
        'run: noxus invitations cancel inv-2 --yes\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/invitations']);
  });

  it('on a terminal it asks; "no" is exit 130', async () => {
    server = recordingServer();
    onInvitations(server, [PENDING]);
    const prompter = scriptedPrompter([
      {
        kind: 'confirm',
        message: 'Cancel the invitation of ivy@example.com (its link stops working)?',
        answer: false,
      },
    ]);
    const r = await server.run(['invitations', 'cancel', 'ivy@example.com'], { tty: true, prompter });
    expect(r).toEqual({ code: 130, stdout: '', stderr: 'error: cancelled; nothing changed\n' });
  });

  it('--dry-run writes nothing', async () => {
    server = recordingServer();
    onInvitations(server, [PENDING]);
    const r = await server.run(['invitations', 'cancel', 'ivy@example.com', '--dry-run']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'would cancel the pending invitation of ivy@example.com (inv-2); nothing changed\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/invitations']);
  });

  it('an invitation cancelled before is a no-op: exit 0, "unchanged"', async () => {
    server = recordingServer();
    onInvitations(server, [OLD]);
    const r = await server.run(['invitations', 'cancel', 'ivy@example.com', '--yes']);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: '✓ the invitation of ivy@example.com was already cancelled (unchanged)\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/invitations']);
  });

  it('an accepted invitation cannot be withdrawn (exit 7)', async () => {
    server = recordingServer();
    onInvitations(server, [inv('inv-3', 'accepted', { accepted_at: '2026-11-28T12:00:00Z' })]);
    const r = await server.run(['invitations', 'cancel', 'ivy@example.com', '--yes']);
    expect(r).toEqual({
      code: 7,
      stdout: '',
      stderr:
        'error: ivy@example.com already accepted their invitation on 2026-11-28T12:00:00Z\n' +
        'to take their access away: noxus users remove ivy@example.com\n',
    });
  });

  it('no invitation for the reference exits 5 with a close match', async () => {
    server = recordingServer();
    onInvitations(server, [PENDING]);
    const r = await server.run(['invitations', 'cancel', 'ivy@exampel.com', '--yes']);
    expect(r).toEqual({
      code: 5,
      stdout: '',
      stderr: 'error: no invitation for ivy@exampel.com\ndid you mean ivy@example.com?\n',
    });
  });

  it('a missing argument exits 2 before any request', async () => {
    server = recordingServer();
    const r = await server.run(['invitations', 'cancel']);
    expect(r.code).toBe(2);
    expect(calls(server)).toEqual([]);
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    onInvitations(server, [PENDING]);
    del(status, detail(text));
    const r = await server.run(['invitations', 'cancel', 'ivy@example.com', '--yes']);
    expect(r).toEqual({ code, stdout: '', stderr: line });
  });

  it('on the public API: exit 8 naming the feature, before any request', async () => {
    server = recordingServer('public');
    const r = await server.run(['invitations', 'cancel', 'ivy@example.com', '--yes']);
    expect(r.code).toBe(8);
    expect(r.stderr.startsWith(notHere('listing invitations'))).toBe(true);
    expect(calls(server)).toEqual([]);
  });
});

describe('noxus invitations list', () => {
  it('off a terminal: one row per invitation', async () => {
    server = recordingServer();
    onInvitations(server, [PENDING]);
    const r = await server.run(['invitations', 'list']);
    expect(r).toEqual({
      code: 0,
      stdout: 'ivy@example.com\tpending\t\t2026-11-28T10:00:00Z\t2026-12-05T10:00:00Z\tinv-2\n',
      stderr: '',
    });
  });

  it('none: on a terminal "No expired invitations." on stderr, exit 0', async () => {
    server = recordingServer();
    onInvitations(server, []);
    const r = await server.run(['invitations', 'ls', '--status', 'expired'], { tty: true });
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'No expired invitations.\n' });
  });

  it('on the public API: exit 8 naming the feature, before any request', async () => {
    server = recordingServer('public');
    const r = await server.run(['invitations', 'list']);
    expect(r.code).toBe(8);
    expect(r.stderr.startsWith(notHere('listing invitations'))).toBe(true);
    expect(calls(server)).toEqual([]);
  });
});
