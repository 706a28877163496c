// The auth service on a temporary config directory with the file credential store (the OS keychain
// is never opened): a key is stored only after the server accepted it, and forgetting a profile
// removes its key.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { credentialFilePath } from '../../src/config/credentials.js';
import { type Profile, ProfileStore } from '../../src/config/profiles.js';
import { AuthError, NotFoundError, PermissionError, UsageError } from '../../src/errors.js';
import type { Env } from '../../src/io/streams.js';
import {
  checkKeyShape,
  checkRemovable,
  login,
  logout,
  removeProfile,
  useProfile,
} from '../../src/services/auth.js';
import { me } from '../commands/keys-fixtures.js';
import { tempDir } from '../commands/support.js';

const ORIGIN = 'http://noxus.test';
const KEY = 'noxus_authsvc_0123456789abcdefXYZ';
const NOW = new Date('2026-03-01T10:00:00.000Z');
const json = { headers: { 'content-type': 'application/json' } };

let agent: MockAgent | undefined;
afterEach(async () => {
  if (!agent) return;
  try {
    agent.assertNoPendingInterceptors();
  } finally {
    await agent.close();
    agent = undefined;
  }
});

function setup() {
  agent = new MockAgent();
  agent.disableNetConnect();
  const env: Env = { NOXUS_CONFIG_DIR: tempDir() };
  const client = new ApiClient({ baseUrl: ORIGIN, apiKey: KEY, dispatcher: agent, sleep: async () => {} });
  const profiles = new ProfileStore(env.NOXUS_CONFIG_DIR as string);
  return { pool: agent.get(ORIGIN), env, client, profiles };
}

const mode = (path: string) => statSync(path).mode & 0o777;
const fileProfile = (url = ORIGIN): Profile => ({
  url,
  origin: url,
  credential_store: 'file',
  created_at: NOW.toISOString(),
});

describe('checkKeyShape', () => {
  it.each([
    ['', 'the API key is empty'],
    ['two keys', 'the API key contains whitespace; pass exactly one key'],
    ['key\n', 'the API key contains whitespace; pass exactly one key'],
    ['\tkey', 'the API key contains whitespace; pass exactly one key'],
  ])('%j is refused: %s', (key, message) => {
    expect(() => checkKeyShape(key)).toThrow(new UsageError(message));
    expect(() => checkKeyShape(key)).toThrow(UsageError);
  });

  it('one key passes', () => {
    expect(() => checkKeyShape(KEY)).not.toThrow();
  });
});

describe('login', () => {
  it('asks the server with the key, then stores it (0600) and makes the first profile current', async () => {
    const { pool, env, client, profiles } = setup();
    let sent: string | undefined;
    pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply((req) => {
      sent = (req.headers as Record<string, string>)['x-api-key'];
      return { statusCode: 200, data: me, responseOptions: json };
    });
    const r = await login(
      client,
      profiles,
      { profileName: 'work', url: ORIGIN, key: KEY, store: 'file' },
      env,
      NOW,
    );
    expect(sent).toBe(KEY);
    const keyPath = credentialFilePath('work', env);
    expect(r.location).toBe(`file ${keyPath} (plaintext, 0600)`);
    expect(r.me.id).toBe('k-me');
    expect(readFileSync(keyPath, 'utf8')).toBe(`${KEY}\n`);
    expect(mode(keyPath)).toBe(0o600);
    expect(mode(join(env.NOXUS_CONFIG_DIR as string, 'credentials'))).toBe(0o700);
    expect(profiles.get('work')).toEqual({
      url: ORIGIN,
      origin: ORIGIN,
      credential_store: 'file',
      key_id: 'k-me',
      key_name: 'admin laptop',
      tenant_admin: true,
      created_at: NOW.toISOString(),
    });
    expect(profiles.current()).toBe('work');
    expect(mode(profiles.path)).toBe(0o600);
  });

  it('a second profile does not take over as current', async () => {
    const { pool, env, client, profiles } = setup();
    profiles.set('first', fileProfile());
    profiles.use('first');
    pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
    await login(client, profiles, { profileName: 'second', url: ORIGIN, key: KEY, store: 'file' }, env, NOW);
    expect(profiles.current()).toBe('first');
    expect(profiles.get('second')?.key_id).toBe('k-me');
  });

  it('a current profile that no longer exists is replaced by the new one', async () => {
    const { pool, env, client, profiles } = setup();
    mkdirSync(env.NOXUS_CONFIG_DIR as string, { recursive: true });
    writeFileSync(profiles.path, JSON.stringify({ current: 'gone', profiles: {} }));
    pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
    await login(client, profiles, { profileName: 'work', url: ORIGIN, key: KEY, store: 'file' }, env, NOW);
    expect(profiles.current()).toBe('work');
  });

  it('a 401 stores nothing: no key file, no config file, and says so', async () => {
    const { pool, env, client, profiles } = setup();
    pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(401, { detail: 'Invalid API key' }, json);
    const err = await login(
      client,
      profiles,
      { profileName: 'work', url: ORIGIN, key: KEY, store: 'file' },
      env,
      NOW,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toBe(
      `${ORIGIN} rejected the key: the server rejected the API key (HTTP 401): Invalid API key`,
    );
    expect((err as AuthError).hint).toBe('check the key and the --url; nothing was stored');
    expect(existsSync(credentialFilePath('work', env))).toBe(false);
    expect(existsSync(profiles.path)).toBe(false);
  });

  it('a 403 is not turned into a rejected key, and stores nothing either', async () => {
    const { pool, env, client, profiles } = setup();
    pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(403, { detail: 'Forbidden' }, json);
    const err = await login(
      client,
      profiles,
      { profileName: 'work', url: ORIGIN, key: KEY, store: 'file' },
      env,
      NOW,
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(PermissionError);
    expect(err?.message).toBe('permission denied (HTTP 403): Forbidden');
    expect(existsSync(credentialFilePath('work', env))).toBe(false);
    expect(existsSync(profiles.path)).toBe(false);
  });
});

describe('logout', () => {
  it('removes the profile and its key file, and says where the key was', async () => {
    const { env, profiles } = setup();
    const keyPath = credentialFilePath('work', env);
    mkdirSync(join(env.NOXUS_CONFIG_DIR as string, 'credentials'), { recursive: true });
    writeFileSync(keyPath, `${KEY}\n`, { mode: 0o600 });
    profiles.set('work', fileProfile());
    profiles.use('work');
    expect(await logout(profiles, 'work', env)).toEqual([`file ${keyPath} (plaintext, 0600)`]);
    expect(existsSync(keyPath)).toBe(false);
    expect(profiles.get('work')).toBeUndefined();
    expect(profiles.current()).toBeUndefined();
  });

  it('a profile whose key file is already gone is removed; nothing to report', async () => {
    const { env, profiles } = setup();
    profiles.set('work', fileProfile());
    expect(await logout(profiles, 'work', env)).toEqual([]);
    expect(profiles.get('work')).toBeUndefined();
  });

  it('a sandbox profile leaves the key file alone: it belongs to the sandbox', async () => {
    const { env, profiles } = setup();
    const keyFile = join(tempDir(), 'admin-key');
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
    profiles.set('sandbox', {
      url: 'http://127.0.0.1:8700',
      origin: 'http://127.0.0.1:8700',
      credential_store: 'sandbox-file',
      key_file: keyFile,
      created_at: NOW.toISOString(),
    });
    expect(await logout(profiles, 'sandbox', env)).toEqual([]);
    expect(readFileSync(keyFile, 'utf8')).toBe(`${KEY}\n`);
    expect(profiles.get('sandbox')).toBeUndefined();
  });

  it('an unknown profile is a NotFoundError and changes nothing', async () => {
    const { env, profiles } = setup();
    profiles.set('work', fileProfile());
    const err = await logout(profiles, 'nope', env).catch((e: unknown) => e);
    expect(err).toEqual(
      new NotFoundError('no profile nope', { hint: 'see profiles with: noxus profiles list' }),
    );
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).hint).toBe('see profiles with: noxus profiles list');
    expect(profiles.get('work')).toBeDefined();
  });
});

describe('checkRemovable', () => {
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e as Error & { hint?: string };
    }
    throw new Error('expected a refusal');
  };

  it('an unknown profile names the close one', () => {
    const { env, profiles } = setup();
    profiles.set('work', fileProfile());
    profiles.set('home', fileProfile());
    const err = refusal(() => checkRemovable(profiles, 'wrok', env, false));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('no profile wrok');
    expect(err.hint).toBe('did you mean work?');
  });

  it('an unknown profile far from any lists the known ones', () => {
    const { env, profiles } = setup();
    profiles.set('work', fileProfile());
    profiles.set('home', fileProfile());
    const err = refusal(() => checkRemovable(profiles, 'zzzzzzzz', env, false));
    expect(err.message).toBe('no profile zzzzzzzz');
    expect(err.hint).toBe('known profiles: home, work');
  });

  it('with no profiles at all it says so', () => {
    const { env, profiles } = setup();
    const err = refusal(() => checkRemovable(profiles, 'work', env, false));
    expect(err.message).toBe('no profile work');
    expect(err.hint).toBe('there are no profiles');
  });

  it('the current profile is refused unless forced', () => {
    const { env, profiles } = setup();
    profiles.set('work', fileProfile());
    profiles.use('work');
    const err = refusal(() => checkRemovable(profiles, 'work', env, false));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('refusing to remove profile work: it is the profile in use');
    expect(err.hint).toBe(
      'switch first (noxus profiles use OTHER), or run: noxus profiles remove work --force --yes',
    );
    expect(checkRemovable(profiles, 'work', env, true)).toEqual({ profile: fileProfile(), inUse: true });
  });

  it('the profile named by NOXUS_PROFILE is in use too', () => {
    const { env, profiles } = setup();
    profiles.set('work', fileProfile());
    profiles.set('home', fileProfile());
    profiles.use('home');
    const withEnv = { ...env, NOXUS_PROFILE: 'work' };
    expect(refusal(() => checkRemovable(profiles, 'work', withEnv, false)).message).toBe(
      'refusing to remove profile work: it is the profile in use',
    );
    expect(checkRemovable(profiles, 'work', env, false)).toEqual({ profile: fileProfile(), inUse: false });
  });
});

describe('removeProfile and useProfile', () => {
  it('removeProfile deletes the profile and its key file', async () => {
    const { env, profiles } = setup();
    const keyPath = credentialFilePath('home', env);
    mkdirSync(join(env.NOXUS_CONFIG_DIR as string, 'credentials'), { recursive: true });
    writeFileSync(keyPath, `${KEY}\n`, { mode: 0o600 });
    profiles.set('home', fileProfile());
    profiles.set('work', fileProfile());
    const { profile } = checkRemovable(profiles, 'home', env, false);
    expect(await removeProfile(profiles, 'home', profile, env)).toEqual([
      `file ${keyPath} (plaintext, 0600)`,
    ]);
    expect(existsSync(keyPath)).toBe(false);
    expect(profiles.list().map((p) => p.name)).toEqual(['work']);
  });

  it('useProfile switches the current profile; an unknown one is refused and nothing changes', () => {
    const { profiles } = setup();
    profiles.set('work', fileProfile());
    profiles.set('home', fileProfile());
    useProfile(profiles, 'home');
    expect(profiles.current()).toBe('home');
    expect(() => useProfile(profiles, 'nope')).toThrow(
      new NotFoundError('No profile named nope. Known profiles: home, work.', {
        hint: 'Run `noxus profiles list` to see them.',
        data: { profile: 'nope', known: ['home', 'work'] },
      }),
    );
    expect(profiles.current()).toBe('home');
    expect(mode(profiles.path)).toBe(0o600);
  });
});
