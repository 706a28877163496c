// Invitations end to end, with real email: a loopback SMTP sink, a sandbox started through the CLI
// (`sandbox start --detach --smtp`), and the CLI spawned as a user runs it. Covers the email itself,
// a 300-row CSV (with a timing comparison against a plain curl loop), onboarding, validation before
// any write, a killed run resumed without duplicate emails, idempotent reruns and resending.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type CliResult, runCli, tempConfigDir } from '../helpers/cli.js';
import { acceptLink, type Mail, type SmtpSink, startSmtpSink } from './mail.js';

let sink: SmtpSink;
let work: string;
let dataDir: string;
let sbxConfig: string;
let cliConfig: string;
let url = '';
let adminKey = '';

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON replies of many shapes, checked by the assertions
  body: any;
  text: string;
}

async function api(
  method: string,
  path: string,
  body?: unknown,
  key: string | null = adminKey,
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (key) headers['x-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: r.status, body: parsed, text };
}

// biome-ignore lint/suspicious/noExplicitAny: as above
async function get<T = any>(path: string): Promise<T> {
  const r = await api('GET', path);
  expect(r.status, `GET ${path}: ${r.text}`).toBe(200);
  return r.body as T;
}

const cliEnv = () => ({ NOXUS_BACKEND_URL: url, NOXUS_API_KEY: adminKey });
const cli = (args: string[], timeoutMs = 60_000): Promise<CliResult> =>
  runCli(args, { configDir: cliConfig, env: cliEnv(), timeoutMs });

const userCount = async () => (await get<unknown[]>('/v1/admin/users')).length;
const activityCount = async () => (await get<{ total: number }>('/v1/admin/activity?size=1')).total;

const WORKSPACE_SETS = [
  'Marketing=Editor;Support=Reader',
  'Engineering=Reader',
  'Support=Editor;Finance=Reader',
];
const HEADER = 'email,name,display_name,org_role,workspaces';

interface CsvUser {
  line: number;
  email: string;
  name: string;
  workspaces: string;
}

function cohort(prefix: string, n: number): CsvUser[] {
  return Array.from({ length: n }, (_, i) => {
    const k = String(i).padStart(3, '0');
    return {
      line: i + 2,
      email: `${prefix}-${k}@example.com`,
      name: `${prefix} User ${k}`,
      workspaces: WORKSPACE_SETS[i % WORKSPACE_SETS.length] as string,
    };
  });
}

function writeCsv(file: string, users: CsvUser[]): string {
  const lines = users.map((u) => `${u.email},${u.name},${u.name.split(' ')[0]},Org Base,${u.workspaces}`);
  writeFileSync(file, `${HEADER}\n${lines.join('\n')}\n`);
  return file;
}

/** Emails delivered to any of `emails`. */
const mailsFor = (emails: Iterable<string>): Mail[] => {
  const set = new Set([...emails].map((e) => e.toLowerCase()));
  return sink.messages.filter((m) => m.to.some((t) => set.has(t)));
};

beforeAll(async () => {
  sink = await startSmtpSink();
  work = mkdtempSync(join(tmpdir(), 'noxus-inv-'));
  dataDir = join(work, 'sandbox');
  sbxConfig = tempConfigDir();
  cliConfig = tempConfigDir();
  const r = await runCli(
    [
      'sandbox',
      'start',
      '--detach',
      '--data',
      dataDir,
      '--port',
      '0',
      '--seed',
      'demo',
      '--smtp',
      sink.url,
      '--json',
    ],
    { configDir: sbxConfig },
  );
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout);
  url = doc.url;
  adminKey = doc.admin_key;
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(adminKey).toMatch(/^noxus_[A-Za-z0-9]+$/);
  // The demo seed invites two people; their emails come through the sink too.
  await sink.waitFor(() => sink.messages.length >= 2, 10_000, 'the two seed invitations');
});

afterAll(async () => {
  if (url) {
    const r = await runCli(['sandbox', 'stop', '--data', dataDir], { configDir: sbxConfig });
    expect(r.code, r.stderr).toBe(0);
  }
  await sink?.close();
  for (const d of [work, sbxConfig, cliConfig]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('invitations through a real SMTP server', () => {
  it('the seed invitations went through SMTP', () => {
    expect(sink.to('newhire@example.com')).toHaveLength(1);
    expect(sink.to('contractor@example.com')).toHaveLength(1);
  });

  it('the invitation email is multipart with the link, inviter, organization, workspaces and roles', async () => {
    const before = sink.messages.length;
    const r = await cli([
      'users',
      'add',
      '--name',
      'Zoe Quinn',
      '--display-name',
      'Zoe',
      '--email',
      'zoe.quinn@example.com',
      '--org-role',
      'Org Base',
      '--workspace',
      'Marketing=Editor',
      '--workspace',
      'Support=Reader',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^✓ invited zoe\.quinn@example\.com \([0-9a-f-]{36}\) as Org Base$/m);
    expect(r.stderr).toContain(`invitation email: ${sink.url}; expires `);
    await sink.waitFor(() => sink.messages.length > before, 10_000, 'the invitation email');
    await sink.settle(200);
    const mails = sink.to('zoe.quinn@example.com');
    expect(mails).toHaveLength(1);
    const m = mails[0] as Mail;
    expect(m.headers['content-type']).toMatch(/^multipart\/alternative;/);
    expect(m.parts.map((p) => p.contentType)).toEqual(['text/plain', 'text/html']);
    expect(m.headers.subject).toBe('owner@example.com invited you to Noxus Sandbox on Noxus');
    expect(m.headers.to).toBe('Zoe <zoe.quinn@example.com>');

    const { url: link, token } = acceptLink(m, url);
    expect(link).toBe(`${url}/invite/${token}`);
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(m.text).toContain('owner@example.com invited you to join Noxus Sandbox on Noxus');
    expect(m.text).toContain('(organization role: Org Base)');
    // Both grants, in whatever order the server lists memberships, and nothing else.
    const grants = /Workspaces and roles:\n((?: {2}- .+\n)+)/.exec(m.text)?.[1];
    expect(grants?.split('\n').filter(Boolean).sort()).toEqual([
      '  - Marketing: Editor',
      '  - Support: Reader',
    ]);
    expect(m.text).toContain(`Accept the invitation and create your account:\n${link}\n`);
    expect(m.html).toContain(`<a href="${link}">Accept the invitation</a>`);
    expect(m.html).toContain('<strong>owner@example.com</strong> invited you to join');
    expect(m.html).toContain('<strong>Noxus Sandbox</strong>');
    expect(m.html).toContain('<p>Workspaces and roles:</p><ul><li>');
    expect(m.html).toContain('<li>Marketing: Editor</li>');
    expect(m.html).toContain('<li>Support: Reader</li>');

    // The link in the email is the one the server knows.
    const inv = await api('GET', `/v1/invitations/${token}`, undefined, null);
    expect(inv.status).toBe(200);
    expect(inv.body).toMatchObject({
      email: 'zoe.quinn@example.com',
      name: 'Zoe Quinn',
      display_name: 'Zoe',
      organization: 'Noxus Sandbox',
    });
    expect(
      inv.body.workspaces.map((w: { workspace: string; role: string }) => `${w.workspace}=${w.role}`).sort(),
    ).toEqual(['Marketing=Editor', 'Support=Reader']);
  });

  describe('300 users from a CSV', () => {
    const bulk = cohort('bulk', 300);
    const tokens = new Map<string, string>();
    const accepted: string[] = [];

    it('invites all 300 with one email each, each link working; timed against a curl loop', async () => {
      const file = writeCsv(join(work, 'bulk.csv'), bulk);
      const before = sink.messages.length;
      const t0 = performance.now();
      const r = await cli(
        ['users', 'add', '--from-csv', file, '--results', join(work, 'bulk-results.csv')],
        120_000,
      );
      const noxusSeconds = (performance.now() - t0) / 1000;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('300 rows: 300 to invite, 0 to update, 0 unchanged');
      expect(r.stderr).toContain('✓ 300 invited, 0 updated, 0 unchanged, 0 failed');
      await sink.waitFor(() => sink.messages.length >= before + 300, 20_000, '300 emails');
      await sink.settle();
      expect(sink.messages.length - before).toBe(300);
      const got = mailsFor(bulk.map((u) => u.email));
      expect(got).toHaveLength(300);
      expect(new Set(got.flatMap((m) => m.to)).size).toBe(300);

      for (const u of bulk) {
        const mails = sink.to(u.email);
        expect(mails, u.email).toHaveLength(1);
        const m = mails[0] as Mail;
        const { token } = acceptLink(m, url);
        tokens.set(u.email, token);
        for (const grant of u.workspaces.split(';')) {
          const [w, role] = grant.split('=');
          expect(m.text, u.email).toContain(`  - ${w}: ${role}\n`);
        }
      }
      expect(new Set(tokens.values()).size).toBe(300);
      // Every link works (read-only), then a sample is accepted.
      const statuses = await Promise.all(
        bulk.map(async (u) => {
          const res = await api('GET', `/v1/invitations/${tokens.get(u.email)}`, undefined, null);
          return `${res.status} ${res.body?.email}`;
        }),
      );
      expect(statuses).toEqual(bulk.map((u) => `200 ${u.email}`));
      for (const u of bulk.filter((_, i) => i % 30 === 0)) {
        const res = await api(
          'POST',
          `/v1/invitations/${tokens.get(u.email)}/accept`,
          { name: `${u.name} Accepted`, display_name: 'Accepted' },
          null,
        );
        expect(res.status, res.text).toBe(200);
        expect(res.body.user).toMatchObject({ email: u.email, status: 'active', name: `${u.name} Accepted` });
        accepted.push(u.email);
      }
      expect(accepted).toHaveLength(10);

      // The same calls made by a plain sequential curl loop, for comparison (never asserted).
      const groups = await get<Array<{ id: string; name: string }>>('/v1/admin/groups');
      const roles = await get<Array<{ id: string; name: string }>>('/v1/admin/roles');
      const gid = (n: string) => groups.find((g) => g.name === n)?.id as string;
      const rid = (n: string) => roles.find((x) => x.name === n)?.id as string;
      const curlUsers = cohort('curl', 300);
      const t1 = performance.now();
      for (const u of curlUsers) {
        const body = JSON.stringify({
          email: u.email,
          name: u.name,
          display_name: u.name.split(' ')[0],
          org_role: rid('Org Base'),
          workspaces: u.workspaces.split(';').map((g) => {
            const [w, role] = g.split('=') as [string, string];
            return { group_id: gid(w), role: rid(role) };
          }),
        });
        const out = await new Promise<string>((resolve, reject) => {
          const c = spawn('curl', [
            '-s',
            '-X',
            'POST',
            '-H',
            `X-API-Key: ${adminKey}`,
            '-H',
            'content-type: application/json',
            '-d',
            body,
            `${url}/v1/admin/users`,
          ]);
          let s = '';
          c.stdout.on('data', (d) => {
            s += d;
          });
          c.on('error', reject);
          c.on('close', () => resolve(s));
        });
        expect(JSON.parse(out), out).toMatchObject({ email: u.email, status: 'invited' });
      }
      const curlSeconds = (performance.now() - t1) / 1000;
      console.log(
        `BENCH users-add-300: noxus ${noxusSeconds.toFixed(2)}s, curl loop ${curlSeconds.toFixed(2)}s`,
      );
      await sink.waitFor(() => mailsFor(curlUsers.map((u) => u.email)).length >= 300, 20_000, 'curl emails');
      await sink.settle();
    }, 180_000);

    it('onboarding of an accepted user: account created and role assigned are done', async () => {
      const who = accepted[1] as string;
      const r = await cli(['users', 'onboarding', who]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.replace(/\n$/, '').split('\n');
      expect(lines).toHaveLength(5);
      expect(lines[0]).toMatch(/^Email invitation\tdone\t\d{4}-\d\d-\d\dT[^\t]+\t$/);
      expect(lines[1]).toMatch(/^Account creation\tdone\t\d{4}-\d\d-\d\dT[^\t]+\t$/);
      expect(lines[2]).toBe('Workspace tour (optional)\toptional\t\t');
      // Row 32 (index 30) gets WORKSPACE_SETS[0]: two workspace roles.
      expect(lines[3]).toMatch(/^Role assignment\tdone\t\d{4}-\d\d-\d\dT[^\t]+\t2 workspace role\(s\)$/);
      expect(lines[4]).toBe('Resource access\tpending\t\t');

      const j = await cli(['users', 'onboarding', who, '--json']);
      expect(j.code, j.stderr).toBe(0);
      const doc = JSON.parse(j.stdout);
      expect(doc.command).toBe('users onboarding');
      expect(doc.user.email).toBe(who);
      expect(doc.user.status).toBe('active');
      expect(doc.pending).toEqual(['resource_access']);
      expect(doc.pending).not.toContain('account_created');
      expect(doc.pending).not.toContain('role_assigned');
      expect(doc.complete).toBe(false);
      const done = Object.fromEntries(
        doc.items.map((s: { step: string; done: boolean }) => [s.step, s.done]),
      );
      expect(done).toEqual({
        invitation_sent: true,
        account_created: true,
        workspace_tour: false,
        role_assigned: true,
        resource_access: false,
      });

      // A user who has not accepted yet still has account creation pending.
      const waiting = await cli(['users', 'onboarding', bulk[1]?.email as string, '--json']);
      expect(JSON.parse(waiting.stdout).pending).toEqual([
        'account_created',
        'role_assigned',
        'resource_access',
      ]);
    });

    it('three bad rows: exit 2, each reported with file:line:column, no write and no email', async () => {
      const fresh = cohort('badrun', 300);
      const rows = fresh.map((u) => `${u.email},${u.name},${u.name.split(' ')[0]},Org Base,${u.workspaces}`);
      rows[9] = `not-an-email,Bad Email,Bad,Org Base,Marketing=Editor`; // line 11
      rows[49] = `${fresh[49]?.email},Unknown Ws,Unknown,Org Base,Marketting=Editor;Support=Reader`; // line 51
      rows[99] = `${fresh[0]?.email.toUpperCase()},Dup Case,Dup,Org Base,Support=Reader`; // line 101
      const file = join(work, 'bad.csv');
      writeFileSync(file, `${HEADER}\n${rows.join('\n')}\n`);
      const users = await userCount();
      const activity = await activityCount();
      const mails = sink.messages.length;

      const r = await cli(['users', 'add', '--from-csv', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`error: ${file}: 3 problems; nothing was changed\n`);
      expect(r.stderr).toContain('bad.csv:11:1: email "not-an-email" is not a valid email address\n');
      expect(r.stderr).toContain('bad.csv:51:5: unknown workspace "Marketting" (did you mean Marketing?)\n');
      expect(r.stderr).toContain(
        `bad.csv:101:1: ${fresh[0]?.email.toUpperCase()} is also on line 2 (emails compare case-insensitively)`,
      );

      const j = await cli(['users', 'add', '--from-csv', file, '--json']);
      expect(j.code).toBe(2);
      const err = JSON.parse(j.stderr.trim()).error;
      expect(err.code).toBe('usage');
      expect(err.errors.map((e: { line: number; column: number }) => `${e.line}:${e.column}`)).toEqual([
        '11:1',
        '51:5',
        '101:1',
      ]);

      await sink.settle(300);
      expect(await userCount()).toBe(users);
      expect(await activityCount()).toBe(activity);
      expect(sink.messages.length).toBe(mails);
      expect(mailsFor(fresh.map((u) => u.email))).toHaveLength(0);
    });

    describe('a killed run, resumed', () => {
      const killed = cohort('killed', 300);
      let file = '';
      let child: ChildProcess | undefined;

      afterAll(() => {
        if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });

      it('killed after ~100 emails and resumed: 300 emails in all, nobody twice, 300 rows invited', async () => {
        file = writeCsv(join(work, 'killed.csv'), killed);
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries({
          ...process.env,
          CI: 'true',
          NO_COLOR: '1',
          NOXUS_CONFIG_DIR: cliConfig,
          ...cliEnv(),
        })) {
          if (v !== undefined) env[k] = v;
        }
        delete env.NOXUS_PROFILE;
        const proc = spawn(
          process.execPath,
          [
            BIN,
            'users',
            'add',
            '--from-csv',
            file,
            '--concurrency',
            '2',
            '--results',
            join(work, 'partial.csv'),
          ],
          { env, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        child = proc;
        let stderr = '';
        proc.stderr?.on('data', (d) => {
          stderr += d;
        });
        const exited = new Promise<string>((resolve) =>
          proc.on('close', (code, signal) => resolve(`${code}/${signal}`)),
        );
        const emails = killed.map((u) => u.email);
        await sink.waitFor(() => mailsFor(emails).length >= 100, 60_000, '100 emails of the killed run');
        proc.kill('SIGKILL');
        expect(await exited).toBe('null/SIGKILL');
        await sink.settle(500);
        const beforeResume = mailsFor(emails).length;
        expect(beforeResume, stderr).toBeGreaterThanOrEqual(100);
        expect(beforeResume).toBeLessThan(300);

        const out = join(work, 'resumed.csv');
        const r = await cli(['users', 'add', '--from-csv', file, '--resume', '--results', out], 120_000);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain('✓ 300 invited, 0 updated, 0 unchanged, 0 failed');
        await sink.waitFor(() => mailsFor(emails).length >= 300, 20_000, '300 emails of the killed run');
        await sink.settle(500);
        const all = mailsFor(emails);
        expect(all).toHaveLength(300);
        const perAddress = new Map<string, number>();
        for (const m of all) for (const t of m.to) perAddress.set(t, (perAddress.get(t) ?? 0) + 1);
        expect(perAddress.size).toBe(300);
        expect([...perAddress.values()].filter((n) => n !== 1)).toEqual([]);

        const results = parse(readFileSync(out, 'utf8'), { columns: true }) as Array<Record<string, string>>;
        expect(Object.keys(results[0] ?? {})).toEqual(['row', 'email', 'action', 'outcome', 'message']);
        expect(results).toHaveLength(300);
        expect(results.map((x) => `${x.row} ${x.email} ${x.outcome}`)).toEqual(
          killed.map((u) => `${u.line} ${u.email} invited`),
        );
        const listed = await get<Array<{ email: string; status: string }>>('/v1/admin/users?status=invited');
        expect(listed.filter((u) => u.email.startsWith('killed-'))).toHaveLength(300);
      }, 180_000);

      it('the same CSV again: every row unchanged, no email, no activity', async () => {
        const mails = sink.messages.length;
        const activity = await activityCount();
        const out = join(work, 'again.csv');
        const r = await cli(['users', 'add', '--from-csv', file, '--results', out, '--json'], 120_000);
        expect(r.code, r.stderr).toBe(0);
        const doc = JSON.parse(r.stdout);
        expect(doc.summary).toEqual({
          invited: 0,
          pending_delivery: 0,
          updated: 0,
          unchanged: 300,
          failed: 0,
        });
        expect(doc.items).toHaveLength(300);
        expect(new Set(doc.items.map((x: { outcome: string }) => x.outcome))).toEqual(new Set(['unchanged']));
        const results = parse(readFileSync(out, 'utf8'), { columns: true }) as Array<Record<string, string>>;
        expect(results).toHaveLength(300);
        expect(results.every((x) => x.outcome === 'unchanged' && x.action === 'none')).toBe(true);
        await sink.settle(300);
        expect(sink.messages.length).toBe(mails);
        expect(await activityCount()).toBe(activity);
      }, 120_000);
    });

    it('resend-invite sends a fresh email; the old link and a used link get 410; list shows invitations', async () => {
      const who = bulk[20]?.email as string;
      const oldToken = tokens.get(who) as string;
      const r = await cli(['users', 'resend-invite', who]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        new RegExp(
          `^✓ new invitation for ${who.replace(/\./g, '\\.')}: smtp://127\\.0\\.0\\.1:\\d+; expires \\S+; the previous link no longer works$`,
          'm',
        ),
      );
      await sink.waitFor(() => sink.to(who).length >= 2, 10_000, 'the second email');
      await sink.settle(200);
      const mails = sink.to(who);
      expect(mails).toHaveLength(2);
      const fresh = acceptLink(mails[1] as Mail, url).token;
      expect(fresh).not.toBe(oldToken);

      const old = await api('GET', `/v1/invitations/${oldToken}`, undefined, null);
      expect(old.status).toBe(410);
      expect(old.body).toEqual({
        detail: 'this invitation was replaced by a newer one or withdrawn; use the latest email',
      });
      const oldAccept = await api('POST', `/v1/invitations/${oldToken}/accept`, { name: 'Too Late' }, null);
      expect(oldAccept.status).toBe(410);
      expect(oldAccept.body.detail).toBe(
        'this invitation was replaced by a newer one or withdrawn; use the latest email',
      );
      expect((await api('GET', `/v1/invitations/${fresh}`, undefined, null)).status).toBe(200);

      const used = tokens.get(accepted[0] as string) as string;
      const again = await api('POST', `/v1/invitations/${used}/accept`, { name: 'Again' }, null);
      expect(again.status).toBe(410);
      expect(again.body.detail).toMatch(
        /^this invitation was already used on \d{4}-\d\d-\d\dT\S+; sign in instead$/,
      );
      const page = await fetch(`${url}/invite/${used}`);
      expect(page.status).toBe(410);
      expect(await page.text()).toContain('this invitation was already used on');

      const list = await cli(['users', 'list', '--status', 'invited', '--json']);
      expect(list.code, list.stderr).toBe(0);
      const doc = JSON.parse(list.stdout);
      expect(doc.command).toBe('users list');
      const items = doc.items as Array<{
        email: string;
        status: string;
        invitation?: { id: string; created_at: string; expires_at: string };
      }>;
      expect(items.every((u) => u.status === 'invited')).toBe(true);
      const emails = new Set(items.map((u) => u.email));
      for (const u of bulk) expect(emails.has(u.email), u.email).toBe(!accepted.includes(u.email));
      expect(items.filter((u) => u.email.startsWith('killed-'))).toHaveLength(300);
      expect(items.every((u) => u.invitation?.id && u.invitation.expires_at > u.invitation.created_at)).toBe(
        true,
      );
      const mine = items.find((u) => u.email === who);
      const first = items.find((u) => u.email === bulk[21]?.email);
      expect(mine?.invitation?.created_at && first?.invitation?.created_at).toBeTruthy();
      expect((mine?.invitation?.created_at as string) > (first?.invitation?.created_at as string)).toBe(true);
      const ttl =
        Date.parse(mine?.invitation?.expires_at as string) -
        Date.parse(mine?.invitation?.created_at as string);
      expect(Math.abs(ttl - 7 * 86_400_000)).toBeLessThan(1000);
    });
  });
});
