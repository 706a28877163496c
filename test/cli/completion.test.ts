// The committed completion scripts are generated from the command tree; these tests fail when
// they drift, and check that the scripts really complete in real shells.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bashScript, describeTree, fishScript, zshScript } from '../../src/cli/completion.js';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import type { IO } from '../../src/io/streams.js';

const root = resolve(import.meta.dirname, '../..');
const io: IO = {
  stdin: new PassThrough(),
  stdout: new PassThrough(),
  stderr: new PassThrough(),
  env: {},
  cwd: root,
  argv0: { execPath: process.execPath, script: '' },
  now: () => new Date(),
};
const tree = describeTree(await buildProgram(new Context(io, '0.0.0')));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ci = !!process.env.CI;

describe('completion scripts', () => {
  it.each([
    ['completions/noxus.bash', bashScript],
    ['completions/_noxus', zshScript],
    ['completions/noxus.fish', fishScript],
  ] as const)('%s matches the command tree (regenerate with npm run completions)', (file, gen) => {
    expect(readFileSync(resolve(root, file), 'utf8')).toBe(gen(tree));
  });

  it('the tree has every top-level command of the mission', () => {
    const names = tree.children.map((c) => c.names[0]);
    for (const n of [
      'auth',
      'profiles',
      'me',
      'sandbox',
      'users',
      'ws',
      'roles',
      'permissions',
      'keys',
      'service-accounts',
      'offboard',
      'review',
      'activity',
      'completion',
    ]) {
      expect(names).toContain(n);
    }
    expect(names).not.toContain('__complete');
  });

  const bash = (words: string[], cword: number) =>
    execFileSync(
      'bash',
      [
        '-c',
        `source completions/noxus.bash; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${cword}; _noxus; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { cwd: root, encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);

  it('bash completes commands, subcommands, flags and choices in a real bash', () => {
    expect(bash(['noxus', 'us'], 1)).toEqual(['users']);
    expect(bash(['noxus', 'users', 'a'], 2)).toEqual(['add']);
    expect(bash(['noxus', 'keys', 'create', '--wor'], 3)).toEqual(['--workspace']);
    expect(bash(['noxus', 'review', 'export', '--format', ''], 4)).toEqual(['json', 'csv', 'md']);
    expect(bash(['noxus', '--json', 'keys', 'system', 'r'], 4)).toEqual(['revoke', 'rotate']);
    // A flag's value is not mistaken for a subcommand.
    expect(bash(['noxus', '--profile', 'users', 'ws', 'l'], 4)).toEqual(['list', 'ls']);
  });

  it.skipIf(!ci && !has('zsh'))('zsh parses the script', () => {
    expect(spawnSync('zsh', ['-n', 'completions/_noxus'], { cwd: root }).status).toBe(0);
  });

  it.skipIf(!ci && !has('fish'))('fish parses the script and completes a command', () => {
    const r = spawnSync('fish', ['-c', 'source completions/noxus.fish; complete -C "noxus us"'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('users\tpeople and service accounts of the organization\n');
  });
});
