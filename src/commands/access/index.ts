import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';

import { registerApply } from './apply.js';

export function registerAccess(program: Command, ctx: Context): void {
  const access = program
    .command('access')
    .description(
      'access as code: export the organization to a YAML file, plan the difference, apply a saved plan',
    );
  registerApply(access, ctx);
}
