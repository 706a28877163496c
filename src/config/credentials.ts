import { spawn } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { chmod, mkdir, open, stat, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { AuthError } from '../errors.js';
import { writeFileAtomic } from '../util/files.js';
import { credentialsDir, type Env } from './paths.js';
import { type Profile, validateProfileName } from './profiles.js';

export const KEYRING_SERVICE = 'noxus';
export const DEFAULT_PROBE_TIMEOUT_MS = 4000;

export type CredentialSource = 'env' | 'keyring' | 'file' | 'sandbox-file';

export interface ResolvedCredential {
  key: string;
  source: CredentialSource;
  /** Human-readable place, as shown by `auth status`. Never contains the key. */
  location: string;
  /** True when NOXUS_API_KEY is used although the profile also records a stored credential. */
  overridesStored?: boolean;
  /** Warnings callers must print on every use (plaintext file store). */
  warnings: string[];
}

/** The subset of @napi-rs/keyring the CLI uses; injectable so unit tests need no Secret Service. */
export interface KeyringBackend {
  getPassword(service: string, account: string): string | null;
  setPassword(service: string, account: string, password: string): void;
  deletePassword(service: string, account: string): boolean;
}

export type ProbeFailureReason = 'no-dbus' | 'locked' | 'timeout' | 'error';
export type ProbeResult = { ok: true } | { ok: false; reason: ProbeFailureReason; detail: string };
export type KeychainProbe = (account: string, env: Env) => Promise<ProbeResult>;

export interface CredentialOptions {
  /** Replaces @napi-rs/keyring. When given without `probe`, no probe runs. */
  keyring?: KeyringBackend | (() => KeyringBackend | Promise<KeyringBackend>);
  probe?: KeychainProbe;
  platform?: NodeJS.Platform;
  probeTimeoutMs?: number;
}

export function credentialFilePath(profileName: string, env: Env = process.env): string {
  return join(credentialsDir(env), `${validateProfileName(profileName)}.key`);
}

export function describeLocation(
  source: CredentialSource,
  profileName: string,
  profile?: Profile,
  env: Env = process.env,
): string {
  switch (source) {
    case 'env':
      return 'environment variable NOXUS_API_KEY';
    case 'keyring':
      return `OS keychain (service ${KEYRING_SERVICE}, account ${profileName}${process.platform === 'linux' ? `; secret-tool lookup service ${KEYRING_SERVICE} username ${profileName}` : ''})`;
    case 'file':
      return `file ${credentialFilePath(profileName, env)} (plaintext, 0600)`;
    case 'sandbox-file':
      return `sandbox key file ${profile?.key_file ?? '(none)'} (0600)`;
  }
}

// ---------------------------------------------------------------------------------------------
// Keychain

function keychainFix(platform: NodeJS.Platform): string {
  const start =
    platform === 'linux'
      ? 'start and unlock a Secret Service, e.g.\n' +
        // An empty password creates no default collection on a fresh account, so writes fail.
        `    dbus-run-session -- sh -c 'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; noxus auth login'\n` +
        '    (KEYRING_PASSWORD: any non-empty password; the same one unlocks the keyring later)'
      : platform === 'darwin'
        ? 'unlock the login keychain: security unlock-keychain ~/Library/Keychains/login.keychain-db'
        : 'make sure the Windows Credential Manager is available';
  return (
    `Fix: ${start}\n` +
    '  or pass the key per run in the environment variable NOXUS_API_KEY (nothing is stored)\n' +
    '  or opt in to a plaintext file (0600): noxus auth login --credential-store file'
  );
}

const REASON_TEXT: Record<ProbeFailureReason, string> = {
  'no-dbus': 'no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset)',
  locked: 'the keychain is locked',
  timeout: 'it did not answer in time',
  error: 'it reported an error',
};

export class KeychainUnavailableError extends AuthError {}

function keychainUnavailable(
  failure: { reason: ProbeFailureReason; detail: string },
  platform: NodeJS.Platform,
): KeychainUnavailableError {
  const why = REASON_TEXT[failure.reason];
  const detail = failure.detail && failure.reason !== 'no-dbus' ? ` (${failure.detail})` : '';
  return new KeychainUnavailableError(`The OS keychain is unavailable: ${why}${detail}.`, {
    hint: keychainFix(platform),
    data: { reason: failure.reason },
  });
}

// Runs in a separate node so that a Secret Service that never answers cannot hang the CLI: the
// native calls are synchronous. It reads the real entry, so a locked collection shows up here.
const PROBE_SCRIPT = `
const [modulePath, service, account] = process.argv.slice(1);
try {
  const { Entry } = require(modulePath);
  new Entry(service, account, { linux: { store: 'secret-service' } }).getPassword();
  process.exit(0);
} catch (err) {
  process.stderr.write(String((err && err.message) || err).slice(0, 500));
  process.exit(1);
}
`;

export interface SpawnProbeOptions {
  timeoutMs?: number;
  platform?: NodeJS.Platform;
  /** Replaces the probe script (tests). Receives argv: module path, service, account. */
  script?: string;
}

export function createSpawnProbe(options: SpawnProbeOptions = {}): KeychainProbe {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const platform = options.platform ?? process.platform;
  const script = options.script ?? PROBE_SCRIPT;
  return (account, env) => {
    if (platform === 'linux' && !env.DBUS_SESSION_BUS_ADDRESS) {
      return Promise.resolve({ ok: false, reason: 'no-dbus', detail: '' });
    }
    const modulePath = createRequire(import.meta.url).resolve('@napi-rs/keyring');
    return new Promise<ProbeResult>((done) => {
      let stderr = '';
      let settled = false;
      const finish = (r: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(r);
      };
      const child = spawn(process.execPath, ['-e', script, modulePath, KEYRING_SERVICE, account], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish({ ok: false, reason: 'timeout', detail: `no answer within ${timeoutMs / 1000}s` });
      }, timeoutMs);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        if (stderr.length < 2000) stderr += chunk;
      });
      child.on('error', (e) => finish({ ok: false, reason: 'error', detail: e.message }));
      child.on('close', (code) => {
        if (code === 0) return finish({ ok: true });
        const detail = stderr.trim() || `probe exited with code ${code}`;
        finish({ ok: false, reason: /lock|prompt/i.test(detail) ? 'locked' : 'error', detail });
      });
    });
  };
}

async function loadRealKeyring(): Promise<KeyringBackend> {
  const mod = await import('@napi-rs/keyring');
  const Entry = mod.Entry ?? (mod as unknown as { default: typeof mod }).default.Entry;
  // Pinned to the Secret Service: the default on Linux silently falls back to the kernel keyring,
  // which forgets the key at logout.
  const entry = (service: string, account: string) =>
    new Entry(service, account, { linux: { store: 'secret-service' } });
  return {
    getPassword: (service, account) => entry(service, account).getPassword(),
    setPassword: (service, account, password) => entry(service, account).setPassword(password),
    deletePassword: (service, account) => entry(service, account).deletePassword(),
  };
}

/** Probes the keychain (unless a fake backend is injected) and returns a usable backend. */
async function openKeychain(account: string, env: Env, opts: CredentialOptions): Promise<KeyringBackend> {
  const platform = opts.platform ?? process.platform;
  const probe =
    opts.probe ?? (opts.keyring ? undefined : createSpawnProbe({ timeoutMs: opts.probeTimeoutMs, platform }));
  if (probe) {
    const result = await probe(account, env);
    if (!result.ok) throw keychainUnavailable(result, platform);
  }
  if (opts.keyring) return typeof opts.keyring === 'function' ? await opts.keyring() : opts.keyring;
  return loadRealKeyring();
}

function keychainError(action: string, e: unknown, platform: NodeJS.Platform): AuthError {
  // Native messages describe the store, never the secret, but keep them short anyway.
  const detail = (e instanceof Error ? e.message : String(e)).slice(0, 300);
  return new AuthError(`Could not ${action} the OS keychain: ${detail}`, {
    hint: keychainFix(platform),
    cause: e,
  });
}

// ---------------------------------------------------------------------------------------------
// Files

async function readKeyFile(path: string): Promise<{ key: string; mode: number } | undefined> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AuthError(`Cannot read the key file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}.`, {
      cause: e,
    });
  }
  try {
    const st = await fh.stat();
    const key = (await fh.readFile('utf8')).trim();
    return key ? { key, mode: st.mode & 0o777 } : undefined;
  } finally {
    await fh.close();
  }
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

// ---------------------------------------------------------------------------------------------
// Public operations

async function hasStoredCredential(profileName: string, profile: Profile | undefined, env: Env) {
  if (!profile) return false;
  // The keychain is never opened while NOXUS_API_KEY is set, so for it the profile's record is
  // the evidence of a stored login.
  if (profile.credential_store === 'keyring') return true;
  const path = profile.credential_store === 'file' ? credentialFilePath(profileName, env) : profile.key_file;
  if (!path) return false;
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function resolveCredential(
  args: { profileName: string; profile?: Profile; env?: Env },
  opts: CredentialOptions = {},
): Promise<ResolvedCredential | undefined> {
  const { profileName, profile } = args;
  const env = args.env ?? process.env;
  validateProfileName(profileName);
  const fromEnv = env.NOXUS_API_KEY?.trim();
  if (fromEnv) {
    const resolved: ResolvedCredential = {
      key: fromEnv,
      source: 'env',
      location: describeLocation('env', profileName, profile, env),
      warnings: [],
    };
    if (await hasStoredCredential(profileName, profile, env)) resolved.overridesStored = true;
    return resolved;
  }
  if (!profile) return undefined;

  switch (profile.credential_store) {
    case 'keyring': {
      const platform = opts.platform ?? process.platform;
      const keyring = await openKeychain(profileName, env, opts);
      let key: string | null;
      try {
        key = keyring.getPassword(KEYRING_SERVICE, profileName);
      } catch (e) {
        throw keychainError('read from', e, platform);
      }
      if (!key) return undefined;
      return {
        key,
        source: 'keyring',
        location: describeLocation('keyring', profileName, profile, env),
        warnings: [],
      };
    }
    case 'file': {
      const path = credentialFilePath(profileName, env);
      const read = await readKeyFile(path);
      if (!read) return undefined;
      const warnings = [`key read from a plaintext file ${path}`];
      if (read.mode & 0o077) {
        warnings.push(`${path} has mode ${octal(read.mode)}, wider than 0600; run: chmod 600 ${path}`);
      }
      return {
        key: read.key,
        source: 'file',
        location: describeLocation('file', profileName, profile, env),
        warnings,
      };
    }
    case 'sandbox-file': {
      if (!profile.key_file) {
        throw new AuthError(`Profile ${profileName} uses a sandbox key file but names none.`, {
          hint: 'Run `noxus sandbox start` again to recreate the sandbox profile.',
        });
      }
      const read = await readKeyFile(profile.key_file);
      if (!read) return undefined;
      return {
        key: read.key,
        source: 'sandbox-file',
        location: describeLocation('sandbox-file', profileName, profile, env),
        warnings: [],
      };
    }
  }
}

export async function storeCredential(
  profileName: string,
  key: string,
  store: 'keyring' | 'file',
  env: Env = process.env,
  opts: CredentialOptions = {},
): Promise<{ location: string }> {
  validateProfileName(profileName);
  const value = key.trim();
  if (!value || /[\r\n]/.test(value)) {
    throw new AuthError('The API key is empty or spans several lines.', {
      hint: 'Paste the key on a single line.',
    });
  }
  if (store === 'keyring') {
    const platform = opts.platform ?? process.platform;
    const keyring = await openKeychain(profileName, env, opts);
    try {
      keyring.setPassword(KEYRING_SERVICE, profileName, value);
    } catch (e) {
      throw keychainError('write to', e, platform);
    }
    return { location: describeLocation('keyring', profileName, undefined, env) };
  }
  const dir = credentialsDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves an existing directory's mode alone.
  await chmod(dir, 0o700);
  await writeFileAtomic(credentialFilePath(profileName, env), value + '\n');
  return { location: describeLocation('file', profileName, undefined, env) };
}

export interface RemovedCredential {
  source: Exclude<CredentialSource, 'env'>;
  location: string;
}

/**
 * Removes a profile's stored key from every place it may be (keychain, file store, sandbox key
 * file) and returns what was removed; removing nothing is not an error.
 */
export async function deleteCredential(
  profileName: string,
  profile: Profile | undefined,
  env: Env = process.env,
  opts: CredentialOptions = {},
): Promise<RemovedCredential[]> {
  validateProfileName(profileName);
  const removed: RemovedCredential[] = [];
  const platform = opts.platform ?? process.platform;

  const unlinkIfPresent = async (path: string, source: RemovedCredential['source']) => {
    try {
      await unlink(path);
      removed.push({ source, location: describeLocation(source, profileName, profile, env) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  };

  if (!profile || profile.credential_store === 'keyring') {
    let keyring: KeyringBackend | undefined;
    try {
      keyring = await openKeychain(profileName, env, opts);
    } catch (e) {
      // Without a profile there is no evidence of a keychain login, so an unusable keychain is
      // no reason to fail; for a keyring profile it is: the key could not be removed.
      if (profile) throw e;
    }
    if (keyring) {
      let deleted: boolean;
      try {
        deleted = keyring.deletePassword(KEYRING_SERVICE, profileName);
      } catch (e) {
        throw keychainError('delete from', e, platform);
      }
      if (deleted) removed.push({ source: 'keyring', location: describeLocation('keyring', profileName) });
    }
  }
  await unlinkIfPresent(credentialFilePath(profileName, env), 'file');
  if (profile?.credential_store === 'sandbox-file' && profile.key_file) {
    await unlinkIfPresent(profile.key_file, 'sandbox-file');
  }
  return removed;
}
