#!/usr/bin/env node
// `npm run build`: the shipped CLI is one esbuild bundle of src/main.ts in dist/ (ESM, code
// splitting, so each `import()` of a command, the HTTP client or the sandbox stays a separate chunk
// that loads only when it is needed). Native addons and the packages that locate files at run time
// stay external and are resolved from node_modules. tsc only typechecks (`npm run typecheck`).
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

/** Not bundled: native addons, and packages that find their own files relative to themselves. */
export const EXTERNAL = ['better-sqlite3', '@napi-rs/keyring', 'cli-table3'];

/** src/ imports 'undici' for request() and EnvHttpProxyAgent only; the bundle gets just those. */
const leanUndici = {
  name: 'lean-undici',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.startsWith(join(ROOT, 'src'))
        ? { path: join(ROOT, 'scripts', 'undici-lean.mjs') }
        : undefined,
    );
  },
};

const common = {
  absWorkingDir: ROOT,
  outdir: DIST,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  external: EXTERNAL,
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS (commander's dependencies, fastify's) calls require() for Node built-ins.
  banner: {
    js: "import { createRequire as __noxusCreateRequire } from 'node:module'; const require = __noxusCreateRequire(import.meta.url);",
  },
  metafile: true,
  legalComments: 'none',
  // Less to parse at every start; identifiers keep their names (error names, stack traces).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  plugins: [leanUndici],
};

rmSync(DIST, { recursive: true, force: true });
const result = await build({ ...common, entryPoints: { main: 'src/main.ts' }, splitting: true });
// For scripts/capabilities-table.mjs, built apart: as entries of the CLI's build they would split
// the modules every start-up loads into more files.
await build({
  ...common,
  entryPoints: {
    'services/capabilities': 'src/services/capabilities.ts',
    'domain/features': 'src/domain/features.ts',
  },
  metafile: false,
});
// Which source files each output file holds: test/e2e/file-budget.test.ts reads it to name what a
// command loaded.
writeFileSync(join(DIST, 'meta.json'), JSON.stringify(result.metafile));

// The top-level commands as root help shows them, so that `noxus --help` needs none of them loaded.
const { commandManifest } = await import(pathToFileURL(join(DIST, 'main.js')).href);
const { Writable } = await import('node:stream');
const sink = new Writable({ write: (_c, _e, cb) => cb() });
const io = {
  stdin: process.stdin,
  stdout: sink,
  stderr: sink,
  env: {},
  cwd: ROOT,
  argv0: { execPath: process.execPath, script: join(ROOT, 'bin', 'noxus') },
  now: () => new Date(),
};
writeFileSync(join(DIST, 'commands.json'), `${JSON.stringify(await commandManifest(io))}\n`);
