// Tables fit the terminal: `keys list` of the demo organization on 160 columns (404 wide in full)
// hides its optional columns and cuts long permission lists; --wide shows everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/io/streams.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { runInProcess, tempDir } from './support.js';

let sbx: TestSandbox;
let env: Env;
const widest = (s: string) => Math.max(...s.split('\n').map((l) => [...l].length));

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  env = {
    NOXUS_API_KEY: sbx.adminKey,
    NOXUS_BACKEND_URL: sbx.url,
    NOXUS_CONFIG_DIR: tempDir(),
    NO_COLOR: '1',
  };
});
afterAll(async () => {
  await sbx?.cleanup();
});

describe('keys list on a terminal', () => {
  it('fits 160 columns, saying what it hid', async () => {
    const wide = await runInProcess(['keys', 'list', '--wide'], { env, columns: 160 });
    expect(wide.code).toBe(0);
    expect(widest(wide.stdout)).toBeGreaterThan(160);
    expect(wide.stderr).toBe('');
    const r = await runInProcess(['keys', 'list'], { env, columns: 160 });
    expect(r.code).toBe(0);
    expect(widest(r.stdout)).toBeLessThanOrEqual(160);
    expect(r.stdout.split('\n')[1]).toMatch(/^│ Name +│ Workspace +│ Holder +│ Restriction +│ Effective +│/);
    expect(r.stdout).not.toContain('Created');
    expect(r.stderr).toMatch(
      /^\(Created(, Expires)?(, Last used)?( hidden)?.* to fit 160 columns; --wide shows everything\)\n$/,
    );
  });

  it('fits 80 columns too', async () => {
    const r = await runInProcess(['users', 'list'], { env, columns: 80 });
    expect(r.code).toBe(0);
    expect(widest(r.stdout)).toBeLessThanOrEqual(80);
    expect(r.stderr).toMatch(/ to fit 80 columns; --wide shows everything\)\n$/);
  });
});
