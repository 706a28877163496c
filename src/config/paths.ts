import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

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
