// Withdrawing invitations: which invitation a reference means, and what cancelling it would do.

import type { Invitation } from '../api/invitations.js';
import { didYouMean } from '../domain/match.js';
import { normalizeEmail } from '../domain/validate.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Resolver } from './resolve.js';

const matches = (i: Invitation, ref: string) =>
  i.id === ref || i.user_id === ref || (ref.includes('@') && normalizeEmail(i.email) === normalizeEmail(ref));

export interface CancelPlan {
  invitation: Invitation;
  /** Already cancelled: a second run changes nothing. */
  done: boolean;
}

/** The invitation REF means (a user's pending one first); accepted ones cannot be withdrawn. */
export async function planCancel(r: Resolver, ref: string): Promise<CancelPlan> {
  const { listInvitations } = await import('../api/invitations.js');
  const all = await listInvitations(r.client, 'all');
  // Newest first: a user's pending invitation before the ones it replaced.
  const found =
    all.find((i) => matches(i, ref) && i.status === 'pending') ?? all.find((i) => matches(i, ref));
  if (!found) {
    const pending = all.filter((i) => i.status === 'pending').map((i) => i.email);
    throw new NotFoundError(`no invitation for ${ref}`, {
      hint: didYouMean(ref, pending) ?? 'list pending invitations with: noxus invitations list',
    });
  }
  if (found.status === 'accepted')
    throw new ConflictError(`${found.email} already accepted their invitation on ${found.accepted_at}`, {
      hint: `to take their access away: noxus users remove ${found.email}`,
    });
  return { invitation: found, done: found.status === 'cancelled' };
}

export async function cancel(r: Resolver, invitation: Invitation): Promise<Invitation> {
  const { cancelInvitation } = await import('../api/invitations.js');
  return cancelInvitation(r.client, invitation.id);
}
