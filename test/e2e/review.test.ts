// `noxus review` (export, diff, check) and `noxus activity`, end to end: the built binary, spawned as a
// user runs it, against real sandboxes. Deterministic exports (same content, same hash), diffs that
// mark escalations and refuse tampered exports, policy findings whose printed fixes really fix them,
// the activity log of a removed user and its filters, formula-safe CSV, and exports at scale.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type CliResult, runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { acceptInvitation } from './offboard-fixture.js';

// ---- helpers -------------------------------------------------------------------------------------

interface Env {
  sbx: TestSandbox;
  cfg: string;
  dir: string;
}

async function demo(): Promise<Env> {
  return {
    sbx: await startTestSandbox({ seed: 'demo' }),
    cfg: tempConfigDir(),
    dir: mkdtempSync(join(tmpdir(), 'noxus-review-')),
  };
}

const cliEnv = (e: Env) => ({ NOXUS_BACKEND_URL: e.sbx.url, NOXUS_API_KEY: e.sbx.adminKey });

function nx(e: Env, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return runCli(args, { env: cliEnv(e), configDir: e.cfg, timeoutMs });
}

/** Runs the command and insists on exit 0, showing stderr when it is not. */
async function nxOk(e: Env, args: string[], timeoutMs?: number): Promise<CliResult> {
  const r = await nx(e, args, timeoutMs);
  expect(r.code, `noxus ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

async function ok(sbx: TestSandbox, method: string, path: string, body?: unknown, key?: string) {
  const r = await sbx.call(method, path, { body, key });
  if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status}: ${r.text}`);
  return r.body;
}

interface ReviewDoc {
  schema_version: number;
  kind: string;
  generated_at: string;
  content: {
    users: Array<{ email: string; name: string; org_admin: boolean }>;
    grants: Array<{ email: string; workspace: string; role: string; since?: string | null }>;
    [k: string]: unknown;
  };
  sha256: string;
}

/** `review export -o FILE` (JSON), returning the parsed document and its text. */
async function exportTo(e: Env, name: string): Promise<{ file: string; doc: ReviewDoc; text: string }> {
  const file = join(e.dir, name);
  const r = await nxOk(e, ['review', 'export', '-o', file]);
  const text = readFileSync(file, 'utf8');
  const doc = JSON.parse(text) as ReviewDoc;
  expect(r.stderr).toContain(`json export written to ${file}`);
  expect(r.stderr).toContain(`sha256 ${doc.sha256}`);
  return { file, doc, text };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface Finding {
  rule: string;
  severity: 'info' | 'warning' | 'error';
  subject: string;
  message: string;
  fix: string;
}

/** Splits a POSIX-shell command line as `q()` in services/review/policy.ts quotes it: bare words and '…' ('\'' inside). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; ) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '\\') {
      cur += line[i + 1] ?? '';
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Destructive verbs refuse without a terminal unless given --yes. */
const NEEDS_YES = ['keys revoke', 'keys system revoke', 'users suspend', 'users update', 'offboard'];

/** The printed fix as CLI argument lists: split on &&, comments dropped, `noxus` stripped, --yes added. */
function fixCommands(fix: string): string[][] {
  return fix
    .split('&&')
    .map((part) => (part.split('#')[0] as string).trim())
    .filter(Boolean)
    .map((part) => {
      const words = shellWords(part);
      expect(words[0], `fix "${fix}" is a noxus command`).toBe('noxus');
      const args = words.slice(1);
      const verb = args.slice(0, 3).join(' ');
      if (NEEDS_YES.some((v) => verb === v || verb.startsWith(`${v} `))) args.push('--yes');
      return args;
    });
}

// ---- export and diff -----------------------------------------------------------------------------

describe('review export and diff', () => {
  let e: Env;
  beforeAll(async () => {
    e = await demo();
  });
  afterAll(async () => {
    await e?.sbx.cleanup();
  });

  const emptyDiff = {
    users_added: [],
    users_removed: [],
    users_suspended: [],
    users_reactivated: [],
    users_newly_inactive: [],
    admins_gained: [],
    admins_lost: [],
    grants_added: [],
    grants_removed: [],
    grants_terms_changed: [],
    keys_added: [],
    keys_revoked: [],
    keys_newly_degraded: [],
    // Two full exports: the same (complete) coverage, every section compared.
    coverage_differs: false,
    coverage: { old: [], new: [], not_compared: [] },
  };

  it('two exports of an unchanged organization: same sha256 and content, different generated_at; a role change is one escalation, a demotion is not; a tampered export is refused', async () => {
    // 1. Twice, unchanged: once to stdout, once to a file.
    const first = await nxOk(e, ['review', 'export']);
    const a = JSON.parse(first.stdout) as ReviewDoc;
    const b = await exportTo(e, 'b.json');
    expect(a.kind).toBe('noxus-access-review');
    expect(a.schema_version).toBe(1);
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.doc.sha256).toBe(a.sha256);
    expect(b.doc.content).toEqual(a.content);
    expect(JSON.stringify(b.doc.content)).toBe(JSON.stringify(a.content));
    expect(b.doc.generated_at).not.toBe(a.generated_at);
    expect(Date.parse(b.doc.generated_at)).toBeGreaterThan(Date.parse(a.generated_at));
    // The hash is the hash of the content as written, so anyone can verify it.
    expect(sha256(JSON.stringify(b.doc.content))).toBe(b.doc.sha256);
    // The demo seed is what the export says it is.
    expect(b.doc.content.users).toHaveLength(15);
    expect(b.doc.content.grants).toContainEqual(
      expect.objectContaining({ email: 'alan@example.com', workspace: 'Support', role: 'Reader' }),
    );

    // 2. One promotion: Alan, Reader in Support, becomes Admin.
    const promote = await nxOk(e, ['ws', 'set-role', 'Support', 'alan@example.com', '--role', 'Admin']);
    expect(promote.stderr).toContain('alan@example.com in Support: Reader → Admin');
    const c = await exportTo(e, 'c.json');
    expect(c.doc.sha256).not.toBe(b.doc.sha256);
    const dj = await nxOk(e, ['review', 'diff', b.file, c.file, '--format', 'json']);
    const diff = JSON.parse(dj.stdout);
    expect(diff).toEqual({
      schema_version: 1,
      kind: 'noxus-access-review-diff',
      old: { generated_at: b.doc.generated_at, sha256: b.doc.sha256 },
      new: { generated_at: c.doc.generated_at, sha256: c.doc.sha256 },
      ...emptyDiff,
      grants_changed: [
        {
          email: 'alan@example.com',
          workspace: 'Support',
          before: 'Reader',
          after: 'Admin',
          before_via: 'membership',
          after_via: 'membership',
          escalation: true,
        },
      ],
      changes: 1,
    });
    const dm = await nxOk(e, ['review', 'diff', b.file, c.file]);
    expect(dm.stdout).toContain('# Access review diff');
    expect(dm.stdout).toContain(': 1 change(s)');
    expect(dm.stdout).toContain('## Grants changed');
    expect(dm.stdout).toContain('- alan@example.com in Support: Reader → Admin ⚠ escalation');
    expect(dm.stdout.match(/⚠ escalation/g)).toHaveLength(1);
    expect(dm.stdout).not.toContain('No changes.');

    // 3. The demotion back: reported, but not as an escalation; the organization is as it was.
    await nxOk(e, ['ws', 'set-role', 'Support', 'alan@example.com', '--role', 'Reader']);
    const d = await exportTo(e, 'd.json');
    // The grants are as they were; only the Reader grant's "since" is now the demotion's, so the
    // hash differs from b's.
    const sinceless = (x: ReviewDoc) =>
      JSON.stringify({ ...x.content, grants: x.content.grants.map(({ since: _s, ...g }) => g) });
    expect(sinceless(d.doc)).toBe(sinceless(b.doc));
    expect(d.doc.sha256).not.toBe(b.doc.sha256);
    const back = JSON.parse((await nxOk(e, ['review', 'diff', c.file, d.file, '--format', 'json'])).stdout);
    expect(back.grants_changed).toEqual([
      {
        email: 'alan@example.com',
        workspace: 'Support',
        before: 'Admin',
        after: 'Reader',
        before_via: 'membership',
        after_via: 'membership',
        escalation: false,
      },
    ]);
    expect(back.changes).toBe(1);
    expect(back).toMatchObject(emptyDiff);
    const backMd = await nxOk(e, ['review', 'diff', c.file, d.file]);
    expect(backMd.stdout).toContain('- alan@example.com in Support: Admin → Reader\n');
    expect(backMd.stdout).not.toContain('⚠');

    // An export against itself: nothing changed.
    const same = await nxOk(e, ['review', 'diff', b.file, d.file]);
    expect(same.stdout).toContain(': 0 change(s)');
    expect(same.stdout).toContain('No changes.');

    // 4. Tampering: the grant rewritten, the sha256 kept. Refused as bad input (exit 2), by diff and check.
    const forged = JSON.parse(c.text) as ReviewDoc;
    const grant = forged.content.grants.find(
      (g) => g.email === 'alan@example.com' && g.workspace === 'Support',
    );
    expect(grant?.role).toBe('Admin');
    (grant as { role: string }).role = 'Reader';
    const forgedFile = join(e.dir, 'forged.json');
    writeFileSync(forgedFile, JSON.stringify(forged));
    expect(JSON.parse(readFileSync(forgedFile, 'utf8')).sha256).toBe(c.doc.sha256);
    const refused = await nx(e, ['review', 'diff', b.file, forgedFile, '--format', 'json']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(
      `${forgedFile} was modified after export: its content does not match its sha256`,
    );
    const refusedCheck = await nx(e, ['review', 'check', '--from', forgedFile]);
    expect(refusedCheck.code).toBe(2);
    expect(refusedCheck.stderr).toContain('was modified after export');
    // …whereas the untouched export is accepted by check --from (exit 1: the demo has findings).
    const fromFile = await nx(e, ['review', 'check', '--from', c.file, '--json']);
    expect(fromFile.code).toBe(1);
    expect(JSON.parse(fromFile.stdout).sha256).toBe(c.doc.sha256);
  });

  it('bad input to export, diff and check exits 2 with a message', async () => {
    const missing = join(e.dir, 'missing.json');
    const noFile = await nx(e, ['review', 'diff', missing, missing]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain(`cannot read ${missing}`);
    const noFrom = await nx(e, ['review', 'check', '--from', missing]);
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr).toContain(`cannot read ${missing}`);
    const notJson = join(e.dir, 'not.json');
    writeFileSync(notJson, 'email,name\n');
    const bad = await nx(e, ['review', 'diff', notJson, notJson]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${notJson} is not a JSON review export`);
    const unwritable = await nx(e, ['review', 'export', '-o', join(e.dir, 'no', 'such', 'dir.json')]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toContain('cannot write');
    expect(unwritable.stderr).toContain('ENOENT');
    expect(unwritable.stderr).not.toContain('Unhandled');
  });
});

// ---- check ---------------------------------------------------------------------------------------

describe('review check', () => {
  let e: Env;
  beforeAll(async () => {
    e = await demo();
  });
  afterAll(async () => {
    await e?.sbx.cleanup();
  });

  const checkJson = async (args: string[] = []) => {
    const r = await nx(e, ['review', 'check', '--json', ...args]);
    return { r, body: JSON.parse(r.stdout) as { passed: boolean; failing: number; items: Finding[] } };
  };

  it('on the demo seed: the degraded key, the unrestricted key, the stale invitation and the extra admin, each with its fix; exit 1', async () => {
    const text = await nx(e, ['review', 'check']);
    expect(text.code).toBe(1);
    // The rest are the grant-term rules, info by default: no grant of the demo seed has a reason or expiry.
    expect(text.stderr).toContain('error: 6 finding(s) at or above "warning" (26 in all)');
    const lines = text.stdout.trim().split('\n');
    const line = (rule: string, needle: string) => {
      const found = lines.filter((l) => l.split('\t')[1] === rule && l.includes(needle));
      expect(found, `${rule} ${needle} in\n${text.stdout}`).toHaveLength(1);
      return (found[0] as string).split('\t');
    };
    const [sev1, , , msg1, fix1] = line('degraded_key', 'key "campaign sync"');
    expect(sev1).toBe('warning');
    expect(msg1).toContain('its holder lost flows_edit');
    expect(fix1).toMatch(/^noxus keys explain [0-9a-f-]{36} && noxus keys revoke [0-9a-f-]{36}$/);
    const [sev2, , , msg2, fix2] = line('unrestricted_key', 'key "linus laptop"');
    expect(sev2).toBe('warning');
    expect(msg2).toContain('unrestricted');
    expect(fix2).toMatch(/^noxus keys revoke [0-9a-f-]{36}$/);
    const [sev3, , subj3, msg3, fix3] = line('stale_invitation', 'contractor@example.com');
    expect(sev3).toBe('warning');
    expect(subj3).toBe('contractor@example.com');
    expect(msg3).toContain('more than 14 days ago, never accepted');
    expect(fix3).toContain('noxus users resend-invite contractor@example.com');
    const [sev4, , subj4, msg4, fix4] = line('too_many_org_admins', '@example.com');
    expect(sev4).toBe('error');
    // The caller (owner@example.com, behind the bootstrap key) is never the one suggested for demotion.
    expect(subj4).toBe('grace@example.com');
    expect(msg4).toBe('3 org admins, the policy allows 2');
    expect(fix4).toBe("noxus users update grace@example.com --org-role 'Org Base'");

    const { r, body } = await checkJson();
    expect(r.code).toBe(1);
    expect(body.passed).toBe(false);
    expect(body.failing).toBe(6);
    const termRules = ['grant_without_reason', 'admin_grant_without_expiry'];
    expect(
      body.items.filter((f) => !termRules.includes(f.rule)).map((f) => `${f.severity} ${f.rule}`),
    ).toEqual([
      'error too_many_org_admins',
      'warning degraded_key',
      'warning personal_key_used_as_integration',
      'warning personal_key_used_as_integration',
      'warning stale_invitation',
      'warning unrestricted_key',
      'info active_user_without_workspace',
    ]);
    expect(
      termRules.map((rule) => body.items.filter((f) => f.rule === rule && f.severity === 'info').length),
    ).toEqual([16, 3]);
    for (const f of body.items) expect(f.fix).toMatch(/^noxus /);
    expect(JSON.parse(r.stderr).error).toMatchObject({ exit_code: 1, failing: 6 });
  });

  it('a policy raising max_org_admins to 3 removes the admin finding; an invalid policy exits 2', async () => {
    const policy = join(e.dir, 'policy.yaml');
    writeFileSync(policy, '# three admins are fine here\nmax_org_admins: 3\n');
    const { r, body } = await checkJson(['--policy', policy]);
    expect(r.code).toBe(1); // the key and invitation findings remain
    expect((JSON.parse(r.stdout) as { policy: { max_org_admins: number } }).policy.max_org_admins).toBe(3);
    expect(body.items.map((f) => f.rule)).not.toContain('too_many_org_admins');
    expect(body.items.map((f) => f.rule)).toContain('degraded_key');
    expect(body.failing).toBe(5);

    const lenient = join(e.dir, 'lenient.yaml');
    writeFileSync(lenient, 'max_org_admins: 3\nfail_on: error\n');
    const passes = await checkJson(['--policy', lenient]);
    expect(passes.r.code).toBe(0);
    expect(passes.body.passed).toBe(true);

    const invalid = join(e.dir, 'invalid.yaml');
    writeFileSync(invalid, 'max_admins: 3\n');
    const bad = await nx(e, ['review', 'check', '--policy', invalid]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(`${invalid}: unknown setting "max_admins"`);
    const badValue = join(e.dir, 'bad-value.yaml');
    writeFileSync(badValue, 'max_org_admins: many\n');
    const bv = await nx(e, ['review', 'check', '--policy', badValue]);
    expect(bv.code).toBe(2);
    expect(bv.stderr).toContain('max_org_admins must be a whole number');
  });

  it('running every printed fix at or above warning makes the check pass (exit 0, passed: true)', async () => {
    const before = await checkJson();
    expect(before.r.code).toBe(1);
    const toFix = before.body.items.filter((f) => f.severity !== 'info');
    expect(toFix.map((f) => f.rule).sort()).toEqual([
      'degraded_key',
      'personal_key_used_as_integration',
      'personal_key_used_as_integration',
      'stale_invitation',
      'too_many_org_admins',
      'unrestricted_key',
    ]);
    const ran: string[] = [];
    for (const f of toFix) {
      const cmds = fixCommands(f.fix);
      if (f.rule === 'personal_key_used_as_integration') {
        expect(cmds.map((c) => c.slice(0, 2).join(' '))).toEqual(['service-accounts create', 'keys revoke']);
        expect(cmds[0]).toContain('--key');
        expect(cmds[0]).toContain('--restrict');
      }
      for (const args of cmds) {
        await nxOk(e, args);
        ran.push(args.join(' '));
      }
    }
    expect(ran).toContain('users update grace@example.com --org-role Org Base --yes');
    expect(ran.some((c) => /^keys revoke [0-9a-f-]{36} --yes$/.test(c))).toBe(true);
    expect(ran).toContain('users resend-invite contractor@example.com');

    const after = await checkJson();
    expect(after.r.code, after.r.stderr).toBe(0);
    expect(after.body.passed).toBe(true);
    expect(after.body.failing).toBe(0);
    expect(after.body.items.every((f) => f.severity === 'info')).toBe(true);
    const text = await nx(e, ['review', 'check']);
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(/\d+ finding\(s\), none at or above "warning"/);

    // What the fixes did, seen through the API.
    const grace = (await ok(e.sbx, 'GET', '/v1/admin/users?status=active')).find(
      (u: { email: string }) => u.email === 'grace@example.com',
    );
    expect(grace.org_role.name).toBe('Org Base');
    const accounts = await nxOk(e, ['service-accounts', 'list', '--json']);
    expect(accounts.stdout).toContain('campaign-sync@service-accounts.noxus.local');
    expect(accounts.stdout).toContain('zendesk-export@service-accounts.noxus.local');
  });
});

// ---- activity ------------------------------------------------------------------------------------

describe('activity', () => {
  let e: Env;
  const GONE = 'gone@example.com';
  let goneId: string;
  let workflowId: string;
  let backdated: number;
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();

  beforeAll(async () => {
    e = await demo();
    // The seed's history happened two hours ago, so that --since 1h has something to leave out.
    backdated = e.sbx.sandbox.model.store.run('UPDATE activity SET at = ?', twoHoursAgo);
    expect(backdated).toBeGreaterThan(10);

    const groups: Array<{ id: string; name: string }> = await ok(e.sbx, 'GET', '/v1/admin/groups');
    const marketing = groups.find((g) => g.name === 'Marketing')?.id as string;
    const u = await ok(e.sbx, 'POST', '/v1/admin/users', {
      email: GONE,
      name: 'Gone Soon',
      workspaces: [{ group_id: marketing, role: 'Editor' }],
    });
    goneId = u.id;
    await acceptInvitation(e.sbx, GONE);
    const key = await ok(e.sbx, 'POST', '/v1/sandbox/act-as', {
      user_id: goneId,
      group_id: marketing,
      name: 'gone laptop',
    });
    workflowId = (
      await ok(
        e.sbx,
        'POST',
        '/v1/workflows',
        { name: 'Gone workflow', description: 'made by Gone' },
        key.value,
      )
    ).id;
    const removed = await ok(e.sbx, 'DELETE', `/v1/admin/users/${goneId}`);
    expect(removed.status).toBe('removed');
  });
  afterAll(async () => {
    await e?.sbx.cleanup();
  });

  type Entry = {
    schema_version: number;
    at: string;
    actor_email: string | null;
    action: string;
    resource_type: string;
    resource_id: string | null;
  };
  const jsonLines = (stdout: string): Entry[] => {
    expect(stdout.endsWith('\n')).toBe(true);
    return stdout
      .trimEnd()
      .split('\n')
      .map((l) => {
        const entry = JSON.parse(l) as Entry;
        expect(entry.schema_version).toBe(1);
        return entry;
      });
  };

  it("a removed user's entries are still listed by --actor; --json prints JSON lines", async () => {
    const user = await ok(e.sbx, 'GET', `/v1/admin/users/${goneId}`);
    expect(user.status).toBe('removed');

    const table = await nxOk(e, ['activity', '--actor', GONE]);
    expect(table.stdout).toContain(`workflow:${workflowId}`);
    const rows = table.stdout.trim().split('\n');
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const row of rows) expect(row.split('\t')[1]).toBe(GONE);

    const entries = jsonLines((await nxOk(e, ['activity', '--actor', GONE, '--json'])).stdout);
    expect(entries.length).toBe(rows.length);
    for (const x of entries) expect(x.actor_email).toBe(GONE);
    expect(entries).toContainEqual(
      expect.objectContaining({ action: 'create', resource_type: 'workflow', resource_id: workflowId }),
    );
    // Newest first.
    const times = entries.map((x) => x.at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('--since, --action, --resource and --limit filter; a bad --since exits 2', async () => {
    const all = jsonLines((await nxOk(e, ['activity', '--json'])).stdout);
    expect(all.length).toBeGreaterThan(backdated);

    const recent = jsonLines((await nxOk(e, ['activity', '--since', '1h', '--json'])).stdout);
    const hourAgo = Date.now() - 3_600_000 - 60_000;
    expect(recent.length).toBe(all.length - backdated);
    for (const x of recent) expect(Date.parse(x.at)).toBeGreaterThan(hourAgo);
    expect(recent).toContainEqual(
      expect.objectContaining({ action: 'create', resource_type: 'user', resource_id: goneId }),
    );
    const older = jsonLines((await nxOk(e, ['activity', '--until', '1h', '--json'])).stdout);
    expect(older.length).toBe(backdated);
    for (const x of older) expect(x.at).toBe(twoHoursAgo);

    const deletes = jsonLines((await nxOk(e, ['activity', '--action', 'delete', '--json'])).stdout);
    expect(deletes.length).toBeGreaterThan(0);
    expect(deletes.length).toBe(all.filter((x) => x.action === 'delete').length);
    for (const x of deletes) expect(x.action).toBe('delete');
    expect(deletes).toContainEqual(expect.objectContaining({ resource_type: 'user', resource_id: goneId }));

    const users = jsonLines((await nxOk(e, ['activity', '--resource', 'user', '--json'])).stdout);
    expect(users.length).toBe(all.filter((x) => x.resource_type === 'user').length);
    expect(users.length).toBeLessThan(all.length);
    for (const x of users) expect(x.resource_type).toBe('user');
    const goneOnes = users.filter((x) => x.resource_id === goneId).map((x) => x.action);
    expect(goneOnes).toEqual(expect.arrayContaining(['create', 'delete']));

    const three = jsonLines((await nxOk(e, ['activity', '--limit', '3', '--json'])).stdout);
    expect(three).toEqual(all.slice(0, 3));
    const threeRows = (await nxOk(e, ['activity', '--limit', '3'])).stdout.trim().split('\n');
    expect(threeRows).toHaveLength(3);

    for (const [flag, value, message] of [
      ['--since', 'yesterday', '--since must be a duration like 30d or 12h, or an ISO date, got "yesterday"'],
      ['--action', 'destroy', '--action must be one of create, update, delete, execute, login, lapse'],
      ['--limit', '0', '--limit must be a positive whole number, got "0"'],
    ] as const) {
      const bad = await nx(e, ['activity', flag, value]);
      expect(bad.code, `${flag} ${value}`).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toContain(message);
    }
  });
});

// ---- CSV and Markdown ----------------------------------------------------------------------------

describe('review export as CSV and Markdown', () => {
  let e: Env;
  beforeAll(async () => {
    e = await demo();
  });
  afterAll(async () => {
    await e?.sbx.cleanup();
  });

  it('CSV cells are formula-safe: =HYPERLINK("x") is written \'=HYPERLINK(""x"") and no cell starts with = + - @', async () => {
    const names = {
      'formula@example.com': '=HYPERLINK("x")',
      'plus@example.com': '+1+1',
      'minus@example.com': '-2+3',
      'at@example.com': '@SUM(A1)',
    };
    for (const [email, name] of Object.entries(names))
      await ok(e.sbx, 'POST', '/v1/admin/users', { email, name, send_invitation: false });
    const file = join(e.dir, 'review.csv');
    await nxOk(e, ['review', 'export', '--format', 'csv', '-o', file]);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`,"'=HYPERLINK(""x"")",`);
    const rows = parseCsv(text, { relax_column_count: false }) as string[][];
    expect(rows[0]).toEqual([
      'record',
      'id',
      'subject',
      'name',
      'kind',
      'status',
      'workspace',
      'role',
      'via',
      'restriction',
      'effective',
      'degraded',
      'created_at',
      'last_activity',
      'expires_at',
      'reason',
    ]);
    const userRow = (email: string) => rows.find((r) => r[0] === 'user' && r[2] === email) as string[];
    expect(userRow('formula@example.com')[3]).toBe(`'=HYPERLINK("x")`);
    expect(userRow('plus@example.com')[3]).toBe("'+1+1");
    expect(userRow('minus@example.com')[3]).toBe("'-2+3");
    expect(userRow('at@example.com')[3]).toBe("'@SUM(A1)");
    expect(userRow('ada@example.com')[3]).toBe('Ada Lovelace');
    for (const row of rows) for (const cell of row) expect(cell, `cell ${cell}`).not.toMatch(/^[=+\-@]/);
    expect(rows.filter((r) => r[0] === 'user')).toHaveLength(19);
    // The row before the last carries the hash of the same content as the JSON export; the last,
    // the sha256 of the file above it (review verify).
    const json = JSON.parse((await nxOk(e, ['review', 'export'])).stdout) as ReviewDoc;
    expect(rows.at(-2)?.slice(0, 3)).toEqual(['sha256', json.sha256, e.sbx.url]);
    expect(rows.at(-1)?.[0]).toBe('file_sha256');
  });

  it('the Markdown export has the org admins section and the users table', async () => {
    const r = await nxOk(e, ['review', 'export', '--format', 'md']);
    const md = r.stdout;
    expect(md).toMatch(/^# Access review: Noxus Sandbox\n/);
    const admins = md.slice(md.indexOf('## Org admins (admin on every workspace)'), md.indexOf('\n## Users'));
    expect(admins.split('\n').filter((l) => l.startsWith('- '))).toEqual([
      expect.stringMatching(/^- ada@example\.com \(Ada Lovelace\), last active \d{4}-\d\d-\d\d$/),
      expect.stringMatching(/^- grace@example\.com \(Grace Hopper\), last active /),
      expect.stringMatching(/^- owner@example\.com \(.+\), last active /),
    ]);
    expect(md).toContain(
      '## Users\n\n| Email | Name | Kind | Status | Org role | Last active |\n|---|---|---|---|---|---|\n',
    );
    expect(md).toMatch(
      /\n\| alan@example\.com \| Alan Turing \| human \| active \| Org Base \| \d{4}-\d\d-\d\d \|\n/,
    );
    expect(md).toContain('| tim@example.com | Tim Berners-Lee | human | suspended | Org Base |');
    expect(md).toContain('| formula@example.com | =HYPERLINK("x") | human | invited | Org Base | never |');
    expect(md).toContain('## Workspace grants');
    expect(md).toContain('| campaign sync | Marketing | margaret@example.com |');
  });
});

// ---- scale ---------------------------------------------------------------------------------------

const TIME = '/usr/bin/time';

/** Runs the CLI under /usr/bin/time -v (or, without it, a preload that reports the peak RSS at exit). */
function timedCli(
  e: Env,
  args: string[],
  timeoutMs: number,
): Promise<CliResult & { seconds: number; peakMb: number | null }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('NOXUS_')) env[k] = v;
  Object.assign(env, { CI: 'true', NO_COLOR: '1', NOXUS_CONFIG_DIR: e.cfg, ...cliEnv(e) });
  let cmd: string;
  let argv: string[];
  if (existsSync(TIME)) {
    cmd = TIME;
    argv = ['-v', process.execPath, BIN, ...args];
  } else {
    const preload = join(e.dir, 'maxrss.cjs');
    writeFileSync(
      preload,
      "process.on('exit', () => process.stderr.write('\\nMaximum resident set size (kbytes): ' + process.resourceUsage().maxRSS + '\\n'));\n",
    );
    cmd = process.execPath;
    argv = ['--require', preload, BIN, ...args];
  }
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout,
        stderr,
        seconds,
        peakMb: kb ? Number(kb) / 1024 : null,
      });
    });
  });
}

// 10000 and 20000 users, always: the whole file runs in about 70s (20000 users: two exports, ~30s).
// The BENCH lines are for reading, not asserting: times depend on the machine.
describe.each([
  { users: 10_000, workspaces: 100 },
  { users: 20_000, workspaces: 100 },
])('review export at scale: $users users', (size) => {
  let e: Env;
  beforeAll(async () => {
    e = {
      sbx: await startTestSandbox({ seed: 'scale', scale: size }),
      cfg: tempConfigDir(),
      dir: mkdtempSync(join(tmpdir(), 'noxus-review-scale-')),
    };
  }, 120_000);
  afterAll(async () => {
    await e?.sbx.cleanup();
  });

  it('exports every user, with a hash stable across two runs', { timeout: 300_000 }, async () => {
    const docs: ReviewDoc[] = [];
    for (const run of [1, 2]) {
      const file = join(e.dir, `review-${run}.json`);
      const r = await timedCli(e, ['review', 'export', '-o', file], 240_000);
      expect(r.code, r.stderr).toBe(0);
      if (run === 1)
        console.log(
          `BENCH review-export ${size.users} users: ${r.seconds.toFixed(1)}s, peak RSS ${r.peakMb === null ? '?' : r.peakMb.toFixed(0)} MB`,
        );
      const doc = JSON.parse(readFileSync(file, 'utf8')) as ReviewDoc;
      expect(r.stderr).toContain(`json export written to ${file}: ${size.users + 1} users`);
      expect(r.stderr).toContain(`sha256 ${doc.sha256}`);
      docs.push(doc);
    }
    const [a, b] = docs as [ReviewDoc, ReviewDoc];
    expect(a.content.users).toHaveLength(size.users + 1);
    expect(a.content.users.filter((u) => u.email.endsWith('@scale.example.com'))).toHaveLength(size.users);
    expect(a.content.grants.length).toBeGreaterThanOrEqual(size.users);
    expect(b.sha256).toBe(a.sha256);
    expect(b.generated_at).not.toBe(a.generated_at);
    expect(sha256(JSON.stringify(b.content))).toBe(a.sha256);
  });
});
