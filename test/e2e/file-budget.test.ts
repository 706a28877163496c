// What each class of command loads, counted in the built CLI as shipped: every JS file the process
// resolves (ESM through a module.register hook, CommonJS through Module._resolveFilename) is logged,
// and each bundle file is mapped back to the sources it holds through dist/meta.json (esbuild's
// metafile). A class fails when it loads more files than its budget or any module it must not.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const ROOT = resolve(import.meta.dirname, '../..');
const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'meta.json'), 'utf8')) as {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
};

/** The package a path belongs to ('undici', '@inquirer/core'), or undefined for the project's own files. */
function packageOf(path: string): string | undefined {
  const i = path.lastIndexOf('node_modules/');
  if (i < 0) return undefined;
  const parts = path.slice(i + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

const NO_HTTP = ['undici'];
const NO_KEYCHAIN = ['@napi-rs/keyring'];
const NO_SQLITE = ['better-sqlite3', 'fastify'];
const NO_PROMPTS = ['@inquirer/prompts', '@inquirer/core'];
// Gone from the CLI: conf (and the schema compiler and semver it brought), chalk.
const NEVER = ['conf', 'ajv', 'semver', 'chalk', 'nodemailer'];
// Parts of undici a request does not use.
const UNDICI_UNUSED = [
  'undici/lib/mock/',
  'undici/lib/web/websocket/',
  'undici/lib/web/eventsource/',
  'undici/lib/cache/',
];

let dir: string;
let register: string;
let sbx: TestSandbox;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'noxus-budget-'));
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith('file:')) appendFileSync(process.env.NOXUS_LOAD_LOG, r.url + '\\n');
  return r;
}
`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
register('./hooks.mjs', import.meta.url);
const original = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = original.apply(this, args);
  if (isAbsolute(file)) appendFileSync(process.env.NOXUS_LOAD_LOG, pathToFileURL(file).href + '\\n');
  return file;
};
`,
  );
  register = pathToFileURL(join(dir, 'register.mjs')).href;
  sbx = await startTestSandbox();
});
afterAll(async () => {
  await sbx?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let logs = 0;
async function loads(args: string[], env: Record<string, string> = {}) {
  const log = join(dir, `load-${++logs}.log`);
  writeFileSync(log, '');
  const r = await runCli(args, {
    configDir: tempConfigDir(),
    env: { ...env, NODE_OPTIONS: `--import=${register}`, NOXUS_LOAD_LOG: log },
  });
  const files = [
    ...new Set(
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((u) => fileURLToPath(u)),
    ),
  ].filter((f) => !f.startsWith(dir));
  // A bundle file stands for every source in it; any other file stands for itself.
  const sources = files.flatMap((f) => {
    const out = meta.outputs[relative(ROOT, f)];
    return out ? Object.keys(out.inputs) : [relative(ROOT, f)];
  });
  const packages = new Set(sources.map(packageOf).filter((p) => p !== undefined));
  const own = sources.filter((s) => packageOf(s) === undefined);
  const shown = files.map((f) => relative(ROOT, f));
  return { r, files: shown, sources, packages, own };
}

function expectNone(
  got: { packages: Set<string>; sources: string[]; files: string[] },
  packages: string[],
  sources: string[] = [],
) {
  for (const p of packages)
    expect(got.packages.has(p), `${p} loaded; files: ${got.files.join(' ')}`).toBe(false);
  for (const s of sources)
    expect(
      got.sources.filter((x) => x.includes(s)),
      s,
    ).toEqual([]);
}

describe('files loaded per class of command (the built CLI)', () => {
  it('--version: bin/noxus alone, no bundle and no command tree', async () => {
    const got = await loads(['--version']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(got.r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    expect(got.files).toEqual(['bin/noxus']);
    expect(got.packages.has('commander')).toBe(false);
  });

  it('--help: the root and commander, no command, HTTP client, keychain, SQLite or prompts', async () => {
    const got = await loads(['--help']);
    expect(got.r.code).toBe(0);
    expect(got.r.stdout).toContain('Usage: noxus [options] [command]');
    // The log and the mapping work: the entry point and commander are seen.
    expect(got.files).toContain('dist/main.js');
    expect(got.packages.has('commander')).toBe(true);
    expect(got.files.length, got.files.join(' ')).toBeLessThanOrEqual(8);
    expectNone(
      got,
      [...NO_HTTP, ...NO_KEYCHAIN, ...NO_SQLITE, ...NO_PROMPTS, ...NEVER],
      ['src/commands/', 'src/api/', 'src/services/', 'src/config/credentials.ts', 'src/sandbox/'],
    );
  });

  it('a read (users list against a sandbox): its own noun, the used part of undici, no keychain, SQLite or prompts', async () => {
    const got = await loads(['users', 'list'], { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey });
    expect(got.r.stderr).toBe('');
    expect(got.r.code).toBe(0);
    expect(got.r.stdout).toMatch(/^owner@example\.com\t/);
    expect(got.packages.has('undici')).toBe(true);
    expect(got.own).toContain('src/commands/users/list.ts');
    expect(got.files.length, got.files.join(' ')).toBeLessThanOrEqual(40);
    expectNone(
      got,
      [...NO_KEYCHAIN, ...NO_SQLITE, ...NO_PROMPTS, ...NEVER, 'yaml', 'cli-table3'],
      ['src/commands/ws/', 'src/commands/keys/', 'src/commands/review/', 'src/sandbox/', ...UNDICI_UNUSED],
    );
  });

  it('a write (users add): its own noun, no keychain, SQLite or prompts', async () => {
    const got = await loads(
      ['users', 'add', '--email', 'grace@example.com', '--name', 'Grace Hopper', '--json'],
      {
        NOXUS_BACKEND_URL: sbx.url,
        NOXUS_API_KEY: sbx.adminKey,
      },
    );
    expect(got.r.stderr).toBe('');
    expect(got.r.code).toBe(0);
    expect(JSON.parse(got.r.stdout).items[0].email).toBe('grace@example.com');
    expect(
      (await sbx.call('GET', '/v1/admin/users?page=1&size=50')).body.items.map(
        (u: { email: string }) => u.email,
      ),
    ).toContain('grace@example.com');
    expect(got.files.length, got.files.join(' ')).toBeLessThanOrEqual(45);
    expectNone(
      got,
      [...NO_KEYCHAIN, ...NO_SQLITE, ...NO_PROMPTS, ...NEVER, 'yaml', 'cli-table3'],
      ['src/commands/ws/', 'src/commands/keys/', 'src/commands/review/', 'src/sandbox/', ...UNDICI_UNUSED],
    );
  });
});
