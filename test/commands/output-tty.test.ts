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
  // A name that displays as "Alan gnp.exe" reversed, with zero-width characters around it.
  sbx.sandbox.model.store.run(
    'UPDATE users SET name = ? WHERE email = ?',
    'Alan\u202eexe.pdf\u200b\u2066\ufeff\u{e0041}',
    'alan@example.com',
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

describe('bidi controls and zero-width characters from the server are shown, not obeyed', () => {
  const shown = 'Alan\\u202eexe.pdf\\u200b\\u2066\\ufeff\\u{e0041}';
  const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u{e0000}-\u{e007f}]/u;

  it('in a terminal table', async () => {
    // Wide enough that the long name is not cut to fit (test/commands/table-width.test.ts).
    const r = await runInProcess(['users', 'list'], { env: { ...env, NO_COLOR: '1' }, columns: 220 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`│ alan@example\\.com +│ ${shown.replace(/[\\.{}]/g, '\\$&')} +│`));
    expect(r.stdout).not.toMatch(INVISIBLE);
  });

  it('in tab-separated output off a terminal', async () => {
    const r = await runInProcess(['users', 'get', 'alan@example.com'], { env, tty: false });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`name\t${shown}\n`);
    expect(r.stdout).not.toMatch(INVISIBLE);
  });

  it('in --json, as JSON escapes that parse back to the same name', async () => {
    const r = await runInProcess(['users', 'get', 'alan@example.com', '--json'], { env, tty: false });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"name": "Alan\\u202eexe.pdf\\u200b\\u2066\\ufeff\\udb40\\udc41"');
    expect(r.stdout).not.toMatch(INVISIBLE);
    expect(JSON.parse(r.stdout).items[0].name).toBe('Alan\u202eexe.pdf\u200b\u2066\ufeff\u{e0041}');
  });

  it('in messages on stderr', async () => {
    const r = await runInProcess(['users', 'update', 'alan@example.com', '--name', 'Alan', '--dry-run'], {
      env,
      tty: false,
    });
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: `would change name of alan@example.com: ${shown} → Alan\n`,
    });
  });
});
