import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerApply } from './apply.js';
import { registerExport } from './export.js';
import { registerPlan } from './plan.js';

export function registerAccess(program: Command, ctx: Context): void {
  const cmd = program
    .command('access')
    .description(
      'access as code: export the organization to a YAML file, plan the difference, apply a saved plan',
    );
  registerExport(cmd, ctx);
  registerPlan(cmd, ctx);
  registerApply(cmd, ctx);
}
