// Helpers for bench/run.mjs: child processes that are always cleaned up, a temp root that is
// always removed, sandboxes in their own processes, statistics, machine description.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'noxus');
export const NODE = process.execPath;

// ---------------------------------------------------------------------------------------------
// Cleanup: every child is spawned in its own process group (detached) and remembered by pid, so
// that it and anything it started (curl under bash) can be stopped by group id. The temp root is
// removed at the end, on failure, and on SIGINT/SIGTERM.

const children = new Map(); // pid -> ChildProcess
let tmpRoot;

export function tempRoot() {
  if (!tmpRoot) tmpRoot = mkdtempSync(join(os.tmpdir(), 'noxus-bench-'));
  return tmpRoot;
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Stops one child: SIGTERM to its group, SIGKILL after `graceMs`. Resolves once it has exited. */
export async function stopChild(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    if (child) children.delete(child.pid);
    return;
  }
  const exited = new Promise((r) => child.once('exit', r));
  killGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child.pid);
}

/** Stops every child still running and removes the temp root. Safe to call more than once. */
export async function cleanup() {
  await Promise.all([...children.values()].map((c) => stopChild(c)));
  if (tmpRoot) {
    rmSync(tmpRoot, { recursive: true, force: true });
    tmpRoot = undefined;
  }
}

function cleanupNow() {
  for (const pid of children.keys()) killGroup(pid, 'SIGKILL');
  children.clear();
  if (tmpRoot) {
    try {
      rmSync(tmpRoot, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
    tmpRoot = undefined;
  }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
    cleanupNow();
    process.exit(130);
  });
}
process.once('exit', cleanupNow);

/** Spawns a tracked child in its own process group. */
export function spawnTracked(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { ...opts, detached: true });
  children.set(child.pid, child);
  child.once('exit', () => children.delete(child.pid));
  return child;
}

/**
 * Runs a command to completion, timing its wall clock from spawn to exit.
 * Resolves { code, signal, stdout, stderr, ms }; kills it (and fails) after `timeoutMs`.
 */
export function timed(cmd, args, { timeoutMs = 120_000, ...opts } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawnTracked(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      stopChild(child, 1000);
      reject(new Error(`${cmd} ${args.join(' ')}: no exit after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms });
    });
  });
}

/** A clean environment for the CLI: no inherited NOXUS_* settings, config in the temp root. */
export function cliEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NOXUS_')) env[k] = v;
  return { ...env, NOXUS_CONFIG_DIR: join(tempRoot(), 'config'), CI: 'true', ...extra };
}

// ---------------------------------------------------------------------------------------------
// Sandboxes: `noxus sandbox start` in a child process; its first JSON document gives url and key.

export async function startSandbox(name, extraArgs = [], timeoutMs = 120_000) {
  const dataDir = join(tempRoot(), name);
  const args = [
    BIN,
    'sandbox',
    'start',
    '--data',
    dataDir,
    '--port',
    '0',
    '--json',
    '--no-profile-setup',
    ...extraArgs,
  ];
  const child = spawnTracked(NODE, args, {
    cwd: tempRoot(),
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    if (err.length < 20_000) err += d;
  });
  try {
    const info = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`sandbox ${name} not ready after ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      const onData = (d) => {
        out += d;
        const end = out.indexOf('\n}');
        if (end < 0) return;
        try {
          const doc = JSON.parse(out.slice(out.indexOf('{'), end + 2));
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stdout.resume(); // keep draining whatever else it prints
          resolve(doc);
        } catch (e) {
          clearTimeout(timer);
          reject(new Error(`sandbox ${name}: unreadable start output: ${e.message}`));
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`sandbox ${name} exited (${code ?? signal}) before it was ready: ${err.trim()}`));
      });
    });
    if (!info.url || !info.admin_key)
      throw new Error(`sandbox ${name}: no url/admin_key in ${JSON.stringify(info)}`);
    return {
      url: info.url,
      adminKey: info.admin_key,
      dataDir,
      child,
      stop: () => stopChild(child),
    };
  } catch (e) {
    await stopChild(child);
    throw e;
  }
}

/** A JSON call against a sandbox (used for setup and for checking results, never timed). */
export async function api(sbx, method, path, body) {
  const res = await fetch(`${sbx.url}${path}`, {
    method,
    headers: { 'x-api-key': sbx.adminKey, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** How many users the sandbox holds (owner included). */
export async function userCount(sbx) {
  return (await api(sbx, 'GET', '/v1/admin/users?page=1&size=1')).total;
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting.

/** Percentile with linear interpolation between closest ranks (p in 0..1). */
export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const i = p * (s.length - 1);
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}

export const median = (v) => percentile(v, 0.5);
export const fmtMs = (ms) =>
  ms >= 10_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${ms.toFixed(1)} ms`;
export const fmtRate = (r) => `${r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1)} req/s`;
export const fmtRatio = (x) => `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`;

export function markdownTable(header, rows) {
  const esc = (c) => String(c ?? '–').replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The machine.

export function machineInfo() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux */
  }
  let distro = '';
  try {
    distro = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    /* not Linux */
  }
  let revision = 'unknown';
  try {
    revision = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (dirty) revision += ' (with uncommitted changes)';
  } catch {
    /* not a git checkout */
  }
  const curl = spawnSync('curl', ['--version'], { encoding: 'utf8' })
    .stdout?.split('\n')[0]
    ?.split(' ')
    .slice(0, 2)
    .join(' ');
  return {
    cpu,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    ramGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${distro ? `${distro}, ` : ''}${os.type()} ${os.release()} ${os.arch()}`,
    curl: curl || 'not found',
    revision,
    gnuTime: existsSync('/usr/bin/time'),
  };
}
