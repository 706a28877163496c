// Local file names never come from strings a server or a user reference can steer: a journal looked
// up by a reference full of `../` stays inside the journals directory.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sbx: TestSandbox;
beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
});
afterAll(async () => {
  await sbx?.cleanup();
});

it('offboard --resume with a ../ reference does not pick up a journal outside the journals directory', async () => {
  const cfg = tempConfigDir();
  mkdirSync(join(cfg, 'journals'), { recursive: true });
  // Where `journals/offboard-../../../planted.jsonl` pointed before names were made safe.
  const planted = join(cfg, 'planted.jsonl');
  const line = `${JSON.stringify({ type: 'plan', plan: { user: { email: 'victim@example.com' }, steps: [] } })}\n`;
  writeFileSync(planted, line);

  const r = await runCli(['offboard', '../../../planted', '--resume', '--yes'], {
    configDir: cfg,
    env: { NOXUS_API_KEY: sbx.adminKey, NOXUS_BACKEND_URL: sbx.url },
  });
  expect(r).toEqual({
    code: 2,
    stdout: '',
    stderr:
      'error: no interrupted offboarding of ../../../planted to resume\n' +
      'start one with: noxus offboard ../../../planted --transfer-to <user>\n',
  });
  expect(readFileSync(planted, 'utf8')).toBe(line);
  expect(readdirSync(join(cfg, 'journals'))).toEqual([]);
});
