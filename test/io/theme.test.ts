import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { IO } from '../../src/io/streams.js';
import { colorEnabled, makeTheme } from '../../src/io/theme.js';

function io(env: Record<string, string>, tty: boolean): IO {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  return {
    stdin: new PassThrough(),
    stdout,
    stderr: new PassThrough(),
    env,
    cwd: '/',
    argv0: { execPath: process.execPath, script: 'noxus' },
    now: () => new Date(0),
  };
}

describe('colour', () => {
  it('is on for a terminal unless NO_COLOR, --no-color or TERM=dumb; FORCE_COLOR turns it on off a terminal', () => {
    expect(colorEnabled(io({}, true), true)).toBe(true);
    expect(colorEnabled(io({}, false), true)).toBe(false);
    expect(colorEnabled(io({ NO_COLOR: '1' }, true), true)).toBe(false);
    expect(colorEnabled(io({ NO_COLOR: '' }, true), true)).toBe(true);
    expect(colorEnabled(io({}, true), false)).toBe(false);
    expect(colorEnabled(io({ TERM: 'dumb' }, true), true)).toBe(false);
    expect(colorEnabled(io({ FORCE_COLOR: '1' }, false), true)).toBe(true);
    expect(colorEnabled(io({ FORCE_COLOR: '0' }, false), true)).toBe(false);
    expect(colorEnabled(io({ FORCE_COLOR: '1', NO_COLOR: '1' }, false), true)).toBe(false);
    expect(colorEnabled(io({ FORCE_COLOR: '1' }, false), false)).toBe(false);
  });

  it('wraps text in basic SGR codes, and nothing when off', () => {
    const on = makeTheme(true);
    expect(on.green('✓')).toBe('\u001b[32m✓\u001b[39m');
    expect(on.yellow('warning:')).toBe('\u001b[33mwarning:\u001b[39m');
    expect(on.bold('Email')).toBe('\u001b[1mEmail\u001b[22m');
    expect(on.red('')).toBe('');
    // A nested style's close re-opens the outer one; each line is closed and re-opened.
    expect(on.yellow(`a ${on.green('b')} c`)).toBe('\u001b[33ma \u001b[32mb\u001b[39m\u001b[33m c\u001b[39m');
    expect(on.bold('a\nb')).toBe('\u001b[1ma\u001b[22m\n\u001b[1mb\u001b[22m');
    const off = makeTheme(false);
    expect(off.green('✓')).toBe('✓');
    expect(off.bold('a\nb')).toBe('a\nb');
  });
});
