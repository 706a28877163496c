// The JSON export: its bytes, its hash, and reading it back. The hash covers the content only,
// serialised compactly with its fixed field order (`JSON.stringify(content)`); the file holds the same
// rows one per line. Both are produced in one pass over the content, so an export of any size is
// written and hashed without ever being one string or one object.

import { createHash } from 'node:crypto';
import { UsageError } from '../../errors.js';
import { REVIEW_KIND, type ReviewContent, type ReviewDoc, type ReviewSource, sourceOf } from './types.js';

export function contentHash(content: ReviewContent): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

export function makeDoc(content: ReviewContent, server: string, toolVersion: string, now: Date): ReviewDoc {
  return {
    schema_version: 1,
    kind: REVIEW_KIND,
    server,
    tool_version: toolVersion,
    generated_at: now.toISOString(),
    content,
    sha256: contentHash(content),
  };
}

const SECTIONS = [
  'users',
  'grants',
  'keys',
  'system_keys',
  'service_accounts',
  'invitations',
  'roles',
] as const;
/** Rows are gathered into chunks of about this many characters before they are handed on. */
const CHUNK = 64 * 1024;

/**
 * The JSON export, chunk by chunk, its content hashed on the way; `onHash` receives the sha256
 * before the last chunk, which carries it.
 */
export async function* jsonChunks(
  head: Pick<ReviewDoc, 'server' | 'tool_version' | 'generated_at'>,
  c: ReviewSource,
  onHash: (hex: string) => void = () => {},
): AsyncGenerator<string> {
  const h = createHash('sha256');
  const org = JSON.stringify(c.organization);
  yield `{"schema_version":1,"kind":${JSON.stringify(REVIEW_KIND)},"server":${JSON.stringify(head.server)},"tool_version":${JSON.stringify(head.tool_version)},"generated_at":${JSON.stringify(head.generated_at)},"content":{"organization":${org}`;
  h.update(`{"organization":${org}`);
  for (const field of SECTIONS) {
    const section = c[field];
    const lines = Array.isArray(section) ? section.map((r) => JSON.stringify(r)) : section.lines();
    let out = `,\n"${field}":[`;
    h.update(`,"${field}":[`);
    let first = true;
    for await (const line of lines) {
      if (!first) h.update(',');
      h.update(line);
      out += `${first ? '' : ','}\n${line}`;
      first = false;
      if (out.length >= CHUNK) {
        yield out;
        out = '';
      }
    }
    h.update(']');
    yield `${out}]`;
  }
  // Same key order as the content object, so the file's content hashes to the same sha256.
  for (const field of ['workspaces', 'coverage'] as const) {
    if (c[field] === undefined) continue;
    const json = JSON.stringify(c[field]);
    h.update(`,"${field}":${json}`);
    yield `,\n"${field}":${json}`;
  }
  h.update('}');
  const hex = h.digest('hex');
  onHash(hex);
  yield `},\n"sha256":${JSON.stringify(hex)}}\n`;
}

/** The content hash of a streamed source (one read of it; the Markdown and CSV need it first). */
export async function sourceHash(c: ReviewSource): Promise<string> {
  let hex = '';
  for await (const _ of jsonChunks({ server: '', tool_version: '', generated_at: '' }, c, (x) => {
    hex = x;
  }));
  return hex;
}

/** The text of an export already in memory (tests, small exports). */
export async function jsonText(doc: ReviewDoc): Promise<string> {
  let text = '';
  for await (const chunk of jsonChunks(doc, sourceOf(doc.content))) text += chunk;
  return text;
}

export function parseReview(text: string, file: string): ReviewDoc {
  let d: ReviewDoc;
  try {
    d = JSON.parse(text) as ReviewDoc;
  } catch {
    throw new UsageError(
      `${file} is not a JSON review export (review diff compares JSON exports: noxus review export --format json)`,
    );
  }
  if (d?.kind !== REVIEW_KIND || !d.content)
    throw new UsageError(`${file} is not a noxus access review export`);
  if (contentHash(d.content) !== d.sha256) {
    throw new UsageError(`${file} was modified after export: its content does not match its sha256`);
  }
  return d;
}
