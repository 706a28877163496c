// The guided offboarding on a server without the user-management API: the review through what the
// public API can read, and the steps it can still do itself (replace and revoke the system keys the
// user created). The web console does the rest; services/guided.ts plans those steps.

import type { ApiClient } from '../../api/client.js';
import { listSystemKeys, type SystemKey } from '../../api/keys.js';
import type { User } from '../../api/users.js';
import { ConflictError, UsageError } from '../../errors.js';
import {
  type GuidedStep,
  replaceSystemKey,
  revokeSystemKeyById,
  systemKeysCreatedBy,
  unattributedSystemKeys,
} from '../guided.js';
import type { Resolver } from '../resolve.js';
import { checkNotLastAdmin, checkNotSelf } from './checks.js';

export interface GuidedReview {
  user: User;
  /** Every system key the server lists (empty when it cannot list them). */
  systemKeys: SystemKey[];
  /** The active system keys the user created. */
  created: SystemKey[];
  /** Active system keys without a creator: nobody can say whether the user made them. */
  unattributed: SystemKey[];
}

/**
 * The guided offboarding's review on a server without the user-management API: the user as the
 * public API shows them, refused like the full offboarding (service account, removed, yourself,
 * the last active org admin), and the system keys they created.
 */
export async function reviewGuided(
  r: Resolver,
  ref: string,
  can: { listSystemKeys: boolean; listRoles: boolean },
): Promise<GuidedReview> {
  const user = await r.user(ref);
  if ((user.kind ?? 'human') === 'service')
    throw new UsageError(`${user.email} is a service account; offboarding is for people`);
  if (user.status === 'removed')
    throw new ConflictError(`${user.email} was already removed from the organization`);
  await checkNotSelf(r, user);
  checkNotLastAdmin(user, can.listRoles ? await r.roles() : [], await r.users());
  const systemKeys = can.listSystemKeys ? await listSystemKeys(r.client) : [];
  return {
    user,
    systemKeys,
    created: systemKeysCreatedBy(systemKeys, user.id),
    unattributed: unattributedSystemKeys(systemKeys),
  };
}

/** A new secret from a replacement; the caller writes it to the secrets dir or shows it once. */
export type SecretSink = (title: string, key: { id: string; name: string; value: string }) => Promise<string>;

/**
 * The guided steps done by API, one call per step: the review (what was read), a replacement of a
 * system key (delivered through `onSecret`), a revocation. Console steps never come here.
 */
export function guidedApiSteps(
  client: ApiClient,
  review: GuidedReview,
  seen: { workspaces: string[]; notReadable: string[] },
  onSecret: SecretSink,
): (step: GuidedStep) => Promise<{ detail: string; data?: Record<string, unknown> }> {
  const { user, created } = review;
  const byId = new Map(review.systemKeys.map((k) => [k.id, k]));
  return async (step) => {
    const [kind, id] = step.id.split(':') as [string, string | undefined];
    if (kind === 'review') {
      return {
        detail: `${user.email}: ${user.tenant_admin ? 'org admin' : 'not an org admin'}, active; ${created.length} system key(s) they created; ${seen.workspaces.length} workspace(s) on the server`,
        data: {
          user: {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            tenant_admin: user.tenant_admin,
          },
          system_keys_created: created.map((k) => ({
            id: k.id,
            name: k.name,
            permissions: k.permissions ?? null,
          })),
          workspaces: seen.workspaces,
          not_readable: seen.notReadable,
        },
      };
    }
    const key = byId.get(id ?? '');
    if (kind === 'replace-system' && key) {
      // A fixed idempotency key: a rerun after an interruption gets the same replacement, not a second one.
      const fresh = await replaceSystemKey(client, key, `noxus-guided-replace-${key.id}`);
      if (!fresh.value)
        return {
          detail: `replacement ${fresh.id} was made by an earlier run (its secret was delivered then)`,
          data: { old_key: key.id, new_key: fresh.id },
        };
      const where = await onSecret(step.title, fresh);
      return {
        detail: `new key ${fresh.id}; new secret ${where}`,
        data: { old_key: key.id, new_key: fresh.id, secret: where },
      };
    }
    if (kind === 'revoke-system' && id) {
      const what = await revokeSystemKeyById(client, id);
      return { detail: `${what} (DELETE /v1/admin/system-keys/${id})`, data: { key: id } };
    }
    throw new UsageError(`unknown guided step ${step.id}`);
  };
}
