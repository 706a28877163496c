import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { dataDirOf } from './shared.js';

export function registerStop(parent: Command, ctx: Context): void {
  parent
    .command('stop')
    .description('stop a sandbox started with --detach (its data is kept)')
    .option('--data <dir>', 'data directory (default: <config dir>/sandbox)')
    .addHelpText('after', examples(['noxus sandbox stop', 'noxus sandbox stop --data ./tmp/sbx']))
    .action((o: { data?: string }) => runStop(ctx, o));
}

export async function runStop(ctx: Context, o: { data?: string }): Promise<void> {
  const { stopSandbox } = await import('../../services/sandbox.js');
  const s = await stopSandbox(await dataDirOf(ctx, o.data));
  if (ctx.globals.json) ctx.out.document({ stopped: true, url: s.url, pid: s.pid, data_dir: s.data_dir });
  else ctx.out.success(`stopped the sandbox at ${s.url} (pid ${s.pid}); data kept in ${s.data_dir}`);
}
