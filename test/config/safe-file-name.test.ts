// File names built from server strings (user ids, key names, emails) must not choose where a file
// lands: any string gives one safe name directly inside the directory.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fileInDir, safeFileName } from '../../src/util/files.js';

const dir = mkdtempSync(join(tmpdir(), 'noxus-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Strings biased towards what an attacker would send: separators, dots, NUL, unicode, long runs.
const hostile = fc.oneof(
  fc.string({ maxLength: 400, unit: 'binary' }),
  fc.string({
    maxLength: 40,
    unit: fc.constantFrom('.', '/', '\\', '\0', '-', '_', 'a', '\u202e', ' ', ':'),
  }),
  fc.constantFrom(
    '..',
    '.',
    '',
    '../../..',
    '/etc/passwd',
    'C:\\Windows\\x',
    'NUL',
    'con.txt',
    '-rf',
    '.ssh',
  ),
  fc.string({ minLength: 200, maxLength: 2000 }),
);

function isSafe(name: string): void {
  expect(name.length).toBeGreaterThan(0);
  expect(Buffer.byteLength(name)).toBeLessThanOrEqual(130);
  expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/);
  expect(name).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i);
}

describe('safeFileName', () => {
  it('any string gives a single safe file name directly inside the directory', () => {
    fc.assert(
      fc.property(hostile, fc.constantFrom('', '.jsonl', '.key', '.md'), (s, ext) => {
        const name = safeFileName(s, ext);
        isSafe(name);
        expect(name.endsWith(ext)).toBe(true);
        const file = fileInDir(dir, s, ext);
        expect(dirname(file)).toBe(dir);
        expect(basename(file)).toBe(name);
        expect(safeFileName(s, ext)).toBe(name);
      }),
      { numRuns: 5000 },
    );
  });

  it('two different strings never share a file name', () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        fc.pre(a !== b);
        expect(safeFileName(a, '.key')).not.toBe(safeFileName(b, '.key'));
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps names that are already safe, and marks changed ones with a hash of the original', () => {
    expect(safeFileName('offboard-u_8f3a2c', '.jsonl')).toBe('offboard-u_8f3a2c.jsonl');
    expect(safeFileName('offboard-ursula@example.com-2026-01-02T03-04-05-678Z', '.md')).toBe(
      'offboard-ursula@example.com-2026-01-02T03-04-05-678Z.md',
    );
    expect(safeFileName('offboard-../../..', '.jsonl')).toMatch(/^offboard--[0-9a-f]{12}\.jsonl$/);
    expect(safeFileName('../../..')).toMatch(/^[0-9a-f]{12}$/);
    expect(safeFileName('/etc/passwd')).toMatch(/^etc_passwd-[0-9a-f]{12}$/);
    expect(safeFileName('a\0b', '.key')).toMatch(/^a_b-[0-9a-f]{12}\.key$/);
    expect(safeFileName('NUL', '.key')).toMatch(/^NUL_-[0-9a-f]{12}\.key$/);
    expect(safeFileName('con.txt')).toMatch(/^con_\.txt-[0-9a-f]{12}$/);
    expect(safeFileName('x'.repeat(5000), '.md')).toMatch(/^x{100}-[0-9a-f]{12}\.md$/);
  });

  it('a file written under a hostile name lands in the directory and nowhere else', () => {
    const d = mkdtempSync(join(dir, 'w-'));
    for (const s of ['../../escape', '/tmp/abs', '..', 'a/../../b', '\0'])
      writeFileSync(fileInDir(d, `offboard-${s}`, '.jsonl'), 'x');
    expect(readdirSync(d).length).toBe(5);
    expect(readdirSync(dirname(d)).filter((f) => !f.startsWith('w-'))).toEqual([]);
  });

  it('an extension that is not one is a programming error', () => {
    expect(() => safeFileName('x', '/../y')).toThrow('not a file extension: "/../y"');
  });
});
