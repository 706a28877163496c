import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';

export function registerAccess(program: Command, _ctx: Context): void {
  program
    .command('access')
    .description(
      'access as code: export the organization to a YAML file, plan the difference, apply a saved plan',
    );
}
