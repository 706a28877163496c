// The sandbox service's state file, pid checks and health probe. A pid that is not a sandbox must
// never be signalled: the tests hand it this test's own pid or a spawned `sleep`, and check that
// they are still alive afterwards.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProfileStore } from '../../src/config/profiles.js';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import {
  ensureSandboxProfile,
  health,
  keyFile,
  readState,
  runningSandbox,
  type SandboxState,
  startInProcess,
  stateFile,
  stopSandbox,
  verifySandboxProcess,
  wipeSandboxData,
} from '../../src/services/sandbox.js';
import { tempDir } from '../commands/support.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sbx: TestSandbox | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await sbx?.cleanup();
  sbx = undefined;
});

const STARTED = '2026-03-01T10:00:00.000Z';

function writeState(data: string, s: Partial<SandboxState>): SandboxState {
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
  return state;
}

async function spawned(command: string, args: string[]): Promise<ChildProcess> {
  const p = spawn(command, args, { stdio: 'ignore' });
  await new Promise((ok, fail) => p.once('spawn', ok).once('error', fail));
  children.push(p);
  return p;
}

const exited = (p: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((ok) => {
    if (p.exitCode !== null || p.signalCode !== null) ok(p.signalCode);
    else p.once('exit', (_code, signal) => ok(signal));
  });

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address() as { port: number };
  await new Promise((ok) => srv.close(ok));
  return port;
}

describe('readState', () => {
  it('no state file, or one that is not JSON, reads as no sandbox', () => {
    const data = join(tempDir(), 'sbx');
    expect(readState(data)).toBeUndefined();
    mkdirSync(data);
    writeFileSync(stateFile(data), '{not json');
    expect(readState(data)).toBeUndefined();
  });

  it('reads back what was written', () => {
    const data = join(tempDir(), 'sbx');
    const s = writeState(data, { pid: 1234, url: 'http://127.0.0.1:8700' });
    expect(readState(data)).toEqual(s);
    expect(stateFile(data)).toBe(join(resolve(data), 'sandbox.json'));
  });
});

describe('verifySandboxProcess', () => {
  it('this test process is not a sandbox', () => {
    const v = verifySandboxProcess({ ...writeState(join(tempDir(), 'sbx'), {}), pid: process.pid });
    expect(v.ok).toBe(false);
    expect(v.ok === false && v.why).toMatch(
      new RegExp(`^pid ${process.pid} is \`.*\`, not a noxus sandbox$`),
    );
  });

  it('a sleep is named by its command line', async () => {
    const p = await spawned('sleep', ['30']);
    const v = verifySandboxProcess({ ...writeState(join(tempDir(), 'sbx'), {}), pid: p.pid as number });
    expect(v).toEqual({ ok: false, why: `pid ${p.pid} is \`sleep 30\`, not a noxus sandbox` });
  });

  it('a pid that has exited is not running', async () => {
    const p = await spawned('sleep', ['30']);
    p.kill('SIGKILL');
    await exited(p);
    const v = verifySandboxProcess({ ...writeState(join(tempDir(), 'sbx'), {}), pid: p.pid as number });
    expect(v).toEqual({ ok: false, why: `pid ${p.pid} is not running` });
  });

  it('a process whose command says `sandbox start` passes; with another start time it does not', async () => {
    const p = await spawned(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'sandbox', 'start']);
    const s = { ...writeState(join(tempDir(), 'sbx'), {}), pid: p.pid as number };
    expect(verifySandboxProcess(s)).toEqual({ ok: true });
    expect(verifySandboxProcess({ ...s, proc_start: 'not-its-start-time' })).toEqual({
      ok: false,
      why: `pid ${p.pid} is another process that started after the sandbox`,
    });
  });
});

describe('runningSandbox and stopSandbox with a stale state file', () => {
  it('runningSandbox removes a state file naming a non-sandbox pid and sends it nothing', async () => {
    const p = await spawned('sleep', ['30']);
    const data = join(tempDir(), 'sbx');
    writeState(data, { pid: p.pid as number });
    expect(await runningSandbox(data)).toBeUndefined();
    expect(existsSync(stateFile(data))).toBe(false);
    expect(p.signalCode).toBeNull();
    expect(isAlive(p.pid as number)).toBe(true);
  });

  it('stopSandbox refuses to signal a pid that is not a sandbox, says why, removes the state file', async () => {
    const p = await spawned('sleep', ['30']);
    const data = join(tempDir(), 'sbx');
    writeState(data, { pid: p.pid as number });
    const err = await stopSandbox(data).catch((e: unknown) => e);
    expect(err).toEqual(
      new NotFoundError(
        `no sandbox is running with data ${resolve(data)}; the state file named pid ${p.pid} is \`sleep 30\`, not a noxus sandbox, so it was removed and no signal was sent`,
        { hint: 'start one with: noxus sandbox start --detach' },
      ),
    );
    expect(existsSync(stateFile(data))).toBe(false);
    expect(p.signalCode).toBeNull();
    expect(isAlive(p.pid as number)).toBe(true);
  });

  it("stopSandbox never signals this test's own pid", async () => {
    const data = join(tempDir(), 'sbx');
    writeState(data, { pid: process.pid });
    const err = (await stopSandbox(data).catch((e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toMatch(
      new RegExp(
        `^no sandbox is running with data .*; the state file named pid ${process.pid} is \`.*\`, not a noxus sandbox, so it was removed and no signal was sent$`,
      ),
    );
    expect(existsSync(stateFile(data))).toBe(false);
  });

  it('stopSandbox with no state file: not found, no stale clause', async () => {
    const data = join(tempDir(), 'sbx');
    const err = await stopSandbox(data).catch((e: unknown) => e);
    expect(err).toEqual(
      new NotFoundError(`no sandbox is running with data ${resolve(data)}`, {
        hint: 'start one with: noxus sandbox start --detach',
      }),
    );
  });

  it('stopSandbox sends SIGTERM to a process that is a sandbox and removes the state file', async () => {
    const p = await spawned(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'sandbox', 'start']);
    const data = join(tempDir(), 'sbx');
    const s = writeState(data, { pid: p.pid as number });
    expect(await stopSandbox(data)).toEqual(s);
    expect(await exited(p)).toBe('SIGTERM');
    expect(existsSync(stateFile(data))).toBe(false);
  });

  it('wipeSandboxData with a stale state file deletes the organization files', async () => {
    const data = join(tempDir(), 'sbx');
    writeState(data, { pid: process.pid });
    for (const f of ['noxus.db', 'noxus.db-wal', 'admin-key']) writeFileSync(join(data, f), 'x');
    mkdirSync(join(data, 'outbox'));
    writeFileSync(join(data, 'outbox', 'm1.eml'), 'x');
    await wipeSandboxData(data);
    for (const f of ['noxus.db', 'noxus.db-wal', 'admin-key', 'outbox', 'sandbox.json'])
      expect(existsSync(join(data, f))).toBe(false);
  });
});

describe('ensureSandboxProfile', () => {
  it('writes the sandbox profile (config file 0600) and makes it current when none is', () => {
    const profiles = new ProfileStore(tempDir());
    const data = join(tempDir(), 'sbx');
    expect(ensureSandboxProfile(profiles, 'http://127.0.0.1:8700', data)).toEqual({ made_current: true });
    const p = profiles.get('sandbox');
    expect(p).toEqual({
      url: 'http://127.0.0.1:8700',
      origin: 'http://127.0.0.1:8700',
      credential_store: 'sandbox-file',
      key_file: keyFile(data),
      created_at: p?.created_at,
    });
    expect(keyFile(data)).toBe(join(resolve(data), 'admin-key'));
    expect(Number.isNaN(Date.parse(p?.created_at ?? ''))).toBe(false);
    expect(profiles.current()).toBe('sandbox');
    expect(statSync(profiles.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(profiles.path, 'utf8')).current).toBe('sandbox');
  });

  it('leaves another current profile current, and updates the URL', () => {
    const profiles = new ProfileStore(tempDir());
    profiles.set('work', {
      url: 'https://noxus.example',
      origin: 'https://noxus.example',
      credential_store: 'file',
      created_at: STARTED,
    });
    profiles.use('work');
    const data = join(tempDir(), 'sbx');
    ensureSandboxProfile(profiles, 'http://127.0.0.1:8700', data);
    expect(ensureSandboxProfile(profiles, 'http://127.0.0.1:8701', data)).toEqual({ made_current: false });
    expect(profiles.current()).toBe('work');
    expect(profiles.get('sandbox')?.url).toBe('http://127.0.0.1:8701');
  });

  it('stays current when it already is', () => {
    const profiles = new ProfileStore(tempDir());
    const data = join(tempDir(), 'sbx');
    ensureSandboxProfile(profiles, 'http://127.0.0.1:8700', data);
    profiles.set('work', {
      url: 'https://noxus.example',
      origin: 'https://noxus.example',
      credential_store: 'file',
      created_at: STARTED,
    });
    expect(ensureSandboxProfile(profiles, 'http://127.0.0.1:8700', data)).toEqual({ made_current: true });
    expect(profiles.current()).toBe('sandbox');
  });
});

describe('health', () => {
  it('a real sandbox answers ok with its version and organization', async () => {
    sbx = await startTestSandbox();
    expect(await health(sbx.url)).toEqual({ ok: true, version: 'test', organization: 'Noxus Sandbox' });
  });

  it('a closed port is not ok', async () => {
    expect(await health(`http://127.0.0.1:${await closedPort()}`)).toEqual({ ok: false });
  });

  it('a server without /healthz is not ok', async () => {
    sbx = await startTestSandbox();
    expect(await health(`${sbx.url}/nothing-here`)).toEqual({ ok: false });
  });

  it('runningSandbox finds a sandbox whose pid checks out and whose URL answers', async () => {
    sbx = await startTestSandbox();
    const p = await spawned(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'sandbox', 'start']);
    const data = join(tempDir(), 'sbx');
    const s = writeState(data, { pid: p.pid as number, url: sbx.url });
    expect(await runningSandbox(data)).toEqual(s);
    // The same process, but nothing answers at the URL: not running, and the state file is kept.
    writeState(data, { pid: p.pid as number, url: `http://127.0.0.1:${await closedPort()}` });
    expect(await runningSandbox(data)).toBeUndefined();
    expect(existsSync(stateFile(data))).toBe(true);
  });
});

describe('startInProcess', () => {
  const options = (dataDir: string, port = 0) => ({
    dataDir,
    port,
    host: '127.0.0.1',
    seed: 'empty' as const,
    version: 'test',
    api: 'full' as const,
    unknownRoutes: 'fastapi' as const,
    openapi: true,
  });

  it('writes a 0600 state file naming this process, and close removes it', async () => {
    const data = join(tempDir(), 'sbx');
    const started = await startInProcess(options(data));
    try {
      expect(statSync(stateFile(data)).mode & 0o777).toBe(0o600);
      const s = readState(data);
      expect(s).toEqual(started.state);
      expect(s?.pid).toBe(process.pid);
      expect(s?.created).toBe(true);
      expect(started.adminKey).toBe(readFileSync(keyFile(data), 'utf8').trim());
      expect(await health(started.state.url)).toEqual({
        ok: true,
        version: 'test',
        organization: 'Noxus Sandbox',
      });
    } finally {
      await started.close();
    }
    expect(existsSync(stateFile(data))).toBe(false);
  });

  it('a leftover unreadable state file, even one others could read, is replaced by a 0600 one', async () => {
    const data = join(tempDir(), 'sbx');
    mkdirSync(data, { recursive: true });
    writeFileSync(stateFile(data), 'not json', { mode: 0o644 });
    chmodSync(stateFile(data), 0o644);
    const started = await startInProcess(options(data));
    try {
      expect(statSync(stateFile(data)).mode & 0o777).toBe(0o600);
      expect(readState(data)?.pid).toBe(process.pid);
    } finally {
      await started.close();
    }
  });

  it('a port in use is a ConflictError that names it', async () => {
    sbx = await startTestSandbox();
    const port = Number(new URL(sbx.url).port);
    const err = await startInProcess(options(join(tempDir(), 'sbx'), port)).catch((e: unknown) => e);
    expect(err).toEqual(
      new ConflictError(`port ${port} on 127.0.0.1 is already in use`, {
        hint: 'pick another with --port N (0 picks a free one)',
      }),
    );
  });
});
