// The README's GitHub Actions job, run as the runner would: each `run:` step a `bash -e` script with
// the job's env (pointed at a demo sandbox) and GITHUB_ACTIONS=true; the install step is replaced by
// putting bin/ on the PATH. The job runs twice in one directory, then once in a fresh one: every run
// exits 0, and the runs after the first change nothing on the server.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BIN } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { runStep, type WorkflowStep } from '../helpers/workflow.js';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
const ciSection = readme.slice(readme.indexOf('## For CI pipelines'));
const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(ciSection)?.[1] ?? '';

const job = (
  parse(yamlBlock) as { jobs: Record<string, { env: Record<string, string>; steps: WorkflowStep[] }> }
).jobs.provision as { env: Record<string, string>; steps: WorkflowStep[] };
const hasJq = spawnSync('jq', ['--version']).status === 0;

describe.skipIf(!hasJq && !process.env.CI)("the README's GitHub Actions job", () => {
  let sbx: TestSandbox;
  const dirs: string[] = [];
  const home = mkdtempSync(join(tmpdir(), 'noxus-ci-home-'));

  beforeAll(async () => {
    sbx = await startTestSandbox({ seed: 'demo' });
  });
  afterAll(async () => {
    await sbx?.cleanup();
    for (const d of [home, ...dirs]) rmSync(d, { recursive: true, force: true });
  });

  /** The steps the test runs: every `run:` but the install step (replaced by bin/ on the PATH). */
  const install = job.steps.find((s) => s.name === 'Install noxus');
  const runSteps = job.steps.filter((s) => s.run && s !== install);

  async function runJob(cwd: string) {
    const env: Record<string, string> = {
      PATH: `${dirname(BIN)}:${process.env.PATH}`,
      HOME: home,
      NOXUS_CONFIG_DIR: join(home, 'config'),
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      NO_COLOR: '1',
      NOXUS_API_KEY: sbx.adminKey,
      NOXUS_BACKEND_URL: sbx.url,
    };
    const results: Array<{ step: string; code: number | null; stdout: string; stderr: string }> = [];
    for (const s of runSteps)
      results.push({ step: s.name ?? '', ...(await runStep(s.run as string, cwd, env)) });
    return results;
  }

  /** What the server holds (users, keys, the newest activity entry), without what reads change. */
  async function state() {
    const users = await sbx.call('GET', '/v1/admin/users?size=500');
    const keys = await sbx.call('GET', '/v1/admin/api-keys?status=all&size=500');
    const activity = await sbx.call('GET', '/v1/admin/activity?size=1');
    expect([users.status, keys.status, activity.status]).toEqual([200, 200, 200]);
    const list = (b: unknown) => (Array.isArray(b) ? b : (b as { items: unknown[] }).items);
    return {
      users: list(users.body).map((u: Record<string, unknown>) => ({ ...u, last_active_at: null })),
      keys: list(keys.body).map((k: Record<string, unknown>) => ({ ...k, last_used_at: null })),
      newestActivity: list(activity.body)[0],
    };
  }

  it('has the steps the README describes: install from a packed checkout, create, rotate', () => {
    expect(install?.run).toBe(
      'npm ci && npm install -g --allow-scripts=better-sqlite3 "./$(npm pack --silent | tail -n 1)"',
    );
    expect(install?.['working-directory']).toBe('noxus');
    expect(runSteps.map((s) => s.name)).toEqual([
      'Service account and its deploy key',
      'Rotate the deploy key, the old one working for another hour',
    ]);
    expect(
      JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')).scripts.prepack,
    ).toBe('npm run build');
  });

  it('runs twice in one directory and once in a fresh one: all exit 0, only the first changes anything', async () => {
    const a = mkdtempSync(join(tmpdir(), 'noxus-ci-a-'));
    const b = mkdtempSync(join(tmpdir(), 'noxus-ci-b-'));
    dirs.push(a, b);
    const before = await state();

    const first = await runJob(a);
    expect(first.map((r) => [r.step, r.code, r.code === 0 ? '' : r.stderr])).toEqual(
      runSteps.map((s) => [s.name, 0, '']),
    );
    const sa = JSON.parse(readFileSync(join(a, 'sa.json'), 'utf8'));
    const rotated = JSON.parse(readFileSync(join(a, 'rotated.json'), 'utf8'));
    expect(first[0]?.stdout).toBe(`${sa.account.id}\n`);
    expect([sa.changed, sa.account.email, sa.key.name, sa.key.secret_file]).toEqual([
      true,
      'deploy-bot@service-accounts.noxus.local',
      'deploy',
      join(a, 'deploy.key'),
    ]);
    expect(rotated.changed).toBe(true);
    expect(rotated.replaces.name).toMatch(/^deploy \(rotated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/);
    expect(first[1]?.stdout).toBe(
      `changed: true, new key ${rotated.key.id}, old key ${rotated.replaces.name} until ${rotated.replaces.expires_at}\n`,
    );
    for (const f of ['deploy.key', 'deploy-next.key']) {
      expect(readFileSync(join(a, f), 'utf8')).toMatch(/^noxus_[0-9A-Za-z]{20,}\n$/);
      expect(statSync(join(a, f)).mode & 0o777).toBe(0o600);
    }
    // Secrets went to files, so nothing was printed and nothing needed a mask.
    for (const r of first) expect(r.stderr).not.toContain('::add-mask::');
    const afterFirst = await state();
    expect(afterFirst.keys.length).toBe(before.keys.length + 2);
    expect(afterFirst.users.length).toBe(before.users.length + 1);
    const secrets = ['deploy.key', 'deploy-next.key'].map((f) => readFileSync(join(a, f), 'utf8'));

    for (const dir of [a, b]) {
      const again = await runJob(dir);
      expect(again.map((r) => [r.step, r.code, r.code === 0 ? '' : r.stderr])).toEqual(
        runSteps.map((s) => [s.name, 0, '']),
      );
      const sa2 = JSON.parse(readFileSync(join(dir, 'sa.json'), 'utf8'));
      const rot2 = JSON.parse(readFileSync(join(dir, 'rotated.json'), 'utf8'));
      expect([
        sa2.changed,
        sa2.account.id,
        sa2.key.id,
        'secret' in sa2.key,
        'secret_file' in sa2.key,
      ]).toEqual([false, sa.account.id, rotated.key.id, false, false]);
      expect([rot2.changed, rot2.key.id, rot2.replaces.id, 'secret' in rot2.key]).toEqual([
        false,
        rotated.key.id,
        rotated.replaces.id,
        false,
      ]);
      expect(again[1]?.stdout).toBe(
        `changed: false, new key ${rotated.key.id}, old key ${rotated.replaces.name} until ${rotated.replaces.expires_at}\n`,
      );
      expect(await state()).toEqual(afterFirst);
    }
    // The first run's secret files are untouched; the fresh directory got none.
    expect(['deploy.key', 'deploy-next.key'].map((f) => readFileSync(join(a, f), 'utf8'))).toEqual(secrets);
    expect(() => statSync(join(b, 'deploy.key'))).toThrow();
    expect(() => statSync(join(b, 'deploy-next.key'))).toThrow();
  }, 120_000);
});
