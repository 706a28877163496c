// The one journal of every run that must survive a kill (bulk provisioning, offboarding): an
// append-only JSONL file, 0600, with a `started` event before each write (carrying the idempotency
// key that write uses) and a `done` event after it. A resumed run skips what is done and repeats an
// interrupted write with the same key, so the server does it once.

import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { fileInDir } from '../util/files.js';

/** One line of the file. `started`, `done` and `refused` name a step; other types are run records. */
export interface JournalEvent {
  type: string;
  step?: string;
  idempotency_key?: string;
  result?: unknown;
  at: string;
  [field: string]: unknown;
}

/** Where a journal named `name` lives in `dir` (created 0700); the name cannot leave the directory. */
export function journalPath(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return fileInDir(dir, name, '.jsonl');
}

/** A journal name bound to the server and the input, so another file or server starts afresh. */
export function journalId(kind: string, server: string, content: Buffer | string): string {
  return `${kind}-${createHash('sha256').update(server).update('\0').update(content).digest('hex').slice(0, 16)}`;
}

/** Who holds a journal's lock: the process and when it took the lock. */
export interface LockHolder {
  pid: number;
  started: string;
}

export interface JournalLock {
  path: string;
  /** Removes the lock, unless another run took it over meanwhile. Safe to call twice. */
  release(): void;
}

export type LockResult =
  | {
      ok: true;
      lock: JournalLock;
      /** A lock left by a process that is gone, taken over. */
      stale?: LockHolder;
    }
  | { ok: false; holder: LockHolder };

/**
 * Takes `<journal>.lock` so that only one run works on a journal at a time: two runs of the same
 * input would each repeat the other's unfinished steps. The lock names its process; a lock whose
 * process is gone (killed) is stale and taken over. The file is complete before it appears (written
 * aside, then hard-linked into place, which fails if a lock exists), so a reader never sees it half
 * written.
 */
export function lockJournal(
  journal: string,
  opts: { pid?: number; now?: () => Date; alive?: (pid: number) => boolean } = {},
): LockResult {
  const path = `${journal}.lock`;
  const pid = opts.pid ?? process.pid;
  const alive = opts.alive ?? processAlive;
  const content = `${JSON.stringify({ pid, started: (opts.now ?? (() => new Date()))().toISOString() })}\n`;
  let stale: LockHolder | undefined;
  for (let attempt = 0; ; attempt++) {
    const aside = `${path}.${pid}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(aside, content, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(aside, path);
      const lock: JournalLock = {
        path,
        release: () => {
          try {
            if (readFileSync(path, 'utf8') === content) unlinkSync(path);
          } catch {}
        },
      };
      return stale ? { ok: true, lock, stale } : { ok: true, lock };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(aside);
    }
    const holder = readHolder(path);
    // A second loss is another run that took the stale lock first: it holds the lock now.
    if (holder && (alive(holder.pid) || attempt > 0)) return { ok: false, holder };
    if (attempt > 0) return { ok: false, holder: { pid: 0, started: 'unknown' } };
    stale = holder ?? { pid: 0, started: 'unknown' };
    try {
      unlinkSync(path);
    } catch {}
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0)
      return { pid: v.pid, started: String(v.started ?? 'unknown') };
  } catch {}
  return undefined;
}

/** True while a process with this id exists (EPERM: it exists, under another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Journal<R = unknown> {
  private readonly keys = new Map<string, string>();
  private readonly results = new Map<string, R>();
  private readonly records = new Map<string, JournalEvent>();

  private constructor(
    readonly path: string,
    private readonly now: () => Date,
  ) {}

  /** Reads the journal at `path` if there is one; a missing file is an empty journal. */
  static open<R = unknown>(path: string, opts: { now?: () => Date } = {}): Journal<R> {
    const j = new Journal<R>(path, opts.now ?? (() => new Date()));
    if (!existsSync(path)) return j;
    const bytes = readFileSync(path);
    const end = bytes.lastIndexOf(0x0a) + 1;
    // A kill in the middle of an append leaves a torn last line: that event never happened. It is
    // cut off so that the next append starts on a line of its own instead of gluing onto it.
    if (end < bytes.length) truncateSync(path, end);
    for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      let e: JournalEvent;
      try {
        e = JSON.parse(line) as JournalEvent;
      } catch {
        continue;
      }
      j.apply(earlier(e));
    }
    return j;
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  /** Starts over: an empty file (0600) and nothing done. */
  reset(): void {
    writeFileSync(this.path, '', { mode: 0o600 });
    chmodSync(this.path, 0o600);
    this.keys.clear();
    this.results.clear();
    this.records.clear();
  }

  /** The idempotency key of a step that was started (and not refused): a retry reuses it. */
  key(step: string): string | undefined {
    return this.keys.get(step);
  }

  /** What a finished step recorded; the last `done` of a step wins. */
  result(step: string): R | undefined {
    return this.results.get(step);
  }

  /** Steps started and never done: the writes a kill interrupted. */
  interrupted(): string[] {
    return [...this.keys.keys()].filter((s) => !this.results.has(s));
  }

  start(step: string, idempotencyKey: string): void {
    this.append({ type: 'started', step, idempotency_key: idempotencyKey });
  }

  finish(step: string, result: R): void {
    this.append({ type: 'done', step, result });
  }

  /** The server refused the step (4xx): nothing happened, so a retry is a new request with a new key. */
  refuse(step: string): void {
    this.append({ type: 'refused', step });
  }

  /** A fact about the run as a whole (the plan, a deferral, completion); `last(type)` reads it back. */
  record(type: string, fields: Record<string, unknown> = {}): void {
    this.append({ ...fields, type });
  }

  last(type: string): JournalEvent | undefined {
    return this.records.get(type);
  }

  private append(e: Omit<JournalEvent, 'at'>): void {
    const event = { ...e, at: this.now().toISOString() } as JournalEvent;
    appendFileSync(this.path, `${JSON.stringify(event)}\n`, { mode: 0o600 });
    this.apply(event);
  }

  private apply(e: JournalEvent): void {
    if (e.type === 'started' && e.step !== undefined && e.idempotency_key)
      this.keys.set(e.step, e.idempotency_key);
    else if (e.type === 'refused' && e.step !== undefined) this.keys.delete(e.step);
    else if (e.type === 'done' && e.step !== undefined) this.results.set(e.step, e.result as R);
    else this.records.set(e.type, e);
  }
}

/**
 * Events in the forms the two journals this one replaced wrote, so that a run interrupted before
 * an upgrade still resumes: bulk rows (`{row, state}`) and offboarding results without a `step`.
 */
function earlier(e: JournalEvent): JournalEvent {
  const old = e as JournalEvent & {
    row?: number;
    state?: string;
    action?: string;
    outcome?: string;
    message?: string;
  };
  if (e.type === undefined && old.state && old.row !== undefined) {
    const { row, state, action, outcome, message, ...rest } = old;
    return state === 'done'
      ? { ...rest, type: 'done', step: String(row), result: { action, outcome, message } }
      : { ...rest, type: state, step: String(row) };
  }
  const id = (e.result as { id?: unknown } | undefined)?.id;
  if (e.type === 'done' && e.step === undefined && typeof id === 'string') return { ...e, step: id };
  return e;
}
