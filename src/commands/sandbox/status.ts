import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { NotFoundError } from '../../errors.js';
import { dataDirOf } from './shared.js';

export function registerStatus(parent: Command, ctx: Context): void {
  parent
    .command('status')
    .description('say whether a sandbox is running, where, and with which data')
    .option('--data <dir>', 'data directory (default: <config dir>/sandbox)')
    .addHelpText('after', examples(['noxus sandbox status', 'noxus sandbox status --json']))
    .action((o: { data?: string }) => runStatus(ctx, o));
}

export async function runStatus(ctx: Context, o: { data?: string }): Promise<void> {
  const svc = await import('../../services/sandbox.js');
  const dataDir = await dataDirOf(ctx, o.data);
  const s = await svc.runningSandbox(dataDir);
  if (!s) {
    throw new NotFoundError(`no sandbox is running with data ${dataDir}`, {
      hint: 'start one with: noxus sandbox start --detach --seed demo',
    });
  }
  const h = await svc.health(s.url);
  const row = {
    running: true,
    url: s.url,
    pid: s.pid,
    data_dir: s.data_dir,
    started_at: s.started_at,
    version: s.version,
    organization: h.organization ?? null,
    key_file: svc.keyFile(dataDir),
    api: s.api ?? 'full',
    unknown_routes: s.unknown_routes ?? 'fastapi',
    openapi: s.openapi ?? true,
  };
  ctx.out.item('sandbox status', row, [
    { header: 'Running', value: () => 'yes' },
    { header: 'URL', value: (r) => r.url },
    { header: 'PID', value: (r) => r.pid },
    { header: 'Data', value: (r) => r.data_dir },
    { header: 'Started', value: (r) => r.started_at, time: true },
    { header: 'Organization', value: (r) => r.organization },
    { header: 'API', value: (r) => (r.api === 'public' ? 'public endpoints only' : 'full') },
    { header: 'Unknown routes', value: (r) => r.unknown_routes },
    { header: 'OpenAPI document', value: (r) => (r.openapi ? 'served' : 'hidden') },
    { header: 'Bootstrap key file', value: (r) => r.key_file },
  ]);
}
