// `review verify`: recompute an export's hash from the file alone, as an auditor would with standard
// tools (the README gives the recipe). A JSON export hashes its content; a CSV or Markdown export,
// which cannot rebuild that content, ends with a line holding the sha256 of every byte above it.

import { createHash } from 'node:crypto';
import { NoxusError, UsageError } from '../../errors.js';
import { contentHash } from './doc.js';
import { REVIEW_KIND, type ReviewDoc } from './types.js';

export type ExportFormat = 'json' | 'csv' | 'md';

export interface Verification {
  file: string;
  format: ExportFormat;
  /** What the hash covers, in words. */
  covers: string;
  sha256: string;
}

/** The last line of a CSV export: the `record` column says `file_sha256`, the `id` column the hash. */
export const CSV_TRAILER = /^file_sha256,([0-9a-f]{64})(,)*$/;
/** The last line of a Markdown export (plain text: the export holds no HTML). */
export const MD_TRAILER = /^File sha256 of every line above this one: `([0-9a-f]{64})`$/;
export const mdTrailer = (hex: string) => `File sha256 of every line above this one: \`${hex}\`\n`;

/** Passes the chunks through and appends the trailer line carrying the sha256 of all of them. */
export async function* withFileHash(
  chunks: AsyncIterable<string>,
  trailer: (hex: string) => string,
): AsyncGenerator<string> {
  const h = createHash('sha256');
  for await (const c of chunks) {
    h.update(c);
    yield c;
  }
  yield trailer(h.digest('hex'));
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function tampered(file: string, what: string, recorded: string, computed: string): NoxusError {
  return new NoxusError(
    `${file} does not match its sha256: ${what} was modified after export (recorded ${recorded}, computed ${computed})`,
    {
      hint: 'use the copy kept where exports are archived, or export again',
      data: { recorded, computed },
    },
  );
}

/**
 * Resolves when the file is an intact export; throws a NoxusError (exit 1) when its hash does not
 * match and a UsageError (exit 2) when it is no export at all.
 */
export function verifyExport(text: string, file: string): Verification {
  const body = text;
  if (body.trimStart().startsWith('{')) {
    let d: ReviewDoc;
    try {
      d = JSON.parse(body) as ReviewDoc;
    } catch {
      throw new UsageError(`${file} is not a noxus access review export: not valid JSON`);
    }
    if (d?.kind !== REVIEW_KIND || typeof d.content !== 'object' || d.content === null)
      throw new UsageError(`${file} is not a noxus access review export: no "kind": "${REVIEW_KIND}"`);
    if (typeof d.sha256 !== 'string')
      throw new UsageError(`${file} is not a noxus access review export: no "sha256"`);
    const computed = contentHash(d.content);
    if (computed !== d.sha256) throw tampered(file, 'its content', d.sha256, computed);
    return {
      file,
      format: 'json',
      covers: 'the "content" object (generated_at, server and tool_version are outside it)',
      sha256: computed,
    };
  }
  const end = body.endsWith('\n') ? body.length - 1 : body.length;
  const cut = body.lastIndexOf('\n', end - 1) + 1;
  const last = body.slice(cut, end).replace(/\r$/, '');
  const above = body.slice(0, cut);
  const csv = CSV_TRAILER.exec(last);
  const md = MD_TRAILER.exec(last);
  const recorded = csv?.[1] ?? md?.[1];
  if (recorded === undefined) {
    const looks = above.startsWith('record,id,subject,') || above.startsWith('# Access review: ');
    throw new UsageError(
      looks
        ? `${file} carries no file hash (an export made before review verify existed); verify the JSON export made with it`
        : `${file} is not a noxus access review export`,
    );
  }
  const computed = sha256(above);
  const format: ExportFormat = csv ? 'csv' : 'md';
  if (computed !== recorded) throw tampered(file, 'the file', recorded, computed);
  return { file, format, covers: 'every byte of the file above its last line', sha256: computed };
}
