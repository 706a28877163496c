import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { type Command, Option } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { NoxusError, UsageError } from '../../errors.js';
import type { Snapshot } from '../../services/review/collect.js';
import { REVIEW_KIND, type ReviewDoc } from '../../services/review/types.js';

export function registerExport(cmd: Command, ctx: Context): void {
  cmd
    .command('export')
    .description('snapshot who has what: users, grants, keys, system keys, service accounts, invitations')
    .addOption(
      new Option('--format <format>', 'output format').choices(['json', 'csv', 'md']).default('json'),
    )
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--concurrency <n>', 'parallel requests while fetching (default 8)')
    .addHelpText(
      'after',
      `${examples(['noxus review export -o 2026-Q4.json', 'noxus review export --format md -o 2026-Q4.md', 'noxus review export --format csv -o 2026-Q4.csv'])}
The JSON holds a sha256 of its content. Generation time is outside the hashed content, and times
of last use/activity are kept to the day, so two exports of an unchanged organization on the
same day have the same hash. On a server without some endpoints (the public Noxus API) the export
holds what it can read and a "coverage" section naming what it could not, and why; the hash
covers it. CSV and Markdown end with a line holding the sha256 of every byte above it.
Check any of them with: noxus review verify FILE (the README gives the recipe by hand).
`,
    )
    .action((o: { format: 'json' | 'csv' | 'md'; output?: string; concurrency?: string }) =>
      runExport(ctx, o),
    );
}

/** The live organization's snapshot, with progress on a terminal and a warning for each section it lacks. */
export async function collectLive(
  ctx: Context,
  concurrency?: string,
): Promise<{ snap: Snapshot; head: { server: string; tool_version: string; generated_at: string } }> {
  const n = concurrency === undefined ? 8 : Number(concurrency);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new UsageError(`--concurrency must be 1-64, got "${concurrency}"`);
  const [{ collectSnapshot }, client, t, caps] = await Promise.all([
    import('../../services/review/collect.js'),
    ctx.client(),
    ctx.target(),
    ctx.capabilities(),
  ]);
  const tty = !!ctx.io.stderr.isTTY && !ctx.globals.json;
  const snap = await collectSnapshot(client, {
    concurrency: n,
    has: (id) => caps.has(id),
    onProgress: (what) => {
      if (tty) ctx.io.stderr.write(`\r${what}\x1b[K`);
    },
  });
  if (tty) ctx.io.stderr.write('\r\x1b[K');
  for (const m of snap.coverage?.missing ?? [])
    ctx.out.warn(`partial export: no ${m.section.replace('_', ' ')} (${m.reason})`);
  return {
    snap,
    head: { server: t.url, tool_version: ctx.version, generated_at: ctx.io.now().toISOString() },
  };
}

/** The live organization's snapshot as a document in memory (policy checks read all of it). */
export async function snapshot(ctx: Context, concurrency?: string): Promise<ReviewDoc> {
  const { snap, head } = await collectLive(ctx, concurrency);
  try {
    const [{ materialize }, { contentHash }] = await Promise.all([
      import('../../services/review/types.js'),
      import('../../services/review/doc.js'),
    ]);
    const content = await materialize(snap);
    return { schema_version: 1, kind: REVIEW_KIND, ...head, content, sha256: contentHash(content) };
  } finally {
    snap.dispose();
  }
}

export async function runExport(
  ctx: Context,
  o: { format: 'json' | 'csv' | 'md'; output?: string; concurrency?: string },
): Promise<void> {
  const { snap, head } = await collectLive(ctx, o.concurrency);
  try {
    await writeExport(ctx, o, snap, head);
  } finally {
    snap.dispose();
  }
}

async function writeExport(
  ctx: Context,
  o: { format: 'json' | 'csv' | 'md'; output?: string },
  snap: Snapshot,
  head: { server: string; tool_version: string; generated_at: string },
): Promise<void> {
  const { jsonChunks, sourceHash } = await import('../../services/review/doc.js');
  let out: Writable = ctx.io.stdout;
  if (o.output) {
    // Opened before writing: an unwritable path is a clean error, not an unhandled stream 'error'.
    const file = createWriteStream(resolve(ctx.io.cwd, o.output), { mode: 0o600 });
    try {
      await once(file, 'open');
    } catch (e) {
      throw new UsageError(
        `cannot write ${o.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    file.on('error', () => {}); // reported below, through `errored` and `once`
    out = file;
  }
  const write = async (s: string) => {
    if (out.errored) throw new NoxusError(`cannot write ${o.output}: ${out.errored.message}`);
    // `once` rejects on 'error': a write that fails while waiting ends the command, never hangs it.
    if (!out.write(s)) await once(out, 'drain');
  };
  let sha256 = '';
  let chunks: AsyncIterable<string>;
  if (o.format === 'json') {
    chunks = jsonChunks(head, snap, (hex) => {
      sha256 = hex;
    });
  } else {
    // The CSV and Markdown carry the content hash (the Markdown at the top): one read to compute it first.
    sha256 = await sourceHash(snap);
    const doc = { schema_version: 1 as const, kind: REVIEW_KIND, ...head, sha256, content: snap };
    const render = await import('../../services/review/render.js');
    chunks = o.format === 'csv' ? render.csvChunks(doc) : render.markdownChunks(doc);
  }
  for await (const chunk of chunks) await write(chunk);
  if (o.output) {
    await new Promise<void>((r, j) =>
      (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? j(e) : r())),
    );
    ctx.out.success(
      `${o.format} export written to ${o.output}: ${snap.users.count} users, ${snap.grants.count} grants, ${snap.keys.length} keys; sha256 ${sha256}`,
    );
  }
}
