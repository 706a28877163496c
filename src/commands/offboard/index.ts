// `noxus offboard <user>`: one command in four modes (a terminal walk, --plan-out/--dry-run,
// --apply, --resume) plus the guided walk on a server without the user-management API. This file
// declares the flags and help; run.ts picks the mode.
import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import type { OffboardOpts } from './run.js';

export function registerOffboard(program: Command, ctx: Context): void {
  program
    .command('offboard')
    .description(
      'the offboarding checklist: review access, reassign work, suspend, remove, rotate keys, verify',
    )
    .argument('<user>', 'user id or email')
    .option('--transfer-to <user>', 'who takes over the resources the user owns')
    .option('--plan-out <file>', 'write the reviewable plan (inventory and steps) to a file; change nothing')
    .option('--apply <file>', 'apply a plan written by --plan-out (refused if the server drifted from it)')
    .option('--resume', 'finish an interrupted offboarding of this user from its journal')
    .option('--force', 'with --apply: run even if the server no longer matches the plan')
    .option(
      '--secrets-dir <dir>',
      'write the new secrets of rotated keys here (files 0600) instead of printing them once',
    )
    .option(
      '--overlap <duration>',
      'rotate the shared keys (service-account and system keys they created or saw) so that the old secrets keep working this long (30m, 1h, 2d; at most 30d); the user is suspended at once and removed by --resume afterwards',
    )
    .option(
      '--report-dir <dir>',
      'where to write the report (Markdown and JSON) when the offboarding finishes; default: the current directory',
    )
    .option('--dry-run', 'print the plan, change nothing')
    .option(
      '--manual-steps <format>',
      'on a server without the user-management API: print the guided steps (md or json checklist); change nothing',
    )
    .option(
      '--replace-system-keys',
      'guided offboarding: create a replacement for each system key the user created before revoking it',
    )
    .addHelpText(
      'after',
      `${examples([
        'noxus offboard margaret@example.com --transfer-to dennis@example.com --plan-out margaret.plan.json',
        'noxus offboard margaret@example.com --apply margaret.plan.json --secrets-dir ./rotated --yes',
        'noxus offboard margaret@example.com --resume --yes',
        'noxus offboard margaret@example.com --transfer-to dennis@example.com --overlap 1h --secrets-dir ./rotated --yes',
      ])}
Steps, in order: review access; reassign owned resources (--transfer-to) and read them back;
suspend (reversible); remove from the organization (memberships deleted, personal keys revoked;
resources and activity kept); rotate the system and service-account keys the user created;
verify that work and activity are intact; write a report (to --report-dir, default the current
directory). Each step is journaled before and after under the config dir, so a crash is finished
with --resume and nothing is done twice.
With --overlap: the new secrets are delivered (--secrets-dir or stdout) while the old ones still
work for the overlap; the user is suspended at once; the removal, which revokes every key whose
secret they saw, waits until the old secrets stopped: the run exits 0 with "removal of <user> is
due after <time>", and noxus offboard <user> --resume after that time removes them and verifies.
On a terminal the access review is shown first, then you pick who takes over the resources (only
users who can own them all are offered; nobody asks again).
Refused: the last org admin, yourself, service accounts (use service-accounts delete), and a
--transfer-to that is suspended, removed or the user themself (on a terminal: asked again).
On a server without the user-management API (the public Noxus API) a terminal walks the documented
offboarding instead: review access through what the public API can read, remove the user from the
organization in the web console (verified: they leave GET /v1/admin/users or become inactive), revoke
the system keys they created by API (verified absent; --replace-system-keys makes replacements
first), and rotate their workspace keys in the console. The report marks each step automated,
confirmed by the operator, or verified by the API. Without a terminal: exit 8 and the steps;
--manual-steps md|json prints them as a checklist.
`,
    )
    .action(async (user: string, o: OffboardOpts) => (await import('./run.js')).runOffboard(ctx, user, o));
}
