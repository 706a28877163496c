import { fitTable } from './fit.js';
import type { IO } from './streams.js';
import { cell, escapeControl, relativeTime, safeJson } from './text.js';
import { makeTheme, type Theme } from './theme.js';

export const SCHEMA_VERSION = 1;

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** ISO timestamps: relative on a terminal, ISO otherwise. */
  time?: boolean;
  /** Optional on a narrow terminal: hidden first, the highest first (default 0: kept). */
  priority?: number;
}

/**
 * Data to stdout (table on a terminal, tab-separated rows without header otherwise, or one JSON
 * envelope); messages to stderr.
 */
export class Output {
  readonly theme: Theme;
  readonly tty: boolean;

  constructor(
    private readonly io: IO,
    readonly opts: { json: boolean; color: boolean; wide?: boolean },
  ) {
    this.theme = makeTheme(opts.color);
    this.tty = !!io.stdout.isTTY;
  }

  get json(): boolean {
    return this.opts.json;
  }

  envelope(command: string, items: unknown[], extra: Record<string, unknown> = {}): void {
    this.io.stdout.write(`${safeJson({ schema_version: SCHEMA_VERSION, command, ...extra, items }, 2)}\n`);
  }

  /** A JSON document that is not a list envelope (used where an issue fixes the shape). */
  document(doc: Record<string, unknown>): void {
    this.io.stdout.write(`${safeJson({ schema_version: SCHEMA_VERSION, ...doc }, 2)}\n`);
  }

  private fmt<T>(c: Column<T>, row: T): string {
    const v = c.value(row);
    if (c.time && typeof v === 'string') return this.tty ? relativeTime(v, this.io.now()) : cell(v);
    return cell(v);
  }

  list<T>(
    command: string,
    items: T[],
    columns: Column<T>[],
    opts: { json?: (row: T) => unknown; empty?: string; extra?: Record<string, unknown> } = {},
  ): void {
    if (this.json) {
      this.envelope(command, opts.json ? items.map(opts.json) : items, opts.extra);
      return;
    }
    if (!this.tty) {
      for (const row of items) this.io.stdout.write(`${columns.map((c) => this.fmt(c, row)).join('\t')}\n`);
      return;
    }
    if (items.length === 0) {
      this.info(opts.empty ?? 'No results.');
      return;
    }
    const width = this.opts.wide ? undefined : this.io.stdout.columns;
    const fit = fitTable(
      columns.map((c) => c.header),
      items.map((r) => columns.map((c) => this.fmt(c, r))),
      columns.map((c) => c.priority ?? 0),
      width,
    );
    this.io.stdout.write(`${this.table(fit.head, fit.rows)}\n`);
    if (fit.hidden.length || fit.cut) {
      const what = [
        fit.hidden.length && `${fit.hidden.join(', ')} hidden`,
        fit.cut && 'long cells cut (…)',
      ].filter(Boolean);
      this.info(`(${what.join(' and ')} to fit ${width} columns; --wide shows everything)`);
    }
  }

  item<T>(
    command: string,
    item: T,
    fields: Column<T>[],
    opts: { json?: (row: T) => unknown; extra?: Record<string, unknown> } = {},
  ): void {
    if (this.json) {
      this.envelope(command, [opts.json ? opts.json(item) : item], opts.extra);
      return;
    }
    if (!this.tty) {
      for (const f of fields)
        this.io.stdout.write(`${f.header.toLowerCase().replace(/ /g, '_')}\t${this.fmt(f, item)}\n`);
      return;
    }
    const width = Math.max(...fields.map((f) => f.header.length));
    for (const f of fields) {
      this.io.stdout.write(`${this.theme.bold(f.header.padEnd(width))}  ${this.fmt(f, item)}\n`);
    }
  }

  table(head: string[], rows: string[][]): string {
    // cli-table3 is CommonJS and only needed on a terminal.
    const Table = requireTable();
    const t = new Table({
      head: head.map((h) => this.theme.bold(h)),
      style: { head: [], border: [] },
      wordWrap: true,
    });
    for (const r of rows) t.push(r);
    return t.toString();
  }

  info(msg: string): void {
    this.io.stderr.write(`${escapeControl(msg)}\n`);
  }

  success(msg: string): void {
    this.io.stderr.write(`${this.theme.green('✓')} ${escapeControl(msg)}\n`);
  }

  warn(msg: string): void {
    this.io.stderr.write(`${this.theme.yellow('warning:')} ${escapeControl(msg)}\n`);
  }

  /** Plain text to stdout; lines and tabs are kept, control and invisible characters escaped. */
  print(text: string): void {
    const safe = escapeControl(text);
    this.io.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
  }
}

import { createRequire } from 'node:module';

type TableCtor = new (opts: Record<string, unknown>) => { push(row: string[]): void; toString(): string };
let tableCtor: TableCtor | undefined;
function requireTable(): TableCtor {
  tableCtor ??= createRequire(import.meta.url)('cli-table3') as TableCtor;
  return tableCtor;
}
