// The on-disk sort behind large exports: whatever the runs, it reads back exactly what a sort in
// memory gives, keys compare part by part, and disposing removes its files.
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedSpill, sortKey } from '../../src/services/review/spill.js';

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function read(s: SortedSpill): Promise<string[]> {
  const out: string[] = [];
  for await (const l of s.lines()) out.push(l);
  return out;
}

describe('SortedSpill', () => {
  it('reads back the rows sorted, across runs on disk and the rest in memory, as often as asked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        async (rows, limit) => {
          const s = new SortedSpill(limit);
          rows.forEach(([k, v], i) => {
            s.add(sortKey(k, String(i).padStart(3, '0')), JSON.stringify([k, v]));
          });
          const expected = rows
            .map(([k, v], i) => ({ k, i, line: JSON.stringify([k, v]) }))
            .sort((a, b) => cmp(a.k, b.k) || a.i - b.i)
            .map((x) => x.line);
          try {
            expect(await read(s)).toEqual(expected);
            expect(await read(s)).toEqual(expected);
            expect(s.count).toBe(rows.length);
          } finally {
            s.dispose();
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keys compare part by part: a shorter part first, NUL inside a part included', () => {
    const keys = [
      ['ab', 'x'],
      ['a', 'z'],
      ['a\0', 'a'],
      ['a', '\0'],
    ].map((p) => sortKey(...p));
    expect([...keys].sort(cmp)).toEqual([
      sortKey('a', '\0'),
      sortKey('a', 'z'),
      sortKey('a\0', 'a'),
      sortKey('ab', 'x'),
    ]);
  });

  it('writes its runs in a private directory and dispose removes it', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('noxus-review-')));
    const s = new SortedSpill(2);
    for (const k of ['c', 'b', 'a', 'd', 'e']) s.add(k, `"${k}"`);
    const dirs = readdirSync(tmpdir()).filter((f) => f.startsWith('noxus-review-') && !before.has(f));
    expect(dirs).toHaveLength(1);
    expect(await read(s)).toEqual(['"a"', '"b"', '"c"', '"d"', '"e"']);
    expect(() => s.add('f', '"f"')).toThrow('SortedSpill: add after reading');
    s.dispose();
    expect(existsSync(`${tmpdir()}/${dirs[0]}`)).toBe(false);
  });
});
