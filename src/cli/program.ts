import { Command, Option } from 'commander';
import { registerActivity } from '../commands/activity.js';
import { registerAuth } from '../commands/auth/index.js';
import { registerCompletion } from '../commands/completion.js';
import { registerDoctor } from '../commands/doctor.js';
import { registerInvitations } from '../commands/invitations/index.js';
import { registerKeys } from '../commands/keys/index.js';
import { registerMe } from '../commands/me.js';
import { registerOffboard } from '../commands/offboard/index.js';
import { registerPermissions } from '../commands/permissions/index.js';
import { registerProfiles } from '../commands/profiles/index.js';
import { registerReview } from '../commands/review/index.js';
import { registerRoles } from '../commands/roles/index.js';
import { registerSandbox } from '../commands/sandbox/index.js';
import { registerServiceAccounts } from '../commands/service-accounts/index.js';
import { registerUsers } from '../commands/users/index.js';
import { registerWs } from '../commands/ws/index.js';
import type { Context } from './context.js';

/** A fresh command tree per call, so tests can build and run many programs in one process. */
export function buildProgram(ctx: Context): Command {
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

  registerAuth(program, ctx);
  registerProfiles(program, ctx);
  registerMe(program, ctx);
  registerDoctor(program, ctx);
  registerUsers(program, ctx);
  registerInvitations(program, ctx);
  registerWs(program, ctx);
  registerRoles(program, ctx);
  registerPermissions(program, ctx);
  registerKeys(program, ctx);
  registerServiceAccounts(program, ctx);
  registerOffboard(program, ctx);
  registerReview(program, ctx);
  registerActivity(program, ctx);
  registerCompletion(program, ctx);
  registerSandbox(program, ctx);

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
