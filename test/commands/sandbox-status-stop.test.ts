// `noxus sandbox status` and `noxus sandbox stop` in-process. The state file of a detached sandbox
// names a pid and a URL: here the URL is a real sandbox on port 0 in this process, and the pid a
// child whose command line says `sandbox start`, so that stop has something of ours to signal.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SandboxState, stateFile } from '../../src/services/sandbox.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { type MockServer, mockServer } from './mock.js';
import { tempDir } from './support.js';

let server: MockServer;
let sbx: TestSandbox | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await sbx?.cleanup();
  sbx = undefined;
  await server.done();
});

const STARTED = '2026-03-01T10:00:00.000Z';

function writeState(data: string, s: Partial<SandboxState>): void {
  mkdirSync(data, { recursive: true });
  const state: SandboxState = {
    pid: 0,
    url: 'http://127.0.0.1:9',
    data_dir: data,
    started_at: STARTED,
    version: 'test',
    created: true,
    ...s,
  };
  writeFileSync(stateFile(data), JSON.stringify(state));
}

/** A live process that looks like a detached sandbox to the pid check, and exits on SIGTERM. */
async function fakeSandboxProcess(): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'sandbox', 'start'], {
    stdio: 'ignore',
  });
  await new Promise((resolve, reject) => p.once('spawn', resolve).once('error', reject));
  return p;
}

const exited = (p: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve(p.signalCode);
    else p.once('exit', (_code, signal) => resolve(signal));
  });

describe('noxus sandbox status', () => {
  it('none running: exit 5 with how to start one', async () => {
    server = mockServer();
    const data = join(tempDir(), 'sbx');
    const r = await server.run(['sandbox', 'status', '--data', data]);
    expect(r).toEqual({
      code: 5,
      stdout: '',
      stderr: `error: no sandbox is running with data ${data}\nstart one with: noxus sandbox start --detach --seed demo\n`,
    });
  });

  it('a state file naming a process that is not a sandbox is stale: removed, exit 5', async () => {
    server = mockServer();
    const data = join(tempDir(), 'sbx');
    writeState(data, { pid: process.pid });
    const r = await server.run(['sandbox', 'status', '--data', data]);
    expect(r.code).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe(`error: no sandbox is running with data ${data}`);
    expect(existsSync(stateFile(data))).toBe(false);
  });

  it('running: one field per line off a terminal', async () => {
    server = mockServer();
    sbx = await startTestSandbox();
    child = await fakeSandboxProcess();
    const data = join(tempDir(), 'sbx');
    writeState(data, { pid: child.pid, url: sbx.url });
    const r = await server.run(['sandbox', 'status', '--data', data]);
    expect(r).toEqual({
      code: 0,
      stdout: [
        'running\tyes',
        `url\t${sbx.url}`,
        `pid\t${child.pid}`,
        `data\t${data}`,
        `started\t${STARTED}`,
        'organization\tNoxus Sandbox',
        'api\tfull',
        'unknown_routes\tfastapi',
        'openapi_document\tserved',
        `bootstrap_key_file\t${join(data, 'admin-key')}`,
        '',
      ].join('\n'),
      stderr: '',
    });
  });
});

describe('noxus sandbox stop', () => {
  it('none running: exit 5', async () => {
    server = mockServer();
    const data = join(tempDir(), 'sbx');
    const r = await server.run(['sandbox', 'stop', '--data', data]);
    expect(r).toEqual({
      code: 5,
      stdout: '',
      stderr: `error: no sandbox is running with data ${data}\nstart one with: noxus sandbox start --detach\n`,
    });
  });

  it('a pid that is not a sandbox gets no signal; the state file is removed', async () => {
    server = mockServer();
    const data = join(tempDir(), 'sbx');
    writeState(data, { pid: process.pid });
    const r = await server.run(['sandbox', 'stop', '--data', data]);
    // This test process is that pid: had it been signalled, the test would not get here.
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: no sandbox is running with data ${data}; the state file named pid ${process.pid} is \`.*\`, not a noxus sandbox, so it was removed and no signal was sent\\n`,
      ),
    );
    expect(existsSync(stateFile(data))).toBe(false);
  });

  it('stops the process the state file names, and says so', async () => {
    server = mockServer();
    child = await fakeSandboxProcess();
    const data = join(tempDir(), 'sbx');
    writeState(data, { pid: child.pid, url: 'http://127.0.0.1:8700' });
    const gone = exited(child);
    const r = await server.run(['sandbox', 'stop', '--data', data, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      stopped: true,
      url: 'http://127.0.0.1:8700',
      pid: child.pid,
      data_dir: data,
    });
    expect(await gone).toBe('SIGTERM');
    expect(existsSync(stateFile(data))).toBe(false);
  });
});
