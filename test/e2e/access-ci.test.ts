// The README's access-as-code workflow, run as the runner would: each `run:` step a `bash -e` script
// with the job's env (pointed at a demo sandbox), GITHUB_ACTIONS=true and RUNNER_TEMP; `uses:` steps
// (checkouts, setup-node, the PR comment) and the install step are skipped, bin/ is on the PATH.
// The pull-request job on a changed access.yaml writes a Markdown plan naming the change and changes
// nothing; the main job applies it; a re-run of the main job finds no changes and exits 0.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { BIN } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { runStep, type WorkflowStep } from '../helpers/workflow.js';
import { members, snapshot } from './support.js';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Access as code'), readme.indexOf('## Shell completions'));
const bashBlock = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

interface Job {
  if?: string;
  env: Record<string, string>;
  steps: WorkflowStep[];
}
interface Workflow {
  on: Record<string, { paths?: string[]; branches?: string[] }>;
  jobs: Record<string, Job>;
}
// The section's YAML blocks: an edit of the access file and the workflow (the one with jobs).
const workflow = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => parse(m[1] as string) as Partial<Workflow>)
  .find((d) => d && typeof d === 'object' && 'jobs' in d) as Workflow;

const INSTALL =
  'npm ci && npm install -g --allow-scripts=better-sqlite3 "./$(npm pack --silent | tail -n 1)"';
const runSteps = (job: Job) => job.steps.filter((s) => s.run && s.name !== 'Install noxus');

interface Run {
  step: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("the README's access-as-code workflow", () => {
  let sbx: TestSandbox;
  const tmp: string[] = [];
  const temp = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    tmp.push(d);
    return d;
  };

  beforeAll(async () => {
    sbx = await startTestSandbox({ seed: 'demo' });
  });
  afterAll(async () => {
    await sbx?.cleanup();
    for (const d of tmp) rmSync(d, { recursive: true, force: true });
  });

  /** A job run on a fresh runner: its own HOME (config dir, journals) and RUNNER_TEMP. */
  async function runJob(job: Job, repo: string) {
    const home = temp('noxus-access-ci-home-');
    const runnerTemp = temp('noxus-access-ci-tmp-');
    const env: Record<string, string> = {
      PATH: `${dirname(BIN)}:${process.env.PATH}`,
      HOME: home,
      NOXUS_CONFIG_DIR: join(home, 'config'),
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      NO_COLOR: '1',
      RUNNER_TEMP: runnerTemp,
      NOXUS_API_KEY: sbx.adminKey,
      NOXUS_BACKEND_URL: sbx.url,
    };
    const results: Run[] = [];
    for (const s of runSteps(job)) {
      const r = await runStep(s.run as string, repo, env);
      results.push({ step: s.name ?? '', ...r });
      if (r.code !== 0) break; // a failed step ends the job, as on the runner
    }
    return { results, runnerTemp };
  }
  const codes = (rs: Run[]) => rs.map((r) => [r.step, r.code, r.code === 0 ? '' : r.stderr]);

  it('has the jobs and steps the README describes', () => {
    expect(workflow.on).toEqual({
      pull_request: { paths: ['access.yaml'] },
      push: { branches: ['main'], paths: ['access.yaml'] },
    });
    expect(Object.keys(workflow.jobs)).toEqual(['plan', 'apply']);
    const { plan, apply } = workflow.jobs as { plan: Job; apply: Job };
    expect([plan.if, apply.if]).toEqual([
      "github.event_name == 'pull_request'",
      "github.event_name == 'push'",
    ]);
    for (const job of [plan, apply]) {
      // GitHub expressions, not JavaScript templates.
      const expr = (e: string) => ['$', '{{ ', e, ' }}'].join('');
      expect(job.env).toEqual({
        NOXUS_API_KEY: expr('secrets.NOXUS_ADMIN_KEY'),
        NOXUS_BACKEND_URL: expr('vars.NOXUS_BACKEND_URL'),
      });
      expect(job.steps.find((s) => s.name === 'Install noxus')?.run).toBe(INSTALL);
    }
    expect(runSteps(plan).map((s) => [s.name, s.run?.trim()])).toEqual([
      ['Plan', 'noxus access plan -f access.yaml -o plan.json --format md > plan.md'],
    ]);
    const comment = plan.steps.at(-1) as WorkflowStep & { if?: string };
    expect([comment.uses?.split('@')[0], comment.with?.path, comment.if]).toEqual([
      'marocchino/sticky-pull-request-comment',
      'plan.md',
      ['$', '{{ !cancelled() }}'].join(''),
    ]);
    expect(runSteps(apply).map((s) => [s.name, s.run?.trim()])).toEqual([
      ['Plan', 'noxus access plan -f access.yaml -o plan.json'],
      ['Apply', 'noxus access apply plan.json --yes --secrets-dir "$RUNNER_TEMP/secrets"'],
    ]);
  });

  it('has a runnable export → plan → apply block (test/e2e/readme.test.ts runs it)', () => {
    expect(bashBlock.trim().split('\n')).toEqual([
      'noxus access export -o access.yaml',
      'noxus access plan -f access.yaml --detailed-exitcode',
      'noxus access plan -f access.yaml -o plan.json',
      'noxus access apply plan.json --yes --secrets-dir secrets',
    ]);
  });

  it('PR: plans the change as Markdown and changes nothing; main: applies it; a re-run of main changes nothing', async () => {
    const repo = temp('noxus-access-ci-repo-');
    // The repository's access.yaml as exported, then the pull request's edit: Ken joins Support as
    // a Reader with a reason, and the CI bot gets a second, restricted key.
    const exported = await runStep('noxus access export -o access.yaml', repo, {
      PATH: `${dirname(BIN)}:${process.env.PATH}`,
      HOME: temp('noxus-access-ci-home-'),
      CI: 'true',
      NO_COLOR: '1',
      NOXUS_API_KEY: sbx.adminKey,
      NOXUS_BACKEND_URL: sbx.url,
    });
    expect(exported.code, exported.stderr).toBe(0);
    const doc = parse(readFileSync(join(repo, 'access.yaml'), 'utf8'));
    const support = doc.workspaces.find((w: { name: string }) => w.name === 'Support');
    support.members.push({ user: 'ken@example.com', role: 'Reader', reason: 'ticket triage rotation' });
    support.members.sort((a: { user: string }, b: { user: string }) => a.user.localeCompare(b.user));
    const bot = doc.service_accounts.find((a: { email: string }) => a.email === 'ci-bot@service.example.com');
    bot.keys.push({ name: 'nightly sync', workspace: 'Engineering', restrict: ['flows_run'] });
    writeFileSync(join(repo, 'access.yaml'), stringify(doc));
    const before = await snapshot(sbx);

    const pr = await runJob(workflow.jobs.plan as Job, repo);
    expect(codes(pr.results)).toEqual([['Plan', 0, '']]);
    const md = readFileSync(join(repo, 'plan.md'), 'utf8');
    expect(md).toContain('ken@example.com');
    expect(md).toContain('Support');
    expect(md).toContain('nightly sync');
    expect(md).toContain('2 to add, 0 to change, 0 to remove');
    // The PR job writes the plan file too (0600), with no secret in it; the server is unchanged.
    expect(statSync(join(repo, 'plan.json')).mode & 0o777).toBe(0o600);
    const prPlan = JSON.parse(readFileSync(join(repo, 'plan.json'), 'utf8'));
    expect(prPlan.items.map((i: { id: string }) => i.id)).toEqual([
      'grant:Support:ken@example.com',
      'key:ci-bot@service.example.com:Engineering:nightly sync',
    ]);
    expect(readFileSync(join(repo, 'plan.json'), 'utf8')).not.toMatch(/noxus_[0-9A-Za-z]{20,}/);
    expect(await snapshot(sbx)).toEqual(before);

    // Merged: the main job plans again and applies.
    const main = await runJob(workflow.jobs.apply as Job, repo);
    expect(codes(main.results)).toEqual([
      ['Plan', 0, ''],
      ['Apply', 0, ''],
    ]);
    const ken = (await members(sbx, 'Support')).find((m) => m.email === 'ken@example.com');
    expect(ken?.role.name).toBe('Reader');
    // The new key's secret went to a 0600 file in RUNNER_TEMP/secrets, never to the log.
    const secrets = join(main.runnerTemp, 'secrets');
    const files = readdirSync(secrets);
    expect(files).toHaveLength(1);
    expect(statSync(join(secrets, files[0] as string)).mode & 0o777).toBe(0o600);
    const secret = readFileSync(join(secrets, files[0] as string), 'utf8').trim();
    expect(secret).toMatch(/^noxus_[0-9A-Za-z]{20,}$/);
    for (const r of main.results) expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
    const keys = await sbx.call('GET', '/v1/admin/api-keys?status=all&size=500');
    const named = (keys.body.items ?? keys.body).filter((k: { name: string }) => k.name === 'nightly sync');
    expect(named.map((k: { status: string; restricted: boolean }) => [k.status, k.restricted])).toEqual([
      ['active', true],
    ]);
    const applied = await snapshot(sbx);

    // A re-run of the main job (a fresh runner): no changes, exit 0, nothing written.
    const again = await runJob(workflow.jobs.apply as Job, repo);
    expect(codes(again.results)).toEqual([
      ['Plan', 0, ''],
      ['Apply', 0, ''],
    ]);
    expect(again.results[0]?.stdout).toContain('No changes. The server matches access.yaml.');
    expect(JSON.parse(readFileSync(join(repo, 'plan.json'), 'utf8')).items).toEqual([]);
    expect(await snapshot(sbx)).toEqual(applied);
    expect(readdirSync(join(again.runnerTemp)).filter((f) => f === 'secrets')).toEqual([]);
  }, 120_000);

  it('PR: a change the policy refuses fails the plan step (exit 1) with a Markdown comment naming why; nothing written', async () => {
    const repo = temp('noxus-access-ci-repo-');
    const env = {
      PATH: `${dirname(BIN)}:${process.env.PATH}`,
      HOME: temp('noxus-access-ci-home-'),
      CI: 'true',
      NO_COLOR: '1',
      NOXUS_API_KEY: sbx.adminKey,
      NOXUS_BACKEND_URL: sbx.url,
    };
    expect((await runStep('noxus access export -o access.yaml', repo, env)).code).toBe(0);
    const doc = parse(readFileSync(join(repo, 'access.yaml'), 'utf8'));
    doc.people.find((p: { email: string }) => p.email === 'radia@example.com').org_role = 'Org Admin';
    writeFileSync(join(repo, 'access.yaml'), stringify(doc));
    const before = await snapshot(sbx);
    const pr = await runJob(workflow.jobs.plan as Job, repo);
    expect(pr.results.map((r) => [r.step, r.code])).toEqual([['Plan', 1]]);
    expect(pr.results[0]?.stderr).toContain('too_many_org_admins (radia@example.com)');
    const md = readFileSync(join(repo, 'plan.md'), 'utf8');
    expect(md).toContain('| person | radia@example.com | org\\_role: Org Base → Org Admin |');
    expect(md).toMatch(/\| fails \| error \| too\\_many\\_org\\_admins \| radia@example\.com \|/);
    expect(() => statSync(join(repo, 'plan.json'))).toThrow();
    expect(await snapshot(sbx)).toEqual(before);
  }, 60_000);
});
