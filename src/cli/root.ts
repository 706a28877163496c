// The root command and the registry of top-level commands. Each entry is loaded with import() only
// when the command line names it, so `noxus users list` evaluates the users commands and nothing
// else, and `noxus --help` lists every command from the manifest the build wrote (dist/commands.json)
// without loading any. The bundler keeps each import() below a chunk of its own.

import { Command, Help, Option } from 'commander';
import type { Context } from './context.js';

type Register = (program: Command, ctx: Context) => void;

interface Entry {
  load: () => Promise<Register>;
  /** Needs every other command registered too (completion scripts describe the whole tree). */
  all?: boolean;
}

/** In help order: the one list of top-level commands (program.ts loads them all from here). */
export const ENTRIES: readonly Entry[] = [
  { load: async () => (await import('../commands/auth/index.js')).registerAuth },
  { load: async () => (await import('../commands/profiles/index.js')).registerProfiles },
  { load: async () => (await import('../commands/me.js')).registerMe },
  { load: async () => (await import('../commands/doctor.js')).registerDoctor },
  { load: async () => (await import('../commands/users/index.js')).registerUsers },
  { load: async () => (await import('../commands/invitations/index.js')).registerInvitations },
  { load: async () => (await import('../commands/ws/index.js')).registerWs },
  { load: async () => (await import('../commands/roles/index.js')).registerRoles },
  { load: async () => (await import('../commands/permissions/index.js')).registerPermissions },
  { load: async () => (await import('../commands/keys/index.js')).registerKeys },
  { load: async () => (await import('../commands/service-accounts/index.js')).registerServiceAccounts },
  { load: async () => (await import('../commands/offboard/index.js')).registerOffboard },
  { load: async () => (await import('../commands/review/index.js')).registerReview },
  { load: async () => (await import('../commands/access/index.js')).registerAccess },
  { load: async () => (await import('../commands/activity.js')).registerActivity },
  { load: async () => (await import('../commands/completion.js')).registerCompletion, all: true },
  { load: async () => (await import('../commands/sandbox/index.js')).registerSandbox },
];

/** What root help needs of one top-level command, recorded at build time. */
export interface ManifestCommand {
  name: string;
  aliases: string[];
  hidden: boolean;
  /** The help term ("offboard [options] <user>") and description, as the real command prints them. */
  term: string;
  description: string;
}

/** Per registry entry, the top-level commands it registers. */
export type Manifest = ManifestCommand[][];

/** Root options that take a value: their value is not the command's name. */
const VALUE_OPTIONS = new Set(['--profile', '--url']);

/** Registers every top-level command on `program`, in help order. */
export async function registerAll(program: Command, ctx: Context): Promise<Command> {
  for (const register of await Promise.all(ENTRIES.map((e) => e.load()))) register(program, ctx);
  return program;
}

/** The root command: global options, help text, the hook that reads global options. No commands. */
export function createRoot(ctx: Context): Command {
  const program = new Command('noxus')
    .description('Administer Noxus: users, roles, API keys, onboarding, offboarding and access reviews.')
    .version(ctx.version, '-v, --version', 'print the version')
    .option('--profile <name>', 'use this profile (default: NOXUS_PROFILE, then the current profile)')
    .option(
      '--url <url>',
      'server URL (default: NOXUS_BACKEND_URL, then the profile, then https://backend.noxus.ai)',
    )
    .option('--json', 'machine-readable output: one JSON document with schema_version')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .option('--wide', 'tables show every column in full (by default they fit the terminal)')
    .option('-y, --yes', 'assume yes for confirmations (needed for destructive commands without a terminal)')
    .option('--no-input', 'never prompt; fail with the full command to run instead')
    .addOption(new Option('--debug', 'print a redacted HTTP trace to stderr'))
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    })
    .exitOverride();

  program.hook('preAction', (_root, action) => {
    const o = action.optsWithGlobals();
    ctx.globals = {
      profile: o.profile,
      url: o.url,
      json: !!o.json,
      color: o.color !== false,
      yes: !!o.yes,
      input: o.input !== false,
      debug: !!o.debug,
      wide: !!o.wide,
    };
  });

  program.addHelpText(
    'after',
    `
Environment:
  NOXUS_API_KEY       API key to use (overrides any stored login; never stored)
  NOXUS_BACKEND_URL   server URL
  NOXUS_PROFILE       profile to use
  NOXUS_CONFIG_DIR    where profiles, journals and local state live
  NOXUS_TIMEOUT       per-attempt HTTP timeout in seconds (default 30)
  NOXUS_DEADLINE      overall deadline of one request, retries included, in seconds (default 120)

Get started:
  $ noxus sandbox start --detach --seed demo
  $ noxus me
`,
  );
  return program;
}

/** The command's name on a command line (`noxus --url U users list` → users; `noxus help users` → users). */
export function commandName(argv: readonly string[]): string | undefined {
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return argv[i + 1];
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    if (a === 'help' && !help) {
      help = true;
      continue;
    }
    return a;
  }
  return help ? 'help' : undefined;
}

/**
 * The program for one command line. With a manifest, only the registry entry the line names is
 * loaded; any other line (root help, an unknown command) gets stand-ins built from the manifest,
 * which print and suggest exactly as the real commands would. Without one (tests run the sources),
 * everything is loaded.
 */
export async function buildFor(ctx: Context, argv: readonly string[], manifest?: Manifest): Promise<Command> {
  const program = createRoot(ctx);
  const name = commandName(argv);
  const index = manifest?.findIndex((cmds) =>
    cmds.some((c) => c.name === name || c.aliases.includes(name ?? '')),
  );
  if (
    !manifest ||
    manifest.length !== ENTRIES.length ||
    (index !== undefined && index >= 0 && ENTRIES[index]?.all)
  ) {
    return registerAll(program, ctx);
  }
  if (index !== undefined && index >= 0) {
    (await (ENTRIES[index] as Entry).load())(program, ctx);
    return program;
  }
  const terms = new Map<Command, string>();
  for (const c of manifest.flat()) {
    const stub = new Command(c.name).description(c.description);
    for (const a of c.aliases) stub.alias(a);
    program.addCommand(stub, { hidden: c.hidden });
    terms.set(stub, c.term);
  }
  program.configureHelp({
    subcommandTerm(cmd) {
      return terms.get(cmd) ?? Help.prototype.subcommandTerm.call(this, cmd);
    },
  });
  return program;
}

/** The manifest of a fully loaded registry (scripts/build.mjs writes it next to the bundle). */
export async function manifest(ctx: Context): Promise<Manifest> {
  const program = createRoot(ctx);
  const help = program.createHelp();
  const out: Manifest = [];
  for (const entry of ENTRIES) {
    const before = program.commands.length;
    (await entry.load())(program, ctx);
    out.push(
      program.commands.slice(before).map((c) => ({
        name: c.name(),
        aliases: c.aliases(),
        hidden: (c as unknown as { _hidden: boolean })._hidden,
        term: help.subcommandTerm(c),
        description: help.subcommandDescription(c),
      })),
    );
  }
  return out;
}
