import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isValidProfileName, openProfiles, type Profile } from '../../src/config/profiles.js';
import { NotFoundError, UsageError } from '../../src/errors.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'noxus-profiles-'));
  env = { NOXUS_CONFIG_DIR: dir };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const prod: Profile = { url: 'https://noxus.example.com', credential_store: 'keyring', key_id: 'k1' };
const staging: Profile = { url: 'https://staging.example.com', credential_store: 'file' };

describe('ProfileStore CRUD', () => {
  it('starts empty', async () => {
    const store = await openProfiles(env);
    expect(store.list()).toEqual([]);
    expect(store.current()).toBeUndefined();
    expect(store.get('default')).toBeUndefined();
  });

  it('stores profiles in <configDir>/config.json with mode 0600', async () => {
    const store = await openProfiles(env);
    store.set('prod', prod);
    expect(store.path).toBe(join(dir, 'config.json'));
    const onDisk = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(onDisk).toEqual({ profiles: { prod } });
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
  });

  it('sets, gets, lists (sorted) and removes', async () => {
    const store = await openProfiles(env);
    store.set('staging', staging);
    store.set('prod', prod);
    expect(store.get('prod')).toEqual(prod);
    expect(store.list()).toEqual([
      { name: 'prod', profile: prod, current: false },
      { name: 'staging', profile: staging, current: false },
    ]);
    expect(store.remove('prod')).toBe(true);
    expect(store.remove('prod')).toBe(false);
    expect(store.list().map((e) => e.name)).toEqual(['staging']);
  });

  it('overwrites a profile on set', async () => {
    const store = await openProfiles(env);
    store.set('prod', prod);
    store.set('prod', { ...prod, url: 'https://other.example.com' });
    expect(store.get('prod')?.url).toBe('https://other.example.com');
  });

  it('keeps dotted names as plain keys', async () => {
    const store = await openProfiles(env);
    store.set('a.b', prod);
    expect(store.get('a.b')).toEqual(prod);
    expect(store.get('a')).toBeUndefined();
    expect(store.list().map((e) => e.name)).toEqual(['a.b']);
  });

  it('persists across instances (a second process sees the change)', async () => {
    const a = await openProfiles(env);
    const b = await openProfiles(env);
    a.set('prod', prod);
    a.use('prod');
    expect(b.get('prod')).toEqual(prod);
    expect(b.current()).toBe('prod');
  });

  it('use() marks the current profile and remove() unsets it', async () => {
    const store = await openProfiles(env);
    store.set('prod', prod);
    store.set('staging', staging);
    store.use('staging');
    expect(store.current()).toBe('staging');
    expect(store.list().find((e) => e.current)?.name).toBe('staging');
    store.remove('staging');
    expect(store.current()).toBeUndefined();
  });

  it('use() of an unknown profile throws NotFoundError listing the known ones', async () => {
    const store = await openProfiles(env);
    store.set('staging', staging);
    store.set('prod', prod);
    const err = (() => {
      try {
        store.use('nope');
      } catch (e) {
        return e;
      }
    })() as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('No profile named nope. Known profiles: prod, staging.');
    expect(err.data).toEqual({ profile: 'nope', known: ['prod', 'staging'] });
    expect(store.current()).toBeUndefined();
  });

  it('use() with no profiles at all says so', async () => {
    const store = await openProfiles(env);
    expect(() => store.use('x')).toThrow('No profile named x. Known profiles: (none).');
  });

  it('rejects a profile without a URL or with an unknown store', async () => {
    const store = await openProfiles(env);
    expect(() => store.set('p', { url: '', credential_store: 'keyring' })).toThrow(UsageError);
    expect(() => store.set('p', { url: 'https://x', credential_store: 'vault' as 'file' })).toThrow(
      'Profile p has an unknown credential store "vault".',
    );
    expect(() => store.set('p', { url: 'https://x', credential_store: 'sandbox-file' })).toThrow(UsageError);
    expect(store.list()).toEqual([]);
  });

  it('reports a corrupt config file as a UsageError naming the directory', async () => {
    await writeFile(join(dir, 'config.json'), '{not json');
    await expect(openProfiles(env)).rejects.toThrow(`The configuration file in ${dir} is not valid JSON.`);
  });
});

describe('profile names', () => {
  it.each(['default', 'prod-eu', 'a.b_c-1', 'x'.repeat(64)])('accepts %s', (name) => {
    expect(isValidProfileName(name)).toBe(true);
  });

  it.each(['', 'x'.repeat(65), 'a/b', '../etc', '.', '..', 'has space', 'é', 'a\\b', 'a\nb'])(
    'rejects %j',
    async (name) => {
      expect(isValidProfileName(name)).toBe(false);
      const store = await openProfiles(env);
      expect(() => store.set(name, prod)).toThrow(UsageError);
      expect(() => store.get(name)).toThrow(UsageError);
      expect(() => store.use(name)).toThrow(UsageError);
      expect(() => store.remove(name)).toThrow(UsageError);
    },
  );
});

describe('resolveName', () => {
  it('falls back to "default" when nothing is set', async () => {
    const store = await openProfiles(env);
    expect(store.resolveName(undefined, env)).toBe('default');
  });

  it('uses the current profile over the default', async () => {
    const store = await openProfiles(env);
    store.set('prod', prod);
    store.use('prod');
    expect(store.resolveName(undefined, env)).toBe('prod');
  });

  it('uses NOXUS_PROFILE over the current profile, ignoring an empty value', async () => {
    const store = await openProfiles(env);
    store.set('prod', prod);
    store.use('prod');
    expect(store.resolveName(undefined, { ...env, NOXUS_PROFILE: 'ci' })).toBe('ci');
    expect(store.resolveName(undefined, { ...env, NOXUS_PROFILE: '' })).toBe('prod');
  });

  it('uses --profile over everything', async () => {
    const store = await openProfiles(env);
    store.set('prod', prod);
    store.use('prod');
    expect(store.resolveName('flagged', { ...env, NOXUS_PROFILE: 'ci' })).toBe('flagged');
  });

  it('validates the flag and the environment value', async () => {
    const store = await openProfiles(env);
    expect(() => store.resolveName('bad/name', env)).toThrow('Invalid --profile value "bad/name".');
    expect(() => store.resolveName(undefined, { ...env, NOXUS_PROFILE: '../x' })).toThrow(
      'Invalid NOXUS_PROFILE value "../x".',
    );
  });
});

describe('the origin a stored key belongs to', () => {
  it('is the recorded origin, else the origin of the profile url', async () => {
    const { boundOrigin, originOf } = await import('../../src/config/profiles.js');
    expect(originOf('https://Noxus.Example.com:443/api/')).toBe('https://noxus.example.com');
    expect(originOf('http://127.0.0.1:8700')).toBe('http://127.0.0.1:8700');
    expect(originOf('not a url')).toBeUndefined();
    expect(boundOrigin(prod)).toBe('https://noxus.example.com');
    expect(boundOrigin({ ...prod, origin: 'https://other.example.com' })).toBe('https://other.example.com');
  });
});

describe('config.json on disk', () => {
  it('reads a file in the layout conf wrote, and writes the same layout back', async () => {
    const written = JSON.stringify({ profiles: { prod }, current: 'prod' }, undefined, '\t');
    await writeFile(join(dir, 'config.json'), written, { mode: 0o600 });
    const store = await openProfiles(env);
    expect(store.get('prod')).toEqual(prod);
    expect(store.current()).toBe('prod');
    store.set('staging', staging);
    expect(await readFile(join(dir, 'config.json'), 'utf8')).toBe(
      JSON.stringify({ profiles: { prod, staging }, current: 'prod' }, undefined, '\t'),
    );
  });

  it('creates nothing until a profile is written', async () => {
    const sub = join(dir, 'fresh');
    const store = await openProfiles({ NOXUS_CONFIG_DIR: sub });
    expect(store.list()).toEqual([]);
    await expect(stat(sub)).rejects.toThrow('ENOENT');
    store.set('prod', prod);
    expect((await stat(join(sub, 'config.json'))).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['[]', 'it must hold a JSON object'],
    ['{"current": 3, "profiles": {}}', '"current" must be a profile name'],
    ['{"profiles": []}', '"profiles" must be an object'],
    ['{"profiles": {"p": "x"}}', 'profile "p" must be an object'],
    ['{"profiles": {"p": {"credential_store": "file"}}}', 'profile "p" has no "url"'],
    [
      '{"profiles": {"p": {"url": "https://x", "credential_store": "vault"}}}',
      'profile "p" has an unknown "credential_store"',
    ],
  ])('names what is wrong in a hand-edited file: %s', async (text, what) => {
    await writeFile(join(dir, 'config.json'), text);
    await expect(openProfiles(env)).rejects.toThrow(
      `The configuration file ${join(dir, 'config.json')} is not valid: ${what}.`,
    );
  });
});
