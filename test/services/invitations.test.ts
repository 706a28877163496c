// Which invitation a reference means (services/invitations.ts), against MockAgent.
import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import type { Invitation } from '../../src/api/invitations.js';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import { planCancel } from '../../src/services/invitations.js';
import { Resolver } from '../../src/services/resolve.js';
import { onInvitations } from '../commands/admin-fixtures.js';
import { type MockServer, mockServer, ORIGIN } from '../commands/mock.js';

let server: MockServer;
let r: Resolver;
beforeEach(() => {
  server = mockServer();
  r = new Resolver(new ApiClient({ baseUrl: ORIGIN, apiKey: 'k', dispatcher: server.agent as MockAgent }));
});
afterEach(async () => {
  await server.done();
});

const inv = (id: string, status: Invitation['status'], email = 'ivy@example.com'): Invitation => ({
  id,
  user_id: `u-${email.split('@')[0]}`,
  email,
  status,
  invited_by: null,
  created_at: '2026-11-28T10:00:00Z',
  expires_at: '2026-12-05T10:00:00Z',
  accepted_at: status === 'accepted' ? '2026-11-28T11:00:00Z' : null,
  cancelled_at: null,
});

describe('planCancel', () => {
  it("a user's pending invitation wins over older ones, by email in any case or by user id", async () => {
    onInvitations(server, [inv('inv-1', 'expired'), inv('inv-2', 'pending')]);
    expect(await planCancel(r, 'IVY@Example.com')).toEqual({
      invitation: inv('inv-2', 'pending'),
      done: false,
    });
    onInvitations(server, [inv('inv-1', 'expired'), inv('inv-2', 'pending')]);
    expect((await planCancel(r, 'u-ivy')).invitation.id).toBe('inv-2');
  });

  it('a cancelled one is done; an expired one can still be withdrawn', async () => {
    onInvitations(server, [inv('inv-1', 'cancelled')]);
    expect((await planCancel(r, 'inv-1')).done).toBe(true);
    onInvitations(server, [inv('inv-1', 'expired')]);
    expect((await planCancel(r, 'inv-1')).done).toBe(false);
  });

  it('an accepted one is a conflict; none at all is not found', async () => {
    onInvitations(server, [inv('inv-1', 'accepted')]);
    await expect(planCancel(r, 'ivy@example.com')).rejects.toThrow(ConflictError);
    onInvitations(server, [inv('inv-1', 'pending')]);
    await expect(planCancel(r, 'tim@example.com')).rejects.toThrow(NotFoundError);
  });
});
