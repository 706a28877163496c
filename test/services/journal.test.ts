// The journal on a real file: what a resumed run learns from it, a line torn by a kill, and the
// file's mode (it holds idempotency keys and plans, for the operator's eyes only).
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, journalId, journalPath, lockJournal } from '../../src/services/journal.js';

const root = mkdtempSync(join(tmpdir(), 'noxus-journal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `j${++n}.jsonl`);
const at = new Date('2026-01-02T03:04:05.000Z');
const open = <R = unknown>(path: string) => Journal.open<R>(path, { now: () => at });
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

describe('Journal', () => {
  it('a missing file is an empty journal, and the file appears 0600 with the first event', () => {
    const path = fresh();
    const j = open(path);
    expect(j.exists()).toBe(false);
    expect(j.key('a')).toBeUndefined();
    expect(j.interrupted()).toEqual([]);
    j.start('a', 'key-a');
    expect(j.exists()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(lines(path)).toEqual([
      '{"type":"started","step":"a","idempotency_key":"key-a","at":"2026-01-02T03:04:05.000Z"}',
    ]);
  });

  it('reset empties the file and makes it 0600 even when it was wider', () => {
    const path = fresh();
    writeFileSync(path, '{"type":"done","step":"a","result":1,"at":"x"}\n', { mode: 0o644 });
    const j = open<number>(path);
    expect(j.result('a')).toBe(1);
    j.reset();
    expect(readFileSync(path, 'utf8')).toBe('');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(j.result('a')).toBeUndefined();
    expect(open(path).result('a')).toBeUndefined();
  });

  it('resume: done steps keep their result, a started step keeps its key, a refused one loses it', () => {
    const path = fresh();
    const j = open<{ ok: boolean }>(path);
    j.record('plan', { plan: { steps: 3 } });
    j.start('one', 'k1');
    j.finish('one', { ok: true });
    j.start('two', 'k2');
    j.start('three', 'k3');
    j.refuse('three');
    const again = open<{ ok: boolean }>(path);
    expect(again.result('one')).toEqual({ ok: true });
    expect(again.key('one')).toBe('k1');
    expect(again.result('two')).toBeUndefined();
    expect(again.key('two')).toBe('k2');
    expect(again.key('three')).toBeUndefined();
    expect(again.interrupted()).toEqual(['two']);
    expect(again.last('plan')).toEqual({ type: 'plan', plan: { steps: 3 }, at: at.toISOString() });
    expect(again.last('complete')).toBeUndefined();
  });

  it('the last done of a step wins', () => {
    const path = fresh();
    const j = open<string>(path);
    j.finish('7', 'pending');
    j.finish('7', 'delivered');
    expect(open<string>(path).result('7')).toBe('delivered');
  });

  it('a last line torn by a kill is ignored and cut off, so the next event gets a line of its own', () => {
    const path = fresh();
    const j = open(path);
    j.start('a', 'ka');
    j.finish('a', 'A');
    appendFileSync(path, '{"type":"started","step":"b","idempo');
    const after = open(path);
    expect(after.result('a')).toBe('A');
    expect(after.key('b')).toBeUndefined();
    expect(after.interrupted()).toEqual([]);
    after.start('b', 'kb');
    after.finish('b', 'B');
    const last = open(path);
    expect(last.result('b')).toBe('B');
    expect(lines(path)).toHaveLength(4);
    for (const l of lines(path)) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('a torn line that is the whole file leaves an empty journal', () => {
    const path = fresh();
    writeFileSync(path, '{"type":"do', { mode: 0o600 });
    const j = open(path);
    expect(j.interrupted()).toEqual([]);
    expect(readFileSync(path, 'utf8')).toBe('');
  });
});

describe('journals written before there was one journal', () => {
  it('a bulk journal ({row, state}) and an offboarding journal (done without step) still resume', () => {
    const bulk = fresh();
    writeFileSync(
      bulk,
      [
        '{"row":2,"state":"started","idempotency_key":"k2","at":"t"}',
        '{"row":2,"state":"done","action":"invite","outcome":"invited","message":"sent","at":"t"}',
        '{"row":3,"state":"started","idempotency_key":"k3","at":"t"}',
        '',
      ].join('\n'),
    );
    const b = open(bulk);
    expect(b.result('2')).toEqual({ action: 'invite', outcome: 'invited', message: 'sent' });
    expect(b.key('3')).toBe('k3');
    expect(b.interrupted()).toEqual(['3']);
    const off = fresh();
    writeFileSync(
      off,
      [
        '{"type":"plan","plan":{"steps":[]},"secrets_dir":null,"at":"t"}',
        '{"type":"started","step":"review","idempotency_key":"kr","at":"t"}',
        '{"type":"done","result":{"id":"review","detail":"ok"},"at":"t"}',
        '',
      ].join('\n'),
    );
    const o = open(off);
    expect(o.result('review')).toEqual({ id: 'review', detail: 'ok' });
    expect(o.interrupted()).toEqual([]);
    expect(o.last('plan')?.plan).toEqual({ steps: [] });
  });
});

describe('journalPath and journalId', () => {
  it('keeps the file inside the directory and binds the name to server and content', () => {
    const dir = join(root, 'journals');
    const p = journalPath(dir, '../../escape');
    expect(p.startsWith(`${dir}/`)).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const a = journalId('users-add', 'http://a', 'x');
    expect(a).toMatch(/^users-add-[0-9a-f]{16}$/);
    expect(journalId('users-add', 'http://b', 'x')).not.toBe(a);
    expect(journalId('users-add', 'http://a', 'y')).not.toBe(a);
    expect(journalId('users-add', 'http://a', 'x')).toBe(a);
  });
});

describe('lockJournal: one run of a journal at a time', () => {
  const started = new Date('2026-01-02T03:04:05.000Z');
  const lock = (path: string, pid: number, alive: (pid: number) => boolean) =>
    lockJournal(path, { pid, now: () => started, alive });

  it('the first run takes the lock (0600, pid and start time); a second run is told who holds it', () => {
    const path = fresh();
    const first = lock(path, 101, () => true);
    if (!first.ok) throw new Error('expected the lock');
    expect(first.stale).toBeUndefined();
    expect(statSync(`${path}.lock`).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8'))).toEqual({
      pid: 101,
      started: '2026-01-02T03:04:05.000Z',
    });
    const second = lock(path, 202, () => true);
    expect(second).toEqual({ ok: false, holder: { pid: 101, started: '2026-01-02T03:04:05.000Z' } });
    first.lock.release();
    expect(existsSync(`${path}.lock`)).toBe(false);
    const third = lock(path, 202, () => true);
    expect(third.ok).toBe(true);
  });

  it('a lock whose process is gone (kill -9) is stale: taken over, and said so', () => {
    const path = fresh();
    lock(path, 101, () => true);
    const next = lock(path, 202, (pid) => pid !== 101);
    if (!next.ok) throw new Error('expected the lock');
    expect(next.stale).toEqual({ pid: 101, started: '2026-01-02T03:04:05.000Z' });
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8')).pid).toBe(202);
  });

  it('release leaves a lock another run took over in place', () => {
    const path = fresh();
    const first = lock(path, 101, () => true);
    if (!first.ok) throw new Error('expected the lock');
    lock(path, 202, (pid) => pid !== 101);
    first.lock.release();
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8')).pid).toBe(202);
  });

  it('an unreadable lock (torn before its content) counts as stale', () => {
    const path = fresh();
    writeFileSync(`${path}.lock`, '');
    const r = lock(path, 202, () => true);
    expect(r.ok).toBe(true);
  });

  it('the real liveness check: this process is alive', () => {
    const path = fresh();
    const first = lockJournal(path);
    if (!first.ok) throw new Error('expected the lock');
    const second = lockJournal(path);
    expect(second.ok).toBe(false);
    first.lock.release();
  });
});
