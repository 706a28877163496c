// Running the local sandbox: in this process, or detached in the background with a state file that
// `status` and `stop` read. Never prints; the commands render what these functions return.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { originOf, type ProfileStore } from '../config/profiles.js';
import { ConflictError, NotFoundError, NoxusError } from '../errors.js';
import type { ApiMode, UnknownRoutes } from '../sandbox/public-mode.js';
import { writeFileAtomicSync } from '../util/files.js';

export const DEFAULT_PORT = 8700;
export const SANDBOX_PROFILE = 'sandbox';

export interface SandboxState {
  pid: number;
  url: string;
  data_dir: string;
  started_at: string;
  version: string;
  /** True when this start created the organization (and its bootstrap key). */
  created: boolean;
  /** When the process started, as the OS reports it: a reused pid has another start time. */
  proc_start?: string;
  /** Which API it serves; absent in state files written before the modes existed (full). */
  api?: ApiMode;
  unknown_routes?: UnknownRoutes;
  openapi?: boolean;
}

export interface SandboxStartOptions {
  dataDir: string;
  port: number;
  host: string;
  seed: 'demo' | 'empty' | 'scale';
  scale?: { users: number; workspaces: number };
  smtpUrl?: string;
  rateLimit?: number;
  version: string;
  api: ApiMode;
  unknownRoutes: UnknownRoutes;
  openapi: boolean;
}

export const stateFile = (dataDir: string) => join(resolve(dataDir), 'sandbox.json');
export const logFile = (dataDir: string) => join(resolve(dataDir), 'sandbox.log');
export const keyFile = (dataDir: string) => join(resolve(dataDir), 'admin-key');

/** Whether the data directory already holds an organization (a seed only fills a new one). */
export function hasOrganization(dataDir: string): boolean {
  return existsSync(join(resolve(dataDir), 'noxus.db'));
}

/**
 * Deletes the organization of a data directory that no sandbox is serving: the database, the
 * bootstrap key and the invitation outbox. The next start bootstraps a new organization.
 */
export async function wipeSandboxData(dataDir: string): Promise<void> {
  const running = await runningSandbox(dataDir);
  if (running) {
    throw new ConflictError(
      `a sandbox is running at ${running.url} (pid ${running.pid}) with data ${running.data_dir}; nothing was wiped`,
      { hint: `stop it first: noxus sandbox stop --data ${running.data_dir}` },
    );
  }
  for (const f of ['noxus.db', 'noxus.db-wal', 'noxus.db-shm', 'admin-key'])
    rmSync(join(resolve(dataDir), f), { force: true });
  rmSync(join(resolve(dataDir), 'outbox'), { recursive: true, force: true });
}

export function defaultDataDir(configDir: string): string {
  return join(configDir, 'sandbox');
}

export function readState(dataDir: string): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ProcessIdentity {
  start: string;
  command: string[];
}

/** A process's start time and command line (from /proc, else ps), or undefined when it is gone. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces; fields are counted after its ')'.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (start) return { start, command };
  } catch {}
  try {
    const ps = (field: string) =>
      execFileSync('ps', ['-p', String(pid), '-o', `${field}=`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const start = ps('lstart');
    return start ? { start, command: ps('args').split(/\s+/) } : undefined;
  } catch {
    return undefined;
  }
}

const isSandboxCommand = (command: string[]) =>
  command.some((arg, i) => arg === 'sandbox' && command[i + 1] === 'start');

/** Whether the state file's pid is still the sandbox that wrote it; why not, otherwise. */
export function verifySandboxProcess(s: SandboxState): { ok: true } | { ok: false; why: string } {
  if (!alive(s.pid)) return { ok: false, why: `pid ${s.pid} is not running` };
  const id = processIdentity(s.pid);
  if (!id) return { ok: false, why: `pid ${s.pid} could not be inspected` };
  if (s.proc_start !== undefined && id.start !== s.proc_start)
    return { ok: false, why: `pid ${s.pid} is another process that started after the sandbox` };
  if (!isSandboxCommand(id.command))
    return {
      ok: false,
      why: `pid ${s.pid} is \`${id.command.join(' ').slice(0, 200)}\`, not a noxus sandbox`,
    };
  return { ok: true };
}

export async function health(
  url: string,
  timeoutMs = 2000,
): Promise<{ ok: boolean; version?: string; organization?: string }> {
  try {
    const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!r.ok) return { ok: false };
    return (await r.json()) as { ok: boolean; version?: string };
  } catch {
    return { ok: false };
  }
}

/** The running sandbox for this data dir, or undefined (a stale state file is removed). */
export async function runningSandbox(dataDir: string): Promise<SandboxState | undefined> {
  const s = readState(dataDir);
  if (!s) return undefined;
  if (!verifySandboxProcess(s).ok) {
    rmSync(stateFile(dataDir), { force: true });
    return undefined;
  }
  return (await health(s.url)).ok ? s : undefined;
}

/** Runs the server in this process; resolves once it listens. */
export async function startInProcess(o: SandboxStartOptions) {
  const existing = await runningSandbox(o.dataDir);
  if (existing) {
    throw new ConflictError(
      `a sandbox is already running at ${existing.url} (pid ${existing.pid}) with data ${existing.data_dir}`,
      {
        hint: 'stop it with: noxus sandbox stop, or use another --data directory',
      },
    );
  }
  const { startSandbox } = await import('../sandbox/runtime.js');
  let running: Awaited<ReturnType<typeof startSandbox>>;
  try {
    running = await startSandbox({
      dataDir: o.dataDir,
      port: o.port,
      host: o.host,
      seed: o.seed,
      scale: o.scale,
      smtpUrl: o.smtpUrl,
      rateLimit: o.rateLimit,
      version: o.version,
      api: o.api,
      unknownRoutes: o.unknownRoutes,
      openapi: o.openapi,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') {
      throw new ConflictError(`port ${o.port} on ${o.host} is already in use`, {
        hint: 'pick another with --port N (0 picks a free one)',
      });
    }
    throw e;
  }
  const state: SandboxState = {
    pid: process.pid,
    url: running.url,
    data_dir: running.dataDir,
    started_at: new Date().toISOString(),
    version: o.version,
    created: running.adminKey !== undefined,
    proc_start: processIdentity(process.pid)?.start,
    api: o.api,
    unknown_routes: o.unknownRoutes,
    openapi: o.openapi,
  };
  writeFileAtomicSync(stateFile(o.dataDir), `${JSON.stringify(state, null, 2)}\n`);
  return {
    state,
    adminKey: running.adminKey,
    async close() {
      await running.close();
      const s = readState(o.dataDir);
      if (s?.pid === process.pid) rmSync(stateFile(o.dataDir), { force: true });
    },
  };
}

/** Starts `noxus sandbox start` again as a detached child and waits until it is ready. */
export async function startDetached(
  o: SandboxStartOptions,
  launcher: { execPath: string; script: string; env: Record<string, string | undefined> },
  timeoutMs = 60_000,
): Promise<{ state: SandboxState; adminKey?: string }> {
  const existing = await runningSandbox(o.dataDir);
  if (existing) {
    throw new ConflictError(`a sandbox is already running at ${existing.url} (pid ${existing.pid})`, {
      hint: 'stop it with: noxus sandbox stop, or use another --data directory',
    });
  }
  mkdirSync(resolve(o.dataDir), { recursive: true, mode: 0o700 });
  rmSync(stateFile(o.dataDir), { force: true });
  const log = openSync(logFile(o.dataDir), 'a', 0o600);
  const args = [
    launcher.script,
    'sandbox',
    'start',
    '--data',
    resolve(o.dataDir),
    '--port',
    String(o.port),
    '--host',
    o.host,
    '--seed',
    o.seed,
    '--no-profile-setup',
    '--api',
    o.api,
    '--unknown-routes',
    o.unknownRoutes,
    ...(o.openapi ? [] : ['--openapi', 'off']),
    ...(o.smtpUrl ? ['--smtp', o.smtpUrl] : []),
    ...(o.scale ? ['--scale', `${o.scale.users}x${o.scale.workspaces}`] : []),
    ...(o.rateLimit ? ['--rate-limit', String(o.rateLimit)] : []),
  ];
  const child = spawn(launcher.execPath, args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...launcher.env, NOXUS_SANDBOX_CHILD: '1' } as NodeJS.ProcessEnv,
  });
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = readState(o.dataDir);
    if (s && s.pid === child.pid) {
      return { state: s, adminKey: s.created ? readFileSync(keyFile(o.dataDir), 'utf8').trim() : undefined };
    }
    if (exited !== null) {
      const tail = existsSync(logFile(o.dataDir))
        ? readFileSync(logFile(o.dataDir), 'utf8').trim().split('\n').slice(-5).join('\n')
        : '';
      throw new NoxusError(`the sandbox exited during start-up (exit ${exited})`, {
        hint: tail ? `its log (${logFile(o.dataDir)}) ends with:\n${tail}` : undefined,
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new NoxusError(`the sandbox did not become ready within ${timeoutMs / 1000}s`, {
    hint: `see ${logFile(o.dataDir)}`,
  });
}

export async function stopSandbox(dataDir: string, timeoutMs = 10_000): Promise<SandboxState> {
  const s = readState(dataDir);
  const verdict = s ? verifySandboxProcess(s) : undefined;
  if (!s || !verdict?.ok) {
    rmSync(stateFile(dataDir), { force: true });
    const stale =
      verdict && !verdict.ok
        ? `; the state file named ${verdict.why}, so it was removed and no signal was sent`
        : '';
    throw new NotFoundError(`no sandbox is running with data ${resolve(dataDir)}${stale}`, {
      hint: 'start one with: noxus sandbox start --detach',
    });
  }
  process.kill(s.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  // Checked again: after SIGTERM the pid may already belong to someone else.
  if (alive(s.pid) && verifySandboxProcess(s).ok) process.kill(s.pid, 'SIGKILL');
  rmSync(stateFile(dataDir), { force: true });
  return s;
}

/** The `sandbox` profile: the sandbox URL and its bootstrap key in a 0600 file in the data dir. */
export function ensureSandboxProfile(
  profiles: ProfileStore,
  url: string,
  dataDir: string,
): { made_current: boolean } {
  profiles.set(SANDBOX_PROFILE, {
    url,
    origin: originOf(url),
    credential_store: 'sandbox-file',
    key_file: keyFile(dataDir),
    created_at: new Date().toISOString(),
  });
  const current = profiles.current();
  if (!current || current === SANDBOX_PROFILE || !profiles.get(current)) {
    profiles.use(SANDBOX_PROFILE);
    return { made_current: true };
  }
  return { made_current: false };
}
