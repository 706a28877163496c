// Running a README's GitHub Actions steps as the runner does: each `run:` a `bash -e` script
// (GitHub's default shell on Linux), asynchronously, because the sandbox answering the steps runs in
// the test's own process and must not be blocked while a step waits on it.
import { spawn } from 'node:child_process';

/** One step of a job, as far as the tests read it. */
export interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  'working-directory'?: string;
}

export interface StepResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `run:` script; a step still running after a minute is killed (and fails). */
export function runStep(script: string, cwd: string, env: Record<string, string>): Promise<StepResult> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
