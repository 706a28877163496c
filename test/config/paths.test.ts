import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDir, credentialsDir } from '../../src/config/paths.js';

describe('configDir', () => {
  it('prefers NOXUS_CONFIG_DIR over XDG_CONFIG_HOME', () => {
    expect(
      configDir({ NOXUS_CONFIG_DIR: '/tmp/nx', XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' }, 'linux'),
    ).toBe('/tmp/nx');
  });

  it('makes a relative NOXUS_CONFIG_DIR absolute', () => {
    expect(configDir({ NOXUS_CONFIG_DIR: 'rel/dir' }, 'linux')).toBe(resolve('rel/dir'));
  });

  it('uses $XDG_CONFIG_HOME/noxus when it is absolute', () => {
    expect(configDir({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' }, 'linux')).toBe('/xdg/noxus');
  });

  it('ignores a relative XDG_CONFIG_HOME', () => {
    expect(configDir({ XDG_CONFIG_HOME: 'xdg', HOME: '/home/u' }, 'linux')).toBe('/home/u/.config/noxus');
  });

  it('falls back to ~/.config/noxus, on macOS too', () => {
    expect(configDir({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/.config/noxus');
    expect(configDir({}, 'linux')).toBe(join(homedir(), '.config', 'noxus'));
  });

  it('uses %APPDATA%\\noxus on Windows', () => {
    expect(configDir({ APPDATA: '/appdata' }, 'win32')).toBe(join('/appdata', 'noxus'));
  });

  it('puts credential files in a credentials subdirectory', () => {
    expect(credentialsDir({ NOXUS_CONFIG_DIR: '/tmp/nx' })).toBe('/tmp/nx/credentials');
  });
});
