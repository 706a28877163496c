#!/usr/bin/env node
// `npm run bench`: start-up, bulk user creation and access-review export, measured in one run on
// this machine. Prints a Markdown table and writes it, with the machine, to bench/results.md.
// What each row means: bench/README.md.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg as osLoadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import {
  api,
  BARE_USERS_LIST,
  BIN,
  cleanup,
  cliEnv,
  fmtMs,
  fmtRate,
  fmtRatio,
  machineInfo,
  markdownTable,
  median,
  NODE,
  percentile,
  README_BEGIN,
  README_END,
  ROOT,
  startSandbox,
  tempRoot,
  timed,
  userCount,
} from './lib.mjs';
import { REVIEW_SIZES, reviewBench } from './review.mjs';

const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 20);
const STARTUP_WARMUPS = 2;
const BULK_USERS = 1000;
const BULK_CONCURRENCY = 8;
const LIMIT_CONNECTIONS = 8;
const LIMIT_WARMUP = 200;
const LIMIT_AMOUNT = 3000;
// Issue 14: at 100,000 users the export takes ≤ 15 s and ≤ 250 MB; twice the users ≤ 2.1× the time, ≤ 1.2× the memory.
const REVIEW_LIMITS = { wallMs: 15_000, rssMB: 250 };

const rows = []; // [benchmark, what, wall/median, p90, rate, peak RSS, ratio]
const failures = [];
const loadavg = () =>
  osLoadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
const log = (s) => process.stderr.write(`bench: ${s}\n`);

async function section(name, fn) {
  const t0 = performance.now();
  log(`${name}…`);
  try {
    await fn();
    log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    failures.push(`${name}: ${e.message}`);
    rows.push([name, 'FAILED', e.message.split('\n')[0], '', '', '', '']);
    log(`${name} FAILED: ${e.stack ?? e}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Start-up: `node -e 0`, `noxus --version`, `noxus --help`, `noxus users list` against a local
// sandbox and the bare undici script that makes the same request and prints the same lines, taking
// turns round after round so that drift in the machine's state affects all of them alike. spawnSync
// keeps the harness out of the way. Each round also runs every case once more under GNU time for its
// peak RSS (kept apart so that time's own start-up is not in the timings).

const GOALS = []; // { what, ratio, limit, extra? }

async function startup() {
  const sbx = await startSandbox('sbx-startup', ['--seed', 'demo']);
  try {
    const env = cliEnv({ NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey });
    const cases = [
      { id: 'floor', label: '`node -e 0` (floor)', args: ['-e', '0'] },
      { id: 'version', label: '`noxus --version`', args: [BIN, '--version'] },
      { id: 'help', label: '`noxus --help`', args: [BIN, '--help'] },
      { id: 'list', label: '`noxus users list` (demo sandbox, 8 users)', args: [BIN, 'users', 'list'] },
      { id: 'bare', label: 'bare undici script, same request and output', args: [BARE_USERS_LIST] },
    ];
    const by = Object.fromEntries(cases.map((c) => [c.id, c]));
    const run = (args, time) =>
      spawnSync(time ? '/usr/bin/time' : NODE, time ? ['-f', '%M', NODE, ...args] : args, {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
    const check = (c, r) => {
      if (r.status !== 0)
        throw new Error(`${c.label} exited ${r.status ?? r.signal}: ${String(r.stderr).trim()}`);
    };
    const list = run(by.list.args);
    const bare = run(by.bare.args);
    check(by.list, list);
    check(by.bare, bare);
    if (String(list.stdout) !== String(bare.stdout) || !String(list.stdout).includes('@example.com'))
      throw new Error(
        `the bare script does not print what noxus users list prints:\n${list.stdout}\n---\n${bare.stdout}`,
      );
    for (const c of cases) {
      c.ms = [];
      c.rssKB = [];
    }
    for (let round = 0; round < STARTUP_WARMUPS + STARTUP_RUNS; round++) {
      for (const c of cases) {
        const t0 = process.hrtime.bigint();
        const r = run(c.args);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        check(c, r);
        if (round >= STARTUP_WARMUPS) c.ms.push(ms);
      }
      if (round < STARTUP_WARMUPS) continue;
      for (const c of cases) {
        const r = run(c.args, true);
        check(c, r);
        c.rssKB.push(Number(String(r.stderr).trim().split('\n').pop()));
      }
    }
    for (const c of cases) {
      c.median = median(c.ms);
      c.rssMB = median(c.rssKB) / 1024;
    }
    const goal = (what, ratio, limit) => {
      GOALS.push({ what, ratio, limit });
      return `${fmtRatio(ratio)} ${what.split(' ÷ ')[1]} (goal ≤ ${fmtRatio(limit)})`;
    };
    const ratio = {
      floor: '1.00× (floor)',
      version: goal('`noxus --version` ÷ `node -e 0`', by.version.median / by.floor.median, 1.2),
      help: goal('`noxus --help` ÷ `node -e 0`', by.help.median / by.floor.median, 1.4),
      list: goal('`noxus users list` ÷ bare script', by.list.median / by.bare.median, 1.1),
      bare: '1.00× (baseline of users list)',
    };
    const rssDelta = by.list.rssMB - by.bare.rssMB;
    GOALS.push({
      what: '`noxus users list` peak RSS − bare script',
      delta: rssDelta,
      limit: 10,
      met: rssDelta <= 10,
      text: `${rssDelta >= 0 ? '+' : '−'}${Math.abs(rssDelta).toFixed(1)} MB (goal ≤ +10 MB)`,
    });
    for (const c of cases) {
      rows.push([
        'Start-up',
        `${c.label}, ${STARTUP_RUNS} runs`,
        fmtMs(c.median),
        fmtMs(percentile(c.ms, 0.9)),
        '',
        `${c.rssMB.toFixed(1)} MB`,
        c.id === 'list' ? `${ratio.list}; RSS ${GOALS.at(-1).text}` : ratio[c.id],
      ]);
    }
  } finally {
    await sbx.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Bulk: 1,000 new users, each in the Default workspace as Reader. Three fresh sandboxes, each
// in its own process, started one after the other and stopped before the next.

/** The body and Idempotency-Key noxus sends for one CSV row, so that all three do the same work. */
const userBody = (prefix, i, groupId) => ({
  email: `${prefix}-${String(i).padStart(5, '0')}@example.com`,
  name: `Bench User ${i}`,
  org_role: 'org_base',
  workspaces: [{ group_id: groupId, role: 'ws_reader' }],
});

async function defaultGroup(sbx) {
  const g = (await api(sbx, 'GET', '/v1/admin/groups')).find((x) => x.name === 'Default');
  if (!g) throw new Error('sandbox has no Default workspace');
  return g.id;
}

async function expectUsers(sbx, n, what) {
  const got = await userCount(sbx);
  if (got !== n) throw new Error(`${what}: sandbox holds ${got} users afterwards, expected ${n}`);
}

async function bulkNoxus() {
  const dir = join(tempRoot(), 'bulk-noxus');
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, 'users.csv');
  const lines = ['email,name,workspaces'];
  for (let i = 1; i <= BULK_USERS; i++) {
    const b = userBody('noxus', i, '');
    lines.push(`${b.email},${b.name},Default=Reader`);
  }
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const sbx = await startSandbox('sbx-bulk-noxus');
  try {
    const r = await timed(
      NODE,
      [BIN, 'users', 'add', '--from-csv', csv, '--concurrency', String(BULK_CONCURRENCY)],
      {
        cwd: dir,
        env: cliEnv({ NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey }),
        timeoutMs: 180_000,
      },
    );
    if (r.code !== 0)
      throw new Error(
        `noxus users add exited ${r.code ?? r.signal}: ${(r.stderr + r.stdout).trim().slice(-500)}`,
      );
    if (!`${r.stdout}${r.stderr}`.includes(`${BULK_USERS} invited`))
      throw new Error(
        `noxus users add did not report ${BULK_USERS} invited: ${(r.stderr + r.stdout).trim().slice(-300)}`,
      );
    await expectUsers(sbx, BULK_USERS + 1, 'noxus');
    return { ms: r.ms, rate: BULK_USERS / (r.ms / 1000) };
  } finally {
    await sbx.stop();
  }
}

const CURL_LOOP = `#!/bin/bash
# One curl per user, one after the other. Body and Idempotency-Key as noxus sends them.
set -u
for ((i = 1; i <= BENCH_N; i++)); do
  n=$(printf '%05d' "$i")
  curl -s -o /dev/null -w '%{http_code}\\n' -X POST \\
    -H "X-API-Key: $BENCH_KEY" -H 'content-type: application/json' -H "Idempotency-Key: curl-$n" \\
    -d "{\\"email\\":\\"curl-$n@example.com\\",\\"name\\":\\"Bench User $i\\",\\"org_role\\":\\"org_base\\",\\"workspaces\\":[{\\"group_id\\":\\"$BENCH_GROUP\\",\\"role\\":\\"ws_reader\\"}]}" \\
    "$BENCH_URL/v1/admin/users"
done
`;

async function bulkCurl() {
  const dir = join(tempRoot(), 'bulk-curl');
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'loop.sh');
  writeFileSync(script, CURL_LOOP.replace('BENCH_N', String(BULK_USERS)), { mode: 0o755 });
  const sbx = await startSandbox('sbx-bulk-curl');
  try {
    const groupId = await defaultGroup(sbx);
    const r = await timed('bash', [script], {
      cwd: dir,
      env: { ...process.env, BENCH_URL: sbx.url, BENCH_KEY: sbx.adminKey, BENCH_GROUP: groupId },
      timeoutMs: 240_000,
    });
    const codes = r.stdout.trim().split('\n');
    const created = codes.filter((c) => c === '201').length;
    if (r.code !== 0 || created !== BULK_USERS) {
      const other = [...new Set(codes.filter((c) => c !== '201'))].join(', ');
      throw new Error(
        `curl loop: ${created}/${BULK_USERS} answered 201 (others: ${other || 'none'}); exit ${r.code}`,
      );
    }
    await expectUsers(sbx, BULK_USERS + 1, 'curl loop');
    return { ms: r.ms, rate: BULK_USERS / (r.ms / 1000) };
  } finally {
    await sbx.stop();
  }
}

async function bulkLimit() {
  const sbx = await startSandbox('sbx-bulk-limit');
  try {
    const groupId = await defaultGroup(sbx);
    let n = 0;
    const run = (amount) =>
      autocannon({
        url: sbx.url,
        connections: LIMIT_CONNECTIONS,
        amount,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/v1/admin/users',
            headers: { 'x-api-key': sbx.adminKey, 'content-type': 'application/json' },
            setupRequest(req) {
              n++;
              req.headers = { ...req.headers, 'idempotency-key': `ac-${n}` };
              req.body = JSON.stringify(userBody('ac', n, groupId));
              return req;
            },
          },
        ],
      });
    const warm = await run(LIMIT_WARMUP); // JIT and SQLite caches, as a long-running server has them
    const r = await run(LIMIT_AMOUNT);
    const ok = r['2xx'];
    if (r.non2xx || r.errors || r.timeouts || ok < LIMIT_AMOUNT)
      throw new Error(
        `autocannon: ${ok} 2xx, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts (codes ${JSON.stringify(r.statusCodeStats)})`,
      );
    await expectUsers(sbx, 1 + warm['2xx'] + ok, 'autocannon');
    // r.duration is in seconds (fractional); the per-second histogram is too coarse for a ~2 s run.
    return { ms: r.duration * 1000, rate: ok / r.duration, p50: r.latency.p50, p99: r.latency.p99 };
  } finally {
    await sbx.stop();
  }
}

async function bulk() {
  const noxus = await bulkNoxus();
  const curl = await bulkCurl();
  const limit = await bulkLimit();
  rows.push(
    [
      'Bulk: 1,000 new users',
      `\`noxus users add --from-csv --concurrency ${BULK_CONCURRENCY}\` (whole command)`,
      fmtMs(noxus.ms),
      '',
      fmtRate(noxus.rate),
      '',
      `${fmtRatio(noxus.rate / curl.rate)} curl loop; ${Math.round((100 * noxus.rate) / limit.rate)}% of sandbox limit`,
    ],
    [
      'Bulk: 1,000 new users',
      'sequential `curl` loop (bash)',
      fmtMs(curl.ms),
      '',
      fmtRate(curl.rate),
      '',
      '1.00× (baseline)',
    ],
    [
      'Bulk: 1,000 new users',
      `sandbox limit: autocannon, ${LIMIT_CONNECTIONS} connections, ${LIMIT_AMOUNT} requests after ${LIMIT_WARMUP} warm-up (latency p50 ${limit.p50} ms, p99 ${limit.p99} ms)`,
      fmtMs(limit.ms),
      '',
      fmtRate(limit.rate),
      '',
      `${fmtRatio(limit.rate / curl.rate)} curl loop`,
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// 3. Review export under GNU time, one size after the other (one sandbox alive at a time): the
// measurement is bench/review.mjs's, so that `node bench/review.mjs` alone gives the same figures.

async function review() {
  const results = await reviewBench({ sizes: REVIEW_SIZES, log: (s) => log(`review: ${s}`) });
  const [base, double] = results;
  for (const x of results) {
    rows.push([
      'Review export',
      `\`noxus review export -o file\`, ${x.users.toLocaleString('en-US')} users × ${x.workspaces} workspaces (${(x.bytes / 1024 ** 2).toFixed(1)} MB JSON, ${x.cpuS.toFixed(1)} s CPU)`,
      fmtMs(x.ms),
      '',
      '',
      `${Math.round(x.rssMB)} MB`,
      x === base
        ? '1.00×'
        : `${fmtRatio(x.timeRatio)} time, ${fmtRatio(x.rssRatio)} RSS (${x.userRatio}× users)`,
    ]);
  }
  const at = `${base.users.toLocaleString('en-US')} users`;
  GOALS.push(
    {
      what: `review export wall time at ${at}`,
      met: base.ms <= REVIEW_LIMITS.wallMs,
      text: `${fmtMs(base.ms)} (goal ≤ ${fmtMs(REVIEW_LIMITS.wallMs)})`,
    },
    {
      what: `review export peak RSS at ${at}`,
      met: base.rssMB <= REVIEW_LIMITS.rssMB,
      text: `${Math.round(base.rssMB)} MB (goal ≤ ${REVIEW_LIMITS.rssMB} MB)`,
    },
  );
  if (double) {
    GOALS.push(
      { what: `review export time, ${double.userRatio}× users ÷ 1×`, ratio: double.timeRatio, limit: 2.1 },
      { what: `review export peak RSS, ${double.userRatio}× users ÷ 1×`, ratio: double.rssRatio, limit: 1.2 },
    );
  }
}

// ---------------------------------------------------------------------------------------------

const SECTIONS = { startup: ['Start-up', startup], bulk: ['Bulk', bulk], review: ['Review export', review] };

function goalLines() {
  return GOALS.map((g) => {
    const met = g.met ?? g.ratio <= g.limit;
    const value = g.text ?? `${fmtRatio(g.ratio)} (goal ≤ ${fmtRatio(g.limit)})`;
    return `- ${g.what}: ${value}, ${met ? 'met' : `NOT met${g.ratio !== undefined ? ` (${Math.round((100 * (g.ratio - g.limit)) / g.limit)}% over)` : ''}`}`;
  });
}

async function main() {
  const t0 = performance.now();
  // `node bench/run.mjs startup` runs one section; only a whole run rewrites the README's table.
  const only = process.argv.slice(2);
  for (const name of only)
    if (!SECTIONS[name])
      throw new Error(`unknown section ${name}; known: ${Object.keys(SECTIONS).join(', ')}`);
  const machine = machineInfo();
  const loadBefore = loadavg();
  if (!existsSync(join(ROOT, 'dist', 'main.js')))
    throw new Error('dist/ missing: run `npm run bench`, which builds first');
  if (!machine.gnuTime) throw new Error('/usr/bin/time (GNU time) is required');
  try {
    for (const [key, [name, fn]] of Object.entries(SECTIONS))
      if (only.length === 0 || only.includes(key)) await section(name, fn);
  } finally {
    await cleanup();
  }
  const total = (performance.now() - t0) / 1000;
  const table = markdownTable(
    ['Benchmark', 'What', 'Wall (median)', 'p90', 'Rate', 'Peak RSS', 'Ratio'],
    rows,
  );
  const machineLines = [
    `- CPU: ${machine.cpu}, ${machine.cores} cores`,
    `- RAM: ${machine.ramGiB.toFixed(1)} GiB`,
    `- OS: ${machine.os}`,
    `- Node: ${machine.node}; ${machine.curl}`,
    `- noxus: ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}, commit ${machine.revision}`,
    `- Measured: ${new Date().toISOString()}, whole run ${total.toFixed(0)} s`,
    `- Load average (1/5/15 min) before: ${loadBefore}; after: ${loadavg()} (well above ${machine.cores} means other work shared the CPUs)`,
  ];
  const goals = goalLines();
  process.stdout.write(
    `${table}\n\n${goals.length ? `Goals (issue 14), each from this run:\n${goals.join('\n')}\n\n` : ''}${machineLines.join('\n')}\n`,
  );
  writeFileSync(
    join(ROOT, 'bench', 'results.md'),
    `# noxus benchmark results\n\nProduced by \`npm run bench\` (bench/run.mjs) in one run; see bench/README.md for what each row measures.\n\n## Machine\n\n${machineLines.join('\n')}\n\n## Results\n\n${table}\n${goals.length ? `\n## Goals (issue 14)\n\n${goals.join('\n')}\n` : ''}${failures.length ? `\n## Failures\n\n${failures.map((f) => `- ${f}`).join('\n')}\n` : ''}`,
  );
  log('table written to bench/results.md');
  if (only.length === 0 && failures.length === 0) {
    const file = join(ROOT, 'README.md');
    const readme = readFileSync(file, 'utf8');
    const a = readme.indexOf(README_BEGIN);
    const b = readme.indexOf(README_END);
    if (a < 0 || b < a) throw new Error(`README.md lacks the markers ${README_BEGIN} … ${README_END}`);
    const block = `${table}\n\n${goals.length ? `Goals (issue 14), each from this run:\n\n${goals.join('\n')}\n\n` : ''}Machine:\n\n${machineLines.join('\n')}`;
    writeFileSync(file, `${readme.slice(0, a + README_BEGIN.length)}\n${block}\n${readme.slice(b)}`);
    log('README.md Benchmarks table regenerated');
  }
  if (failures.length) {
    log(`${failures.length} measurement(s) failed`);
    process.exitCode = 1;
  }
}

main().catch(async (e) => {
  await cleanup();
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exitCode = 1;
});
