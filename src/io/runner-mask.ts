import type { Env, IO } from './streams.js';

/**
 * Under GitHub Actions, asks the runner to mask a secret before the CLI prints it anywhere.
 *
 * The mask goes to stderr, so that stdout stays exactly the data (valid JSON under --json, the bare
 * secret otherwise). The runner reads workflow commands from both streams: in actions/runner,
 * src/Runner.Worker/Handlers/ScriptHandler.cs gives stdout and stderr each an OutputManager
 * (`StepHost.OutputDataReceived += stdoutManager.OnDataReceived; StepHost.ErrorDataReceived +=
 * stderrManager.OnDataReceived;`), and OutputManager.OnDataReceived hands every line containing
 * `::` to ActionCommandManager.TryProcessCommand whichever stream it came from. Its ProcessInvoker
 * (src/Runner.Sdk/ProcessInvoker.cs) delivers the stderr lines of each batch before the stdout
 * lines, and the mask is written (synchronously, on a pipe) before the secret, so the mask is
 * registered before a secret printed to the log can reach it. GitHub's docs only show stdout
 * (`echo "::add-mask::…"`); the stderr path is the runner's behaviour, read in its source.
 */
export function maskForRunner(io: Pick<IO, 'stderr'>, env: Env, secret: string): void {
  if (env.GITHUB_ACTIONS === 'true' && secret) io.stderr.write(`::add-mask::${secret}\n`);
}
