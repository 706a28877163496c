// `sandbox stop` signals only the sandbox that wrote the state file: a pid that is dead, reused by
// another program, or started at another time is never signalled; the stale file is removed.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processIdentity } from '../../src/services/sandbox.js';
import { runCli, tempConfigDir } from '../helpers/cli.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'noxus-stop-'));
  dirs.push(d);
  return d;
}

function sleeper(): ChildProcess & { pid: number } {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c);
  return c as ChildProcess & { pid: number };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function writeState(dataDir: string, extra: Record<string, unknown>): string {
  const file = join(dataDir, 'sandbox.json');
  writeFileSync(
    file,
    JSON.stringify({
      url: 'http://127.0.0.1:9',
      data_dir: dataDir,
      started_at: '2026-01-01T00:00:00.000Z',
      version: 'test',
      created: false,
      ...extra,
    }),
  );
  return file;
}

const refusal = (dataDir: string, why: string) =>
  `error: no sandbox is running with data ${dataDir}; the state file named ${why}, so it was removed and no signal was sent\n` +
  'start one with: noxus sandbox start --detach\n';

describe('sandbox stop with a state file it did not write', () => {
  it('a pid file pointing to an unrelated live process: refused, the process survives', async () => {
    const dataDir = tempDir();
    const sleep = sleeper();
    const file = writeState(dataDir, { pid: sleep.pid });
    const r = await runCli(['sandbox', 'stop', '--data', dataDir], { configDir: tempConfigDir() });
    expect(r).toEqual({
      code: 5,
      stdout: '',
      stderr: refusal(dataDir, `pid ${sleep.pid} is \`sleep 60\`, not a noxus sandbox`),
    });
    expect(existsSync(file)).toBe(false);
    expect(isAlive(sleep.pid)).toBe(true);
    expect(sleep.exitCode).toBeNull();
    expect(sleep.signalCode).toBeNull();
  });

  it('the same with the right start time recorded: the command line still gives it away', async () => {
    const dataDir = tempDir();
    const sleep = sleeper();
    writeState(dataDir, { pid: sleep.pid, proc_start: processIdentity(sleep.pid)?.start });
    const r = await runCli(['sandbox', 'stop', '--data', dataDir], { configDir: tempConfigDir() });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(refusal(dataDir, `pid ${sleep.pid} is \`sleep 60\`, not a noxus sandbox`));
    expect(isAlive(sleep.pid)).toBe(true);
  });

  it('a pid that is no longer running', async () => {
    const dataDir = tempDir();
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('exit', r));
    const file = writeState(dataDir, { pid: gone.pid });
    const r = await runCli(['sandbox', 'stop', '--data', dataDir], { configDir: tempConfigDir() });
    expect(r).toEqual({ code: 5, stdout: '', stderr: refusal(dataDir, `pid ${gone.pid} is not running`) });
    expect(existsSync(file)).toBe(false);
  });
});

describe('sandbox stop of a real detached sandbox', () => {
  it('refuses when the recorded start time is not the process, then stops it when it is', async () => {
    const dataDir = join(tempDir(), 'sbx');
    const cfg = tempConfigDir();
    dirs.push(cfg);
    const start = await runCli(
      ['sandbox', 'start', '--detach', '--data', dataDir, '--port', '0', '--seed', 'empty', '--json'],
      { configDir: cfg },
    );
    expect(start.code, start.stderr).toBe(0);
    const { pid, url } = JSON.parse(start.stdout) as { pid: number; url: string };
    const file = join(dataDir, 'sandbox.json');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    expect(state.proc_start).toBe(processIdentity(pid)?.start);

    // The sandbox profile's key file is bound to the sandbox's origin like any stored key.
    const config = JSON.parse(readFileSync(join(cfg, 'config.json'), 'utf8'));
    expect(config.profiles.sandbox).toMatchObject({ url, origin: url, credential_store: 'sandbox-file' });
    const elsewhere = await runCli(['users', 'list', '--url', 'http://127.0.0.1:9'], { configDir: cfg });
    expect(elsewhere).toEqual({
      code: 4,
      stdout: '',
      stderr:
        `error: the key stored for profile sandbox belongs to ${url}; it is not sent to http://127.0.0.1:9 (from --url)\n` +
        'to use http://127.0.0.1:9: pass its key in NOXUS_API_KEY, or log in for it with another profile: noxus auth login --profile NAME --url http://127.0.0.1:9\n',
    });

    // A pid reused by another sandbox-looking process would have another start time.
    writeFileSync(file, JSON.stringify({ ...state, proc_start: '1' }));
    const refused = await runCli(['sandbox', 'stop', '--data', dataDir], { configDir: cfg });
    expect(refused).toEqual({
      code: 5,
      stdout: '',
      stderr: refusal(dataDir, `pid ${pid} is another process that started after the sandbox`),
    });
    expect(isAlive(pid)).toBe(true);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    writeFileSync(file, JSON.stringify(state));
    const stopped = await runCli(['sandbox', 'stop', '--data', dataDir], { configDir: cfg });
    expect(stopped).toEqual({
      code: 0,
      stdout: '',
      stderr: `✓ stopped the sandbox at ${url} (pid ${pid}); data kept in ${dataDir}\n`,
    });
    expect(isAlive(pid)).toBe(false);
  });
});
