// A real sandbox on a free loopback port with a temporary SQLite file, for route and e2e tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningSandbox, type StartOptions, startSandbox } from '../../src/sandbox/runtime.js';

export interface TestSandbox extends RunningSandbox {
  adminKey: string;
  /** fetch against the sandbox with a key (default: the bootstrap key). */
  call(
    method: string,
    path: string,
    opts?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<{
    status: number; // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
    body: any;
    headers: Headers;
    text: string;
  }>;
  cleanup(): Promise<void>;
}

export async function startTestSandbox(opts: Partial<StartOptions> = {}): Promise<TestSandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'noxus-sbx-'));
  const running = await startSandbox({ dataDir, port: 0, seed: 'empty', version: 'test', ...opts });
  const adminKey = running.adminKey as string;
  const call: TestSandbox['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const key = o.key === undefined ? adminKey : o.key;
    if (key) headers['x-api-key'] = key;
    let body: string | undefined;
    if (o.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    }
    const r = await fetch(`${running.url}${path}`, { method, headers, body });
    const text = await r.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: r.status, body: parsed, headers: r.headers, text };
  };
  return {
    ...running,
    adminKey,
    call,
    async cleanup() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
