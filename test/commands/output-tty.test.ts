// On a terminal: tables with a header, relative times, colour unless NO_COLOR, "no results" on
// stderr with exit 0, and server text escaped inside table cells.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/io/streams.js';
import { ANSI } from '../e2e/support.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { runInProcess, tempDir } from './support.js';

let sbx: TestSandbox;
let env: Env;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  env = { NOXUS_API_KEY: sbx.adminKey, NOXUS_BACKEND_URL: sbx.url, NOXUS_CONFIG_DIR: tempDir() };
  sbx.sandbox.model.store.run(
    'UPDATE users SET name = ? WHERE email = ?',
    'evil\u001b[31mred\u009b2J',
    'radia@example.com',
  );
});
afterAll(async () => {
  await sbx?.cleanup();
});

describe('users list on a terminal', () => {
  it('is a table with a header and relative times, escaped server text, no colour with NO_COLOR', async () => {
    const r = await runInProcess(['users', 'list'], { env: { ...env, NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(ANSI);
    const header = r.stdout.split('\n')[1];
    expect(header).toMatch(/│ Email +│ Name +│ Kind +│ Status +│ Org role +│ Last active +│ ID +│/);
    expect(r.stdout).toMatch(
      /│ ada@example\.com +│ Ada Lovelace +│ human +│ active +│ Org Admin +│ 2 days ago +│/,
    );
    expect(r.stdout).toContain('evil\\u001b[31mred\\u009b2J');
    expect(r.stdout).not.toMatch(/[\u001b\u009b]/);
  });

  it('has colour on a terminal without NO_COLOR', async () => {
    const r = await runInProcess(['users', 'list'], { env: { ...env, NO_COLOR: undefined } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\u001b[1mEmail\u001b[22m');
  });

  it('an empty result says so on stderr and exits 0', async () => {
    const r = await runInProcess(['users', 'list', '--status', 'removed'], {
      env: { ...env, NO_COLOR: '1' },
    });
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'No users match.\n' });
  });
});
