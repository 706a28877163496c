import { Chalk, type ChalkInstance } from 'chalk';
import type { IO } from './streams.js';

/** Colour only on a terminal, never with NO_COLOR or --no-color. */
export function colorEnabled(io: IO, flag: boolean): boolean {
  if (!flag) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return !!io.stdout.isTTY && io.env.TERM !== 'dumb';
}

export function makeTheme(enabled: boolean): ChalkInstance {
  return new Chalk({ level: enabled ? 1 : 0 });
}
