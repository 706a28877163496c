// Spawns the built bin/noxus as a user would, with its own config dir and no terminal.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/noxus');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function tempConfigDir(): string {
  return mkdtempSync(join(tmpdir(), 'noxus-cfg-'));
}

/** Runs `node bin/noxus ...args` (the same Node as the tests, so the Node 24 leg tests Node 24). */
export function runCli(
  args: string[],
  opts: {
    env?: Record<string, string | undefined>;
    input?: string;
    configDir?: string;
    timeoutMs?: number;
    cwd?: string;
  } = {},
): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, CI: 'true', NO_COLOR: '1', ...opts.env })) {
    if (v !== undefined) env[k] = v;
  }
  if (opts.configDir) env.NOXUS_CONFIG_DIR = opts.configDir;
  for (const k of ['NOXUS_API_KEY', 'NOXUS_BACKEND_URL', 'NOXUS_PROFILE'])
    if (!(opts.env && k in opts.env)) delete env[k];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
