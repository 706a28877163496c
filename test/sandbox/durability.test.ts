// kill -9 in the middle of writes (docs/quality.md: "SQLite in WAL mode; writes in transactions;
// survives a kill -9 mid-write with nothing torn"). A real child process runs the built sandbox;
// the test fires concurrent writes at it, SIGKILLs it, restarts it on the same data folder and
// checks the database: it opens, passes integrity_check, holds every write the API confirmed, and
// no change is half there (a user without its creation entry in the activity log, a membership
// pointing at a missing user or workspace...). Three rounds, killed at different moments.

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'noxus');
const BUNDLE = join(ROOT, 'dist', 'main.js');
const OWNER_EMAIL = 'owner@example.com';

type Child = ChildProcessByStdio<null, Readable, Readable>;

interface Running {
  child: Child;
  url: string;
  adminKey: string;
  exited: Promise<NodeJS.Signals | number | null>;
  stderr: () => string;
}

let work: string;
let dataDir: string;
const children: Child[] = [];

/** Starts the shipped CLI's sandbox in the foreground; resolves once it listens (the key is in its data folder). */
function startChild(): Promise<Running> {
  const child = spawn(
    process.execPath,
    [CLI, 'sandbox', 'start', '--port', '0', '--data', dataDir, '--seed', 'empty'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NOXUS_CONFIG_DIR: join(work, 'config'), NO_COLOR: '1', NOXUS_API_KEY: '' },
    },
  );
  children.push(child);
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the sandbox child did not start within 20 s\nstdout: ${out}\nstderr: ${err}`));
    }, 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.on('data', () => {
      const url = /sandbox listening at (http:\/\/\S+)/.exec(err)?.[1];
      if (!url) return;
      clearTimeout(timer);
      const adminKey = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
      resolve({ child, url, adminKey, exited, stderr: () => err });
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(
        new Error(`the sandbox child exited (${how}) before it was ready\nstdout: ${out}\nstderr: ${err}`),
      );
    });
  });
}

// ---- what the API confirmed ---------------------------------------------------------------------

const confirmed = {
  users: new Map<string, string>(), // id -> email
  groups: new Map<string, string>(), // id -> name
  memberships: new Set<string>(), // `${group}:${user}`
};

interface RoundResult {
  confirmedThisRound: number;
  inFlightAtKill: number;
  failedAfterKill: number;
  unexpected: string[];
}

const pickFrom = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

/**
 * `concurrency` workers write as fast as they can: users (some with workspace roles, written in the
 * same transaction), workspaces, memberships. After `killAfter` confirmed writes the child gets
 * SIGKILL while requests are still in flight.
 */
async function writeUntilKilled(s: Running, round: number, killAfter: number, concurrency: number) {
  const result: RoundResult = {
    confirmedThisRound: 0,
    inFlightAtKill: 0,
    failedAfterKill: 0,
    unexpected: [],
  };
  let inFlight = 0;
  let killed = false;
  let seq = 0;
  const post = async (method: string, path: string, body: unknown) => {
    inFlight++;
    try {
      const r = await fetch(`${s.url}${path}`, {
        method,
        headers: { 'x-api-key': s.adminKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: JSON.parse(text) as Record<string, unknown>, text };
    } finally {
      inFlight--;
    }
  };
  const confirm = () => {
    result.confirmedThisRound++;
    if (!killed && result.confirmedThisRound >= killAfter) {
      killed = true;
      result.inFlightAtKill = inFlight;
      s.child.kill('SIGKILL');
    }
  };
  const worker = async (w: number) => {
    while (!killed) {
      const n = seq++;
      const groups = [...confirmed.groups.keys()];
      const users = [...confirmed.users.keys()];
      try {
        const dice = Math.random();
        if (groups.length < 3 || dice < 0.15) {
          const name = `ws-${round}-${w}-${n}`;
          const r = await post('POST', '/v1/admin/groups', { name, description: `round ${round}` });
          if (r.status === 201) {
            confirmed.groups.set(r.body.id as string, name);
            confirm();
          } else result.unexpected.push(`POST /v1/admin/groups -> ${r.status} ${r.text}`);
        } else if (users.length > 0 && dice < 0.5) {
          const g = pickFrom(groups);
          const u = pickFrom(users);
          const role = pickFrom(['Reader', 'Editor', 'Admin']);
          const r = await post('PUT', `/v1/admin/groups/${g}/members/${u}`, { role });
          if (r.status === 200 || r.status === 201) {
            confirmed.memberships.add(`${g}:${u}`);
            confirm();
          } else result.unexpected.push(`PUT members -> ${r.status} ${r.text}`);
        } else {
          const email = `user-${round}-${w}-${n}@example.com`;
          const withRoles = Math.random() < 0.3;
          const ws = withRoles ? [...new Set([pickFrom(groups), pickFrom(groups)])] : [];
          const r = await post('POST', '/v1/admin/users', {
            email,
            name: `User ${round}.${w}.${n}`,
            send_invitation: false,
            workspaces: ws.map((group_id) => ({ group_id, role: 'Reader' })),
          });
          if (r.status === 201) {
            const id = r.body.id as string;
            confirmed.users.set(id, email);
            for (const g of ws) confirmed.memberships.add(`${g}:${id}`);
            confirm();
          } else result.unexpected.push(`POST /v1/admin/users -> ${r.status} ${r.text}`);
        }
      } catch (e) {
        // The connection died with the child; before the kill that is a failure of its own.
        if (killed) result.failedAfterKill++;
        else result.unexpected.push(`request failed before the kill: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return result;
}

// ---- the checks after a restart ------------------------------------------------------------------

function openReadOnly(): Database.Database {
  return new Database(join(dataDir, 'noxus.db'), { readonly: true, fileMustExist: true });
}

async function api(s: Running, path: string) {
  const r = await fetch(`${s.url}${path}`, { headers: { 'x-api-key': s.adminKey } });
  return { status: r.status, body: (await r.json()) as unknown };
}

let running: Running;
let firstKey: string;

describe('sandbox durability: SIGKILL in the middle of writes', () => {
  beforeAll(async () => {
    if (!existsSync(BUNDLE)) {
      throw new Error(
        `${BUNDLE} does not exist: this test runs the shipped CLI's sandbox in a child process. Run \`npm run build\` first (\`npm test\` does).`,
      );
    }
    work = mkdtempSync(join(tmpdir(), 'noxus-durability-'));
    dataDir = join(work, 'data');
    running = await startChild();
    firstKey = running.adminKey;
    expect(firstKey).toMatch(/^noxus_/);
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(
      children.map((c) =>
        c.exitCode === null && c.signalCode === null
          ? new Promise((ok) => c.once('exit', ok))
          : Promise.resolve(),
      ),
    );
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const ROUNDS = [
    { round: 1, killAfter: 15, concurrency: 16 },
    { round: 2, killAfter: 150, concurrency: 32 },
    { round: 3, killAfter: 600, concurrency: 48 },
  ];

  for (const { round, killAfter, concurrency } of ROUNDS) {
    it(`round ${round}: killed after ${killAfter} confirmed writes, ${concurrency} in parallel; restarts whole`, async () => {
      const r = await writeUntilKilled(running, round, killAfter, concurrency);
      expect(r.unexpected, r.unexpected.slice(0, 5).join('\n')).toEqual([]);
      expect(r.confirmedThisRound).toBeGreaterThanOrEqual(killAfter);
      // It really was killed mid-write: requests were in flight and died with it.
      expect(r.inFlightAtKill).toBeGreaterThan(0);
      expect(r.failedAfterKill).toBeGreaterThan(0);
      expect(await running.exited).toBe('SIGKILL');

      // The database opens: the sandbox starts again on the same folder, with the same key.
      running = await startChild();
      expect(running.adminKey).toBe(firstKey);
      const health = await api(running, '/healthz');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ ok: true, organization: 'Noxus Sandbox' });

      const db = openReadOnly();
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.pragma('foreign_key_check')).toEqual([]);
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');

        // Every write the API confirmed is there.
        const users = new Map(
          db
            .prepare('SELECT id, email FROM users')
            .all()
            .map((u) => [(u as { id: string }).id, (u as { email: string }).email]),
        );
        const missingUsers = [...confirmed.users].filter(([id, email]) => users.get(id) !== email);
        expect(missingUsers).toEqual([]);
        const groups = new Map(
          db
            .prepare('SELECT id, name FROM groups')
            .all()
            .map((g) => [(g as { id: string }).id, (g as { name: string }).name]),
        );
        expect([...confirmed.groups].filter(([id, name]) => groups.get(id) !== name)).toEqual([]);
        const memberships = new Set(
          db
            .prepare("SELECT group_id || ':' || user_id AS k FROM memberships")
            .all()
            .map((m) => (m as { k: string }).k),
        );
        expect([...confirmed.memberships].filter((k) => !memberships.has(k))).toEqual([]);

        // Nothing torn: each creation and its activity entry were one transaction.
        const usersWithoutEntry = db
          .prepare(
            `SELECT u.id, u.email FROM users u WHERE u.email_norm != ? AND NOT EXISTS (
               SELECT 1 FROM activity a WHERE a.action = 'create' AND a.resource_type = 'user' AND a.resource_id = u.id)`,
          )
          .all(OWNER_EMAIL);
        expect(usersWithoutEntry).toEqual([]);
        const entriesWithoutUser = db
          .prepare(
            `SELECT a.resource_id FROM activity a WHERE a.action = 'create' AND a.resource_type = 'user'
               AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.resource_id)`,
          )
          .all();
        expect(entriesWithoutUser).toEqual([]);
        const groupsWithoutEntry = db
          .prepare(
            `SELECT g.id, g.name FROM groups g WHERE g.name != 'Default' AND NOT EXISTS (
               SELECT 1 FROM activity a WHERE a.action = 'create' AND a.resource_type = 'workspace' AND a.resource_id = g.id)`,
          )
          .all();
        expect(groupsWithoutEntry).toEqual([]);
        // A user created with workspace roles has all of them (same transaction)...
        const usersMissingRoles = db
          .prepare(
            `SELECT a.resource_id FROM activity a WHERE a.action = 'create' AND a.resource_type = 'user'
               AND json_array_length(a.summary, '$.workspaces') >
                   (SELECT COUNT(*) FROM memberships m WHERE m.user_id = a.resource_id)`,
          )
          .all();
        expect(usersMissingRoles).toEqual([]);
        // ...and every membership comes from a logged change: its own entry or its user's creation.
        const membershipsWithoutEntry = db
          .prepare(
            `SELECT m.group_id, m.user_id FROM memberships m WHERE NOT EXISTS (
               SELECT 1 FROM activity a WHERE a.action = 'create' AND a.resource_type = 'membership'
                 AND a.resource_id = m.group_id || ':' || m.user_id)
             AND NOT EXISTS (
               SELECT 1 FROM activity a, json_each(a.summary, '$.workspaces') w, groups g
               WHERE a.action = 'create' AND a.resource_type = 'user' AND a.resource_id = m.user_id
                 AND g.id = m.group_id AND json_extract(w.value, '$.workspace') = g.name)`,
          )
          .all();
        expect(membershipsWithoutEntry).toEqual([]);
        // No membership points at a missing user or workspace.
        const dangling = db
          .prepare(
            `SELECT m.group_id, m.user_id FROM memberships m
             WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m.user_id)
                OR NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = m.group_id)`,
          )
          .all();
        expect(dangling).toEqual([]);
      } finally {
        db.close();
      }

      // The API agrees, and the restarted sandbox takes writes again.
      const listed = await api(running, '/v1/admin/users');
      expect(listed.status).toBe(200);
      const listedIds = new Set((listed.body as Array<{ id: string }>).map((u) => u.id));
      expect([...confirmed.users.keys()].filter((id) => !listedIds.has(id))).toEqual([]);
      const after = await fetch(`${running.url}/v1/admin/users`, {
        method: 'POST',
        headers: { 'x-api-key': running.adminKey, 'content-type': 'application/json' },
        body: JSON.stringify({
          email: `after-${round}@example.com`,
          name: 'After Restart',
          send_invitation: false,
        }),
      });
      const afterText = await after.text();
      expect(after.status, afterText).toBe(201);
      confirmed.users.set((JSON.parse(afterText) as { id: string }).id, `after-${round}@example.com`);
      expect(running.stderr()).not.toMatch(/internal error/);
    }, 60_000);
  }
});
