// Shared machinery of bulk commands: strict CSV input with file:row:column errors and formula-safe
// result files. The journal that makes a killed run resumable is services/journal.ts; the worker
// pool is src/util/pool.ts.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { UsageError } from '../errors.js';

export const MAX_INPUT_BYTES = 10 * 1024 * 1024;
export const MAX_ROWS = 100_000;

export interface CsvRow {
  /** Line in the file where the record starts (the header is line 1). */
  line: number;
  cells: Record<string, string>;
}

export interface InputProblem {
  line: number;
  column: number;
  message: string;
}

export class InputErrors extends UsageError {}

export function inputError(file: string, problems: InputProblem[]): InputErrors {
  const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
  const shown = sorted.slice(0, 200).map((p) => `${basename(file)}:${p.line}:${p.column}: ${p.message}`);
  return new InputErrors(
    `${file}: ${problems.length} problem${problems.length > 1 ? 's' : ''}; nothing was changed\n${shown.join('\n')}${sorted.length > 200 ? `\n… and ${sorted.length - 200} more` : ''}`,
    { data: { errors: sorted.map((p) => ({ file, ...p })) } },
  );
}

/** Reads a UTF-8 CSV with a header; refuses binary, non-UTF-8, oversized files and unknown or missing columns. */
export function readCsv(
  file: string,
  columns: { required: string[]; optional: string[] },
): { header: string[]; rows: CsvRow[] } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new UsageError(`cannot read ${file}: no such file`);
  }
  if (size > MAX_INPUT_BYTES) {
    throw new UsageError(
      `${file} is ${(size / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_INPUT_BYTES / 1024 / 1024} MB; nothing was changed`,
      {
        hint: 'split it into smaller files and run them one after another',
      },
    );
  }
  const bytes = readFileSync(file);
  const nul = bytes.indexOf(0);
  if (nul >= 0)
    throw new UsageError(
      `${file} looks binary (a NUL byte at offset ${nul}); expected a UTF-8 CSV; nothing was changed`,
    );
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const line = firstInvalidUtf8Line(bytes);
    throw new UsageError(
      `${file}:${line}: not valid UTF-8; save the file as UTF-8 and retry; nothing was changed`,
    );
  }
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (e) {
    const err = e as Error & { lines?: number; column?: number };
    throw new UsageError(`${file}:${err.lines ?? '?'}: ${err.message}; nothing was changed`);
  }
  if (records.length === 0)
    throw new UsageError(`${file} is empty; expected a header line: ${columns.required.join(',')}`);
  const header = (records[0]?.record ?? []).map((h) => h.toLowerCase());
  const problems: InputProblem[] = [];
  const known = new Set([...columns.required, ...columns.optional]);
  header.forEach((h, i) => {
    if (!known.has(h))
      problems.push({
        line: 1,
        column: i + 1,
        message: `unknown column "${h}" (expected ${[...known].join(', ')})`,
      });
    if (header.indexOf(h) !== i)
      problems.push({ line: 1, column: i + 1, message: `column "${h}" appears twice` });
  });
  for (const c of columns.required) {
    if (!header.includes(c))
      problems.push({ line: 1, column: header.length + 1, message: `missing column "${c}"` });
  }
  if (records.length - 1 > MAX_ROWS)
    throw new UsageError(`${file} has ${records.length - 1} rows; the limit is ${MAX_ROWS}`);
  const rows: CsvRow[] = [];
  // info.lines is the line where the record ends; a record starts after the previous one ended,
  // give or take blank lines, so count forward from the end to its own newlines.
  for (const { record, info } of records.slice(1)) {
    const newlines = record.reduce((n, c) => n + (c.match(/\n/g)?.length ?? 0), 0);
    const line = info.lines - newlines;
    if (record.length !== header.length) {
      problems.push({
        line,
        column: Math.min(record.length, header.length) + 1,
        message: `expected ${header.length} columns, found ${record.length}`,
      });
      continue;
    }
    rows.push({ line, cells: Object.fromEntries(header.map((h, i) => [h, record[i] ?? ''])) });
  }
  if (problems.length) throw inputError(file, problems);
  return { header, rows };
}

function firstInvalidUtf8Line(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

/** Spreadsheets execute cells starting with = + - @ (or a tab/CR): prefix them with a quote. */
export function neutralize(cell: unknown): string {
  const s = cell === null || cell === undefined ? '' : String(cell);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

export type ResultRow = { row: number } & object;

/** Results as CSV (formula-safe) or JSON, by the file's extension. */
export function writeResults(file: string, rows: ResultRow[], columns: string[]): void {
  if (file.toLowerCase().endsWith('.json')) {
    writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  writeFileSync(
    file,
    stringify([
      columns,
      ...rows.map((r) => columns.map((c) => neutralize((r as Record<string, unknown>)[c]))),
    ]),
  );
}
