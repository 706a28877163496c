// `noxus --help` and `--version` must not load the heavy modules: every module the process resolves
// (ESM through a module.register hook, CommonJS through Module._resolveFilename) is logged and checked.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/cli.js';

const HEAVY = [
  'undici',
  '@inquirer/prompts',
  '@napi-rs/keyring',
  'better-sqlite3',
  'conf',
  'fastify',
  'nodemailer',
];

let dir: string;
let register: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'noxus-startup-'));
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.NOXUS_RESOLVE_LOG, r.url + '\\n');
  return r;
}
`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
const original = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = original.apply(this, args);
  appendFileSync(process.env.NOXUS_RESOLVE_LOG, 'cjs:' + file + '\\n');
  return file;
};
`,
  );
  register = pathToFileURL(join(dir, 'register.mjs')).href;
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function loaded(args: string[], env: Record<string, string> = {}) {
  const log = join(dir, `${args.join('_').replace(/[^\w-]/g, '')}.log`);
  writeFileSync(log, '');
  const r = await runCli(args, {
    configDir: tempConfigDir(),
    env: { ...env, NODE_OPTIONS: `--import=${register}`, NOXUS_RESOLVE_LOG: log },
  });
  const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const packages = (name: string) => modules.filter((m) => m.includes(`/node_modules/${name}/`));
  return { r, modules, packages };
}

describe('start-up loads no heavy module', () => {
  it('--help', async () => {
    const { r, modules, packages } = await loaded(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: noxus [options] [command]');
    expect(r.stdout).toContain('NOXUS_API_KEY');
    // The log works: the entry point and commander were seen.
    expect(modules.some((m) => m.endsWith('/dist/main.js'))).toBe(true);
    expect(packages('commander').length).toBeGreaterThan(0);
    for (const name of HEAVY) expect(packages(name), name).toEqual([]);
  });

  it('--version', async () => {
    const { r, packages } = await loaded(['--version']);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'));
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    expect(packages('commander').length).toBeGreaterThan(0);
    for (const name of HEAVY) expect(packages(name), name).toEqual([]);
  });

  it('a real command does load them (so the check above can fail)', async () => {
    const { r, packages } = await loaded(['users', 'list', '--url', 'http://127.0.0.1:9'], {
      NOXUS_API_KEY: 'noxus_test_key_0123456789',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('could not connect to http://127.0.0.1:9: connection refused');
    expect(packages('undici').length).toBeGreaterThan(0);
    expect(packages('conf').length).toBeGreaterThan(0);
  });
});
