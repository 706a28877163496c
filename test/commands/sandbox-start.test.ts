// `noxus sandbox start` in-process: a real sandbox in the foreground on port 0 with a temporary data
// directory, stopped the way Ctrl-C stops it; and flags refused before anything is written.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readState } from '../../src/services/sandbox.js';
import { type MockServer, mockServer } from './mock.js';
import { tempDir } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

/** Resolves with the SIGINT listener the command adds once it is listening. */
async function sigintListener(before: Set<unknown>): Promise<() => void> {
  for (;;) {
    const added = process.listeners('SIGINT').find((l) => !before.has(l));
    if (added) return added as () => void;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('noxus sandbox start', () => {
  it('in the foreground: listens, shows the bootstrap key once, stops on Ctrl-C', async () => {
    server = mockServer();
    const data = join(tempDir(), 'sbx');
    const before = new Set(process.listeners('SIGINT'));
    const run = server.run(['sandbox', 'start', '--port', '0', '--data', data, '--no-profile-setup']);
    const stop = await sigintListener(before);

    const state = readState(data);
    expect(state?.pid).toBe(process.pid);
    const url = state?.url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const key = readFileSync(join(data, 'admin-key'), 'utf8').trim();
    const me = await fetch(`${url}/v1/admin/me`, { headers: { 'x-api-key': key } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { holder: { email: string } }).holder.email).toBe('owner@example.com');

    stop();
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${key}\n`);
    expect(r.stderr).toBe(
      [
        `✓ sandbox listening at ${url}`,
        `data: ${data}`,
        `bootstrap key of owner@example.com (tenant admin), shown once here and kept in ${data}/admin-key (0600, a local test credential):`,
        'press Ctrl-C to stop',
        'sandbox stopped',
        '',
      ].join('\n'),
    );
    expect(process.listeners('SIGINT')).not.toContain(stop);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it.each([
    [['--port', '65536'], 'error: --port must be an integer from 0 to 65535, got "65536"\n'],
    [
      ['--smtp', 'http://mail.test'],
      'error: --smtp must be an smtp:// or smtps:// URL, got "http://mail.test"\n',
    ],
    [['--scale', '10x2'], 'error: --scale goes with --seed scale\n'],
    [
      ['--seed', 'scale', '--scale', '10 by 2'],
      'error: --scale must be USERSxWORKSPACES such as 10000x100, got "10 by 2"\n',
    ],
  ])('%j: exit 2, nothing written', async (args, stderr) => {
    server = mockServer();
    const data = join(tempDir(), 'sbx');
    const r = await server.run(['sandbox', 'start', '--data', data, ...args]);
    expect(r).toEqual({ code: 2, stdout: '', stderr });
    expect(existsSync(data)).toBe(false);
  });
});
