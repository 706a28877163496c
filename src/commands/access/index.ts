import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { registerApply } from './apply.js';
import { registerExport } from './export.js';
import { registerPlan } from './plan.js';

export function registerAccess(program: Command, ctx: Context): void {
  const access = program
    .command('access')
    .description(
      'access as code: export the organization to a YAML file, plan the difference, apply a saved plan',
    );
  registerExport(access, ctx);
  registerPlan(access, ctx);
  registerApply(access, ctx);
}
