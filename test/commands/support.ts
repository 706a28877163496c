// In-process command tests: fake terminal streams, a scripted prompter that fails on any prompt it
// was not told about, and a runner that maps errors to exit codes exactly as src/main.ts does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { type Choice, filterChoices, type Prompter } from '../../src/io/prompter.js';
import type { Env, IO } from '../../src/io/streams.js';
import { report } from '../../src/main.js';

export interface FakeTerminal {
  io: IO;
  stdout(): string;
  stderr(): string;
}

/** Streams that say they are a terminal (or not), with everything written collected. */
export function fakeTerminal(env: Env, tty = true, columns = 160): FakeTerminal {
  const stdin = Object.assign(new PassThrough(), { isTTY: tty, setRawMode: () => undefined });
  const stdout = Object.assign(new PassThrough(), { isTTY: tty, columns });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  return {
    io: {
      stdin,
      stdout,
      stderr,
      env,
      cwd: process.cwd(),
      argv0: { execPath: process.execPath, script: 'noxus' },
      now: () => new Date(),
    },
    stdout: () => out,
    stderr: () => err,
  };
}

type Kind = keyof Prompter;
type Options = Parameters<Prompter['select']>[0] &
  Parameters<Prompter['input']>[0] &
  Parameters<Prompter['checkbox']>[0];

export interface Step {
  kind: Kind;
  message: string;
  /** The answer, or a function of the prompt's options (e.g. to pick a choice by its name). */
  answer: unknown | ((o: Options) => unknown);
  /** Extra assertions on the prompt's options (defaults, choices, validation). */
  check?: (o: Options) => void;
}

function choiceValue(o: Options, name: string): unknown {
  const c = (o.choices as Choice<unknown>[]).find((x) => x.name === name);
  if (!c) throw new Error(`no choice "${name}" in "${o.message}"`);
  return c.value;
}

/** Selects the choice with this displayed name, as a user would. */
export const pick =
  (name: string) =>
  (o: Options): unknown =>
    choiceValue(o, name);

/** Ticks the choices with these displayed names. */
export const tick =
  (...names: string[]) =>
  (o: Options): unknown[] =>
    names.map((n) => choiceValue(o, n));

/**
 * In a search prompt: types `term`, then takes the entry named `name` from the filtered list (it
 * must be there, as it would be on the screen); `name` defaults to the first entry left.
 */
export const typeAndPick =
  (term: string, name?: string) =>
  (o: Options): unknown => {
    const shown = filterChoices(o.choices as Choice<unknown>[], term);
    const c = name === undefined ? shown[0] : shown.find((x) => x.name === name);
    if (!c) throw new Error(`typing "${term}" in "${o.message}" leaves no choice${name ? ` "${name}"` : ''}`);
    return c.value;
  };

/** Presses Enter: the prompt's default. */
export const ENTER = (o: Options): unknown => o.default;

/** Ctrl-C, the way @inquirer/prompts reports it. */
export function ctrlC(): never {
  const e = new Error('User force closed the prompt with SIGINT');
  e.name = 'ExitPromptError';
  throw e;
}

export interface ScriptedPrompter extends Prompter {
  /** The prompts asked so far, in order, as `kind: message`. */
  asked: string[];
  remaining(): number;
}

export function scriptedPrompter(steps: Step[]): ScriptedPrompter {
  const queue = [...steps];
  const asked: string[] = [];
  const ask = async (kind: Kind, o: Options): Promise<never> => {
    asked.push(`${kind}: ${o.message}`);
    const step = queue.shift();
    if (!step || step.kind !== kind || step.message !== o.message) {
      throw new Error(
        `unexpected prompt ${kind} "${o.message}"; expected ${step ? `${step.kind} "${step.message}"` : 'no more prompts'}`,
      );
    }
    step.check?.(o);
    const answer =
      typeof step.answer === 'function' ? (step.answer as (x: Options) => unknown)(o) : step.answer;
    if (kind === 'input' && typeof answer === 'string' && o.validate) {
      const verdict = o.validate(answer);
      if (verdict !== true) throw new Error(`scripted answer "${answer}" fails validation: ${verdict}`);
    }
    return answer as never;
  };
  return {
    asked,
    remaining: () => queue.length,
    input: (o) => ask('input', o as Options),
    password: (o) => ask('password', o as Options),
    select: (o) => ask('select', o as Options),
    checkbox: (o) => ask('checkbox', o as Options),
    confirm: (o) => ask('confirm', o as Options),
    search: (o) => ask('search', o as Options),
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `noxus <argv>` in-process; the error → exit code mapping is src/main.ts's own. */
export async function runInProcess(
  argv: string[],
  opts: { env: Env; prompter?: Prompter; tty?: boolean; columns?: number },
): Promise<RunResult> {
  const term = fakeTerminal(opts.env, opts.tty ?? true, opts.columns);
  const ctx = new Context(term.io, '0.0.0');
  ctx.prompterFactory = () => {
    if (!opts.prompter) throw new Error('this test expects no prompt at all');
    return opts.prompter;
  };
  let code = 0;
  try {
    await (await buildProgram(ctx)).parseAsync(argv, { from: 'user' });
    code = ctx.exitCode;
  } catch (e) {
    code = report(e, ctx);
  }
  return { code, stdout: term.stdout(), stderr: term.stderr() };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'noxus-cmd-'));
}
