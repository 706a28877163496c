// Bulk input and output on real files: CSV problems reported as file:line:column with nothing
// changed, the size and row limits, and result files a spreadsheet cannot execute.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  InputErrors,
  MAX_INPUT_BYTES,
  MAX_ROWS,
  neutralize,
  readCsv,
  writeResults,
} from '../../src/services/bulk.js';

const dir = mkdtempSync(join(tmpdir(), 'noxus-bulk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const COLUMNS = { required: ['email', 'role'], optional: ['name'] };
let n = 0;
function csv(content: string | Buffer): string {
  const file = join(dir, `in${++n}.csv`);
  writeFileSync(file, content);
  return file;
}
const problem = (file: string): string => {
  try {
    readCsv(file, COLUMNS);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected readCsv to refuse the file');
};

describe('readCsv', () => {
  it('reads rows with the line each record starts on, across quoted newlines and blank lines', () => {
    const file = csv('Email,Role,Name\na@example.com,Reader,"Ada\nLovelace"\n\nb@example.com,Editor,Bob\n');
    const { header, rows } = readCsv(file, COLUMNS);
    expect(header).toEqual(['email', 'role', 'name']);
    expect(rows).toEqual([
      { line: 2, cells: { email: 'a@example.com', role: 'Reader', name: 'Ada\nLovelace' } },
      { line: 5, cells: { email: 'b@example.com', role: 'Editor', name: 'Bob' } },
    ]);
  });

  it('names every header and row problem as file:line:column, sorted, and changes nothing', () => {
    const file = csv('email,colour,email\na@example.com,red\nb@example.com,blue,b@example.com,extra\n');
    const base = file.split('/').at(-1);
    expect(problem(file)).toBe(
      [
        `${file}: 5 problems; nothing was changed`,
        `${base}:1:2: unknown column "colour" (expected email, role, name)`,
        `${base}:1:3: column "email" appears twice`,
        `${base}:1:4: missing column "role"`,
        `${base}:2:3: expected 3 columns, found 2`,
        `${base}:3:4: expected 3 columns, found 4`,
      ].join('\n'),
    );
    expect(() => readCsv(file, COLUMNS)).toThrow(InputErrors);
  });

  it('refuses binary, non-UTF-8, empty and missing files with the place of the problem', () => {
    expect(problem(csv(Buffer.from([0x65, 0x6d, 0x00, 0x61])))).toMatch(
      /looks binary \(a NUL byte at offset 2\); expected a UTF-8 CSV; nothing was changed$/,
    );
    const latin1 = csv(Buffer.concat([Buffer.from('email,role\n'), Buffer.from([0x61, 0xe9, 0x0a])]));
    expect(problem(latin1)).toBe(
      `${latin1}:2: not valid UTF-8; save the file as UTF-8 and retry; nothing was changed`,
    );
    const empty = csv('');
    expect(problem(empty)).toBe(`${empty} is empty; expected a header line: email,role`);
    expect(problem(join(dir, 'absent.csv'))).toBe(`cannot read ${join(dir, 'absent.csv')}: no such file`);
  });

  it('refuses a file over the size limit and one over the row limit', () => {
    const big = csv(Buffer.alloc(MAX_INPUT_BYTES + 1, 0x61));
    expect(problem(big)).toBe(`${big} is 10.0 MB; the limit is 10 MB; nothing was changed`);
    const many = csv(`email,role\n${'a,b\n'.repeat(MAX_ROWS + 1)}`);
    expect(problem(many)).toBe(`${many} has ${MAX_ROWS + 1} rows; the limit is ${MAX_ROWS}`);
  });
});

describe('formula-safe results', () => {
  it('neutralize prefixes what a spreadsheet would execute, and nothing else', () => {
    expect(['=1+1', '+1', '-2', '@SUM(A1)', '\tx', '\rx', 'plain', '', 'a=b'].map(neutralize)).toEqual([
      "'=1+1",
      "'+1",
      "'-2",
      "'@SUM(A1)",
      "'\tx",
      "'\rx",
      'plain',
      '',
      'a=b',
    ]);
    expect([null, undefined, 3].map(neutralize)).toEqual(['', '', '3']);
  });

  it('writeResults writes a neutralized CSV, or JSON as is, by the extension', () => {
    const rows = [{ row: 2, email: '=HYPERLINK("x")', outcome: 'failed', message: 'a, "b"' }];
    const out = join(dir, 'results.csv');
    writeResults(out, rows, ['row', 'email', 'outcome', 'message']);
    expect(readFileSync(out, 'utf8')).toBe(
      `row,email,outcome,message\n2,"'=HYPERLINK(""x"")",failed,"a, ""b"""\n`,
    );
    const outJson = join(dir, 'results.JSON');
    writeResults(outJson, rows, ['row']);
    expect(JSON.parse(readFileSync(outJson, 'utf8'))).toEqual(rows);
  });
});
