// Logging in and out: a key is stored only after the server accepted it, and forgetting a profile
// removes its key from wherever it was kept (a sandbox profile's key file belongs to the sandbox).

import type { ApiClient } from '../api/client.js';
import { getMe, type Me } from '../api/me.js';
import { deleteCredential, storeCredential } from '../config/credentials.js';
import { originOf, type Profile, type ProfileStore } from '../config/profiles.js';
import { didYouMean } from '../domain/match.js';
import { AuthError, NotFoundError, UsageError } from '../errors.js';
import type { Env } from '../io/streams.js';

export interface Login {
  profileName: string;
  url: string;
  key: string;
  store: 'keyring' | 'file';
}

/** Refuses what cannot be one key before the server is asked. */
export function checkKeyShape(key: string): void {
  if (!key) throw new UsageError('the API key is empty');
  if (/\s/.test(key)) throw new UsageError('the API key contains whitespace; pass exactly one key');
}

/**
 * Asks the server who the key is (`client` carries the key), then stores the key and the profile;
 * the first profile becomes the current one. A rejected key stores nothing.
 */
export async function login(
  client: ApiClient,
  profiles: ProfileStore,
  l: Login,
  env: Env,
  now: Date,
): Promise<{ me: Me; location: string }> {
  let me: Me;
  try {
    me = await getMe(client);
  } catch (e) {
    if (e instanceof AuthError)
      throw new AuthError(`${l.url} rejected the key: ${e.message}`, {
        requestId: e.requestId,
        hint: 'check the key and the --url; nothing was stored',
      });
    throw e;
  }
  const { location } = await storeCredential(l.profileName, l.key, l.store, env);
  profiles.set(l.profileName, {
    url: l.url,
    origin: originOf(l.url),
    credential_store: l.store,
    key_id: me.id,
    key_name: me.name,
    tenant_admin: me.tenant_admin,
    created_at: now.toISOString(),
  });
  const current = profiles.current();
  if (!current || !profiles.get(current)) profiles.use(l.profileName);
  return { me, location };
}

/** Removes the profile and its stored key; returns where the key was removed from. */
async function forget(profiles: ProfileStore, name: string, profile: Profile, env: Env): Promise<string[]> {
  const removed =
    profile.credential_store === 'sandbox-file' ? [] : await deleteCredential(name, profile, env);
  profiles.remove(name);
  return removed.map((r) => r.location);
}

export async function logout(profiles: ProfileStore, name: string, env: Env): Promise<string[]> {
  const profile = profiles.get(name);
  if (!profile)
    throw new NotFoundError(`no profile ${name}`, { hint: 'see profiles with: noxus profiles list' });
  return forget(profiles, name, profile, env);
}

/** The profile in use (current, or named by NOXUS_PROFILE) is refused unless forced. */
export function checkRemovable(
  profiles: ProfileStore,
  name: string,
  env: Env,
  force: boolean,
): { profile: Profile; inUse: boolean } {
  const profile = profiles.get(name);
  if (!profile) {
    const known = profiles.list().map((p) => p.name);
    throw new NotFoundError(`no profile ${name}`, {
      hint:
        didYouMean(name, known) ??
        (known.length ? `known profiles: ${known.join(', ')}` : 'there are no profiles'),
    });
  }
  const inUse = profiles.current() === name || env.NOXUS_PROFILE === name;
  if (inUse && !force) {
    throw new UsageError(`refusing to remove profile ${name}: it is the profile in use`, {
      hint: `switch first (noxus profiles use OTHER), or run: noxus profiles remove ${name} --force --yes`,
    });
  }
  return { profile, inUse };
}

export const removeProfile = (profiles: ProfileStore, name: string, profile: Profile, env: Env) =>
  forget(profiles, name, profile, env);

export const useProfile = (profiles: ProfileStore, name: string): void => profiles.use(name);
