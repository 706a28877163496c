import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

export type Env = NodeJS.ProcessEnv;

/**
 * The directory holding all local state (profiles, opt-in credential files, journals).
 *
 * 1. `NOXUS_CONFIG_DIR` when set (made absolute against the working directory);
 * 2. `$XDG_CONFIG_HOME/noxus` when XDG_CONFIG_HOME is an absolute path;
 * 3. `%APPDATA%\noxus` on Windows;
 * 4. `~/.config/noxus` everywhere else, macOS included: one documented place is easier to find,
 *    back up and clean than the platform-specific `~/Library/Preferences`.
 */
export function configDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  const explicit = env.NOXUS_CONFIG_DIR;
  if (explicit) return resolve(explicit);
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'noxus');
  if (platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'noxus');
  return join(env.HOME || homedir(), '.config', 'noxus');
}

/** Where opt-in plaintext credential files live (`--credential-store file`). */
export function credentialsDir(env: Env = process.env): string {
  return join(configDir(env), 'credentials');
}

const STEM_MAX = 100;
const UNSAFE = /[^A-Za-z0-9._@-]+/g;
// Names Windows maps to devices whatever the extension.
const DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;
const EXT = /^(\.[A-Za-z0-9]+)*$/;

/**
 * One file name, safe to join to a directory, from text that may come from a server (ids, names,
 * emails). The result is ASCII letters, digits and `._@-`, starts with a letter or digit, is at most
 * about 120 bytes, and cannot name another directory. A name that had to change carries a hash of
 * the original, so two different inputs never share a file; a name already safe is kept as is.
 */
export function safeFileName(name: string, ext = ''): string {
  if (!EXT.test(ext)) throw new Error(`not a file extension: ${JSON.stringify(ext)}`);
  let stem = name
    .replace(UNSAFE, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[._]+$/, '');
  const changed = stem !== name || stem.length > STEM_MAX || DEVICE.test(stem) || stem === '';
  if (!changed) return `${stem}${ext}`;
  stem = stem.slice(0, STEM_MAX).replace(/[._]+$/, '');
  if (DEVICE.test(stem)) stem = stem.replace(/^[A-Za-z]+\d?/, '$&_');
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 12);
  return `${stem ? `${stem}-` : ''}${hash}${ext}`;
}

/** `dir/<safe name>`, checked to be a direct child of `dir`. */
export function fileInDir(dir: string, name: string, ext = ''): string {
  const base = resolve(dir);
  const file = join(base, safeFileName(name, ext));
  if (dirname(file) !== base || basename(file) !== safeFileName(name, ext)) {
    throw new Error(`refusing a file name that leaves ${base}: ${JSON.stringify(name)}`);
  }
  return file;
}
