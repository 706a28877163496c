// No secret at rest, and none where it was not meant to be shown. A full run through the built CLI
// against a detached sandbox (`sandbox start --detach`, which writes sandbox.log) with real SMTP:
// the bootstrap key, keys created, rotated and replayed through an Idempotency-Key, an act-as key,
// a system key, a service account's key, the rotated secrets of an offboarding (--secrets-dir),
// and the accept tokens of invitations. Every secret is collected, then the whole data folder
// (database, -wal, -shm, sandbox.log, state), the CLI's config folder (journals) and every file
// and stream the CLI wrote are scanned for each one.
//
// Where a secret may be, by design, and nowhere else:
// - the stdout of the one command that issued it (shown once);
// - the bootstrap key in <data>/admin-key (0600, the sandbox's local test credential);
// - the offboarding's new secrets in the --secrets-dir files (0600, which is what that option is for);
// - an invitation's accept token in the email itself (here: the SMTP sink, outside every folder scanned).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { acceptLink, type SmtpSink, startSmtpSink } from './mail.js';

interface Secret {
  label: string;
  value: string;
  /** Index of the CLI run whose stdout showed it; null when it came from the API or a file. */
  shownIn: number | null;
  /** Files (absolute) where it is kept by design. */
  keptIn: string[];
}

let sink: SmtpSink;
let work: string;
let dataDir: string;
let cfg: string;
let url = '';
let bootstrap = '';
const runs: Array<{ args: string[]; r: CliResult }> = [];
const secrets: Secret[] = [];
const SECRET_RE = /noxus_[0-9A-Za-z]{43}/g;

async function noxus(args: string[], key: string | null = bootstrap): Promise<CliResult & { index: number }> {
  const r = await runCli(args, {
    configDir: cfg,
    env: {
      ...(key ? { NOXUS_BACKEND_URL: url, NOXUS_API_KEY: key } : {}),
      GITHUB_ACTIONS: undefined,
    },
    timeoutMs: 120_000,
  });
  runs.push({ args, r });
  return { ...r, index: runs.length - 1 };
}

function ok(r: CliResult & { index: number }): CliResult & { index: number } {
  expect(r.code, `${runs[r.index]?.args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON output
const item = (r: CliResult): any => (JSON.parse(r.stdout) as { items: unknown[] }).items[0];

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Every (file, secret) pair where a secret is in a file it is not kept in by design. The work folder
 * holds the data folder, the CLI's config folder, the results, reports and --secrets-dir. */
function scan(dirs: string[]): { files: number; bytes: number; hits: string[] } {
  const all = dirs.flatMap(files);
  const hits: string[] = [];
  let bytes = 0;
  for (const f of all) {
    const content = readFileSync(f);
    bytes += content.length;
    for (const s of secrets) {
      if (content.includes(s.value) && !s.keptIn.includes(f)) hits.push(`${s.label} in ${relative(work, f)}`);
    }
  }
  return { files: all.length, bytes, hits };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'noxus-scan-'));
  dataDir = join(work, 'data');
  cfg = join(work, 'config');
  sink = await startSmtpSink();
});

afterAll(async () => {
  if (dataDir) await runCli(['sandbox', 'stop', '--data', dataDir], { configDir: cfg });
  await sink?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('secrets at rest after a full run', () => {
  it('no secret issued in the run is in the data folder, the CLI files or another output', async () => {
    // The sandbox, detached: its child's output goes to sandbox.log.
    const start = ok(
      await noxus(
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
          '--no-profile-setup',
          '--json',
        ],
        null,
      ),
    );
    const doc = JSON.parse(start.stdout) as { url: string; admin_key: string };
    url = doc.url;
    bootstrap = doc.admin_key;
    secrets.push({
      label: 'bootstrap',
      value: bootstrap,
      shownIn: start.index,
      keptIn: [join(dataDir, 'admin-key')],
    });

    // Keys: create, rotate.
    const created = ok(
      await noxus(['keys', 'create', '--workspace', 'Engineering', '--name', 'scan', '--json']),
    );
    const k1 = item(created);
    secrets.push({ label: 'keys create', value: k1.secret, shownIn: created.index, keptIn: [] });
    const rotated = ok(await noxus(['keys', 'rotate', k1.id, '--json']));
    secrets.push({ label: 'keys rotate', value: item(rotated).secret, shownIn: rotated.index, keptIn: [] });

    // An idempotent replay: the same Idempotency-Key twice returns the same secret (stored sealed).
    const groups = (await (
      await fetch(`${url}/v1/admin/groups`, { headers: { 'x-api-key': bootstrap } })
    ).json()) as Array<{
      id: string;
      name: string;
    }>;
    const eng = groups.find((g) => g.name === 'Engineering')?.id as string;
    const replayed: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${url}/v1/admin/groups/${eng}/api-keys`, {
        method: 'POST',
        headers: {
          'x-api-key': bootstrap,
          'content-type': 'application/json',
          'idempotency-key': 'scan-replay-1',
        },
        body: JSON.stringify({ name: 'replayed' }),
      });
      expect(r.status).toBe(201);
      replayed.push(((await r.json()) as { value: string }).value);
    }
    expect(replayed[1]).toBe(replayed[0]);
    secrets.push({ label: 'replayed key', value: replayed[0] as string, shownIn: null, keptIn: [] });

    // act-as: Grace's personal tenant-admin key; with it a system key and a service account's key.
    const act = ok(
      await noxus([
        'sandbox',
        'act-as',
        'grace@example.com',
        '--workspace',
        'Engineering',
        '--tenant-admin',
        '--json',
      ]),
    );
    const grace = item(act).secret as string;
    secrets.push({ label: 'act-as', value: grace, shownIn: act.index, keptIn: [] });
    const sys = ok(
      await noxus(
        ['keys', 'system', 'create', '--name', 'scan-directory', '--permissions', 'users:read', '--json'],
        grace,
      ),
    );
    secrets.push({ label: 'system key', value: item(sys).secret, shownIn: sys.index, keptIn: [] });
    const sa = ok(
      await noxus(
        [
          'service-accounts',
          'create',
          'Scan bot',
          '--workspace',
          'Engineering=Editor',
          '--key',
          'scan-bot',
          '--json',
        ],
        grace,
      ),
    );
    const saDoc = item(sa);
    const saSecret = (JSON.stringify(saDoc).match(SECRET_RE) ?? [])[0] as string;
    expect(saSecret).toBeTruthy();
    secrets.push({ label: 'service-account key', value: saSecret, shownIn: sa.index, keptIn: [] });

    // Invitations: a small bulk add; the tokens are collected from the emails.
    const csv = join(work, 'people.csv');
    const people = ['scan-a', 'scan-b', 'scan-c', 'scan-d'].map((n) => `${n}@example.com`);
    await import('node:fs').then((fs) =>
      fs.writeFileSync(
        csv,
        `email,name\n${people.map((p) => `${p},Scan ${p[5]?.toUpperCase()}`).join('\n')}\n`,
      ),
    );
    const added = ok(
      await noxus(['users', 'add', '--from-csv', csv, '--results', join(work, 'results.csv')]),
    );
    expect(added.stderr).toContain('✓ 4 invited, 0 updated, 0 unchanged, 0 failed');
    await sink.waitFor(() => people.every((p) => sink.to(p).length === 1), 20_000, 'the invitations');
    for (const p of people) {
      secrets.push({
        label: `invitation ${p}`,
        value: acceptLink(sink.to(p)[0] as never, url).token,
        shownIn: null,
        keptIn: [],
      });
    }

    // Offboarding Grace: her system key and service-account key are rotated into --secrets-dir.
    const secretsDir = join(work, 'rotated');
    ok(
      await noxus([
        'offboard',
        'grace@example.com',
        '--transfer-to',
        'ada@example.com',
        '--yes',
        '--secrets-dir',
        secretsDir,
        '--report-dir',
        join(work, 'reports'),
      ]),
    );
    const kept = files(secretsDir);
    expect(kept.length).toBeGreaterThanOrEqual(2);
    for (const f of kept) {
      expect(statSync(f).mode & 0o777).toBe(0o600);
      for (const v of readFileSync(f, 'utf8').match(SECRET_RE) ?? [])
        secrets.push({
          label: `rotated by offboard (${relative(work, f)})`,
          value: v,
          shownIn: null,
          keptIn: [f],
        });
    }
    expect(new Set(secrets.map((s) => s.value)).size).toBe(secrets.length);

    // 1. While the sandbox runs: the WAL and shared memory are there, and scanned.
    expect(existsSync(join(dataDir, 'noxus.db-wal'))).toBe(true);
    expect(existsSync(join(dataDir, 'sandbox.log'))).toBe(true);
    const live = scan([work]);
    // 2. After a stop (checkpointed database).
    ok(await noxus(['sandbox', 'stop', '--data', dataDir], null));
    const stopped = scan([work]);

    // 3. Every CLI stream: a secret only on the stdout of the run that issued it, once.
    const streamHits: string[] = [];
    for (const s of secrets) {
      runs.forEach(({ args, r }, i) => {
        const out = r.stdout.split(s.value).length - 1;
        const err = r.stderr.split(s.value).length - 1;
        // The run that issued it shows it once: in text, one line; in a --json document, the named
        // `key` and `items[0]` (kept for older scripts) of that one document, and nowhere else.
        const allowed = s.shownIn === i ? leavesEqual(r.stdout, s.value) : 0;
        if (out !== allowed || err > 0)
          streamHits.push(`${s.label}: ${out} on stdout, ${err} on stderr of ${args.slice(0, 3).join(' ')}`);
      });
    }

    console.info(
      `secret scan: ${secrets.length} secrets (${secrets.filter((s) => s.label.startsWith('invitation')).length} invitation tokens); ` +
        `running: ${live.files} files, ${live.bytes} bytes, ${live.hits.length} hits; stopped: ${stopped.files} files, ` +
        `${stopped.bytes} bytes, ${stopped.hits.length} hits; ${runs.length} CLI runs, ${streamHits.length} stream hits`,
    );
    expect(live.hits).toEqual([]);
    expect(stopped.hits).toEqual([]);
    expect(streamHits).toEqual([]);
    // (control) the scan sees what is kept by design: it is not blind.
    expect(readFileSync(join(dataDir, 'admin-key'), 'utf8')).toContain(bootstrap);
  }, 300_000);
});

/** How many `secret`/`admin_key` fields of a JSON document hold `value` (1 for output that is not JSON). */
function leavesEqual(stdout: string, value: string): number {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    return 1;
  }
  const walk = (v: unknown, name: string): number =>
    v === value && (name === 'secret' || name === 'admin_key')
      ? 1
      : v && typeof v === 'object'
        ? Object.entries(v as Record<string, unknown>).reduce<number>((n, [k, x]) => n + walk(x, k), 0)
        : 0;
  return walk(doc, '');
}
