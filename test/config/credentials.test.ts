import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSpawnProbe,
  credentialFilePath,
  deleteCredential,
  describeLocation,
  type KeychainProbe,
  type KeyringBackend,
  resolveCredential,
  storeCredential,
} from '../../src/config/credentials.js';
import type { Profile } from '../../src/config/profiles.js';
import { AuthError, UsageError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/util/files.js';

const KEY = 'nx_live_3f9a8c7d6e5b4a39281706f5e4d3c2b1';
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'noxus-creds-'));
  env = { NOXUS_CONFIG_DIR: dir };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

class FakeKeyring implements KeyringBackend {
  readonly items = new Map<string, string>();
  calls: string[] = [];
  getPassword(service: string, account: string) {
    this.calls.push(`get ${service}/${account}`);
    return this.items.get(`${service}/${account}`) ?? null;
  }
  setPassword(service: string, account: string, password: string) {
    this.calls.push(`set ${service}/${account}`);
    this.items.set(`${service}/${account}`, password);
  }
  deletePassword(service: string, account: string) {
    this.calls.push(`delete ${service}/${account}`);
    return this.items.delete(`${service}/${account}`);
  }
}

/** Lists every file and directory under `root`, relative to it. */
async function tree(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).map(String).sort();
}

const keyringProfile: Profile = { url: 'https://noxus.example.com', credential_store: 'keyring' };
const fileProfile: Profile = { url: 'https://noxus.example.com', credential_store: 'file' };

function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('NOXUS_API_KEY', () => {
  it('wins and never touches the keychain', async () => {
    const keyring = new FakeKeyring();
    keyring.items.set('noxus/default', 'stored-key');
    const probe: KeychainProbe = async () => {
      throw new Error('probe must not run');
    };
    const got = await resolveCredential(
      { profileName: 'default', profile: keyringProfile, env: { ...env, NOXUS_API_KEY: KEY } },
      { keyring, probe },
    );
    expect(got).toEqual({
      key: KEY,
      source: 'env',
      location: 'environment variable NOXUS_API_KEY',
      overridesStored: true,
      warnings: [],
    });
    expect(keyring.calls).toEqual([]);
  });

  it('does not claim to override when the profile has nothing stored', async () => {
    const got = await resolveCredential({ profileName: 'ci', env: { ...env, NOXUS_API_KEY: KEY } });
    expect(got).toEqual({
      key: KEY,
      source: 'env',
      location: 'environment variable NOXUS_API_KEY',
      warnings: [],
    });
    const noFile = await resolveCredential({
      profileName: 'ci',
      profile: fileProfile,
      env: { ...env, NOXUS_API_KEY: KEY },
    });
    expect(noFile?.overridesStored).toBeUndefined();
  });

  it('reports overriding a file-store key', async () => {
    await storeCredential('ci', 'stored-key', 'file', env);
    const got = await resolveCredential({
      profileName: 'ci',
      profile: fileProfile,
      env: { ...env, NOXUS_API_KEY: KEY },
    });
    expect(got?.key).toBe(KEY);
    expect(got?.overridesStored).toBe(true);
    expect(got?.warnings).toEqual([]);
  });

  it('treats an empty NOXUS_API_KEY as unset', async () => {
    await storeCredential('ci', 'stored-key', 'file', env);
    const got = await resolveCredential({
      profileName: 'ci',
      profile: fileProfile,
      env: { ...env, NOXUS_API_KEY: '' },
    });
    expect(got?.source).toBe('file');
    expect(got?.key).toBe('stored-key');
  });

  it('returns undefined with no env key and no profile', async () => {
    expect(await resolveCredential({ profileName: 'default', env })).toBeUndefined();
  });
});

describe('file store (opt-in)', () => {
  it('writes <configDir>/credentials/<profile>.key with 0700 dir and 0600 file', async () => {
    const { location } = await storeCredential('prod', KEY, 'file', env);
    const path = join(dir, 'credentials', 'prod.key');
    expect(credentialFilePath('prod', env)).toBe(path);
    expect(location).toBe(`file ${path} (plaintext, 0600)`);
    expect((await stat(join(dir, 'credentials'))).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(`${KEY}\n`);
  });

  it('tightens an existing credentials directory to 0700', async () => {
    await storeCredential('prod', KEY, 'file', env);
    await chmod(join(dir, 'credentials'), 0o755);
    await storeCredential('prod', KEY, 'file', env);
    expect((await stat(join(dir, 'credentials'))).mode & 0o777).toBe(0o700);
  });

  it('leaves no temporary files behind, also when overwriting', async () => {
    await storeCredential('prod', 'first-key', 'file', env);
    await storeCredential('prod', KEY, 'file', env);
    await storeCredential('other', KEY, 'file', env);
    expect(await tree(dir)).toEqual(['credentials', 'credentials/other.key', 'credentials/prod.key']);
    expect(await readFile(join(dir, 'credentials', 'prod.key'), 'utf8')).toBe(`${KEY}\n`);
  });

  it('writeFileAtomic cleans up its temp file when the rename fails', async () => {
    // Renaming a file onto a non-empty directory fails.
    const target = join(dir, 'occupied');
    await mkdir(join(target, 'child'), { recursive: true });
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
    expect(await tree(dir)).toEqual(['occupied', 'occupied/child']);
  });

  it('reads the key back with a plaintext warning on every use', async () => {
    await storeCredential('prod', KEY, 'file', env);
    const path = join(dir, 'credentials', 'prod.key');
    for (let i = 0; i < 2; i++) {
      expect(await resolveCredential({ profileName: 'prod', profile: fileProfile, env })).toEqual({
        key: KEY,
        source: 'file',
        location: `file ${path} (plaintext, 0600)`,
        warnings: [`key read from a plaintext file ${path}`],
      });
    }
  });

  it('warns again when the file mode is wider than 0600', async () => {
    await storeCredential('prod', KEY, 'file', env);
    const path = join(dir, 'credentials', 'prod.key');
    await chmod(path, 0o644);
    const got = await resolveCredential({ profileName: 'prod', profile: fileProfile, env });
    expect(got?.warnings).toEqual([
      `key read from a plaintext file ${path}`,
      `${path} has mode 0644, wider than 0600; run: chmod 600 ${path}`,
    ]);
  });

  it('returns undefined when the file is missing and does not consult the keychain', async () => {
    const keyring = new FakeKeyring();
    keyring.items.set('noxus/prod', 'in-keychain');
    expect(
      await resolveCredential({ profileName: 'prod', profile: fileProfile, env }, { keyring }),
    ).toBeUndefined();
    expect(keyring.calls).toEqual([]);
  });

  it('refuses an empty or multi-line key without echoing it', async () => {
    await expect(storeCredential('prod', '   ', 'file', env)).rejects.toThrow(AuthError);
    const err = (await caught(storeCredential('prod', 'abc\ndef-secret', 'file', env))) as AuthError;
    expect(err.message).toBe('The API key is empty or spans several lines.');
    expect(await tree(dir)).toEqual([]);
  });

  it('rejects invalid profile names before building a path', async () => {
    await expect(storeCredential('../evil', KEY, 'file', env)).rejects.toThrow(UsageError);
    await expect(resolveCredential({ profileName: '..', profile: fileProfile, env })).rejects.toThrow(
      UsageError,
    );
    expect(await tree(dir)).toEqual([]);
  });

  it('deleteCredential removes the file and is idempotent', async () => {
    await storeCredential('prod', KEY, 'file', env);
    const path = join(dir, 'credentials', 'prod.key');
    expect(await deleteCredential('prod', fileProfile, env)).toEqual([
      { source: 'file', location: `file ${path} (plaintext, 0600)` },
    ]);
    expect(await deleteCredential('prod', fileProfile, env)).toEqual([]);
    expect(await tree(dir)).toEqual(['credentials']);
  });
});

describe('sandbox-file', () => {
  it('reads the key from profile.key_file without warnings', async () => {
    const keyFile = join(dir, 'sandbox.key');
    await writeFile(keyFile, `${KEY}\n`, { mode: 0o600 });
    const profile: Profile = {
      url: 'http://127.0.0.1:7700',
      credential_store: 'sandbox-file',
      key_file: keyFile,
    };
    expect(await resolveCredential({ profileName: 'sandbox', profile, env })).toEqual({
      key: KEY,
      source: 'sandbox-file',
      location: `sandbox key file ${keyFile} (0600)`,
      warnings: [],
    });
  });

  it('is overridden by NOXUS_API_KEY and says so', async () => {
    const keyFile = join(dir, 'sandbox.key');
    await writeFile(keyFile, 'sandbox-key', { mode: 0o600 });
    const profile: Profile = {
      url: 'http://127.0.0.1:7700',
      credential_store: 'sandbox-file',
      key_file: keyFile,
    };
    const got = await resolveCredential({
      profileName: 'sandbox',
      profile,
      env: { ...env, NOXUS_API_KEY: KEY },
    });
    expect(got?.source).toBe('env');
    expect(got?.overridesStored).toBe(true);
  });

  it('returns undefined when the key file is gone', async () => {
    const profile: Profile = {
      url: 'http://127.0.0.1:7700',
      credential_store: 'sandbox-file',
      key_file: join(dir, 'missing.key'),
    };
    expect(await resolveCredential({ profileName: 'sandbox', profile, env })).toBeUndefined();
  });
});

describe('keychain unavailable', () => {
  it('fails closed without a D-Bus session: AuthError with the fix, nothing written', async () => {
    const noBus = { NOXUS_CONFIG_DIR: dir, HOME: dir };
    const err = (await caught(
      storeCredential('prod', KEY, 'keyring', noBus, { platform: 'linux' }),
    )) as AuthError;
    expect(err).toBeInstanceOf(AuthError);
    expect(err.exitCode).toBe(4);
    expect(err.message).toBe(
      'The OS keychain is unavailable: no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset).',
    );
    expect(err.hint).toContain(
      `dbus-run-session -- sh -c 'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; noxus auth login'`,
    );
    expect(err.hint).toContain('NOXUS_API_KEY');
    expect(err.hint).toContain('noxus auth login --credential-store file');
    expect(err.data).toEqual({ reason: 'no-dbus' });
    expect(`${err.message}\n${err.hint}`).not.toContain(KEY);
    expect(await tree(dir)).toEqual([]);
  });

  it('fails closed when resolving a keyring profile without a D-Bus session', async () => {
    const err = await caught(
      resolveCredential({ profileName: 'prod', profile: keyringProfile, env }, { platform: 'linux' }),
    );
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toContain('no D-Bus session');
    expect(await tree(dir)).toEqual([]);
  });

  it('reports a timed-out or locked probe and never calls the backend', async () => {
    const keyring = new FakeKeyring();
    const timeout: KeychainProbe = async () => ({
      ok: false,
      reason: 'timeout',
      detail: 'no answer within 4s',
    });
    const e1 = (await caught(
      storeCredential('prod', KEY, 'keyring', env, { keyring, probe: timeout }),
    )) as AuthError;
    expect(e1.message).toBe(
      'The OS keychain is unavailable: it did not answer in time (no answer within 4s).',
    );
    const locked: KeychainProbe = async () => ({
      ok: false,
      reason: 'locked',
      detail: 'collection is locked',
    });
    const e2 = (await caught(
      storeCredential('prod', KEY, 'keyring', env, { keyring, probe: locked }),
    )) as AuthError;
    expect(e2.message).toBe('The OS keychain is unavailable: the keychain is locked (collection is locked).');
    expect(keyring.calls).toEqual([]);
    expect(await tree(dir)).toEqual([]);
  });

  it('deleteCredential for a keyring profile fails when the keychain is unusable', async () => {
    await expect(deleteCredential('prod', keyringProfile, env, { platform: 'linux' })).rejects.toThrow(
      'The OS keychain is unavailable',
    );
  });

  it('deleteCredential without a profile still cleans the file store when the keychain is unusable', async () => {
    await storeCredential('prod', KEY, 'file', env);
    expect(await deleteCredential('prod', undefined, env, { platform: 'linux' })).toEqual([
      { source: 'file', location: `file ${join(dir, 'credentials', 'prod.key')} (plaintext, 0600)` },
    ]);
  });

  it('wraps a backend error without leaking the key', async () => {
    const broken: KeyringBackend = {
      getPassword: () => {
        throw new Error('Platform failure: prompt dismissed');
      },
      setPassword: () => {
        throw new Error('Platform failure: prompt dismissed');
      },
      deletePassword: () => false,
    };
    const err = (await caught(
      storeCredential('prod', KEY, 'keyring', env, { keyring: broken }),
    )) as AuthError;
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe('Could not write to the OS keychain: Platform failure: prompt dismissed');
    expect(JSON.stringify({ m: err.message, h: err.hint, d: err.data })).not.toContain(KEY);
  });
});

describe('keychain with an injected backend', () => {
  it('round-trips set, get and delete under service noxus', async () => {
    const keyring = new FakeKeyring();
    const probed: string[] = [];
    const probe: KeychainProbe = async (account) => {
      probed.push(account);
      return { ok: true };
    };
    const opts = { keyring: () => keyring, probe };

    expect(await storeCredential('prod', KEY, 'keyring', env, opts)).toEqual({
      location: 'OS keychain (service noxus, account prod; secret-tool lookup service noxus username prod)',
    });
    expect([...keyring.items]).toEqual([['noxus/prod', KEY]]);

    expect(await resolveCredential({ profileName: 'prod', profile: keyringProfile, env }, opts)).toEqual({
      key: KEY,
      source: 'keyring',
      location: 'OS keychain (service noxus, account prod; secret-tool lookup service noxus username prod)',
      warnings: [],
    });

    expect(await deleteCredential('prod', keyringProfile, env, opts)).toEqual([
      {
        source: 'keyring',
        location: 'OS keychain (service noxus, account prod; secret-tool lookup service noxus username prod)',
      },
    ]);
    expect(await deleteCredential('prod', keyringProfile, env, opts)).toEqual([]);
    expect(
      await resolveCredential({ profileName: 'prod', profile: keyringProfile, env }, opts),
    ).toBeUndefined();
    expect(probed).toEqual(['prod', 'prod', 'prod', 'prod', 'prod']);
    // The keychain path never writes anything under the config dir.
    expect(await tree(dir)).toEqual([]);
  });

  it('keeps profiles apart by account', async () => {
    const keyring = new FakeKeyring();
    await storeCredential('a', 'key-a', 'keyring', env, { keyring });
    await storeCredential('b', 'key-b', 'keyring', env, { keyring });
    const a = await resolveCredential({ profileName: 'a', profile: keyringProfile, env }, { keyring });
    expect(a?.key).toBe('key-a');
  });
});

describe('describeLocation', () => {
  it('describes every source', () => {
    const keyFile = '/var/lib/noxus/sandbox.key';
    expect(describeLocation('env', 'default', undefined, env)).toBe('environment variable NOXUS_API_KEY');
    expect(describeLocation('keyring', 'default', undefined, env)).toBe(
      'OS keychain (service noxus, account default; secret-tool lookup service noxus username default)',
    );
    expect(describeLocation('file', 'default', undefined, env)).toBe(
      `file ${join(dir, 'credentials', 'default.key')} (plaintext, 0600)`,
    );
    expect(
      describeLocation('sandbox-file', 'sb', {
        url: 'http://x',
        credential_store: 'sandbox-file',
        key_file: keyFile,
      }),
    ).toBe(`sandbox key file ${keyFile} (0600)`);
  });
});

describe('spawn probe', () => {
  const linuxEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };

  it('fails fast on Linux without DBUS_SESSION_BUS_ADDRESS, without spawning', async () => {
    const probe = createSpawnProbe({ platform: 'linux', script: 'process.exit(0)' });
    const { DBUS_SESSION_BUS_ADDRESS: _, ...noBus } = process.env;
    expect(await probe('default', noBus)).toEqual({ ok: false, reason: 'no-dbus', detail: '' });
  });

  it('does not require D-Bus on macOS', async () => {
    const probe = createSpawnProbe({ platform: 'darwin', script: 'process.exit(0)' });
    expect(await probe('default', {})).toEqual({ ok: true });
  });

  it('passes module path, service and account to the child', async () => {
    const script = `const [m, s, a] = process.argv.slice(1);
      process.exit(m.includes('@napi-rs') && m.includes('keyring') && s === 'noxus' && a === 'acct' ? 0 : 3)`;
    const probe = createSpawnProbe({ platform: 'linux', script });
    expect(await probe('acct', linuxEnv)).toEqual({ ok: true });
  });

  it('kills a child that hangs and reports a timeout', async () => {
    const probe = createSpawnProbe({
      platform: 'linux',
      timeoutMs: 300,
      script: 'setInterval(() => {}, 1000)',
    });
    const started = Date.now();
    expect(await probe('default', linuxEnv)).toEqual({
      ok: false,
      reason: 'timeout',
      detail: 'no answer within 0.3s',
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('classifies a locked keychain and other errors', async () => {
    const locked = createSpawnProbe({
      platform: 'linux',
      script: `process.stderr.write('Platform failure: collection is locked'); process.exit(1)`,
    });
    expect(await locked('default', linuxEnv)).toEqual({
      ok: false,
      reason: 'locked',
      detail: 'Platform failure: collection is locked',
    });
    const other = createSpawnProbe({ platform: 'linux', script: 'process.exit(7)' });
    expect(await other('default', linuxEnv)).toEqual({
      ok: false,
      reason: 'error',
      detail: 'probe exited with code 7',
    });
  });

  it.runIf(process.platform === 'linux')(
    'the real probe script reports an unreachable Secret Service as an error',
    async () => {
      const probe = createSpawnProbe({ platform: 'linux' });
      const result = await probe('default', linuxEnv);
      expect(result.ok).toBe(false);
      expect(result.ok === false && result.reason).toBe('error');
      expect(result.ok === false && result.detail).toContain('/nonexistent/bus');
    },
  );
});
