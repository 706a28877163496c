import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { Context } from './cli/context.js';
import { hintOf } from './cli/hints.js';
import { buildFor, type Manifest, manifest } from './cli/root.js';
import { CancelledError, ExitCode, isNoxusError, type NoxusError } from './errors.js';
import { type IO, processIO } from './io/streams.js';
import { escapeControl, safeJson } from './io/text.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The top-level commands, written next to the bundle by scripts/build.mjs; absent when run from src/. */
function readManifest(): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(new URL('./commands.json', import.meta.url), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** For scripts/build.mjs: the manifest of the whole registry. */
export function commandManifest(io: IO): Promise<Manifest> {
  return manifest(new Context(io, pkg.version));
}

/** Runs one invocation and returns its exit code; the only place errors become exit codes. */
export async function run(
  argv: string[],
  io: IO,
  commands: Manifest | undefined = readManifest(),
): Promise<number> {
  const ctx = new Context(io, pkg.version);
  try {
    const program = await buildFor(ctx, argv, commands);
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    return report(e, ctx);
  }
}

/** Maps any error to its exit code and prints it; exported for in-process tests. */
export function report(e: unknown, ctx: Context): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
      return 0;
    // commander already printed its message.
    return ExitCode.USAGE;
  }
  const err = toNoxusError(e);
  if (err) {
    const hint = hintOf(err);
    if (ctx.globals.json) {
      ctx.io.stderr.write(
        `${safeJson({ schema_version: 1, error: { code: err.code, exit_code: err.exitCode, message: err.message, hint, request_id: err.requestId, status: err.status, ...err.data } })}\n`,
      );
    } else {
      const rid =
        err.requestId && !err.message.includes(err.requestId) ? ` (request id ${err.requestId})` : '';
      ctx.io.stderr.write(`error: ${escapeControl(err.message)}${rid}\n`);
      if (hint) ctx.io.stderr.write(`${escapeControl(hint)}\n`);
    }
    if (ctx.globals.debug && err.stack) ctx.io.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = e instanceof Error ? e.message : String(e);
  ctx.io.stderr.write(`error: unexpected failure: ${escapeControl(message)}\n`);
  if (ctx.globals.debug && e instanceof Error && e.stack) ctx.io.stderr.write(`${e.stack}\n`);
  else ctx.io.stderr.write('run again with --debug for details\n');
  return ExitCode.FAILURE;
}

function toNoxusError(e: unknown): NoxusError | undefined {
  if (isNoxusError(e)) return e;
  // @inquirer/prompts throws ExitPromptError on Ctrl-C.
  if (e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError')) {
    return new CancelledError('cancelled');
  }
  return undefined;
}

/** Entry point of bin/noxus. */
export function main(script: string): void {
  // `noxus users list | head` closes the pipe early; that is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  run(process.argv.slice(2), processIO(script)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`error: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
