import type { Readable, Writable } from 'node:stream';

export type Env = Record<string, string | undefined>;

/** Everything a command may touch of the outside world; tests pass fakes. */
export interface IO {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  env: Env;
  cwd: string;
  /** Where bin/noxus lives, for spawning ourselves (sandbox --detach). */
  argv0: { execPath: string; script: string };
  now: () => Date;
}

export function isCI(env: Env): boolean {
  return !!env.CI && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
}

/** False when stdin or stdout is not a terminal, under --no-input, or when CI is set. */
export function canPrompt(io: IO, noInput: boolean): boolean {
  return !noInput && !!io.stdin.isTTY && !!io.stdout.isTTY && !isCI(io.env);
}

export function processIO(script: string): IO {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    argv0: { execPath: process.execPath, script },
    now: () => new Date(),
  };
}
