// Sorting rows that may not fit in memory: rows are added with a sort key, kept in a bounded buffer,
// and written out as sorted runs to a private temporary directory when it fills; reading merges the
// runs. An export's memory then stays the same whether the organization has 1,000 users or 1,000,000.

import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rows } from './types.js';

/**
 * A sort key from its parts, compared as the parts would be one after another (code unit order):
 * NUL, the lowest unit, separates them, and a NUL inside a part is written NUL SOH so that it still
 * sorts after the end of a shorter part.
 */
export function sortKey(...parts: string[]): string {
  return parts.map((p) => (p.includes('\0') ? p.replace(/\0/g, '\0\x01') : p)).join('\0\0');
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Lines of a file written by `SortedSpill`, each `JSON key` TAB `row` (neither holds a raw TAB or newline). */
async function* runLines(file: string): AsyncGenerator<[string, string]> {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 32 * 1024 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const tab = text.indexOf('\t', start);
      yield [JSON.parse(text.slice(start, tab)) as string, text.slice(tab + 1, nl)];
      start = nl + 1;
    }
    rest = text.slice(start);
  }
}

export class SortedSpill implements Rows {
  private buffer: Array<[string, string]> = [];
  private readonly runs: string[] = [];
  private dir: string | undefined;
  private sealed = false;
  count = 0;

  /** `limit`: rows held in memory before a run is written. */
  constructor(private readonly limit = 20_000) {}

  add(key: string, line: string): void {
    if (this.sealed) throw new Error('SortedSpill: add after reading');
    this.buffer.push([key, line]);
    this.count++;
    if (this.buffer.length >= this.limit) this.flush();
  }

  private flush(): void {
    this.buffer.sort((a, b) => cmp(a[0], b[0]));
    if (!this.dir) this.dir = mkdtempSync(join(tmpdir(), 'noxus-review-'));
    const file = join(this.dir, `run-${this.runs.length}`);
    let text = '';
    for (const [k, l] of this.buffer) text += `${JSON.stringify(k)}\t${l}\n`;
    writeFileSync(file, text, { mode: 0o600 });
    this.runs.push(file);
    this.buffer = [];
  }

  async *lines(): AsyncGenerator<string> {
    if (!this.sealed) {
      this.sealed = true;
      this.buffer.sort((a, b) => cmp(a[0], b[0]));
    }
    const mem = this.buffer;
    const sources: Array<AsyncIterator<[string, string]> | null> = this.runs.map((f) =>
      runLines(f)[Symbol.asyncIterator](),
    );
    const heads: Array<[string, string] | null> = [];
    for (const s of sources) heads.push(((await s?.next())?.value as [string, string]) ?? null);
    let m = 0;
    for (;;) {
      // Few runs (rows ÷ limit): a linear pick of the smallest head is cheaper than a heap.
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && (best < 0 || cmp(h[0], (heads[best] as [string, string])[0]) < 0)) best = i;
      }
      const fromMem = m < mem.length;
      if (best < 0 && !fromMem) return;
      // Ties go to the earlier run, then to memory (the rows added last): equal keys keep the order added.
      if (
        best < 0 ||
        (fromMem && cmp((mem[m] as [string, string])[0], (heads[best] as [string, string])[0]) < 0)
      ) {
        yield (mem[m++] as [string, string])[1];
        continue;
      }
      yield (heads[best] as [string, string])[1];
      const next = await (sources[best] as AsyncIterator<[string, string]>).next();
      heads[best] = next.done ? null : next.value;
    }
  }

  /** Removes the runs written to disk. */
  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
