// The rule for every missing value: flag given → use it; terminal → prompt; otherwise exit 2 with
// the complete command to run.

import type { Prompter } from '../io/prompter.js';
import type { Context } from './context.js';
import { CancelledError, UsageError } from './errors.js';

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Builds `noxus <words> --flag value ...` with placeholders for the values still missing. */
export function commandLine(
  words: string[],
  flags: Array<[string, string | string[] | boolean | undefined]>,
): string {
  const parts = ['noxus', ...words.map(shellQuote)];
  for (const [flag, v] of flags) {
    if (v === undefined || v === false) continue;
    if (v === true) parts.push(flag);
    else
      for (const one of Array.isArray(v) ? v : [v])
        parts.push(flag, one.startsWith('<') ? one : shellQuote(one));
  }
  return parts.join(' ');
}

export function missingValues(what: string[], command: string): UsageError {
  return new UsageError(
    `missing ${what.join(', ')} (no terminal to ask: stdin/stdout is not a TTY, CI is set, or --no-input)`,
    {
      hint: `run: ${command}`,
    },
  );
}

/** Value from the flag, else from a prompt; `undefined` when neither is possible (caller reports). */
export async function fromFlagOrPrompt<T>(
  ctx: Context,
  value: T | undefined,
  prompt: (p: Prompter) => Promise<T>,
): Promise<T | undefined> {
  if (value !== undefined) return value;
  if (!ctx.canPrompt()) return undefined;
  return prompt(await ctx.prompter());
}

/** Destructive verbs: --yes, or a confirmation on a terminal; refused otherwise. */
export async function confirmDestructive(ctx: Context, what: string, command: string): Promise<void> {
  if (ctx.globals.yes) return;
  if (!ctx.canPrompt()) {
    throw new UsageError(`refusing to ${what} without confirmation (not a terminal)`, {
      hint: `run: ${command} --yes`,
    });
  }
  const ok = await (await ctx.prompter()).confirm({
    message: `${what[0]?.toUpperCase()}${what.slice(1)}?`,
    default: false,
  });
  if (!ok) throw new CancelledError('cancelled; nothing changed');
}

/** Summary + confirmation before a non-destructive write on a terminal (skipped with --yes or without a terminal). */
export async function confirmWrite(ctx: Context, question: string): Promise<void> {
  if (ctx.globals.yes || !ctx.canPrompt()) return;
  const ok = await (await ctx.prompter()).confirm({ message: question, default: true });
  if (!ok) throw new CancelledError('cancelled; nothing changed');
}
