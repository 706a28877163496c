#!/usr/bin/env node
// Access-review export at scale: a sandbox seeded with `--seed scale --scale USERSxWORKSPACES`, then
// the built CLI's `noxus review export -o FILE` against it, timed with its peak RSS. Two sizes, the
// second with twice the users, show how time and memory grow with the organization.
//
// From bench/run.mjs: `import { reviewBench } from './review.mjs'` then
//   const results = await reviewBench({ sizes: ['100000x100', '200000x100'] });
// Alone: `npm run build && node bench/review.mjs [SIZE ...]` prints one line per size and the ratios.

import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, cleanup, cliEnv, NODE, startSandbox, tempRoot, timed } from './lib.mjs';

export const REVIEW_SIZES = ['100000x100', '200000x100'];

/** Wall time, peak RSS and CPU of a child, from GNU time's `-v` report. */
function parseGnuTime(text) {
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(text)?.[1];
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(text)?.[1];
  const user = /User time \(seconds\): ([\d.]+)/.exec(text)?.[1];
  const sys = /System time \(seconds\): ([\d.]+)/.exec(text)?.[1];
  if (!wall || !rss) throw new Error(`cannot read /usr/bin/time -v output: ${text.slice(0, 300)}`);
  const seconds = wall.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
  return { ms: seconds * 1000, rssMB: Number(rss) / 1024, cpuS: Number(user) + Number(sys) };
}

/**
 * One size: seeds a sandbox (its start-up time is the seed's), exports, checks the user count.
 * Resolves { size, users, workspaces, seedMs, ms, rssMB, cpuS, bytes, sha256 }.
 */
export async function reviewOne(size, { log = () => {} } = {}) {
  const [users, workspaces] = size.split('x').map(Number);
  const dir = join(tempRoot(), `review-${size}`);
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const sbx = await startSandbox(`sbx-review-${size}`, ['--seed', 'scale', '--scale', size], 600_000);
  const seedMs = performance.now() - t0;
  log(`${size}: sandbox seeded in ${(seedMs / 1000).toFixed(1)} s`);
  try {
    const out = join(dir, 'review.json');
    const stats = join(dir, 'time.txt');
    const r = await timed('/usr/bin/time', ['-v', '-o', stats, NODE, BIN, 'review', 'export', '-o', out], {
      cwd: dir,
      env: cliEnv({ NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey }),
      timeoutMs: 600_000,
    });
    if (r.code !== 0)
      throw new Error(`review export (${size}) exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-500)}`);
    const m = /(\d+) users, (\d+) grants.*sha256 ([0-9a-f]{64})/.exec(r.stdout + r.stderr);
    if (!m || Number(m[1]) !== users + 1)
      throw new Error(`review export (${size}) reported ${m?.[1] ?? 'no'} users, expected ${users + 1}`);
    const t = parseGnuTime(readFileSync(stats, 'utf8'));
    return {
      size,
      users,
      workspaces,
      grants: Number(m[2]),
      seedMs,
      ...t,
      bytes: statSync(out).size,
      sha256: m[3],
    };
  } finally {
    await sbx.stop();
  }
}

/** Every size in turn (one sandbox at a time); the first is the base of the ratios. */
export async function reviewBench({ sizes = REVIEW_SIZES, log = () => {} } = {}) {
  const results = [];
  for (const size of sizes) results.push(await reviewOne(size, { log }));
  const base = results[0];
  return results.map((x) => ({
    ...x,
    timeRatio: x.ms / base.ms,
    rssRatio: x.rssMB / base.rssMB,
    userRatio: x.users / base.users,
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).length ? process.argv.slice(2) : REVIEW_SIZES;
  const log = (s) => process.stderr.write(`bench review: ${s}\n`);
  try {
    for (const x of await reviewBench({ sizes, log })) {
      process.stdout.write(
        `${x.size}: seed ${(x.seedMs / 1000).toFixed(1)} s; export ${(x.ms / 1000).toFixed(1)} s wall, ${x.cpuS.toFixed(1)} s CPU, peak RSS ${Math.round(x.rssMB)} MB, ${x.grants} grants, ${(x.bytes / 1024 ** 2).toFixed(1)} MB JSON; ×${x.userRatio} users: ×${x.timeRatio.toFixed(2)} time, ×${x.rssRatio.toFixed(2)} RSS\n`,
      );
    }
  } finally {
    await cleanup();
  }
}
