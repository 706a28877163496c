import { type Command, Option } from 'commander';
import type { Context } from '../../cli/context.js';
import { confirmDestructive } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import { maskForRunner } from '../../io/runner-mask.js';
import { DEFAULT_PORT } from '../../services/sandbox.js';
import { dataDirOf, parsePort, parsePositive } from './shared.js';

export interface StartOpts {
  port: number;
  host: string;
  data?: string;
  detach: boolean;
  seed: 'demo' | 'empty' | 'scale';
  scale?: string;
  smtp?: string;
  rateLimit?: number;
  profileSetup: boolean;
  api: 'full' | 'public';
  unknownRoutes: 'fastapi' | 'html' | 'gateway-403';
  openapi: 'on' | 'off';
  reset?: boolean;
  /** --seed was given on the command line (not the default). */
  seedGiven?: boolean;
}

export function registerStart(parent: Command, ctx: Context): void {
  parent
    .command('start')
    .description('start the sandbox (first start creates the organization, its owner and the bootstrap key)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, DEFAULT_PORT)
    .option('--host <addr>', 'address to bind (loopback unless you say otherwise)', '127.0.0.1')
    .option('--data <dir>', 'data directory (default: <config dir>/sandbox)')
    .option('--detach', 'run in the background and return once it is ready')
    .addOption(
      new Option('--seed <kind>', 'fill a new organization')
        .choices(['demo', 'empty', 'scale'])
        .default('empty'),
    )
    .option('--scale <size>', 'with --seed scale: USERSxWORKSPACES (default 10000x100)')
    .option(
      '--smtp <url>',
      'send invitation emails through this SMTP server (smtp://host:port); default: .eml files in <data>/outbox',
    )
    .option(
      '--rate-limit <n>',
      'answer 429 with Retry-After above n requests per second',
      parsePositive('--rate-limit'),
    )
    .addOption(
      new Option('--api <kind>', 'full: every endpoint; public: only those the public Noxus API has')
        .choices(['full', 'public'])
        .default('full'),
    )
    .addOption(
      new Option(
        '--unknown-routes <style>',
        'how routes it does not serve answer: as FastAPI (404/405), an nginx HTML 404, or a gateway 403',
      )
        .choices(['fastapi', 'html', 'gateway-403'])
        .default('fastapi'),
    )
    .addOption(
      new Option('--openapi <on|off>', 'serve /openapi.json (off: clients must probe)')
        .choices(['on', 'off'])
        .default('on'),
    )
    .option('--no-profile-setup', 'do not create or update the "sandbox" profile')
    .option(
      '--reset',
      "wipe the data directory's organization (users, keys, activity) first; asks on a terminal, needs --yes without one",
    )
    .addHelpText(
      'after',
      examples([
        'noxus sandbox start --detach --seed demo',
        'noxus sandbox start --port 0 --data ./tmp/sbx --json',
        'noxus sandbox start --smtp smtp://127.0.0.1:2525 --rate-limit 50',
        'noxus sandbox start --detach --api public --unknown-routes gateway-403',
        'noxus sandbox start --detach --reset --seed demo --yes',
      ]),
    )
    .addHelpText(
      'after',
      '\n--seed fills only a new organization: on a data directory that has one it is ignored (with a\nwarning); add --reset to start afresh.\n',
    )
    .action((o, cmd: Command) =>
      runStart(ctx, { ...(o as StartOpts), seedGiven: cmd.getOptionValueSource('seed') === 'cli' }),
    );
}

export async function runStart(ctx: Context, o: StartOpts): Promise<void> {
  if (o.smtp && !/^smtps?:\/\//.test(o.smtp))
    throw new UsageError(`--smtp must be an smtp:// or smtps:// URL, got "${o.smtp}"`);
  let scale: { users: number; workspaces: number } | undefined;
  if (o.scale !== undefined || o.seed === 'scale') {
    const m = /^(\d+)x(\d+)$/.exec(o.scale ?? '10000x100');
    if (o.seed !== 'scale') throw new UsageError('--scale goes with --seed scale');
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1 || Number(m[1]) > 1_000_000 || Number(m[2]) > 10_000) {
      throw new UsageError(`--scale must be USERSxWORKSPACES such as 10000x100, got "${o.scale}"`);
    }
    scale = { users: Number(m[1]), workspaces: Number(m[2]) };
  }
  const svc = await import('../../services/sandbox.js');
  const dataDir = await dataDirOf(ctx, o.data);
  if (svc.hasOrganization(dataDir)) {
    if (o.reset) {
      await confirmDestructive(
        ctx,
        `wipe the sandbox organization in ${dataDir} (its users, keys and activity)`,
        `noxus sandbox start --reset --data ${dataDir}${o.detach ? ' --detach' : ''}${o.seedGiven ? ` --seed ${o.seed}` : ''}`,
      );
      await svc.wipeSandboxData(dataDir);
      if (!ctx.env.NOXUS_SANDBOX_CHILD) ctx.out.info(`wiped the organization in ${dataDir}`);
    } else if (o.seedGiven && !ctx.env.NOXUS_SANDBOX_CHILD) {
      ctx.out.warn(
        `--seed ${o.seed} was ignored: ${dataDir} already holds an organization, and a seed fills only a new one; to start afresh run: noxus sandbox start --reset --seed ${o.seed}`,
      );
    }
  }
  const opts = {
    dataDir,
    port: o.port,
    host: o.host,
    seed: o.seed,
    scale,
    smtpUrl: o.smtp,
    rateLimit: o.rateLimit,
    version: ctx.version,
    api: o.api,
    unknownRoutes: o.unknownRoutes,
    openapi: o.openapi !== 'off',
  };
  if (o.detach) {
    const { state, adminKey } = await svc.startDetached(opts, { ...ctx.io.argv0, env: ctx.env });
    const profile = o.profileSetup ? await setupProfile(ctx, state.url, dataDir) : undefined;
    report(ctx, {
      url: state.url,
      dataDir: state.data_dir,
      pid: state.pid,
      adminKey,
      profile,
      detached: true,
      api: opts.api,
    });
    return;
  }
  const running = await svc.startInProcess(opts);
  const profile = o.profileSetup ? await setupProfile(ctx, running.state.url, dataDir) : undefined;
  report(ctx, {
    url: running.state.url,
    dataDir: running.state.data_dir,
    pid: running.state.pid,
    adminKey: running.adminKey,
    profile,
    detached: false,
    api: opts.api,
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      running.close().finally(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  if (!ctx.env.NOXUS_SANDBOX_CHILD) ctx.out.info('sandbox stopped');
}

async function setupProfile(ctx: Context, url: string, dataDir: string) {
  const [{ ensureSandboxProfile }] = await Promise.all([import('../../services/sandbox.js')]);
  const profiles = await ctx.profiles();
  return { name: 'sandbox', ...ensureSandboxProfile(profiles, url, dataDir) };
}

function report(
  ctx: Context,
  given: {
    url: string;
    dataDir: string;
    pid: number;
    adminKey?: string;
    profile?: { name: string; made_current: boolean };
    detached: boolean;
    api: 'full' | 'public';
  },
): void {
  // The detached child's stdout is sandbox.log: the key stays in admin-key (0600) only, and the
  // parent that started the child shows it once.
  const r = ctx.env.NOXUS_SANDBOX_CHILD ? { ...given, adminKey: undefined } : given;
  if (r.adminKey) maskForRunner(ctx.io, ctx.env, r.adminKey);
  if (ctx.globals.json) {
    ctx.out.document({
      url: r.url,
      admin_key: r.adminKey,
      data_dir: r.dataDir,
      pid: r.pid,
      profile: r.profile?.name ?? null,
      api: r.api,
    });
    return;
  }
  const out = ctx.out;
  out.success(`sandbox ${r.detached ? `running in the background (pid ${r.pid})` : 'listening'} at ${r.url}`);
  out.info(`data: ${r.dataDir}`);
  if (r.api === 'public') out.info('serving only the endpoints of the public Noxus API');
  if (r.adminKey) {
    out.info(
      `bootstrap key of owner@example.com (tenant admin), shown once here and kept in ${r.dataDir}/admin-key (0600, a local test credential):`,
    );
    ctx.io.stdout.write(`${r.adminKey}\n`);
  }
  if (r.profile) {
    out.info(
      `profile "sandbox" points at it${r.profile.made_current ? ' and is now the current profile' : `; use it with --profile sandbox or: noxus profiles use sandbox`}`,
    );
    out.info('try: noxus me');
  }
  if (!r.detached) out.info('press Ctrl-C to stop');
}
