// kill -9 of the sandbox during a bulk `users add --from-csv`, several times at random points, each
// time restarted on the same data and port and the CLI run again with --resume. The sandbox is the
// built CLI (`bin/noxus sandbox start`) in a child process, mail goes to a real SMTP sink on
// loopback that records a message only once it answered 250 to a sender still connected.
//
// What must hold at the end:
// - nobody is lost: every person in the file got an email, and exactly one email whose link works;
// - a second email reaches someone only when the kill fell between the mail server's 250 and the
//   sandbox recording "sent" (SMTP is at least once there): the test checks that its first copy was
//   among the last messages accepted before a kill and that its link is dead (the token is minted
//   per attempt), and reports the count;
// - the CLI's final counts ("invited" / "pending delivery") equal the server's delivery states.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { acceptLink, type SmtpSink, startSmtpSink } from './mail.js';

const PEOPLE = 300;
const KILLS = 3;
const SEED = Number(process.env.NOXUS_CRASH_SEED ?? Date.now() % 1_000_000);

/** mulberry32: reproducible kill points from the seed printed in the report. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let sink: SmtpSink;
let work: string;
let dataDir: string;
let port = 0;
let url = '';
let adminKey = '';
let sandbox: ChildProcess | undefined;
const spawned: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, CI: 'true', NO_COLOR: '1', ...extra }))
    if (v !== undefined) out[k] = v;
  delete out.NOXUS_PROFILE;
  return out;
}

async function startSandboxChild(): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'sandbox',
      'start',
      '--data',
      dataDir,
      '--port',
      String(port),
      '--seed',
      'empty',
      '--smtp',
      sink.url,
      '--no-profile-setup',
    ],
    { env: env({ NOXUS_CONFIG_DIR: join(work, 'sbx-config') }), stdio: ['ignore', 'ignore', 'ignore'] },
  );
  spawned.push(child);
  sandbox = child;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the sandbox did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  adminKey ||= readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
}

async function killSandbox(): Promise<void> {
  const child = sandbox as ChildProcess;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
  sandbox = undefined;
}

function cliArgs(file: string, resume: boolean, extra: string[] = []): string[] {
  return [
    'users',
    'add',
    '--from-csv',
    file,
    '--concurrency',
    '4',
    ...(resume ? ['--resume'] : []),
    ...extra,
  ];
}

/** Starts the CLI; resolves with its exit code and output. */
function startCli(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stderr: string; stdout: string }>;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: env({ NOXUS_CONFIG_DIR: join(work, 'cli-config'), NOXUS_BACKEND_URL: url, NOXUS_API_KEY: adminKey }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.push(child);
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  const done = new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr, stdout })),
  );
  return { child, done };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'noxus-crash-'));
  dataDir = join(work, 'data');
  sink = await startSmtpSink({ delayMs: 3 });
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  await startSandboxChild();
}, 60_000);

afterAll(async () => {
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sink?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('kill -9 of the sandbox during a bulk add, restart, --resume', () => {
  it(`${KILLS} random kill points, ${PEOPLE} people: one working email each, CLI counts = server delivery states`, async () => {
    const random = prng(SEED);
    const people = Array.from({ length: PEOPLE }, (_, i) => ({
      email: `crash${String(i).padStart(3, '0')}@example.com`,
      name: `Crash Person ${i}`,
    }));
    const file = join(work, 'people.csv');
    writeFileSync(file, `email,name\n${people.map((p) => `${p.email},${p.name}`).join('\n')}\n`);
    const inFile = new Set(people.map((p) => p.email));
    const mails = () => sink.messages.filter((m) => m.to.some((t) => inFile.has(t)));

    // Kill points: after a random number of accepted emails, spread over the run, plus 0-40 ms.
    const targets = Array.from({ length: KILLS }, () => Math.floor(random() * (PEOPLE - 40)) + 10).sort(
      (a, b) => a - b,
    );
    const killedAt: Array<{
      target: number;
      emails: number;
      afterKill: number;
      jitterMs: number;
      cliExit: number | null;
      pending: number;
    }> = [];
    for (let k = 0; k < KILLS; k++) {
      const run = startCli(cliArgs(file, k > 0));
      const target = Math.max(targets[k] as number, mails().length + 5);
      const finished = await Promise.race([
        sink.waitFor(() => mails().length >= target, 120_000, `${target} emails`).then(() => false),
        run.done.then(() => true),
      ]);
      expect(finished, 'the run ended before its kill point').toBe(false);
      const jitterMs = Math.floor(random() * 40);
      await new Promise((r) => setTimeout(r, jitterMs));
      const emails = mails().length;
      await killSandbox();
      const afterKill = mails().length;
      const r = await run.done; // the CLI gives up on a server that is gone (or finishes its retries)
      // What the outbox holds after the crash: created users whose email had not left.
      const db = new Database(join(dataDir, 'noxus.db'));
      const pending = (
        db.prepare("SELECT COUNT(*) AS n FROM invitations WHERE delivery_state = 'pending'").get() as {
          n: number;
        }
      ).n;
      db.close();
      killedAt.push({ target, emails, afterKill, jitterMs, cliExit: r.code, pending });
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.code, 'a conflict (exit 7) for a user the run created').not.toBe(7);
      await startSandboxChild();
    }

    const results = join(work, 'final.csv');
    const final = await runCli([...cliArgs(file, true, ['--results', results]), '--json'], {
      env: { NOXUS_BACKEND_URL: url, NOXUS_API_KEY: adminKey, NOXUS_CONFIG_DIR: join(work, 'cli-config') },
      timeoutMs: 180_000,
    });
    expect(final.code, final.stderr).toBe(0);
    const envelope = JSON.parse(final.stdout) as {
      items: Array<{ email: string; outcome: string }>;
      summary: { invited: number; pending_delivery: number; failed: number };
    };

    // Server side: the delivery state of everyone in the file (all still invited: nobody accepted).
    const res = await fetch(`${url}/v1/admin/users?status=invited`, { headers: { 'x-api-key': adminKey } });
    const listed = (await res.json()) as Array<{
      email: string;
      invitation?: { delivery?: { state: string } };
    }>;
    const state = new Map(
      listed.filter((u) => inFile.has(u.email)).map((u) => [u.email, u.invitation?.delivery?.state]),
    );
    expect(state.size).toBe(PEOPLE);
    const serverSent = [...state.values()].filter((s) => s === 'sent').length;
    const serverNotYet = PEOPLE - serverSent;
    expect(envelope.summary.invited).toBe(serverSent);
    expect(envelope.summary.pending_delivery).toBe(serverNotYet);
    expect(envelope.summary.failed).toBe(0);
    for (const row of envelope.items) {
      expect(row.outcome, row.email).toBe(state.get(row.email) === 'sent' ? 'invited' : 'pending delivery');
    }

    // Email side, once the outbox is quiet.
    await sink.waitFor(
      () => new Set(mails().flatMap((m) => m.to)).size >= PEOPLE,
      30_000,
      'an email for everyone',
    );
    await sink.settle(1000);
    const byPerson = new Map<string, string[]>();
    const firstAt = new Map<string, number>();
    mails().forEach((m, i) => {
      for (const t of m.to) {
        byPerson.set(t, [...(byPerson.get(t) ?? []), acceptLink(m, url).token]);
        if (!firstAt.has(t)) firstAt.set(t, i);
      }
    });
    expect(byPerson.size).toBe(PEOPLE);
    let duplicates = 0;
    for (const [person, tokens] of byPerson) {
      const live: string[] = [];
      for (const token of tokens) {
        const r = await fetch(`${url}/v1/invitations/${token}`);
        if (r.status === 200) live.push(token);
        else expect(r.status, `${person}: an older link`).toBe(404);
      }
      expect(live, `${person}: exactly one working invitation`).toHaveLength(1);
      duplicates += tokens.length - 1;
      if (tokens.length > 1) {
        // The first copy was accepted among the last few messages before a kill (the pool sends
        // at most a handful at once): the 250-before-"sent" window, nothing else.
        const at = firstAt.get(person) as number;
        expect(
          killedAt.some((k) => at < k.afterKill && at >= k.afterKill - 8),
          `${person}: first copy #${at}, kills after ${killedAt.map((k) => k.afterKill).join(', ')}`,
        ).toBe(true);
      }
    }
    // At most what was in flight at each kill: nodemailer's pool holds 5 SMTP connections. The kill
    // points follow accepted messages within milliseconds, the worst case for this window.
    expect(duplicates).toBeLessThanOrEqual(KILLS * 5);
    expect(serverSent).toBe(PEOPLE);

    console.info(
      `crash test (seed ${SEED}): kills after ${killedAt.map((k) => `${k.emails} emails (+${k.jitterMs} ms, CLI exit ${k.cliExit}, ${k.pending} pending in the outbox)`).join(', ')}; ` +
        `${PEOPLE} people, ${mails().length} emails accepted, ${byPerson.size} people with exactly one working link, ` +
        `${duplicates} duplicate(s) with dead links; CLI: ${envelope.summary.invited} invited, ${envelope.summary.pending_delivery} pending delivery; ` +
        `server: ${serverSent} sent, ${serverNotYet} not yet`,
    );
  }, 600_000);
});
