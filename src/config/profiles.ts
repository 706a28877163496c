import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { writeFileAtomicSync } from '../util/files.js';
import { configDir, type Env } from './paths.js';

export type CredentialStoreKind = 'keyring' | 'file' | 'sandbox-file';

export interface Profile {
  url: string;
  credential_store: CredentialStoreKind;
  /** For 'sandbox-file': the 0600 file holding the sandbox key. */
  key_file?: string;
  /** The origin the stored key was verified against; the key is sent nowhere else. */
  origin?: string;
  key_id?: string;
  key_name?: string;
  tenant_admin?: boolean;
  created_at?: string;
}

export interface ProfilesFile {
  current?: string;
  profiles: Record<string, Profile>;
}

export interface ProfileEntry {
  name: string;
  profile: Profile;
  current: boolean;
}

export const DEFAULT_PROFILE = 'default';

/** `scheme://host[:port]` of a URL, or undefined when it does not parse. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** The origin a profile's stored key belongs to; profiles written before it was recorded use their URL. */
export function boundOrigin(profile: Profile): string | undefined {
  return profile.origin ?? originOf(profile.url);
}
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const STORES: readonly CredentialStoreKind[] = ['keyring', 'file', 'sandbox-file'];

export function isValidProfileName(name: string): boolean {
  // '.' and '..' would escape the credentials directory when used as a file name.
  return NAME_RE.test(name) && name !== '.' && name !== '..';
}

/** Profile names end up in file names and keychain accounts, so they are kept to a safe alphabet. */
export function validateProfileName(name: string, origin = 'profile name'): string {
  if (!isValidProfileName(name)) {
    throw new UsageError(`Invalid ${origin} ${JSON.stringify(name)}.`, {
      hint: 'Profile names are 1-64 characters of letters, digits, ".", "_" and "-".',
    });
  }
  return name;
}

function validateProfile(name: string, profile: Profile): Profile {
  if (typeof profile?.url !== 'string' || profile.url === '') {
    throw new UsageError(`Profile ${name} needs a URL.`);
  }
  if (!STORES.includes(profile.credential_store)) {
    throw new UsageError(
      `Profile ${name} has an unknown credential store ${JSON.stringify(profile.credential_store)}.`,
      { hint: `Use one of: ${STORES.join(', ')}.` },
    );
  }
  if (profile.credential_store === 'sandbox-file' && !profile.key_file) {
    throw new UsageError(`Profile ${name} uses credential store sandbox-file but names no key_file.`);
  }
  return profile;
}

/**
 * `<config dir>/config.json`: `{ "current"?: name, "profiles": { name: Profile } }`, tab-indented,
 * mode 0600 (the layout conf wrote, so existing files read as before). Every read goes back to the
 * file, so two processes working on the same directory see each other's changes; every write
 * replaces the file atomically.
 */
export class ProfileStore {
  /** The JSON file backing the store. */
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, 'config.json');
  }

  #read(): ProfilesFile {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
      throw e;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`The configuration file in ${this.dir} is not valid JSON.`, {
        hint: `Fix or delete ${this.path} (profiles will need to be set up again).`,
        cause: e,
      });
    }
    return parseProfilesFile(data, this.path);
  }

  #write(data: ProfilesFile): void {
    const next: ProfilesFile = { profiles: data.profiles };
    if (data.current !== undefined) next.current = data.current;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomicSync(this.path, JSON.stringify(next, undefined, '\t'));
  }

  list(): ProfileEntry[] {
    const { current, profiles } = this.#read();
    return Object.keys(profiles)
      .sort()
      .map((name) => ({ name, profile: profiles[name]!, current: name === current }));
  }

  get(name: string): Profile | undefined {
    validateProfileName(name);
    const { profiles } = this.#read();
    return Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  }

  set(name: string, profile: Profile): void {
    validateProfileName(name);
    validateProfile(name, profile);
    const data = this.#read();
    data.profiles = { ...data.profiles, [name]: { ...profile } };
    this.#write(data);
  }

  /** Removes a profile (and unsets it as current). Returns whether it existed. */
  remove(name: string): boolean {
    validateProfileName(name);
    const data = this.#read();
    if (!Object.hasOwn(data.profiles, name)) return false;
    const { [name]: _removed, ...rest } = data.profiles;
    data.profiles = rest;
    if (data.current === name) data.current = undefined;
    this.#write(data);
    return true;
  }

  current(): string | undefined {
    return this.#read().current;
  }

  use(name: string): void {
    validateProfileName(name);
    const data = this.#read();
    if (!Object.hasOwn(data.profiles, name)) {
      const known = Object.keys(data.profiles).sort();
      throw new NotFoundError(
        `No profile named ${name}. Known profiles: ${known.length ? known.join(', ') : '(none)'}.`,
        {
          hint: known.length
            ? 'Run `noxus profiles list` to see them.'
            : 'Create one with `noxus auth login --profile NAME`.',
          data: { profile: name, known },
        },
      );
    }
    data.current = name;
    this.#write(data);
  }

  /** `--profile` > `NOXUS_PROFILE` > the current profile > `default`. */
  resolveName(flag?: string, env: Env = process.env): string {
    if (flag !== undefined && flag !== '') return validateProfileName(flag, '--profile value');
    const fromEnv = env.NOXUS_PROFILE;
    if (fromEnv) return validateProfileName(fromEnv, 'NOXUS_PROFILE value');
    const current = this.current();
    if (current) return validateProfileName(current, `current profile in ${this.path}`);
    return DEFAULT_PROFILE;
  }
}

/** Checks what was read from config.json; a hand-edited file that breaks it is named with the fix. */
function parseProfilesFile(data: unknown, path: string): ProfilesFile {
  const invalid = (what: string) =>
    new UsageError(`The configuration file ${path} is not valid: ${what}.`, {
      hint: `Fix or delete ${path} (profiles will need to be set up again).`,
    });
  if (!isObject(data)) throw invalid('it must hold a JSON object');
  const { current, profiles = {} } = data;
  if (current !== undefined && typeof current !== 'string') throw invalid('"current" must be a profile name');
  if (!isObject(profiles)) throw invalid('"profiles" must be an object');
  for (const [name, p] of Object.entries(profiles)) {
    if (!isObject(p)) throw invalid(`profile ${JSON.stringify(name)} must be an object`);
    if (typeof p.url !== 'string') throw invalid(`profile ${JSON.stringify(name)} has no "url"`);
    if (!STORES.includes(p.credential_store as CredentialStoreKind))
      throw invalid(`profile ${JSON.stringify(name)} has an unknown "credential_store"`);
  }
  return { current, profiles: profiles as Record<string, Profile> };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function openProfiles(env: Env = process.env): Promise<ProfileStore> {
  const store = new ProfileStore(configDir(env));
  // A broken file is reported when the store opens, before a command starts its work.
  store.current();
  return store;
}
