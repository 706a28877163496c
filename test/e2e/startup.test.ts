// bin/noxus builds only what a command line needs: --version answers before the bundle loads, root
// help comes from the manifest the build wrote (dist/commands.json), a command loads its own noun.
// Each shortcut must print exactly what the whole command tree prints in-process.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { commandName, manifest } from '../../src/cli/root.js';
import type { IO } from '../../src/io/streams.js';
import { runCli, tempConfigDir } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

function captureIO() {
  const text = { stdout: '', stderr: '' };
  const sink = (k: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _enc, cb) {
        text[k] += String(chunk);
        cb();
      },
    });
  const io: IO = {
    stdin: process.stdin,
    stdout: sink('stdout'),
    stderr: sink('stderr'),
    env: { NO_COLOR: '1', CI: 'true' },
    cwd: ROOT,
    argv0: { execPath: process.execPath, script: join(ROOT, 'bin', 'noxus') },
    now: () => new Date(),
  };
  return { io, text };
}

/** What the whole tree prints for argv, in-process: exit code as src/main.ts maps commander's. */
async function wholeTree(argv: string[]) {
  const { io, text } = captureIO();
  let code = 0;
  try {
    await (await buildProgram(new Context(io, version))).parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code) ? 0 : 2;
  }
  return { code, ...text };
}

describe('start-up shortcuts print what the whole tree prints', () => {
  it.each([
    [['--help']],
    [['help']],
    [[]],
    [['help', 'users']],
    [['users', '--help']],
    [['--url', 'http://127.0.0.1:9', 'ws', '--help']],
    [['sa', '--help']],
    [['usrs']],
    [['--json', '--version']],
  ])('noxus %j', async (argv) => {
    const expected = await wholeTree(argv);
    const got = await runCli(argv, { configDir: tempConfigDir() });
    expect(got).toEqual(expected);
  });

  it('--version answers from bin/noxus', async () => {
    expect(await runCli(['--version'], { configDir: tempConfigDir() })).toEqual({
      code: 0,
      stdout: `${version}\n`,
      stderr: '',
    });
    expect(await runCli(['-v'], { configDir: tempConfigDir() })).toEqual({
      code: 0,
      stdout: `${version}\n`,
      stderr: '',
    });
  });

  it('the manifest in dist/ is the registry of the sources, in help order', async () => {
    const { io } = captureIO();
    const fromSources = await manifest(new Context(io, version));
    const built = JSON.parse(readFileSync(join(ROOT, 'dist', 'commands.json'), 'utf8'));
    expect(built).toEqual(fromSources);
    const tree = await buildProgram(new Context(io, version));
    expect(fromSources.flat().map((c) => c.name)).toEqual(tree.commands.map((c) => c.name()));
  });

  it('finds the command a line names past global options', () => {
    expect(commandName(['--profile', 'users', 'me'])).toBe('me');
    expect(commandName(['--url', 'http://x', '--json', 'users', 'list'])).toBe('users');
    expect(commandName(['help', 'keys'])).toBe('keys');
    expect(commandName(['help'])).toBe('help');
    expect(commandName(['--', 'roles'])).toBe('roles');
    expect(commandName(['--json'])).toBeUndefined();
  });

  it('stack traces (--debug) point at the sources through the source maps', async () => {
    const r = await runCli(['users', 'list', '--debug'], {
      configDir: tempConfigDir(),
      env: {
        NOXUS_API_KEY: 'noxus_test_key_0123456789',
        NOXUS_BACKEND_URL: 'http://127.0.0.1:9',
        NOXUS_TIMEOUT: 'soon',
      },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: NOXUS_TIMEOUT must be a positive number of seconds, got "soon"\n');
    expect(r.stderr).toMatch(/\(\S*src\/cli\/context\.ts:\d+:\d+\)/);
  });
});
